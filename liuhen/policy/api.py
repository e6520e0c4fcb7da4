"""Policy API: read a profile by id, or the caller's own agency profile (same selectors as the page)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from liuhen.policy import selectors
from liuhen.policy.loader import profile_digest
from liuhen.policy.schema import Profile

router = Router(tags=["执法规则"])


class ProfileOut(Schema):
    id: str
    version: str
    sha256: str
    profile: Profile


def _out(profile: Profile) -> dict[str, Any]:
    return {"id": profile.id, "version": profile.version, "sha256": profile_digest(profile), "profile": profile}


@router.get("/mine", response=ProfileOut, summary="本机关的执法规则配置")
def mine(request: HttpRequest) -> Any:
    return _out(selectors.profile_for_user(request.user))


@router.get("/profiles/{profile_id}", response=ProfileOut, summary="按编号读取执法规则配置")
def profile_detail(request: HttpRequest, profile_id: str) -> Any:
    return _out(selectors.profile_by_id(request.user, profile_id))
