"""Page forms for text records. A form's fields come from the agency's catalogue (the profile's
``document_types``), never from a hand-written form per document type (clause doc-standard-templates).

Drafts may be incomplete, so draft fields are not required by the form; the catalogue's required
fields are marked with a star and ``finalise_problems`` lists what is still missing.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django import forms

from liuhen.documents.rules import OFFICER_FIELDS
from liuhen.policy.schema import DocumentField, DocumentType

# Words in a field's label that mean free text of several lines (facts, answers, opinions, lists).
LONG_WORDS = (
    "内容",
    "情况",
    "经过",
    "意见",
    "理由",
    "事实",
    "问答",
    "物品",
    "依据",
    "途径",
    "措施",
    "陈述",
    "讨论",
    "结论",
    "证据",
    "标的",
    "材料",
    "权利",
    "处罚",
    "义务",
    "清单",
)
SHORT_IDS = frozenset({*OFFICER_FIELDS, "certificates_shown", "recorder", "adopted"})
SHORT_WORDS = ("时间", "日期", "期限", "地点")


def is_long(f: DocumentField) -> bool:
    if f.id in SHORT_IDS or any(w in f.label for w in SHORT_WORDS):
        return False
    return any(w in f.label for w in LONG_WORDS)


def _field(f: DocumentField, *, enforce_required: bool) -> forms.Field:
    if is_long(f):
        rows = 8 if "问答" in f.label or f.id in ("questions_answers", "proceedings", "findings") else 3
        widget: forms.Widget = forms.Textarea(attrs={"rows": rows, "class": "form-control"})
    else:
        attrs = {"class": "form-control"}
        if "时间" in f.label or "日期" in f.label:
            attrs["placeholder"] = "例如 2026-11-23 09:00"
        widget = forms.TextInput(attrs=attrs)
    field = forms.CharField(
        label=f.label,
        required=enforce_required and f.required,
        widget=widget,
        max_length=20000,
        error_messages={"required": f"请填写“{f.label}”", "max_length": "内容过长（不超过 20000 字）"},
    )
    field.marked_required = f.required  # the star in cases/_fields.html
    return field


def document_form_class(doc: DocumentType, *, enforce_required: bool = False) -> type[forms.Form]:
    """A Django form class with one field per catalogue field of ``doc``, in the form's order."""
    attrs: dict[str, Any] = {f.id: _field(f, enforce_required=enforce_required) for f in doc.fields}
    attrs["field_ids"] = [f.id for f in doc.fields]

    def values(self: forms.Form) -> dict[str, str]:
        return {fid: self.cleaned_data.get(fid) or "" for fid in self.field_ids}

    attrs["values"] = values
    return type(f"DocumentForm_{doc.name}", (forms.Form,), attrs)


# ---------------------------------------------------------------- signatures

MAX_UPLOAD = 2 * 1024 * 1024


def decode_data_url(text: str) -> bytes:
    """The bytes of a ``data:`` URL from the signature pad (the service checks it is a PNG)."""
    text = (text or "").strip()
    if not text:
        return b""
    _, sep, payload = text.partition(",")
    if not sep or not text.startswith("data:"):
        raise forms.ValidationError("签名数据无法读取，请重新签名")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise forms.ValidationError("签名数据无法读取，请重新签名") from exc


def _read_upload(upload: Any) -> bytes:
    if upload is None:
        return b""
    if upload.size > MAX_UPLOAD:
        raise forms.ValidationError("签名图像不能超过 2 MB")
    return upload.read()


class SignatureForm(forms.Form):
    """A signature for the role in the URL: drawn on the pad (PNG data URL) or a scanned PNG."""

    signer_name = forms.CharField(
        label="签名人姓名",
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={"required": "请填写签名人姓名"},
    )
    image_data = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-signature-data": ""}))
    image_file = forms.FileField(
        label="或上传签字纸扫描的 PNG 图像",
        required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control form-control-sm", "accept": "image/png"}),
    )

    def image(self) -> bytes:
        return _read_upload(self.cleaned_data.get("image_file")) or decode_data_url(self.cleaned_data["image_data"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            try:
                data["image"] = self.image()
            except forms.ValidationError as exc:
                self.add_error(None, exc)
        return data


class RefusalForm(forms.Form):
    """The refusal to sign: the reason, and a witness who was there and signs."""

    signer_name = forms.CharField(
        label="拒绝签名的人",
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={"required": "请填写签名人姓名"},
    )
    refusal_reason = forms.CharField(
        label="拒签理由",
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        error_messages={"required": "拒绝签名须写明理由"},
    )
    witness_name = forms.CharField(
        label="见证人姓名",
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={"required": "拒绝签名须有见证人在场并签名"},
    )
    witness_image_data = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-signature-data": ""}))
    witness_image_file = forms.FileField(
        label="或上传见证人签字的 PNG 扫描件",
        required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control form-control-sm", "accept": "image/png"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            try:
                data["witness_image"] = _read_upload(data.get("witness_image_file")) or decode_data_url(
                    data.get("witness_image_data", "")
                )
            except forms.ValidationError as exc:
                self.add_error(None, exc)
        return data


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label="更正理由",
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        error_messages={"required": "更正文书须写明理由"},
    )


class PaperTypeForm(forms.Form):
    doc_type = forms.ChoiceField(label="文书类型", widget=forms.Select(attrs={"class": "form-select"}))
    stage_id = forms.ChoiceField(label="所属环节", widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args: Any, types: list[tuple[str, str]], stages: list[tuple[str, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["doc_type"].choices = [("", "请选择"), *types]
        self.fields["doc_type"].error_messages["required"] = "请选择文书类型"
        self.fields["stage_id"].choices = stages


class ScanForm(forms.Form):
    scan = forms.FileField(
        label="扫描件（PDF、PNG 或 JPEG）",
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": "application/pdf,image/png,image/jpeg"}
        ),
        error_messages={"required": "请选择扫描件文件"},
    )
