"""What a verification run reports: one Finding per problem, each naming the item it concerns.

Shared by the blob checks, the ledger/Merkle/checkpoint checks and the record-row checks, so that
``manage.py verify`` can print one Chinese report and one JSON report from all of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    code: str  # stable, e.g. "blob_changed", "ledger_row_edited", "checkpoint_bad_signature"
    message: str  # Chinese, for people
    item: str  # what it concerns, e.g. "blob:<sha256>", "event:#42", "checkpoint:1024"
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
