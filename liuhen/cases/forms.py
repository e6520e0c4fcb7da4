"""Forms of the officer pages. They check shape only (types, lengths, choices); every rule of the
procedure lives in the services, whose Chinese refusals the views show beside the form kept filled."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from liuhen.cases.models import (
    CaseStatus,
    Decision,
    NoticeMethod,
    Procedure,
    ReceiverKind,
    ReferralReason,
    SourceKind,
)
from liuhen.cases.services import NOTICE_FOR_KIND, NOTICE_RECIPIENT_LABELS
from liuhen.core.forms import DateTimeLocal, Styled
from liuhen.policy.schema import ENFORCEMENT_TYPES, Profile

DUE_CHOICES = [("", "全部"), ("soon", "即将到期"), ("late", "已逾期")]


def _now_local() -> dt.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


def _text(label: str, *, required: bool = True, max_length: int | None = None, rows: int = 0, **kw: Any) -> Any:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(label=label, required=required, max_length=max_length, widget=widget, **kw)


# ---------------------------------------------------------------- list filters


class CaseFilterForm(Styled, forms.Form):
    q = forms.CharField(label="搜索", required=False, max_length=100)
    enforcement_type = forms.ChoiceField(label="执法类别", required=False)
    stage = forms.ChoiceField(label="环节", required=False)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), *CaseStatus.choices])
    handler = forms.TypedChoiceField(label="承办人", required=False, coerce=int, empty_value=None)
    due = forms.ChoiceField(label="期限", required=False, choices=DUE_CHOICES)

    def __init__(self, *args: Any, profile: Profile | None, workers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = list(profile.enforcement_types) if profile else list(ENFORCEMENT_TYPES)
        self.fields["enforcement_type"].choices = [("", "全部")] + [(t, ENFORCEMENT_TYPES[t]) for t in types]
        stages: list[tuple[str, str]] = []
        if profile:
            seen: set[str] = set()
            for et in profile.enforcement_types.values():
                for s in et.stages:
                    if s.id not in seen:
                        seen.add(s.id)
                        stages.append((s.id, s.name))
        self.fields["stage"].choices = [("", "全部"), *stages]
        self.fields["handler"].choices = [("", "全部")] + [(u.pk, u.officer.name or str(u)) for u in workers]
        self.fields["q"].widget.attrs["placeholder"] = "编号、案由、当事人"
        self._style()


# ---------------------------------------------------------------- leads


class LeadForm(Styled, forms.Form):
    kind = forms.ChoiceField(label="案源类型", choices=SourceKind.choices)
    received_at = forms.DateTimeField(label="获取时间", widget=DateTimeLocal(), input_formats=["%Y-%m-%dT%H:%M"])
    summary = _text("线索内容", rows=4)
    party_name = _text("当事人", required=False, max_length=200)
    party_info = _text("当事人基本情况", required=False, rows=2)
    reporter_name = _text(
        "投诉人/举报人姓名或名称",
        required=False,
        max_length=100,
        help_text="投诉、举报的须填写；身份受保护，不向当事人公开",
    )
    reporter_contact = _text("投诉人/举报人联系方式", required=False, max_length=100)
    referring_body = _text("交办/移送机关", required=False, max_length=200, help_text="上级交办或其他机关移送的须填写")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("received_at", _now_local())
        self._style()


class HandlersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        officer = obj.officer
        return f"{officer.name}（{officer.certificate_no}）" if officer else str(obj)


class CaseOpenForm(Styled, forms.Form):
    """Opening a case, from a lead or directly (inspection, coercion, licensing, confirmation, summary)."""

    enforcement_type = forms.ChoiceField(label="执法类别")
    procedure = forms.ChoiceField(label="程序", choices=Procedure.choices, initial=Procedure.ORDINARY, required=False)
    title = _text("案由/事项", max_length=300)
    party_name = _text("当事人", required=False, max_length=200)
    party_info = _text("当事人基本情况", required=False, rows=2)
    handlers = HandlersField(
        label="承办人",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="一般程序不少于两名持有效执法证件的执法人员",
    )
    started_at = forms.DateTimeField(
        label="程序启动时间",
        required=False,
        widget=DateTimeLocal(),
        input_formats=["%Y-%m-%dT%H:%M"],
        help_text="检查开始、申请受理等的时间；不填为现在",
    )
    urgent = forms.BooleanField(label="紧急情况先行启动，事后补办立案审批", required=False)
    urgent_reason = _text("先行启动的紧急情况", required=False, rows=2)

    def __init__(self, *args: Any, profile: Profile, workers: Any, from_lead: bool, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = list(profile.enforcement_types)
        ets = profile.enforcement_types
        if not from_lead:
            # A type that requires a lead starts from one; without it only its summary procedure.
            types = [t for t in types if not ets[t].requires_lead or ets[t].summary_procedure.allowed]
        self.fields["enforcement_type"].choices = [(t, ENFORCEMENT_TYPES[t]) for t in types]
        self.fields["handlers"].queryset = workers
        if not self.is_bound and any(w.pk == user.pk for w in workers):
            self.initial.setdefault("handlers", [user.pk])
        if not any(et.summary_procedure.allowed for et in profile.enforcement_types.values()):
            del self.fields["procedure"]
        if from_lead:
            del self.fields["started_at"]
            self.initial.setdefault("enforcement_type", next((t for t in types if ets[t].requires_lead), types[0]))
        if not (profile.filing and profile.filing.makeup_allowed):
            del self.fields["urgent"]
            del self.fields["urgent_reason"]
        self._style()

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["procedure"] = data.get("procedure") or Procedure.ORDINARY
        if not data.get("started_at"):
            data.pop("started_at", None)
        return data


class NotFileForm(Styled, forms.Form):
    reasons = _text("不予立案理由", rows=3)
    recipient_kind = forms.ChoiceField(
        label="告知对象类别",
        required=False,
        choices=[("", "（无须告知）"), *NOTICE_RECIPIENT_LABELS.items()],
        help_text="案源来自投诉人、举报人或移送（交办）机关的，须记录对其的告知",
    )
    recipient_name = _text("告知对象", required=False, max_length=200)
    method = forms.ChoiceField(label="告知方式", required=False, choices=[("", "—"), *NoticeMethod.choices])
    notified_at = forms.DateTimeField(
        label="告知时间", required=False, widget=DateTimeLocal(), input_formats=["%Y-%m-%dT%H:%M"]
    )
    note = _text("说明", required=False, rows=2)

    def __init__(self, *args: Any, source: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and source is not None:
            kind = NOTICE_FOR_KIND.get(source.kind, "")
            self.initial.setdefault("recipient_kind", kind)
            name = source.reporter_name if kind in ("complainant", "informant") else source.referring_body
            self.initial.setdefault("recipient_name", name)
            self.initial.setdefault("notified_at", _now_local())
        self._style()

    def notices(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        if not data.get("recipient_kind"):
            return []
        return [
            {
                "recipient_kind": data["recipient_kind"],
                "recipient_name": data.get("recipient_name", ""),
                "method": data.get("method", ""),
                "notified_at": data.get("notified_at"),
                "note": data.get("note", ""),
            }
        ]


class ReferralForm(Styled, forms.Form):
    receiver_kind = forms.ChoiceField(label="接收机关类别", choices=ReceiverKind.choices)
    receiver_name = _text("接收机关", max_length=200)
    reason = forms.ChoiceField(label="移送原因", choices=ReferralReason.choices)
    document_no = _text("移送文书文号", max_length=100)
    items = _text("移送材料清单", rows=2)
    ends_case = forms.BooleanField(label="本机关不再办理（案件随之终止）", required=False, initial=True)

    def __init__(self, *args: Any, for_case: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not for_case:
            del self.fields["ends_case"]
        self._style()


class AcknowledgeForm(Styled, forms.Form):
    acknowledged_at = forms.DateTimeField(label="接收时间", widget=DateTimeLocal(), input_formats=["%Y-%m-%dT%H:%M"])
    acknowledged_by_name = _text("接收人", max_length=100)
    note = _text("回执说明", required=False, rows=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("acknowledged_at", _now_local())
        self._style()


# ---------------------------------------------------------------- case actions


class FilingFormForm(Styled, forms.Form):
    """The fields of the profile's filing form document type; the service says which are missing."""

    def __init__(self, *args: Any, profile: Profile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = profile.filing.form if profile.filing else "filing_approval_form"
        doc = profile.document_types.get(code)
        self.title = doc.name if doc else "立案审批表"
        required = set(profile.filing.required_fields if profile.filing else [])
        self.required_ids = required
        for f in doc.fields if doc else []:
            field = _text(f.label, required=False, rows=2)
            field.marked_required = f.id in required  # type: ignore[attr-defined]
            self.fields[f.id] = field
        self._style()

    def values(self) -> dict[str, str]:
        return {k: v for k, v in self.cleaned_data.items() if v}


class ApprovalForm(Styled, forms.Form):
    decision = forms.ChoiceField(
        label="结论", choices=Decision.choices, initial=Decision.APPROVED, widget=forms.RadioSelect
    )
    opinion = _text("意见", rows=2)
    suggestions = _text("审核建议", rows=2, help_text="无建议时填写“无”")
    participants = _text("参加人员", rows=2, help_text="每行一人")
    minutes = _text("讨论记录", rows=3)
    conclusion = _text("讨论结论", rows=2)
    extend_days = forms.IntegerField(label="批准延长天数", min_value=1, max_value=3650, required=False)

    def __init__(self, *args: Any, kind: str, extends: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = {"decision", "opinion"}
        if kind == "legal_review":
            keep.add("suggestions")
        if kind == "collective_discussion":
            keep |= {"participants", "minutes", "conclusion"}
        if kind == "expert_review":
            keep.add("participants")
            self.fields["participants"].label = "参加论证的专家"
        if extends:
            keep.add("extend_days")
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self._style()

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "decision": data["decision"],
            "opinion": data["opinion"],
            "suggestions": data.get("suggestions", ""),
            "participants": [p for p in data.get("participants", "").splitlines() if p.strip()],
            "minutes": data.get("minutes", ""),
            "conclusion": data.get("conclusion", ""),
            "extend_days": data.get("extend_days"),
        }


class SpecialEnterForm(Styled, forms.Form):
    reason = _text("理由", rows=2)
    requested_days = forms.IntegerField(label="申请延长天数", min_value=1, max_value=3650)

    def __init__(self, *args: Any, extends: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not extends:
            del self.fields["requested_days"]
        self._style()


class SpecialLeaveForm(Styled, forms.Form):
    outcome = _text("结果", rows=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class NoteForm(Styled, forms.Form):
    """Advance and close: an optional note on the stage being left."""

    note = _text("说明", required=False, rows=1)
    expected_stage = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class SummaryRecordForm(Styled, forms.Form):
    """简易程序: one field per item the profile says must be recorded (keys are the profile's words)."""

    def __init__(self, *args: Any, items: list[str], initial_values: dict[str, str] | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.items = items
        for i, item in enumerate(items):
            self.fields[f"item_{i}"] = _text(item, required=False, rows=1)
            if initial_values and item in initial_values:
                self.initial.setdefault(f"item_{i}", initial_values[item])
        self._style()

    def values(self) -> dict[str, str]:
        return {item: self.cleaned_data.get(f"item_{i}", "") for i, item in enumerate(self.items)}
