"""Document pages: start a draft from the catalogue, edit it (autosaved with htmx), capture signatures
on a touch pad or from a scan, record a witnessed refusal, finalise to a sealed PDF, see the seal
status of each version, start a correction, attach a scanned paper record.

Views translate and delegate: reads through ``liuhen.documents.selectors`` (scoped by who sees the
case, so another agency's document is simply not found), writes through ``liuhen.documents.services``,
whose Chinese refusals are shown with ``messages`` while the form is rendered again, filled as sent.
What a page offers (an editor, a signature pad, 更正, 起草) is what the document policy allows — the
same object the services ask — never a guard derived here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from liuhen.cases import services as case_services
from liuhen.cases.models import Case
from liuhen.cases.policies import case_policy
from liuhen.cases.requirements import Requirement
from liuhen.core.errors import DomainError
from liuhen.core.inputs import parse_id
from liuhen.documents import forms, selectors, services
from liuhen.documents.models import Document
from liuhen.documents.pdf.render import render_html
from liuhen.documents.policies import document_policy
from liuhen.documents.rules import OFFICER_FIELDS, officer_blocks
from liuhen.documents.storage import read_blob
from liuhen.policy.schema import SIGNERS, Profile

# ---------------------------------------------------------------- helpers


def _case(request: HttpRequest, pk: int) -> Case:
    try:
        return case_policy.get(request.user, pk)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _document(request: HttpRequest, pk: int) -> Document:
    try:
        return selectors.document_get(request.user, pk)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _run(request: HttpRequest, action: Any, success: str) -> Any:
    """Call a service; its refusal becomes an error message. Returns the result, or None when refused."""
    try:
        result = action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, success)
    return result if result is not None else True


def _stage_name(case: Case, stage_id: str) -> str:
    stage = case_services.profile_of(case).stage(case.enforcement_type, stage_id)
    return stage.name if stage else stage_id


# ---------------------------------------------------------------- the case page's section (cases.hooks)


def case_section(*, user: Any, case: Case, profile: Profile) -> tuple[str, dict[str, Any]]:
    """The case page's 文书 section: the case's documents, and the forms the user may start now."""
    rows = []
    for d in selectors.case_documents(case):
        version = d.current_version
        rows.append(
            {
                "doc": d,
                "stage": _stage_name(case, d.stage_id),
                "finalised_at": version.finalised_at if version else None,
            }
        )
    may_start = document_policy.user_can(user, "create", case)
    return "documents/_case_documents.html", {
        "doc_rows": rows,
        "doc_groups": selectors.start_groups(case, profile) if may_start else [],
        "doc_may_start": may_start,
    }


def requirement_links(*, case: Case, requirements: list[Requirement], stage_id: str) -> dict[str, str]:
    """A missing form (``document:<code>``) links to its newest draft, or to starting one."""
    drafts = selectors.requirement_links(case)
    links: dict[str, str] = {}
    for r in requirements:
        if r.code.startswith("document:") and r.status == "missing":
            code = r.code.split(":", 1)[1]
            if code in drafts:
                links[r.code] = reverse("documents:detail", args=[drafts[code]])
            else:
                links[r.code] = reverse("documents:new", args=[case.pk]) + f"?doc_type={code}&stage={stage_id}"
    return links


# ---------------------------------------------------------------- start a draft


@login_required
def document_new(request: HttpRequest, case_id: int) -> HttpResponse:
    """GET: confirm which form to start (linked from a requirement); POST: start the draft."""
    case = _case(request, case_id)
    source = request.POST if request.method == "POST" else request.GET
    code, stage_id = source.get("doc_type", ""), source.get("stage", "") or case.stage
    profile = case_services.profile_of(case)
    doc = profile.document_types.get(code)
    target = parse_id(source.get("responds_to", ""))  # not an id at all: answering nothing
    try:
        responds_to = selectors.document_get(request.user, target) if target else None
    except DomainError as exc:  # an id of no document the user may see
        raise Http404(exc.message) from exc
    if request.method == "POST":
        document = _run(
            request,
            lambda: services.document_create(
                actor=request.user, case=case, doc_type=code, stage_id=stage_id, responds_to=responds_to
            ),
            f"已起草{doc.name if doc else '文书'}",
        )
        if document:
            return redirect("documents:detail", pk=document.pk)
        return redirect("cases:detail", pk=case.pk)
    if doc is None:
        raise Http404("本机关文书目录中没有这种文书")
    return render(
        request,
        "documents/document_new.html",
        {
            "case": case,
            "doc": doc,
            "code": code,
            "stage_id": stage_id,
            "stage_name": _stage_name(case, stage_id),
            "responds_to": responds_to,
        },
    )


# ---------------------------------------------------------------- the document page


def _page(request: HttpRequest, document: Document, *, status: int = 200, **bound: Any) -> HttpResponse:
    case = document.case
    user = request.user
    doc = selectors.doc_type(document)
    roles = selectors.signer_roles(doc)
    edit_refusal = document_policy.refusal(user, "edit", document)
    form_class = forms.document_form_class(doc)
    draft_form = bound.get("draft") or form_class(initial=document.draft_values)
    current = {s.role: s for s in selectors.current_signatures(document)}
    signers = []
    for role, label in roles:
        sign_form = bound.get(f"sign-{role}") or forms.SignatureForm(prefix=f"sign-{role}")
        refuse_form = bound.get(f"refuse-{role}") or forms.RefusalForm(prefix=f"refuse-{role}")
        signers.append(
            {
                "role": role,
                "label": label,
                "current": current.get(role),
                "sign_form": sign_form,
                "refuse_form": refuse_form,
                "open_refuse": f"refuse-{role}" in bound,
            }
        )
    versions = [{"v": v, "seal": selectors.seal_status(v)} for v in document.versions.order_by("-version")]
    history = [
        {"sig": s, "label": SIGNERS.get(s.role, s.role)} for s in document.signatures.order_by("captured_at", "id")
    ]
    context = {
        "case": case,
        "document": document,
        "doc": doc,
        "stage_name": _stage_name(case, document.stage_id),
        "editable": edit_refusal is None,
        "edit_refusal": edit_refusal,
        "may_finalise": document_policy.user_can(user, "finalise", document),
        "draft_form": draft_form,
        "problems": selectors.problems(document),
        "prerequisites": selectors.prerequisites(document),
        "answers": selectors.answers(document),
        "answer_form": selectors.answer_form(document),
        "may_create": document_policy.user_can(user, "create", case),
        "may_sign": document_policy.user_can(user, "sign", document),
        "signers": signers,
        "versions": versions,
        "history": history,
        "correct_form": bound.get("correct") or forms.CorrectionForm(),
        "may_correct": document_policy.user_can(user, "correct", document),
    }
    return render(request, "documents/document_detail.html", context, status=status)


@login_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    selectors.document_view_record(actor=request.user, document=document)
    return _page(request, document)


@login_required
@require_POST
def document_save(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft's save: the explicit 保存草稿 button, and htmx's autosave after a pause in typing."""
    document = _document(request, pk)
    doc = selectors.doc_type(document)
    form = forms.document_form_class(doc)(request.POST)
    htmx = request.headers.get("HX-Request") == "true"
    error = ""
    if form.is_valid():
        try:
            document = services.document_draft_save(actor=request.user, document=document, values=form.values())
        except DomainError as exc:
            error = exc.message
    else:
        error = "请检查填写的内容：" + "；".join(e for errs in form.errors.values() for e in errs)
    if htmx:
        # htmx swaps only 2xx answers: the refusal is the fragment's text (nothing was stored).
        return render(
            request,
            "documents/_autosave.html",
            {
                "error": error,
                "saved_at": timezone.localtime(document.draft_updated_at),
                "problems": selectors.problems(document),
                "document": document,
            },
        )
    if error:
        messages.error(request, error)
        return _page(request, document, status=422, draft=form)
    messages.success(request, "草稿已保存")
    return redirect("documents:detail", pk=document.pk)


@login_required
@require_POST
def document_sign(request: HttpRequest, pk: int, role: str) -> HttpResponse:
    document = _document(request, pk)
    roles = selectors.signer_roles(selectors.doc_type(document))
    if role not in dict(roles):
        raise Http404("本文书不需要这一身份的签名")
    key = f"sign-{role}"
    form = forms.SignatureForm(request.POST, request.FILES, prefix=key)
    if form.is_valid():
        data = form.cleaned_data
        done = _run(
            request,
            lambda: services.signature_capture(
                actor=request.user,
                document=document,
                role=role,
                signer_name=data["signer_name"],
                image=data["image"],
            ),
            f"已采集{SIGNERS.get(role, role)}签名",
        )
        if done:
            return redirect(reverse("documents:detail", args=[document.pk]) + "#signatures")
    else:
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return _page(request, document, status=422, **{key: form})


@login_required
@require_POST
def document_refuse(request: HttpRequest, pk: int, role: str) -> HttpResponse:
    document = _document(request, pk)
    roles = selectors.signer_roles(selectors.doc_type(document))
    if role not in dict(roles):
        raise Http404("本文书不需要这一身份的签名")
    key = f"refuse-{role}"
    form = forms.RefusalForm(request.POST, request.FILES, prefix=key)
    if form.is_valid():
        data = form.cleaned_data
        done = _run(
            request,
            lambda: services.signature_capture(
                actor=request.user,
                document=document,
                role=role,
                signer_name=data["signer_name"],
                refused=True,
                refusal_reason=data["refusal_reason"],
                witness_name=data["witness_name"],
                witness_image=data["witness_image"] or None,
            ),
            f"已记录{SIGNERS.get(role, role)}拒绝签名及见证人",
        )
        if done:
            return redirect(reverse("documents:detail", args=[document.pk]) + "#signatures")
    else:
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return _page(request, document, status=422, **{key: form})


@login_required
@require_POST
def document_finalise(request: HttpRequest, pk: int) -> HttpResponse:
    """Finalise what the form shows now: the posted draft fields are saved first (typing since the
    last autosave is not lost), then the saved draft is finalised."""
    document = _document(request, pk)
    doc = selectors.doc_type(document)
    if any(f.id in request.POST for f in doc.fields):
        form = forms.document_form_class(doc)(request.POST)
        if not form.is_valid():
            messages.error(request, "请检查填写的内容：" + "；".join(e for errs in form.errors.values() for e in errs))
            return _page(request, document, status=422, draft=form)
        try:
            services.document_draft_save(actor=request.user, document=document, values=form.values())
        except DomainError as exc:
            messages.error(request, exc.message)
            return _page(request, document, status=422, draft=form)
    version = _run(
        request,
        lambda: services.document_finalise(actor=request.user, document=document),
        "已定稿并加盖电子印章",
    )
    if version:
        return redirect("documents:detail", pk=document.pk)
    document.refresh_from_db()
    return _page(request, document, status=422)


@login_required
@require_POST
def document_correct(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    form = forms.CorrectionForm(request.POST)
    if form.is_valid():
        done = _run(
            request,
            lambda: services.document_correct(
                actor=request.user, document=document, reason=form.cleaned_data["reason"]
            ),
            "已发起更正：修改后重新签名并定稿，将生成新的版本，原版本保留",
        )
        if done:
            return redirect("documents:detail", pk=document.pk)
    else:
        messages.error(request, "更正文书须写明理由")
    return _page(request, document, status=422, correct=form)


@login_required
def version_pdf(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    """A finalised version's PDF (or paper scan), served inline; every download is in the ledger."""
    try:
        row = selectors.version_get(request.user, pk, version)
        data = services.document_pdf(actor=request.user, version=row)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    mime, ext = selectors.content_type(data)
    response = HttpResponse(data, content_type=mime)
    response["Content-Disposition"] = f'inline; filename="{row.document.number}-v{row.version}.{ext}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def document_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The current draft laid out as the form (HTML; the finalised PDF is the record)."""
    document = _document(request, pk)
    case = document.case
    doc = selectors.doc_type(document)
    values = {f.id: str(document.draft_values.get(f.id, "") or "") for f in doc.fields}
    sigs = [
        {
            "role": s.role,
            "name": s.signer_name,
            "signed_at": timezone.localtime(s.captured_at).strftime("%Y-%m-%d %H:%M"),
            **(
                {"refused": True, "refusal_reason": s.refusal_reason, "witness": s.witness_name}
                if s.refused
                else {"image": read_blob(s.image_sha256)}
            ),
        }
        for s in selectors.current_signatures(document)
    ]
    html = render_html(
        title=doc.name,
        form_no=doc.form_no,
        agency_name=case.agency.name,
        case_number=f"{case.number}　文书编号 {document.number}",
        fields=[(f.label, values[f.id]) for f in doc.fields if f.id not in OFFICER_FIELDS],
        officers=officer_blocks(values) if doc.names_officers else None,
        signatures=sigs,
        footer="草稿预览，不是定稿文书；定稿后以加盖电子印章的 PDF 为准",
    )
    response = HttpResponse(html)
    # The preview is the PDF's own HTML with its stylesheet inline; it carries no script at all.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
    )
    return response


# ---------------------------------------------------------------- paper records


@login_required
def paper_attach(request: HttpRequest, case_id: int) -> HttpResponse:
    """Choose the form, register its fields, upload the scan; finalised at once (same immutability)."""
    case = _case(request, case_id)
    profile = case_services.profile_of(case)
    et = profile.enforcement_types[case.enforcement_type]
    types = [(code, d.name) for code, d in profile.document_types.items()]
    stages = [(s.id, s.name) for s in [*et.stages, *et.special_stages]]
    source = (request.POST if request.method == "POST" else request.GET).copy()
    if source and not source.get("stage_id"):
        source["stage_id"] = case.stage
    type_form = forms.PaperTypeForm(source or None, types=types, stages=stages, initial={"stage_id": case.stage})
    code = source.get("doc_type", "")
    doc = profile.document_types.get(code)
    fields_form = scan_form = None
    status = 200
    if doc is not None:
        form_class = forms.document_form_class(doc, enforce_required=True)
        if request.method == "POST":
            fields_form = form_class(request.POST)
            scan_form = forms.ScanForm(request.POST, request.FILES)
            if type_form.is_valid() and fields_form.is_valid() and scan_form.is_valid():
                upload = scan_form.cleaned_data["scan"]
                document = _run(
                    request,
                    lambda: services.paper_document_attach(
                        actor=request.user,
                        case=case,
                        doc_type=code,
                        stage_id=type_form.cleaned_data["stage_id"],
                        values=fields_form.values(),
                        scan=upload.read(),
                    ),
                    f"已附加纸质{doc.name}扫描件",
                )
                if document:
                    return redirect("documents:detail", pk=document.pk)
            else:
                messages.error(request, "请检查填写的内容")
            status = 422
        else:
            fields_form = form_class()
            scan_form = forms.ScanForm()
    elif request.method == "POST":
        messages.error(request, "请选择文书类型")
        status = 422
    return render(
        request,
        "documents/paper_attach.html",
        {"case": case, "type_form": type_form, "doc": doc, "fields_form": fields_form, "scan_form": scan_form},
        status=status,
    )
