"""A finalised version's values are checked against its data blob (clause integ-no-tamper-original).

``DocumentVersion.values`` is what pages, the API and the PDF renderer read; the data blob whose
SHA-256 is ``data_sha256`` is the original the ledger sealed. ``verify`` (through the write-once
record check of ``documents.DocumentVersion``) reads each version's data blob and names a version
whose values or version number differ from it. A missing blob is reported by the blob check.
"""

from __future__ import annotations

import json
from typing import Any

from liuhen.ledger.blobstore.backends import get_store
from liuhen.ledger.findings import Finding


def _read(store: Any, sha256: str) -> dict[str, Any] | None:
    try:
        with store.open(sha256) as fh:
            data = json.loads(fh.read())
    except Exception:  # missing, disposed or unreadable: the blob check names it
        return None
    return data if isinstance(data, dict) else None


def version_data_check(rows: list[dict[str, Any]]) -> list[Finding]:
    store = get_store()
    findings: list[Finding] = []
    for row in rows:
        data = _read(store, row["data_sha256"])
        if data is None:
            continue
        changed = [
            name
            for name, stored in (("values", data.get("values")), ("version", data.get("version")))
            if json.dumps(stored, sort_keys=True, ensure_ascii=False)
            != json.dumps(row.get(name), sort_keys=True, ensure_ascii=False)
        ]
        if changed:
            findings.append(
                Finding(
                    "record_data_mismatch",
                    f"文书定稿版本 #{row['id']} 的{'、'.join(changed)}与其原始数据文件不符（内容被改动）",
                    f"record:documents.DocumentVersion:{row['id']}",
                    {"columns": changed, "data_sha256": row["data_sha256"]},
                )
            )
    return findings
