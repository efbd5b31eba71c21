"""The HTTP and WebSocket layer: the only package that imports tornado.

Handlers are thin: parse the request, make one service call, serialise the answer.
Every URL is in ``routes.py``; every error status is in ``errors.py``.
"""
