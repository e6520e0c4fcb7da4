"""A write interrupted at any point leaves no blob that looks complete (integ-no-tamper-original).

A writer subprocess is killed mid-stream with SIGKILL, or dies (``os._exit``) right before or right
after the final link; the next start's cleanup removes its temporary file, never a stored blob, and
never the file of a writer that is still alive.
"""

from __future__ import annotations

import hashlib
import io
import signal
import subprocess
import sys
import textwrap

import pytest

from liuhen.ledger.blobstore.backends.local import LocalBlobStore

pytestmark = pytest.mark.clause("integ-no-tamper-original")

WRITER = textwrap.dedent(
    """
    import os, sys, time
    from liuhen.ledger.blobstore.backends import local
    from liuhen.ledger.blobstore.backends.local import LocalBlobStore

    root, stage = sys.argv[1], sys.argv[2]
    store = LocalBlobStore(root, chunk_size=65536)
    CHUNK = b"z" * 65536

    def endless():
        for i in range(10**9):
            if i == 20:
                print("writing", flush=True)
            if i >= 20:
                time.sleep(0.01)
            yield CHUNK

    def finite():
        for _ in range(20):
            yield CHUNK

    if stage == "mid-write":
        store.put(endless())
    elif stage == "before-link":
        os.link = lambda *a, **k: os._exit(9)
        store.put(finite())
    elif stage == "after-link":
        real_link = LocalBlobStore._link
        def link_then_die(tmp, final):
            real_link(tmp, final)
            os._exit(9)
        LocalBlobStore._link = staticmethod(link_then_die)
        store.put(finite())
    """
)


def _start(root, stage, env):
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root), stage],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def test_writer_killed_mid_write__no_blob_and_the_next_start_cleans_up(tmp_path, env_for_subprocess):
    root = tmp_path / "blobs"
    proc = _start(root, "mid-write", env_for_subprocess)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "writing", proc.stderr.read()
        store = LocalBlobStore(root)
        # While the writer lives, its temporary file is locked: cleanup must not take it.
        assert store.cleanup(min_age_seconds=0) == 0
        assert len(list(store.tmp.iterdir())) == 1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    store = LocalBlobStore(root)
    assert list(store.keys()) == []
    assert len(list(store.tmp.iterdir())) == 1
    assert store.cleanup(min_age_seconds=0) == 1
    assert list(store.tmp.iterdir()) == []


def test_writer_dead_before_the_link__nothing_under_a_final_name(tmp_path, env_for_subprocess):
    root = tmp_path / "blobs"
    proc = _start(root, "before-link", env_for_subprocess)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 9, err
    store = LocalBlobStore(root)
    assert list(store.keys()) == []
    assert store.cleanup(min_age_seconds=0) == 1


def test_writer_dead_after_the_link__the_blob_is_whole_and_cleanup_keeps_it(tmp_path, env_for_subprocess):
    root = tmp_path / "blobs"
    proc = _start(root, "after-link", env_for_subprocess)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 9, err
    store = LocalBlobStore(root)
    expected = hashlib.sha256(b"z" * 65536 * 20).hexdigest()
    assert list(store.keys()) == [expected]
    assert store.cleanup(min_age_seconds=0) == 1  # the temporary name, not the blob
    with store.open(expected) as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == expected


def test_blobstore_cleanup_command_removes_dead_temporary_files_only(blob_settings):
    from django.core.management import call_command

    from liuhen.ledger.blobstore.backends import get_store

    store = get_store()
    kept = store.put(b"stored before the crash")
    dead = store.tmp / "12345-deadbeef.part"
    dead.write_bytes(b"half a video")
    out = io.StringIO()
    call_command("blobstore_cleanup", "--older-than", "0", stdout=out)
    assert "已清理 1 个临时文件" in out.getvalue()
    assert not dead.exists()
    assert store.path(kept.sha256).read_bytes() == b"stored before the crash"
