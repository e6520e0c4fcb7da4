"""Every step of a case, one service each, one module per noun (as Zulip's ``zerver/actions``).

Each service checks its guards (who may, through ``liuhen.cases.policies``; what the profile and the
case's state allow), locks the case row, stamps who and when, starts or stops the deadlines it governs
and writes its ledger event and timeline entry in the same transaction. A refusal names what is
missing with a stable code, and changes nothing.

- ``leads``: 案源登记, 不予立案 and its notices;
- ``opening``: starting a case; ``filing``: the filing approval form;
- ``approvals``: the approval acts; ``stages``: advancing, special stages, the summary record, closing;
- ``referrals``: 移送 and its acknowledgement; ``deadlines``: the clocks the steps start and stop;
- ``timeline``: the ledger event and timeline entry of each step, and the trace of reading a case.

Other apps import what is named here: ``from liuhen.cases import services``.
"""

from __future__ import annotations

from liuhen.cases.profiles import profile_of
from liuhen.cases.services import deadlines
from liuhen.cases.services.approvals import approval_record
from liuhen.cases.services.common import case_lock
from liuhen.cases.services.filing import filing_form_submit
from liuhen.cases.services.leads import (
    NOTICE_FOR_KIND,
    NOTICE_RECIPIENT_LABELS,
    case_source_not_file,
    case_source_notice_record,
    case_source_register,
)
from liuhen.cases.services.opening import case_open
from liuhen.cases.services.referrals import referral_acknowledge, referral_create
from liuhen.cases.services.stages import (
    case_advance,
    case_close,
    special_stage_enter,
    special_stage_leave,
    summary_record,
)
from liuhen.cases.services.timeline import case_view_record, timeline_record

__all__ = [
    "NOTICE_FOR_KIND",
    "NOTICE_RECIPIENT_LABELS",
    "approval_record",
    "case_advance",
    "case_close",
    "case_lock",
    "case_open",
    "case_source_not_file",
    "case_source_notice_record",
    "case_source_register",
    "case_view_record",
    "deadlines",
    "filing_form_submit",
    "profile_of",
    "referral_acknowledge",
    "referral_create",
    "special_stage_enter",
    "special_stage_leave",
    "summary_record",
    "timeline_record",
]
