"""Profile versions: record each version when first seen, pin it for a case, load a pinned version.

Architecture decision 1 (a case pins the profile version it was opened under) and clause
integ-audit-trail-traceability: registering a version writes a ledger event in the same transaction.
A version number promises its content: the same id and version with a different digest is refused
(:class:`ProfileVersionConflict`), so a changed profile must carry a new version.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from liuhen.ledger.services import record
from liuhen.policy.errors import ProfileNotFound, ProfileVersionConflict
from liuhen.policy.loader import canonical_content, get_profile, profile_digest
from liuhen.policy.models import ProfileSnapshot
from liuhen.policy.schema import Profile


def _conflict(existing: ProfileSnapshot, digest: str) -> ProfileVersionConflict:
    return ProfileVersionConflict(
        f"执法规则配置 {existing.profile_id} 的内容已改变，但版本号仍为 {existing.version}；请提高 version 后再使用",
        profile_id=existing.profile_id,
        version=existing.version,
        recorded_sha256=existing.sha256,
        current_sha256=digest,
    )


def profile_snapshot_register(*, actor: Any, profile: Profile) -> ProfileSnapshot:
    """Record ``profile`` at its version (idempotent). Refuses changed content under a known version."""
    digest = profile_digest(profile)
    existing = ProfileSnapshot.objects.filter(profile_id=profile.id, version=profile.version).first()
    if existing is not None:
        if existing.sha256 != digest:
            raise _conflict(existing, digest)
        return existing
    try:
        with transaction.atomic():
            snap = ProfileSnapshot.objects.create(
                profile_id=profile.id, version=profile.version, sha256=digest, content=canonical_content(profile)
            )
            record(
                actor=actor,
                action="policy_profile.registered",
                obj_type="policy_profile",
                obj_id=f"{profile.id}@{profile.version}",
                payload={"profile_id": profile.id, "version": profile.version, "sha256": digest},
            )
    except IntegrityError:
        # Another process registered the same version first: the content must still match.
        existing = ProfileSnapshot.objects.get(profile_id=profile.id, version=profile.version)
        if existing.sha256 != digest:
            raise _conflict(existing, digest) from None
        return existing
    return snap


def profile_pin(*, actor: Any, profile_id: str) -> ProfileSnapshot:
    """The snapshot of the current version of ``profile_id``, registered if new: what a new case stores."""
    return profile_snapshot_register(actor=actor, profile=get_profile(profile_id))


def profile_load_pinned(profile_id: str, version: str) -> Profile:
    """The profile exactly as it was at ``version`` (from the snapshot, not from today's file)."""
    snap = ProfileSnapshot.objects.filter(profile_id=profile_id, version=version).first()
    if snap is None:
        raise ProfileNotFound(
            f"执法规则配置 {profile_id} 的版本 {version} 未登记", profile_id=profile_id, version=version
        )
    return Profile.model_validate(snap.content)


def version_conflicts(profiles: dict[str, Profile]) -> list[tuple[Profile, ProfileSnapshot]]:
    """Profiles whose content differs from the snapshot recorded under the same version."""
    out: list[tuple[Profile, ProfileSnapshot]] = []
    snaps = {(s.profile_id, s.version): s for s in ProfileSnapshot.objects.filter(profile_id__in=list(profiles))}
    for profile in profiles.values():
        snap = snaps.get((profile.id, profile.version))
        if snap is not None and snap.sha256 != profile_digest(profile):
            out.append((profile, snap))
    return out
