"""Archival packages and evidence-disc images, without Django (clauses arch-case-file-complete,
arch-av-evidence-disc).

Everything here works on plain typed descriptions and files — no ORM, no settings, no request — so
it can be read, tested and benchmarked on its own (``tests/test_no_django.py`` imports it with Django
absent):

- ``spec``: the description a package is built from (cover, volumes, items, their sources and proofs);
- ``package``: the BagIt package (RFC 8493) with SHA-256, SHA-512 and SM3 manifests;
- ``checks``: the four-property checks of DA/T 70 on a package directory;
- ``hashing``: several digests of one stream in one read; ``formats``: does a file open as its suffix says;
- ``proofs``: a ledger inclusion proof checked against the signed checkpoint (C2SP signed note, RFC 9162);
- ``render``: the cover, table of contents and disc statement as A4 PDFs;
- ``disc_image``: the ISO 9660 evidence disc, itself a BagIt bag, read back before it is declared good.

(``import bagit`` inside these modules is the bagit-python library, which this package builds on.)
The archive's services (``casefiles``, ``discs``) turn cases, documents and AV records into these
descriptions.
"""
