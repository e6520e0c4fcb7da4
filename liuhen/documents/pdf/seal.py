"""The agency's electronic seal (电子印章): a PAdES signature on a finalised document's PDF.

Clause doc-electronic-signature: an electronic document is sealed with the agency's key, and opening
it tells whether the seal is intact; a document changed after sealing is reported as such.

Keys: on first use the deployment makes a seal CA (ECDSA P-256, self-signed) and, per agency, a key
and a certificate issued by that CA. Each lives in one PEM file (private key and certificate
together, so a pair is written atomically) under ``DATA_DIR/keys/seal/`` with mode 0600 — never in
the database or git. Verification trusts exactly that CA, validates at the signing time the seal
carries and fetches nothing (no OCSP, CRL or time-stamp service: the deployment runs offline).

The seal is PAdES B-B (``/ETSI.CAdES.detached``); signatures are invisible (the form already shows
where the agency signs).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore, SimpleTrustManager

SEAL_FIELD = "LiuhenAgencySeal"
CA_FILE = "seal-ca.pem"
CA_YEARS = 50
AGENCY_YEARS = 30  # documents are kept for decades; the seal must still validate when read
_AGENCY_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class SealError(ValueError):
    """A seal that cannot be made (``seal_bad_agency``, ``seal_bad_pdf``, ``seal_key_invalid``)."""

    def __init__(self, message: str, code: str = "seal_invalid") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SealStatus:
    """What opening a stored PDF tells about its seal. ``message`` is shown to people as is."""

    signed: bool
    intact: bool
    signer: str
    signed_at: datetime | None
    covers_whole_document: bool
    message: str
    trusted: bool = False  # the signing certificate chains to this deployment's seal CA

    @property
    def valid(self) -> bool:
        """Sealed by a trusted agency certificate, unchanged, and nothing appended after sealing."""
        return self.signed and self.intact and self.trusted and self.covers_whole_document


# ---------------------------------------------------------------- keys


def seal_dir() -> Path:
    return Path(settings.DATA_DIR) / "keys" / "seal"


def _write_once(path: Path, data: bytes) -> None:
    """Write a 0600 file unless another process already made it (never replaces a key)."""
    path.parent.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # DATA_DIR/keys, shared with the ledger key
    path.parent.mkdir(mode=0o700, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def _pem_pair(key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) + cert.public_bytes(serialization.Encoding.PEM)


def _load_pair(path: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    data = path.read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=None)
        cert = x509.load_pem_x509_certificate(data[data.index(b"-----BEGIN CERTIFICATE-----") :])
    except ValueError as exc:
        raise SealError(f"电子印章密钥文件 {path} 无法读取：{exc}", "seal_key_invalid") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SealError(f"电子印章密钥文件 {path} 不是 ECDSA 密钥", "seal_key_invalid")
    return key, cert


def _name(common_name: str, code: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if code:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name))
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, code))
    return x509.Name(attrs)


def _ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    path = seal_dir() / CA_FILE
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC) - timedelta(minutes=5)
        name = _name("留痕电子印章根证书 Liuhen seal CA")
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_once(path, _pem_pair(key, cert))
    return _load_pair(path)


def ca_certificate_pem() -> bytes:
    """The seal CA certificate, for anyone outside who wants to check a seal with their own tools."""
    return _ca()[1].public_bytes(serialization.Encoding.PEM)


def _agency_path(agency_code: str, agency_name: str) -> Path:
    # The name is part of the file name's hash: a renamed agency gets a new certificate under its new
    # name, and seals made under the old one still validate against the CA.
    digest = hashlib.sha256(agency_name.encode()).hexdigest()[:12]
    return seal_dir() / f"agency-{agency_code}-{digest}.pem"


def _agency(agency_code: str, agency_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    if not _AGENCY_CODE.match(agency_code or ""):
        raise SealError(f"机关代码 {agency_code!r} 格式不对", "seal_bad_agency")
    if not agency_name.strip():
        raise SealError("机关名称不能为空", "seal_bad_agency")
    path = _agency_path(agency_code, agency_name)
    if not path.exists():
        ca_key, ca_cert = _ca()
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC) - timedelta(minutes=5)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(agency_name, agency_code))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(min(now + timedelta(days=365 * AGENCY_YEARS), ca_cert.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_once(path, _pem_pair(key, cert))
    return _load_pair(path)


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


# ---------------------------------------------------------------- sealing and checking


def _off_loop(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """pyhanko's sync calls run ``asyncio.run``, which refuses inside a running event loop (an async
    server, or a thread where Playwright's sync API runs one): then run them in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def seal_pdf(pdf: bytes, *, agency_code: str, agency_name: str) -> bytes:
    """The PDF with the agency's seal appended as an incremental update (the original bytes stay)."""
    key, cert = _agency(agency_code, agency_name)
    _ca_key, ca_cert = _ca()
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(ca_cert)]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        name=agency_name,
        reason="电子印章",
    )
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        out = _off_loop(signers.sign_pdf, writer, meta, signer=signer)
    except Exception as exc:  # pyhanko raises many kinds for a broken PDF
        raise SealError(f"无法在该 PDF 上盖章：{exc}", "seal_bad_pdf") from None
    return out.getvalue()


def _validation_context(moment: datetime | None) -> ValidationContext:
    return ValidationContext(
        trust_manager=SimpleTrustManager.build(trust_roots=[_asn1_cert(_ca()[1])]),
        allow_fetching=False,
        revocation_mode="soft-fail",
        # The agency certificate is checked as of the time the seal says it was made: a seal stays
        # valid for the decades the record is kept, although no time-stamp authority is reachable.
        moment=moment,
    )


def _signer_name(status: object) -> str:
    cert = getattr(status, "signing_cert", None)
    if cert is None:
        return ""
    try:
        return str(cert.subject.native.get("common_name", "")) or cert.subject.human_friendly
    except Exception:
        return ""


def verify_seal(pdf: bytes) -> SealStatus:
    """Whether ``pdf`` carries a seal, whether the sealed bytes are unchanged, and by whom and when."""
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:
        return SealStatus(False, False, "", None, False, "文件已损坏，无法读取，不能核验电子印章")
    if not embedded:
        return SealStatus(False, False, "", None, False, "未盖电子印章")

    results = []
    for sig in embedded:
        try:
            moment = sig.self_reported_timestamp
            status = _off_loop(validate_pdf_signature, sig, _validation_context(moment), skip_diff=True)
        except Exception as exc:
            return SealStatus(True, False, "", None, False, f"电子印章无法核验，文件可能被改动：{exc}")
        results.append(status)

    last = results[-1]
    intact = all(s.intact and s.valid for s in results)
    trusted = all(s.trusted for s in results)
    covers = last.coverage == SignatureCoverageLevel.ENTIRE_FILE
    signer = _signer_name(last)
    signed_at = last.signer_reported_dt.astimezone(UTC) if last.signer_reported_dt else None
    if not intact:
        message = "文件在盖章后被改动，电子印章无效"
    elif not trusted:
        message = "电子印章的证书不是本系统签发的，不能确认盖章机关"
    elif not covers:
        message = "电子印章本身完好，但盖章后文件又被追加了内容，追加部分不在印章保护范围内"
    else:
        message = "电子印章有效，文件未被改动"
    return SealStatus(
        signed=True,
        intact=intact,
        signer=signer,
        signed_at=signed_at,
        covers_whole_document=covers,
        message=message,
        trusted=trusted,
    )
