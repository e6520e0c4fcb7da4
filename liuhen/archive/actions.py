"""Ledger actions of the archive app, merged into ``liuhen.ledger.actions.ACTIONS`` when the app loads.

Case-file transitions are ledger events (plus case timeline entries), not rows of their own. A new
action of the archive gets its Chinese label here (keep the ``<object>.<verb>ed`` form).
"""

from __future__ import annotations

ARCHIVE_ACTIONS: dict[str, str] = {
    # case files (立卷归档)
    "case_file.opened": "开始立卷期限",
    "case_file.assembled": "组卷",
    "case_file.assembly_refused": "拒绝组卷",
    "case_file.item_listed": "登记卷内文件",
    "case_file.checked": "归档包检测",
    "case_file.archived": "归档",
    "case_file.archive_refused": "拒绝归档",
    "case_file.reminded": "发送归档期限提醒",
    "case_file.viewed": "查阅案卷",
    "case_file.downloaded": "下载归档包",
    # retention, holds, disposal
    "retention.assigned": "确定保管期限",
    "hold.set": "冻结（暂停销毁）",
    "hold.released": "解除冻结",
    "disposal.proposed": "提出销毁",
    "disposal.approved": "批准销毁",
    "disposal.refused": "拒绝销毁",
    "disposal.started": "开始销毁",
    "disposal.finished": "完成销毁",
    "disposal.failed": "销毁失败",
    "disposal.tombstoned": "登记销毁记录",
    "disposal.early_refused": "拒绝提前销毁",
    # evidence discs
    "disc.requested": "申请刻制证据光盘",
    "disc.built": "制作证据光盘",
    "disc.failed": "证据光盘制作失败",
    "disc.downloaded": "下载证据光盘镜像",
    "disc.statement_downloaded": "下载证据光盘文字说明",
    "disc.reverified": "复核证据光盘镜像",
}
