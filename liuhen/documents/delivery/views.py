"""Delivery pages (送达): on a finalised version, the deliveries recorded with complete/incomplete
badges and what is missing, and "记录送达" with a form that shows only the chosen method's fields and
proof uploads; a case's served documents and their delivery state; proof files served through a
permission-checked view that leaves a trace. The rules live in ``liuhen.documents.delivery.rules``;
who may see and record deliveries is the documents' policies' (``liuhen.documents.policies``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from liuhen.cases import services as case_services
from liuhen.cases.policies import case_policy
from liuhen.core.errors import DomainError
from liuhen.documents import delivery, selectors
from liuhen.documents.models import Delivery, DocumentVersion
from liuhen.documents.policies import delivery_policy, document_policy

# The page's fields per method (besides recipient, time, deliverers), in the order shown.
COMMON = ("recipient", "delivered_at", "deliverers")
METHOD_FIELDS: dict[str, tuple[str, ...]] = {
    "direct": ("address", "signer_name", "signer_relation"),
    "left_at_premises": ("address", "refusal_reason", "refusal_date", "witnesses"),
    "entrusted": ("reason", "intermediary"),
    "forwarded": ("reason", "intermediary"),
    "postal": ("address", "carrier", "mail_number", "returned", "return_note"),
    "electronic": ("channel", "electronic_address"),
    "public_notice": ("other_methods_failed", "medium", "notice_text", "period"),
}
METHOD_PROOFS: dict[str, tuple[str, ...]] = {
    "direct": ("receipt_scan", "photo", "recording"),
    "left_at_premises": ("receipt_scan", "photo", "recording"),
    "entrusted": ("receipt_scan",),
    "forwarded": ("receipt_scan",),
    "postal": ("postage_record", "return_receipt", "returned_mail"),
    "electronic": ("screenshot", "recording", "fax_copy"),
    "public_notice": ("notice_text", "screenshot", "photo", "recording"),
}
METHOD_HELP: dict[str, str] = {
    "direct": "由受送达人或符合法定条件的签收人在送达回证上签名或盖章；代收的须写明签收人与受送达人的关系。",
    "left_at_premises": "受送达人拒收的，在送达回证上记明拒收事由和日期，由送达人、见证人签名或盖章，把文书留在受送达人住所。",
    "entrusted": "记录委托原因，由送达人、受委托人在送达回执上签名或盖章。",
    "forwarded": "记录转交原因，由送达人、转交人在送达回执上签名或盖章。",
    "postal": "须用挂号信或邮政特快专递，留存邮寄登记、付邮资凭证和回执；被邮政退回的，记录具体情况。尚无回执的记录不计为已送达。",
    "electronic": "传真、电子邮件送达（决定书除外），以截图截屏、电话录音、屏幕录像等方式记录；传真的还须附注明传真时间和号码的传真件。",
    "public_notice": "写明已采用其他方式均无法送达的情况、公告方式和载体，留存书面公告，并附截屏截图、照片或录像。",
}
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M")


def _text(label: str, *, area: bool = False, required: bool = False, help_text: str = "") -> forms.CharField:
    widget = (
        forms.Textarea(attrs={"rows": 3, "class": "form-control"})
        if area
        else forms.TextInput(attrs={"class": "form-control"})
    )
    field = forms.CharField(label=label, required=False, widget=widget, help_text=help_text)
    field.marked_required = required  # type: ignore[attr-defined]  # the service decides; the star guides
    return field


class DeliveryForm(forms.Form):
    """All the fields any method has; the page keeps the chosen method's. Rules are the service's."""

    recipient = _text("受送达人", required=True)
    delivered_at = forms.DateTimeField(label="送达时间", widget=DATETIME_INPUT, input_formats=["%Y-%m-%dT%H:%M"])
    deliverers = _text("送达人", help_text="留空则为记录人本人")
    address = _text("送达地点")
    signer_name = _text("签收人（非受送达人本人签收时填写）")
    signer_relation = _text("签收人与受送达人的关系", help_text="如：同住成年家属、法人的收发部门工作人员、诉讼代理人")
    refusal_reason = _text("拒收事由", area=True, required=True)
    refusal_date = forms.DateField(
        label="拒收日期", required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    witnesses = _text("见证人", required=True, help_text="多名见证人用顿号分隔")
    reason = _text("委托或转交原因", area=True, required=True)
    intermediary = _text("受委托人或转交机关（签收人）", required=True)
    carrier = forms.ChoiceField(
        label="邮寄方式",
        choices=list(delivery.POSTAL_CARRIERS.items()),
        widget=forms.Select(attrs={"class": "form-select"}),
        required=False,
    )
    mail_number = _text("挂号信或特快专递单号", required=True)
    returned = forms.BooleanField(
        label="邮件被退回", required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    return_note = _text("退回的具体情况", area=True)
    channel = forms.ChoiceField(
        label="电子送达方式",
        choices=list(delivery.ELECTRONIC_CHANNELS.items()),
        widget=forms.Select(attrs={"class": "form-select"}),
        required=False,
    )
    electronic_address = _text("受送达人的传真号码或电子邮箱", required=True)
    other_methods_failed = _text("已采用其他方式均无法送达的情况", area=True, required=True)
    medium = _text("公告方式和载体", required=True, help_text="如：本机关门户网站、公告栏、报纸名称及版面")
    notice_text = _text("公告文本", area=True, help_text="或在下方上传书面公告的扫描件")
    period = _text("公告期")

    def __init__(self, *args: Any, method: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = {*COMMON, *METHOD_FIELDS[method]}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.fields["recipient"].marked_required = True  # type: ignore[attr-defined]
        if method == "left_at_premises":
            self.fields["address"].label = "留置地点（受送达人住所）"
            self.fields["refusal_date"].marked_required = True  # type: ignore[attr-defined]
        if method == "postal":
            self.fields["address"].label = "邮寄地址"


def _version(request: HttpRequest, pk: int, version: int) -> DocumentVersion:
    try:
        return selectors.version_get(request.user, pk, version)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _proofs(request: HttpRequest, method: str) -> list[delivery.ProofFile]:
    out = []
    for kind in METHOD_PROOFS[method]:
        for upload in request.FILES.getlist(f"proof_{kind}"):
            out.append(delivery.ProofFile(kind=kind, data=upload.read(), name=upload.name or ""))
    return out


def _details(method: str, data: dict[str, Any]) -> dict[str, Any]:
    return {k: data.get(k) for k in delivery.METHOD_DETAILS[method] if k in METHOD_FIELDS[method]}


def _rows(version: DocumentVersion) -> list[dict[str, Any]]:
    profile = case_services.profile_of(version.document.case)
    rows = list(Delivery.objects.filter(version=version).order_by("recorded_at", "id"))
    replaced = {d.supersedes_id for d in rows if d.supersedes_id}
    out = []
    for d in rows:
        state = delivery.delivery_state(profile, d)
        state["superseded"] = d.pk in replaced
        state["proof_urls"] = [
            (f, reverse("documents:delivery_proof", args=[d.pk, f["sha256"]])) for f in state["files"]
        ]
        out.append(state)
    return out


@login_required
def version_deliveries(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    """The deliveries of one finalised version, and the methods to record another."""
    row = _version(request, pk, version)
    document = row.document
    allowed = [
        (code, label)
        for code, label in delivery.METHODS.items()
        if not (code == "electronic" and delivery.is_decision(document.doc_type, document.doc_name))
    ]
    return render(
        request,
        "documents/delivery_list.html",
        {
            "case": document.case,
            "document": document,
            "version": row,
            "latest": row.version == document.version_count,
            "rows": _rows(row),
            "methods": allowed,
            "served": delivery.must_be_served(document.doc_name),
            "may_deliver": document_policy.user_can(request.user, "deliver", document),
        },
    )


@login_required
def delivery_new(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    """记录送达: the chosen method's form; a correction names the row it supersedes (?supersedes=)."""
    row = _version(request, pk, version)
    document = row.document
    method = request.GET.get("method") or request.POST.get("method") or "direct"
    if method not in delivery.METHOD_RULES:
        raise Http404("未知的送达方式")
    supersedes = None
    if request.GET.get("supersedes") or request.POST.get("supersedes"):
        supersedes = Delivery.objects.filter(
            pk=request.GET.get("supersedes") or request.POST.get("supersedes"), version=row
        ).first()
    back = reverse("documents:delivery_list", args=[document.pk, row.version])
    problems: list[str] = []
    if request.method == "POST":
        form = DeliveryForm(request.POST, method=method)
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = delivery.delivery_record(
                    actor=request.user,
                    version=row,
                    method=method,
                    recipient=data.get("recipient", ""),
                    delivered_at=data["delivered_at"],
                    deliverers=data.get("deliverers", ""),
                    address=data.get("address", ""),
                    signer_name=data.get("signer_name", ""),
                    signer_relation=data.get("signer_relation", ""),
                    refusal_reason=data.get("refusal_reason", ""),
                    refusal_date=data.get("refusal_date"),
                    witnesses=data.get("witnesses", ""),
                    details=_details(method, data),
                    proofs=_proofs(request, method),
                    supersedes=supersedes,
                    correction_reason=request.POST.get("correction_reason", ""),
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                problems = list(exc.detail.get("missing", []))
            else:
                if made.complete:
                    messages.success(request, f"已记录{made.get_method_display()}，送达证明齐全")
                else:
                    messages.warning(
                        request, f"已记录{made.get_method_display()}，但不计为已送达：{'；'.join(made.missing)}"
                    )
                return redirect(back)
    else:
        initial = {"recipient": document.case.party_name, "delivered_at": timezone.localtime().replace(second=0)}
        if supersedes is not None:
            initial |= {"recipient": supersedes.recipient, "address": supersedes.address, **supersedes.proof}
        form = DeliveryForm(initial=initial, method=method)
    blocked = method == "electronic" and delivery.is_decision(document.doc_type, document.doc_name)
    return render(
        request,
        "documents/delivery_new.html",
        {
            "case": document.case,
            "document": document,
            "version": row,
            "method": method,
            "method_label": delivery.METHODS[method],
            "methods": list(delivery.METHODS.items()),
            "help": METHOD_HELP[method],
            "form": form,
            "proof_inputs": [(k, delivery.PROOF_KINDS[k]) for k in METHOD_PROOFS[method]],
            "problems": problems,
            "blocked": blocked,
            "supersedes": supersedes,
            "back": back,
        },
    )


@login_required
def case_deliveries(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's documents that must be served, each with its delivery state."""
    try:
        case = case_policy.get(request.user, case_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    profile = case_services.profile_of(case)
    reqs = {r.code: r for r in delivery.delivery_requirements(case, profile)}
    items = []
    for version in delivery.served_versions(case):
        document = version.document
        items.append(
            {
                "document": document,
                "version": version,
                "requirement": reqs.get(f"delivery:{document.number}"),
                "url": reverse("documents:delivery_list", args=[document.pk, version.version]),
            }
        )
    av = [r for r in reqs.values() if r.code.startswith("av:")]
    return render(request, "documents/delivery_case.html", {"case": case, "items": items, "av": av})


@login_required
def delivery_proof(request: HttpRequest, delivery_id: int, sha256: str) -> HttpResponse:
    try:
        row = delivery_policy.get(request.user, delivery_id)
        data, mime = delivery.delivery_proof_read(actor=request.user, delivery=row, sha256=sha256)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(data, content_type=mime)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
