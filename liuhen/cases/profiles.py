"""The profile a case runs under: exactly the version pinned when it was opened (policy.snapshots)."""

from __future__ import annotations

from liuhen.cases.models import Case
from liuhen.policy.schema import Profile
from liuhen.policy.snapshots import profile_load_pinned


def profile_of(case: Case) -> Profile:
    """The profile exactly as pinned when the case was opened."""
    return profile_load_pinned(case.profile_id, case.profile_version)


def stage_name(profile: Profile, case: Case, stage_id: str) -> str:
    """The stage's name in the case's profile (its id when the profile does not know it)."""
    stage = profile.stage(case.enforcement_type, stage_id)
    return stage.name if stage else stage_id
