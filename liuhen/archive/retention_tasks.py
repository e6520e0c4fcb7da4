"""Background work of retention: running an approved disposal batch (thin wrapper over the service)."""

from __future__ import annotations

from django_tasks import task

from liuhen.archive import disposal


@task()
def disposal_run_task(*, batch_id: int, actor_id: int | None = None) -> str:
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return disposal.disposal_run(batch_id=batch_id, actor=actor).status
