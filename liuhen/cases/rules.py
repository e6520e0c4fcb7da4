"""Pure rules of the procedure engine: what each approval act must say.

Clauses doc-legal-review (opinion and suggestions), doc-collective-discussion (participants, minutes,
conclusion), doc-expert-review (the experts). Who may record each kind, and how many people a
discussion or an expert review lists at least, is the profile's (``approvals``).
"""

from __future__ import annotations

from liuhen.policy.schema import APPROVAL_KINDS, ApprovalRule


def approval_problems(
    kind: str,
    rule: ApprovalRule,
    *,
    opinion: str,
    suggestions: str,
    participants: list[str],
    minutes: str,
    conclusion: str,
) -> list[str]:
    """What an approval of ``kind`` lacks, in Chinese; empty when it is complete."""
    problems: list[str] = []
    people = [p for p in participants if p.strip()]
    if not opinion.strip():
        problems.append("须填写意见")
    if kind == "legal_review" and not suggestions.strip():
        problems.append("法制审核须载明审核建议（无建议时填写“无”）")
    if kind == "collective_discussion":
        if len(people) < rule.min_participants:
            problems.append(f"集体讨论须列明参加人员（至少 {rule.min_participants} 人）")
        if not minutes.strip():
            problems.append("集体讨论须有讨论记录")
        if not conclusion.strip():
            problems.append("集体讨论须有讨论结论")
    elif len(people) < rule.min_participants:
        what = "参加论证的专家" if kind == "expert_review" else "参加人员"
        at_least = f"（至少 {rule.min_participants} 人）" if rule.min_participants > 1 else ""
        problems.append(f"{APPROVAL_KINDS[kind]}须列明{what}{at_least}")
    return problems
