"""Content-addressed, write-once blob store (clause integ-no-tamper-original): originals are kept as received.

Keys are SHA-256 hex digests; the interface has no overwrite and no delete. See docs/adr/0005-blob-store.md.
"""
