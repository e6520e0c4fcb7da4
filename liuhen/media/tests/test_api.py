"""The media API: multipart upload of small files, records, by-upload lookup, docking reports."""

from __future__ import annotations

import hashlib

import pytest

from liuhen.media.models import MediaRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(staff, token_for):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_for(staff.officer)}"}


def test_multipart_upload__photo_becomes_a_record(client, auth, jpeg):
    with open(jpeg, "rb") as fh:
        response = client.post("/api/media/", {"file": fh, "device_serial": "CAM-PHOTO-1"}, **auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(jpeg.read_bytes()).hexdigest()
    assert body["source"] == "multipart" and body["kind"] == "photo" and body["filename"] == "photo.jpg"
    assert client.get(f"/api/media/{body['id']}", **auth).json()["sha256"] == body["sha256"]
    listed = client.get(f"/api/media/?sha256={body['sha256']}", **auth).json()
    assert [r["id"] for r in listed] == [body["id"]]


def test_multipart_upload__over_the_limit_is_413_and_nothing_stored(client, auth, settings, mp4):
    settings.LIUHEN_MULTIPART_MAX_BYTES = 100
    with open(mp4, "rb") as fh:
        response = client.post("/api/media/", {"file": fh}, **auth)
    assert response.status_code == 413 and response.json()["code"] == "upload_too_large"
    assert MediaRecord.objects.count() == 0


def test_record_of_another_agency__404(client, staff, other_staff, token_for, jpeg):
    with open(jpeg, "rb") as fh:
        rec_id = client.post(
            "/api/media/", {"file": fh}, **{"HTTP_AUTHORIZATION": f"Bearer {token_for(staff.officer)}"}
        ).json()["id"]
    theirs = {"HTTP_AUTHORIZATION": f"Bearer {token_for(other_staff.officer)}"}
    assert client.get(f"/api/media/{rec_id}", **theirs).status_code == 404
    assert client.get("/api/media/", **theirs).json() == []


def test_docking_report_api__drift_computed(client, auth):
    body = {
        "device_serial": "CAM-9",
        "device_time": "2026-03-01T10:00:30+08:00",
        "station_time": "2026-03-01T10:00:00+08:00",
        "station": "一号采集站",
        "time_source": "sidecar",
    }
    response = client.post("/api/media/docking-reports", body, content_type="application/json", **auth)
    assert response.status_code == 201, response.content
    assert response.json()["drift_seconds"] == 30.0
