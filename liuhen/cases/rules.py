"""Pure rules of the procedure engine: who may record which approval, what each approval must say.

Clauses doc-internal-approval (authority), doc-legal-review (reviewer, opinion, suggestions),
doc-collective-discussion (participants, minutes, conclusion), doc-expert-review.
"""

from __future__ import annotations

from collections.abc import Iterable

from liuhen.org.rules import Role

# Who may record each approval kind (codes of liuhen.policy.schema.APPROVAL_KINDS).
APPROVAL_ROLES: dict[str, frozenset[str]] = {
    "department_head": frozenset({Role.DEPARTMENT_HEAD}),
    "legal_review": frozenset({Role.LEGAL_REVIEWER}),
    "collective_discussion": frozenset({Role.AGENCY_HEAD}),  # the head who chaired it records it
    "expert_review": frozenset({Role.OFFICER, Role.DEPARTMENT_HEAD}),  # the handler records the experts' view
    "agency_head": frozenset({Role.AGENCY_HEAD}),
}

# filing.approvers in a profile name roles; each is recorded as this approval kind.
APPROVER_ROLE_TO_KIND: dict[str, str] = {
    "department_head": "department_head",
    "agency_head": "agency_head",
    "legal_reviewer": "legal_review",
    "records_keeper": "department_head",
}

MIN_DISCUSSION_PARTICIPANTS = 3


def may_record(kind: str, roles: Iterable[str]) -> bool:
    return bool(APPROVAL_ROLES.get(kind, frozenset()) & set(roles))


def approval_problems(
    kind: str, *, opinion: str, suggestions: str, participants: list[str], minutes: str, conclusion: str
) -> list[str]:
    """What an approval of ``kind`` lacks, in Chinese; empty when it is complete."""
    problems: list[str] = []
    if not opinion.strip():
        problems.append("须填写意见")
    if kind == "legal_review" and not suggestions.strip():
        problems.append("法制审核须载明审核建议（无建议时填写“无”）")
    if kind == "collective_discussion":
        if len([p for p in participants if p.strip()]) < MIN_DISCUSSION_PARTICIPANTS:
            problems.append(f"集体讨论须列明参加人员（至少 {MIN_DISCUSSION_PARTICIPANTS} 人）")
        if not minutes.strip():
            problems.append("集体讨论须有讨论记录")
        if not conclusion.strip():
            problems.append("集体讨论须有讨论结论")
    if kind == "expert_review" and not [p for p in participants if p.strip()]:
        problems.append("专家论证须列明参加论证的专家")
    return problems
