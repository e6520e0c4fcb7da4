"""Witness tests run the real server (live_server) with the ledger's fixtures: a private data folder
(the log's key) and a quick way to append events."""

from liuhen.ledger.tests.conftest import append, ledger_data_dir  # noqa: F401 (fixtures)
