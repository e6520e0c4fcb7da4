"""Background work of the ledger: signing checkpoints (queued by ``record`` on commit)."""

from __future__ import annotations

from django_tasks import task

from liuhen.ledger import services


@task()
def checkpoint_create_task() -> int | None:
    cp = services.checkpoint_create()
    return cp.size if cp else None
