"""Placeholder until the profile loader lands (issue 2, policy part)."""

from __future__ import annotations

from typing import Any


def get_profile(profile_id: str) -> Any:
    return profile_id
