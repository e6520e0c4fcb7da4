"""Signals shared across apps.

``deletion_refused``: sent by write-once models (``WriteOnce`` rows, ``Blob``) when something tries to
delete them through the ORM, just before the refusal is raised; ``pks`` names the rows (a queryset
delete sends its primary keys). The archive app logs each attempt in the ledger
(clause integ-no-destroy-within-retention).
"""

from __future__ import annotations

from django.dispatch import Signal

deletion_refused = Signal()  # kwargs: pks (list), via ("instance" | "queryset")
