"""Closing a case opens its case file (clause time-archive-30d).

A receiver on the ``case.closed`` timeline entry, so the cases app need not know the archive app:
it runs inside ``case_close``'s transaction, after the ``archiving`` deadline was started, and
writes the ``case_file.opened`` event there.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from liuhen.cases.models import TimelineEntry


@receiver(post_save, sender=TimelineEntry, dispatch_uid="archive.case_closed")
def _case_closed(sender: Any, instance: TimelineEntry, created: bool, **kwargs: Any) -> None:
    if not created or instance.action != "case.closed":
        return
    from liuhen.archive.casefiles import case_file_open

    case_file_open(case=instance.case, actor=instance.actor)
