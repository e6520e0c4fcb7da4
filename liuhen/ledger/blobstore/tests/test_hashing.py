"""SHA-256 and SM3 in one pass (the SM3 thread must see every chunk, in order, unchanged)."""

from __future__ import annotations

import hashlib
import io
import os

from liuhen.ledger.blobstore.hashing import DualHasher, iter_chunks

# GB/T 32905-2016, example 1: SM3("abc")
SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm3_through_openssl_matches_the_standard_vector():
    assert hashlib.new("sm3", b"abc").hexdigest() == SM3_ABC


def test_dual_hasher__equals_one_shot_digests_over_many_chunks():
    data = os.urandom(3 * 1024 * 1024 + 17)
    with DualHasher() as hasher:
        for chunk in iter_chunks(data, chunk_size=65536):
            hasher.update(chunk)
        sha256, sm3 = hasher.hexdigests()
    assert sha256 == hashlib.sha256(data).hexdigest()
    assert sm3 == hashlib.new("sm3", data).hexdigest()
    assert hasher.size == len(data)


def test_iter_chunks__copies_a_reused_producer_buffer():
    buffer = bytearray(b"a" * 10)

    def producer():
        for letter in b"abc":
            buffer[:] = bytes([letter]) * 10
            yield buffer

    with DualHasher() as hasher:
        for chunk in iter_chunks(producer()):
            hasher.update(chunk)
        sha256, sm3 = hasher.hexdigests()
    expected = b"a" * 10 + b"b" * 10 + b"c" * 10
    assert (sha256, sm3) == (hashlib.sha256(expected).hexdigest(), hashlib.new("sm3", expected).hexdigest())


def test_iter_chunks__file_object_and_bytes_agree():
    data = os.urandom(100_000)
    assert b"".join(iter_chunks(io.BytesIO(data), chunk_size=4096)) == data
    assert b"".join(iter_chunks(data, chunk_size=4096)) == data
    assert list(iter_chunks(b"")) == []
