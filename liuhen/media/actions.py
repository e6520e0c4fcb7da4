"""Ledger actions of the media app, merged into ``liuhen.ledger.actions.ACTIONS`` when the app loads."""

from __future__ import annotations

MEDIA_ACTIONS: dict[str, str] = {
    "av_record.ingested": "存入音像记录",
    "av_record.probed": "检测音像文件",
    "av_record.docking_reported": "记录设备对时",
    "upload.started": "开始断点续传上传",
    "upload.terminated": "取消上传",
    "upload.expired": "清理过期上传",
}
