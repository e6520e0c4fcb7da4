"""Pages of the devices app: the registry, a device's history, registering, assigning, the pre-use check
(made for a phone), the fault report, repair and retirement.

Views translate and delegate: who may see and do what is asked of the devices policy (its refusal is the
403 page, another agency's device a 404; the page offers only what the policy allows), reads go through
selectors, writes through services, whose Chinese refusals are shown with ``messages`` while the form is
rendered again, filled as it was sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from liuhen.core.errors import DomainError
from liuhen.core.notifications import notification_mark_read, notifications_for
from liuhen.devices import forms, selectors, services
from liuhen.devices.models import DeviceStatus
from liuhen.devices.policies import device_policy
from liuhen.org.models import Department
from liuhen.policy.loader import get_profile


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> Any:
    """Call a service; its refusal becomes an error message. Returns the result, or None when refused."""
    try:
        result = action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, success)
    return result


def _rules(user: Any) -> Any:
    return get_profile(user.agency.profile_id).av_rules


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    device_policy.require(request.user, "view")
    user = request.user
    status = request.GET.get("status", "")
    visible = device_policy.visible(user)
    may_manage = device_policy.user_can(user, "manage")
    if status in DeviceStatus.values:
        visible = visible.filter(status=status)
    return render(
        request,
        "devices/device_list.html",
        {
            "devices": visible,
            "status": status,
            "statuses": DeviceStatus.choices,
            "mine": device_policy.visible(user).filter(holder=user),
            "may_manage": may_manage,
            "provision": selectors.provision_summary(user) if may_manage else None,
            "notices": notifications_for(user, unread_only=True).filter(kind="device_fault")[:20],
            "av_rules": _rules(user),
        },
    )


@login_required
def device_new(request: HttpRequest) -> HttpResponse:
    device_policy.require(request.user, "manage")
    departments = Department.objects.filter(agency_id=request.user.agency_id)
    form = forms.RegisterForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        device = _run(
            request,
            lambda: services.device_register(actor=request.user, **form.cleaned_data),
            f"已登记设备 {selectors.normalise_serial(form.cleaned_data['serial'])}",
        )
        if device is not None:
            return redirect("devices:detail", device.pk)
    return render(request, "devices/device_new.html", {"form": form})


@login_required
def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    device = device_policy.get(request.user, pk)
    user = request.user
    return render(
        request,
        "devices/device_detail.html",
        {
            "device": device,
            "timeline": selectors.device_timeline(device),
            "open_faults": selectors.faults_open(device),
            "may_manage": device_policy.user_can(user, "manage", device),
            "may_use": device_policy.user_can(user, "use", device),
            "may_report": device_policy.user_can(user, "report", device),
            "is_holder": device.holder_id == user.pk,
            "note_form": forms.NoteForm(),
            "av_rules": _rules(user),
        },
    )


@login_required
def device_assign(request: HttpRequest, pk: int) -> HttpResponse:
    device = device_policy.get(request.user, pk)
    device_policy.require(request.user, "manage", device)
    form = forms.AssignForm(request.POST or None, people=selectors.assignable_people(request.user))
    if request.method == "POST" and form.is_valid():
        holder = form.cleaned_data["holder"]
        done = _run(
            request,
            lambda: services.device_assign(
                actor=request.user, device=device, holder=holder, note=form.cleaned_data["note"]
            ),
            f"已将设备 {device.serial} 配发给{holder.officer.name}",
        )
        if done is not None:
            return redirect("devices:detail", device.pk)
    return render(request, "devices/device_assign.html", {"device": device, "form": form})


def _step(service: Callable[..., Any], success: str) -> Callable[[HttpRequest, int], HttpResponse]:
    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        device = device_policy.get(request.user, pk)
        device_policy.require(request.user, "manage", device)
        form = forms.NoteForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        _run(request, lambda: service(actor=request.user, device=device, note=note), success)
        return redirect("devices:detail", device.pk)

    return view


device_return = _step(services.device_unassign, "已收回设备")
repair_start = _step(services.repair_start, "已登记送修")
repair_done = _step(services.repair_done, "已登记维修完成，设备恢复在用")
device_retire = _step(services.device_retire, "已登记报废")


@login_required
def preuse_check(request: HttpRequest, pk: int) -> HttpResponse:
    device = device_policy.get(request.user, pk)
    form = forms.CheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = _run(
            request,
            lambda: services.preuse_check_record(actor=request.user, device=device, **form.cleaned_data),
            "已登记使用前检查",
        )
        if check is not None:
            if not check.passed:
                messages.warning(request, "检查未通过：设备不宜使用。如设备故障或损坏，请立即报告。")
                return redirect("devices:fault", device.pk)
            return redirect("devices:detail", device.pk)
    return render(
        request, "devices/preuse_check.html", {"device": device, "form": form, "av_rules": _rules(request.user)}
    )


@login_required
def fault_new(request: HttpRequest, pk: int) -> HttpResponse:
    device = device_policy.get(request.user, pk)
    form = forms.FaultForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report = _run(
            request,
            lambda: services.fault_report(actor=request.user, device=device, **form.cleaned_data),
            "已报告，设备已标记为故障",
        )
        if report is not None:
            names = "、".join(n["name"] for n in report.notified)
            if names:
                messages.info(request, f"已即时通知：{names}")
            else:
                messages.warning(request, "本机关没有可通知的科室负责人或机关负责人，请当面或电话向上级报告。")
            return redirect("devices:detail", device.pk)
    return render(
        request,
        "devices/fault_new.html",
        {
            "device": device,
            "form": form,
            "av_rules": _rules(request.user),
            "superiors": selectors.superiors_of(device.holder or request.user),
        },
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notification_mark_read(actor=request.user, notification_id=pk)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    if request.headers.get("HX-Request"):
        return HttpResponse("")
    return redirect("devices:list")
