"""Open notebooks owned by the server: the notebook CRDT, its update log, the output journal.

Plain Python over plain paths: no tornado, no kernels. Everything a client was told
is saved (an acknowledged edit, a recorded output) is in a file under the state
directory and survives the server being killed. Importing this package is cheap;
``carnet.documents.notebook`` imports pycrdt and is only imported when needed.
"""
