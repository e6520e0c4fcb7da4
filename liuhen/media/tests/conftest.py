"""Media test fixtures: staff of an agency, a private data folder and blob store, API tokens, and
generated media files (never committed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from liuhen.media.tests import mediafiles


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"
    settings.LIUHEN_UPLOAD_DIR = str(tmp_path / "uploads")


@pytest.fixture
def staff(staff_for):
    return staff_for("national-baseline", code="media-a")


@pytest.fixture
def other_staff(staff_for):
    return staff_for("national-baseline", code="media-b")


@pytest.fixture
def token_for():
    from liuhen.org.services import api_token_issue

    def _issue(user) -> str:
        return api_token_issue(actor=None, user=user, name="采集站")[1]

    return _issue


@pytest.fixture
def media_dir(tmp_path) -> Path:
    path = tmp_path / "media-src"
    path.mkdir()
    return path


@pytest.fixture
def mp4(media_dir) -> Path:
    return mediafiles.make_mp4(media_dir / "clip.mp4", seconds=2)


@pytest.fixture
def m4a(media_dir) -> Path:
    return mediafiles.make_m4a(media_dir / "note.m4a", seconds=1)


@pytest.fixture
def jpeg(media_dir) -> Path:
    return mediafiles.make_jpeg(media_dir / "photo.jpg")
