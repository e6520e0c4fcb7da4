"""The tus server against real tuspy clients over loopback (pytest-django's live server)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
import requests
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

from liuhen.ledger.records import verify_records
from liuhen.media.models import Flag, MediaRecord, Upload, UploadStatus
from liuhen.media.tests import mediafiles

pytestmark = pytest.mark.django_db(transaction=True)
TUS = {"Tus-Resumable": "1.0.0"}


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _client(live_server, token: str) -> tus_client.TusClient:
    return tus_client.TusClient(f"{live_server.url}/api/uploads/", headers={"Authorization": f"Bearer {token}"})


def _meta(**kw: bytes | str) -> str:
    return ",".join(
        f"{k} {base64.b64encode(v if isinstance(v, bytes) else v.encode()).decode()}" for k, v in kw.items()
    )


def test_options__advertises_tus_1_0_0_and_extensions(live_server):
    response = requests.options(f"{live_server.url}/api/uploads/")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) >= {"creation", "termination", "expiration"}
    assert int(response.headers["Tus-Max-Size"]) > 0


def test_tuspy_upload__stores_the_exact_bytes_as_one_record(live_server, staff, token_for, mp4):
    token = token_for(staff.officer)
    uploader = _client(live_server, token).uploader(
        file_path=str(mp4), chunk_size=4096, metadata={"filename": "现场 执法.mp4", "filetype": "video/mp4"}
    )
    uploader.upload()
    upload = Upload.objects.get(pk=uploader.url.rsplit("/", 1)[1])
    assert upload.status == UploadStatus.FINISHED
    rec = MediaRecord.objects.get()
    assert upload.record_id == rec.pk
    assert rec.blob_id == _sha(mp4) and rec.size == mp4.stat().st_size
    assert rec.filename == "现场 执法.mp4" and rec.kind == "video" and rec.source == "tus"
    head = requests.head(uploader.url, headers={**TUS, "Authorization": f"Bearer {token}"})
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(rec.size)
    assert head.headers["Cache-Control"] == "no-store"
    assert verify_records() == []


def test_tuspy_upload__interrupted_and_resumed_gives_the_same_digest(live_server, staff, token_for, tmp_path):
    big = mediafiles.make_big(tmp_path / "big.bin", 3 * 1024 * 1024 + 17)
    token = token_for(staff.officer)
    first = _client(live_server, token).uploader(file_path=str(big), chunk_size=1024 * 1024)
    first.upload(stop_at=2 * 1024 * 1024)  # the link drops after 2 MiB
    assert MediaRecord.objects.count() == 0
    resumed = _client(live_server, token).uploader(file_path=str(big), chunk_size=1024 * 1024, url=first.url)
    assert resumed.offset == 2 * 1024 * 1024  # HEAD told it where to go on
    resumed.upload()
    rec = MediaRecord.objects.get()
    assert rec.blob_id == _sha(big) and rec.size == big.stat().st_size


def test_patch__wrong_offset_is_409_with_the_real_offset(live_server, staff, token_for):
    auth = {**TUS, "Authorization": f"Bearer {token_for(staff.officer)}"}
    created = requests.post(f"{live_server.url}/api/uploads/", headers={**auth, "Upload-Length": "10"})
    assert created.status_code == 201
    url = created.headers["Location"]
    patch = {**auth, "Content-Type": "application/offset+octet-stream"}
    assert requests.patch(url, data=b"12345", headers={**patch, "Upload-Offset": "0"}).status_code == 204
    wrong = requests.patch(url, data=b"67890", headers={**patch, "Upload-Offset": "3"})
    assert wrong.status_code == 409
    assert wrong.json()["code"] == "upload_offset_mismatch" and wrong.headers["Upload-Offset"] == "5"
    bad_type = requests.patch(url, data=b"67890", headers={**patch, "Upload-Offset": "5", "Content-Type": "text/plain"})
    assert bad_type.status_code == 415
    no_version = requests.patch(url, data=b"67890", headers={"Authorization": auth["Authorization"]})
    assert no_version.status_code == 412 and no_version.headers["Tus-Version"] == "1.0.0"
    too_much = requests.patch(url, data=b"678901", headers={**patch, "Upload-Offset": "5"})
    assert too_much.status_code == 413
    assert requests.patch(url, data=b"67890", headers={**patch, "Upload-Offset": "5"}).status_code == 204
    assert MediaRecord.objects.get().size == 10
    # The resource is finished: more bytes are refused, HEAD still says where it ended.
    again = requests.patch(url, data=b"x", headers={**patch, "Upload-Offset": "10"})
    assert again.status_code == 410 and again.json()["code"] == "upload_gone"
    head = requests.head(url, headers=auth)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == "10"


def test_delete__terminates_and_removes_the_temporary_file(live_server, staff, token_for, settings):
    auth = {**TUS, "Authorization": f"Bearer {token_for(staff.officer)}"}
    url = requests.post(f"{live_server.url}/api/uploads/", headers={**auth, "Upload-Length": "100"}).headers["Location"]
    upload = Upload.objects.get()
    assert (Path(settings.LIUHEN_UPLOAD_DIR) / upload.temp_name).exists()
    assert requests.delete(url, headers=auth).status_code == 204
    upload.refresh_from_db()
    assert upload.status == UploadStatus.TERMINATED
    assert not (Path(settings.LIUHEN_UPLOAD_DIR) / upload.temp_name).exists()
    assert requests.head(url, headers=auth).status_code == 410
    patch = {**auth, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    assert requests.patch(url, data=b"x", headers=patch).status_code == 410
    assert requests.head(f"{live_server.url}/api/uploads/nope", headers=auth).status_code == 404


def test_token_of_another_agency__cannot_see_or_write_the_upload(live_server, staff, other_staff, token_for):
    mine = {**TUS, "Authorization": f"Bearer {token_for(staff.officer)}"}
    theirs = {**TUS, "Authorization": f"Bearer {token_for(other_staff.officer)}"}
    url = requests.post(f"{live_server.url}/api/uploads/", headers={**mine, "Upload-Length": "4"}).headers["Location"]
    assert requests.head(url, headers=theirs).status_code == 404
    patch = {**theirs, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    assert requests.patch(url, data=b"evil", headers=patch).status_code == 404
    assert requests.delete(url, headers=theirs).status_code == 404
    assert requests.head(url, headers=mine).headers["Upload-Offset"] == "0"
    assert requests.post(f"{live_server.url}/api/uploads/", headers={**TUS, "Upload-Length": "4"}).status_code == 401
    bad = {**TUS, "Authorization": "Bearer lh_000000000000_nope", "Upload-Length": "4"}
    assert requests.post(f"{live_server.url}/api/uploads/", headers=bad).status_code == 401


@pytest.mark.parametrize(
    ("raw_name", "shown", "flag"),
    [
        (b"../../etc/passwd", "passwd", Flag.UNSAFE_FILENAME),
        (b"..\\..\\windows\\evil.mp4", "evil.mp4", Flag.UNSAFE_FILENAME),
        (b"..", "未命名文件", Flag.UNSAFE_FILENAME),
        (b"clip\xff\xfe.mp4", "clip\ufffd\ufffd.mp4", Flag.INVALID_FILENAME_ENCODING),
        (b"a\x00b\nc.mp4", "abc.mp4", Flag.UNSAFE_FILENAME),
    ],
)
def test_hostile_file_names__stored_safely_flagged_and_never_used_as_a_path(
    live_server, staff, token_for, settings, raw_name, shown, flag
):
    auth = {**TUS, "Authorization": f"Bearer {token_for(staff.officer)}"}
    created = requests.post(
        f"{live_server.url}/api/uploads/",
        headers={**auth, "Upload-Length": "3", "Upload-Metadata": _meta(filename=raw_name)},
    )
    assert created.status_code == 201
    patch = {**auth, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    assert requests.patch(created.headers["Location"], data=b"abc", headers=patch).status_code == 204
    rec = MediaRecord.objects.get()
    assert rec.filename == shown and flag.value in rec.flags
    assert base64.b64decode(rec.filename_raw_b64) == raw_name  # nothing the client said is lost
    assert not (Path(settings.LIUHEN_UPLOAD_DIR).parent / "etc").exists()
    assert verify_records() == []


def test_creation__bad_metadata_and_unknown_case_are_precise_errors(live_server, staff, token_for):
    auth = {**TUS, "Authorization": f"Bearer {token_for(staff.officer)}"}
    url = f"{live_server.url}/api/uploads/"
    assert requests.post(url, headers={**auth, "Upload-Length": "x"}).status_code == 422
    bad_meta = requests.post(url, headers={**auth, "Upload-Length": "3", "Upload-Metadata": "filename !!notb64"})
    assert bad_meta.status_code == 422 and bad_meta.json()["code"] == "upload_metadata_invalid"
    no_case = requests.post(url, headers={**auth, "Upload-Length": "3", "Upload-Metadata": _meta(case="999999")})
    assert no_case.status_code == 404 and no_case.json()["code"] == "case_not_found"
    assert requests.post(url, headers={**auth, "Upload-Length": str(10**15)}).status_code == 413


def test_tuspy_to_a_finished_upload__refused(live_server, staff, token_for, m4a):
    token = token_for(staff.officer)
    uploader = _client(live_server, token).uploader(file_path=str(m4a))
    uploader.upload()
    again = _client(live_server, token).uploader(file_path=str(m4a), url=uploader.url)
    assert again.offset == m4a.stat().st_size  # nothing left to send
    with pytest.raises((TusUploadFailed, TusCommunicationError)):
        again.offset = 0
        again.upload_chunk()
    assert MediaRecord.objects.count() == 1


def test_session_upload__needs_the_csrf_token(live_server, staff, client):
    client.force_login(staff.officer)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    url = f"{live_server.url}/api/uploads/"
    refused = session.post(url, headers={**TUS, "Upload-Length": "3"})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    page = session.get(f"{live_server.url}/")
    token = session.cookies.get("csrftoken") or page.cookies.get("csrftoken")
    if token is None:
        pytest.skip("home page sets no CSRF cookie")
    ok = session.post(url, headers={**TUS, "Upload-Length": "3", "X-CSRFToken": token, "Referer": live_server.url})
    assert ok.status_code == 201


def _tus_client(**kw):
    from django.test import Client

    return Client(enforce_csrf_checks=True, HTTP_TUS_RESUMABLE="1.0.0", **kw)


def test_method_override__a_get_with_a_session_cannot_delete_past_the_csrf_check(staff):
    from liuhen.media.ingest import uploads as media

    upload = media.upload_create(actor=staff.officer, length=16)
    browser = _tus_client()
    browser.force_login(staff.officer)
    url = f"/api/uploads/{upload.pk}"
    refused = browser.get(url, HTTP_X_HTTP_METHOD_OVERRIDE="DELETE")
    assert refused.status_code == 422 and refused.json()["code"] == "method_override_not_post"
    assert "POST" in refused.json()["message"]
    forged = browser.post(url, HTTP_X_HTTP_METHOD_OVERRIDE="DELETE")  # the override itself is checked as unsafe
    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"
    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACTIVE
    browser.get("/")  # the page sets the CSRF cookie, as for the upload page
    token = browser.cookies["csrftoken"].value
    done = browser.post(url, HTTP_X_HTTP_METHOD_OVERRIDE="DELETE", HTTP_X_CSRFTOKEN=token)
    assert done.status_code == 204
    upload.refresh_from_db()
    assert upload.status != UploadStatus.ACTIVE


@pytest.mark.parametrize("value", ["²", "١٢", "-1", "1e3", " 12", "9" * 40])
def test_creation__upload_length_not_plain_ascii_digits_is_refused_with_a_code(staff, token_for, value):
    machine = _tus_client(HTTP_AUTHORIZATION=f"Bearer {token_for(staff.officer)}")
    response = machine.post("/api/uploads/", HTTP_UPLOAD_LENGTH=value)
    assert response.status_code in (413, 422), response.content
    assert response.json()["code"] in ("upload_invalid", "upload_too_large")
    assert not Upload.objects.exists()


@pytest.mark.parametrize("header", ["HTTP_UPLOAD_OFFSET", "CONTENT_LENGTH"])
def test_patch__non_ascii_digits_in_offset_or_content_length_is_refused(staff, token_for, header):
    from liuhen.media.ingest import uploads as media

    upload = media.upload_create(actor=staff.officer, length=4)
    machine = _tus_client(HTTP_AUTHORIZATION=f"Bearer {token_for(staff.officer)}")
    headers = {"HTTP_UPLOAD_OFFSET": "0", header: "²"}
    response = machine.patch(
        f"/api/uploads/{upload.pk}", data=b"abcd", content_type="application/offset+octet-stream", **headers
    )
    assert response.status_code == 422 and response.json()["code"] == "upload_invalid", response.content
    upload.refresh_from_db()
    assert upload.offset == 0
