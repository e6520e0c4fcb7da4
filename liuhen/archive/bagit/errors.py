"""Errors of building and checking packages and disc images: stable codes, Chinese messages."""

from __future__ import annotations

from liuhen.archive.errors import ArchiveError


class PackageSpecInvalid(ArchiveError):
    code = "package_spec_invalid"
    status = 422
    message = "归档包的描述不完整或有误"


class SourceDigestMismatch(ArchiveError):
    """A source file's bytes differ from the digests the blob store recorded for it."""

    code = "source_digest_mismatch"
    status = 409
    message = "原始文件的摘要与存储记录不符"


class DiscTooLarge(ArchiveError):
    code = "disc_too_large"
    status = 422
    message = "所选文件超出光盘容量"


class DiscSpecInvalid(ArchiveError):
    code = "disc_spec_invalid"
    status = 422
    message = "光盘内容描述不完整或有误"


class DiscReadbackFailed(ArchiveError):
    code = "disc_readback_failed"
    status = 500
    message = "光盘镜像回读校验未通过"
