"""liuhen-witness: an outside body's co-signer of Liuhen ledger checkpoints (ADR 0013).

A 司法局, 档案馆 or court runs it with its own Ed25519 key. Each run fetches the log's latest signed
checkpoint and the consistency proof from the last checkpoint it co-signed (kept in its state file),
checks the log's signature against the log key pinned on first use and the proof (RFC 9162), and
returns a C2SP tlog-cosignature (``cosignature/v1``) to the server. A fork (same size, other root),
a shrunken tree, a bad proof or a checkpoint not signed by the pinned key is refused, with the reason
in Chinese and English, and the state file is left as it was.

Standalone: Python's standard library and ``cryptography`` only, no Django, so that it can be
installed on the outside body's own machine without the rest of Liuhen.
"""
