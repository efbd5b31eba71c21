"""carnet's config files: where they are, how they are read, and the commands that write them.

The rule here: ``carnet.settings`` stays the only place that turns values into settings;
this package only finds the file (default, ``--profile``, ``--config``), maps legacy
Jupyter files onto carnet's keys, and edits TOML without losing the user's comments.
Every file that may hold a secret is written atomically with mode 0600.
"""
