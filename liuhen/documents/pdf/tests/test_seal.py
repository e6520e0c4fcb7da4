"""The agency's electronic seal (clause doc-electronic-signature): sealed, verified, tampering reported."""

from __future__ import annotations

import re
import stat
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.generic import NameObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from liuhen.documents.pdf.render import render_pdf
from liuhen.documents.pdf.seal import SealError, ca_certificate_pem, seal_pdf, verify_seal

from .conftest import interview_form

AGENCY = {"agency_code": "dongxihu-culture", "agency_name": "武汉市东西湖区文化和旅游局"}


@pytest.fixture(scope="module")
def unsealed() -> bytes:
    return render_pdf(**interview_form())


def _byte_range(pdf: bytes) -> list[int]:
    found = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert len(found) == 1
    return [int(n) for n in found[0]]


@pytest.mark.clause("doc-electronic-signature")
def test_seal_pdf__then_verify__intact_by_the_agency(seal_data_dir: Path, unsealed: bytes) -> None:
    sealed = seal_pdf(unsealed, **AGENCY)

    assert sealed.startswith(unsealed)  # an incremental update: the finalised bytes stay as they were
    status = verify_seal(sealed)
    assert status.signed and status.intact and status.trusted and status.covers_whole_document
    assert status.valid
    assert status.signer == "武汉市东西湖区文化和旅游局"
    assert status.signed_at is not None and status.signed_at.tzinfo is not None
    assert abs(status.signed_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert status.message == "电子印章有效，文件未被改动"


@pytest.mark.clause("doc-electronic-signature")
def test_verify_seal__one_byte_changed_inside_the_signed_range__not_intact(
    seal_data_dir: Path, unsealed: bytes
) -> None:
    sealed = bytearray(seal_pdf(unsealed, **AGENCY))
    start, length, _, _ = _byte_range(bytes(sealed))
    # A byte inside the first page's compressed content stream: the file still parses, the digest does not match.
    offset = sealed.index(b"stream\n", start) + 40
    assert start <= offset < start + length
    sealed[offset] ^= 0x01

    status = verify_seal(bytes(sealed))
    assert status.signed
    assert not status.intact
    assert not status.valid
    assert status.message == "文件在盖章后被改动，电子印章无效"


@pytest.mark.clause("doc-electronic-signature")
def test_verify_seal__incremental_update_after_sealing__not_covering_the_whole_document(
    seal_data_dir: Path, unsealed: bytes
) -> None:
    sealed = seal_pdf(unsealed, **AGENCY)
    writer = IncrementalPdfFileWriter(BytesIO(sealed))
    writer.root[NameObject("/PageMode")] = NameObject("/UseOutlines")
    writer.update_root()
    out = BytesIO()
    writer.write(out)

    status = verify_seal(out.getvalue())
    assert status.signed and status.intact  # the sealed revision itself is unchanged
    assert not status.covers_whole_document
    assert not status.valid
    assert "追加" in status.message


def test_verify_seal__unsealed_pdf__not_signed(unsealed: bytes) -> None:
    status = verify_seal(unsealed)

    assert not status.signed and not status.intact and not status.valid
    assert status.signed_at is None
    assert status.message == "未盖电子印章"


def test_verify_seal__not_a_pdf__reported_not_raised() -> None:
    status = verify_seal(b"not a pdf at all")

    assert not status.signed and not status.intact
    assert "无法读取" in status.message


@pytest.mark.clause("doc-electronic-signature")
def test_verify_seal__sealed_under_another_deployments_ca__not_trusted(
    settings, tmp_path: Path, unsealed: bytes
) -> None:
    settings.DATA_DIR = tmp_path / "elsewhere"
    foreign = seal_pdf(unsealed, **AGENCY)
    settings.DATA_DIR = tmp_path / "here"

    status = verify_seal(foreign)
    assert status.signed and not status.trusted and not status.valid
    assert "不是本系统签发" in status.message


def test_seal_keys__kept_in_data_dir_with_0600_and_reused(seal_data_dir: Path, unsealed: bytes) -> None:
    seal_pdf(unsealed, **AGENCY)
    seal_pdf(unsealed, **AGENCY)
    seal_pdf(unsealed, agency_code="jiangan-culture", agency_name="武汉市江岸区文化和旅游局")

    files = sorted(p.name for p in (seal_data_dir / "keys" / "seal").iterdir())
    assert len(files) == 3  # one CA and one key per agency, not one per document
    assert "seal-ca.pem" in files
    for name in files:
        mode = stat.S_IMODE((seal_data_dir / "keys" / "seal" / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    assert stat.S_IMODE((seal_data_dir / "keys" / "seal").stat().st_mode) == 0o700
    assert b"PRIVATE KEY" not in ca_certificate_pem()


@pytest.mark.parametrize("code", ["", "../etc", "a b", "机关"])
def test_seal_pdf__bad_agency_code__refused(seal_data_dir: Path, unsealed: bytes, code: str) -> None:
    with pytest.raises(SealError) as raised:
        seal_pdf(unsealed, agency_code=code, agency_name="某机关")
    assert raised.value.code == "seal_bad_agency"


def test_seal_pdf__not_a_pdf__refused(seal_data_dir: Path) -> None:
    with pytest.raises(SealError) as raised:
        seal_pdf(b"not a pdf", **AGENCY)
    assert raised.value.code == "seal_bad_pdf"


def test_seal_and_verify_work_inside_a_running_event_loop(tmp_path, settings):
    """An async server (or Playwright's sync API in the same thread) runs a loop; sealing still works."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from liuhen.documents.pdf.render import render_pdf
    from liuhen.documents.pdf.seal import seal_pdf, verify_seal

    settings.DATA_DIR = tmp_path
    pdf = render_pdf(title="测试", form_no="", agency_name="测试局", case_number="1", fields=[("事项", "内容")])

    async def inside() -> bool:
        asyncio.get_running_loop()  # a loop is running here, as in an async server
        return verify_seal(seal_pdf(pdf, agency_code="loop", agency_name="测试局")).intact

    # In a thread of its own, whatever loop the test process may already run in this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, inside()).result()
