"""ChatX: a local-first context daemon for editors and coding agents."""

__version__ = "0.1.0"
STATE_DIR = ".claude-context"  # where a workspace's index, ledger and daemon socket live
CATALOG = "catalog.sqlite"  # in STATE_DIR: what was indexed; no catalog, never indexed
