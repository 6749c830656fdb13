"""ChatX: a local-first context daemon for editors and coding agents."""

__version__ = "0.1.0"
