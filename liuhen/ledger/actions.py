"""The one registry of ledger action codes (past tense, ``<object>.<verb>ed``) and their labels.

``ledger.record`` refuses a code that is not here, so every action in the trail has a name people
can read.
"""

from __future__ import annotations

ACTIONS: dict[str, str] = {
    # org
    "agency.created": "创建执法机关",
    "department.created": "创建科室",
    "officer.created": "登记执法人员",
    "officer.updated": "修改执法人员信息",
    "user.created": "创建用户",
    "user.deactivated": "停用用户",
    "user.reactivated": "启用用户",
    "user.password_set": "设置密码",
    "user.logged_in": "登录",
    "user.logged_out": "退出登录",
    "user.login_failed": "登录失败",
    "role.granted": "授予角色",
    "role.revoked": "撤销角色",
    "api_token.issued": "签发接口令牌",
    "api_token.revoked": "吊销接口令牌",
    # policy
    "calendar_day.set": "设置工作日历",
    "policy_profile.registered": "登记执法规则配置版本",
    "calendar_day.cleared": "删除工作日历条目",
    "calendar_year.imported": "导入年度工作日历",
    "calendar_year.confirmed": "确认年度工作日历",
    "demo.loaded": "载入演示数据",
    # ledger
    "ledger.checkpoint_signed": "签署账本检查点",
    "ledger.checkpoint_cosigned": "见证方签署检查点",
    "ledger.proof_exported": "导出账本存在性证明",
    "ledger.verified": "完成完整性核验",
    "ledger.verify_requested": "发起完整性核验",
    "ledger.replicated": "复制到异地副本",
    "ledger.restored": "从异地副本恢复",
    # cases
    "case_source.registered": "登记案源",
    "case_source.not_filed": "决定不予立案",
    "case_source.notice_recorded": "记录不予立案告知",
    "case_source.referred": "移送案源",
    "case.opened": "启动案件",
    "case.filing_form_submitted": "提交立案审批表",
    "case.approval_recorded": "记录审批",
    "case.filed": "立案",
    "case.advanced": "进入下一环节",
    "case.special_stage_entered": "进入特别程序环节",
    "case.special_stage_left": "结束特别程序环节",
    "case.deadline_moved": "延长期限",
    "case.summary_recorded": "记录简易程序事项",
    "case.closed": "结案",
    "case.referred": "移送案件",
    "case.referral_acknowledged": "记录移送回执",
    "case.viewed": "查阅案件",
    # documents
    "document.drafted": "起草文书",
    "document.draft_saved": "保存文书草稿",
    "document.signed": "签名",
    "document.signature_refused": "拒绝签名（见证人见证）",
    "document.finalised": "文书定稿",
    "document.correction_started": "更正文书",
    "document.paper_attached": "附加纸质文书扫描件",
    "document.viewed": "查阅文书",
    "document.downloaded": "下载文书",
    "document.delivered": "送达文书",
    "document.delivery_proof_viewed": "查阅送达证明",
    # ledger: blob store
    "blob.stored": "存入原始文件",
}


def label(action: str) -> str:
    return ACTIONS.get(action, action)
