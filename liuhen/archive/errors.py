"""The base of the archive's errors (stable codes for programs, Chinese messages for people).

Each sub-domain keeps its own beside its code: ``bagit/errors.py`` (packages and disc images),
``casefiles/errors.py``, ``discs/errors.py``, ``retention/errors.py``.
"""

from __future__ import annotations

from liuhen.core.errors import DomainError


class ArchiveError(DomainError):
    code = "archive_error"
    status = 400
    message = "归档操作失败"
