"""Background work of the ledger: signing checkpoints (queued by ``record`` on commit)."""

from __future__ import annotations

from django_tasks import task

from liuhen.ledger import services


@task()
def checkpoint_create_task() -> int | None:
    cp = services.checkpoint_create()
    return cp.size if cp else None


@task()
def integrity_verify_task(
    *, actor_id: int | None = None, sample: float | None = None, with_sm3: bool = False
) -> int | None:
    """``integrity_verify`` in the worker, for a run asked for on the page or the API."""
    from django.contrib.auth import get_user_model

    from liuhen.ledger.integrity import integrity_verify

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    _, report = integrity_verify(actor=actor, sample=sample, with_sm3=with_sm3)
    return report.pk if report else None
