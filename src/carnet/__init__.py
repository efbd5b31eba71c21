"""carnet: a notebook server you can safely put on a public address."""

__version__ = "0.1.0"
