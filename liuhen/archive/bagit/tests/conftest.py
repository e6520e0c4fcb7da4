"""A good package built once per module from generated files (real PDF, MP4, JPEG); tests break copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from liuhen.archive.bagit.package import build_package
from liuhen.archive.bagit.tests.factory import Fixture, make_spec


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Fixture, Path]:
    folder = tmp_path_factory.mktemp("archive")
    fixture = make_spec(folder / "src")
    build_package(fixture.spec, folder / "pkg")
    return fixture, folder / "pkg"


@pytest.fixture
def package(built, tmp_path) -> tuple[Fixture, Path]:
    """A private copy of the good package to break."""
    fixture, path = built
    copy = tmp_path / "pkg"
    shutil.copytree(path, copy, symlinks=True)
    return fixture, copy
