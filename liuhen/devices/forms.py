"""Forms of the device pages. Shape only (types, lengths, choices); every rule lives in services.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from liuhen.core.forms import DateTimeLocal, Styled
from liuhen.devices.models import DeviceKind, FaultKind


class RegisterForm(Styled, forms.Form):
    serial = forms.CharField(
        label="设备序列号", max_length=64, help_text="设备机身或系统中显示的序列号（自动转为大写）"
    )
    kind = forms.ChoiceField(label="设备类型", choices=DeviceKind.choices)
    model = forms.CharField(label="型号", max_length=100, required=False)
    location = forms.CharField(
        label="安装位置", max_length=200, required=False, help_text="固定视频监控必填，如“政务服务窗口 3 号”“听证室”"
    )
    department = forms.ModelChoiceField(label="所属科室", queryset=None, required=False, empty_label="（不指定）")
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self._style()


class AssignForm(Styled, forms.Form):
    holder = forms.ModelChoiceField(label="领用人", queryset=None, empty_label="请选择执法人员")
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["holder"].queryset = people
        self.fields["holder"].label_from_instance = lambda u: f"{u.officer.name}（{u.officer.certificate_no}）"
        self._style()


class NoteForm(Styled, forms.Form):
    note = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class CheckForm(Styled, forms.Form):
    function_ok = forms.BooleanField(label="设备性能正常（开机、录像、录音正常）", required=False)
    battery_ok = forms.BooleanField(label="电量充足", required=False)
    storage_ok = forms.BooleanField(label="存储空间充足", required=False)
    clock_calibrated = forms.BooleanField(label="系统时间已校准", required=False)
    note = forms.CharField(label="说明（不合格时写明情况）", max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class FaultForm(Styled, forms.Form):
    kind = forms.ChoiceField(label="类别", choices=FaultKind.choices, widget=forms.RadioSelect)
    occurred_at = forms.DateTimeField(label="发生时间", widget=DateTimeLocal(), input_formats=["%Y-%m-%dT%H:%M"])
    description = forms.CharField(
        label="情况说明（原因、经过）",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text="如：雨天进水无法开机；执法中被推搡摔坏；电池鼓包自动关机",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0))
        self.initial.setdefault("kind", FaultKind.FAULT)
        self._style()
