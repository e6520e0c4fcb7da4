"""Background work of evidence discs: building (and re-verifying) an image in the worker."""

from __future__ import annotations

from django_tasks import task

from liuhen.archive import discs


@task()
def disc_build_task(*, disc_id: int) -> str:
    return discs.disc_build(disc_id=disc_id).status


@task()
def disc_verify_task(*, disc_id: int, actor_id: int | None = None) -> bool:
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return discs.disc_verify(disc_id=disc_id, actor=actor).ok
