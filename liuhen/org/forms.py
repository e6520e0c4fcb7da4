"""Forms of the organisation pages. They check shape only; the rules live in services.py."""

from __future__ import annotations

from typing import Any

from django import forms

from liuhen.org import rules, selectors
from liuhen.org.models import User


class _Bootstrap:
    """Adds Bootstrap classes to every widget (no inline style; CSP forbids it)."""

    def _style(self: Any) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DepartmentForm(_Bootstrap, forms.Form):
    code = forms.SlugField(label="代码", max_length=64, help_text="字母、数字、- 或 _，机关内唯一")
    name = forms.CharField(label="名称", max_length=200)
    is_enforcement = forms.BooleanField(label="执法机构", required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class OfficerForm(_Bootstrap, forms.Form):
    department = forms.ModelChoiceField(label="科室", queryset=None, required=False, empty_label="（未分配）")
    name = forms.CharField(label="姓名", max_length=60)
    certificate_no = forms.CharField(label="执法证件号", max_length=40)
    certificate_issuer = forms.CharField(label="发证机关", max_length=200)
    certificate_valid_from = forms.DateField(label="证件有效期起", widget=DateInput())
    certificate_valid_until = forms.DateField(label="证件有效期止", widget=DateInput())

    def __init__(self, *args: Any, viewer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = selectors.departments_visible_to(viewer)
        self._style()


class _PasswordPair(forms.Form):
    password1 = forms.CharField(label="密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label="再次输入密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "两次输入的密码不一致")
        return data


class UserCreateForm(_Bootstrap, _PasswordPair):
    username = forms.CharField(label="用户名", max_length=64, help_text="3至64位字母、数字或 _ . -")
    display_name = forms.CharField(label="姓名", max_length=60)
    department = forms.ModelChoiceField(label="科室", queryset=None, required=False, empty_label="（未分配）")
    officer = forms.ModelChoiceField(
        label="关联执法人员",
        queryset=None,
        required=False,
        empty_label="（不关联）",
        help_text="执法人员、科室负责人、机关负责人须关联已登记执法证件的执法人员",
    )
    field_order = ["username", "display_name", "department", "officer", "password1", "password2"]

    def __init__(self, *args: Any, viewer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = selectors.departments_visible_to(viewer)
        self.fields["officer"].queryset = selectors.officers_without_account(viewer)
        self.order_fields(self.field_order)
        self._style()


class PasswordResetForm(_Bootstrap, _PasswordPair):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = "新密码"
        self._style()


class RoleGrantForm(_Bootstrap, forms.Form):
    role = forms.ChoiceField(label="角色", choices=list(rules.ROLE_LABELS.items()))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class TokenIssueForm(_Bootstrap, forms.Form):
    name = forms.CharField(label="令牌名称", max_length=100, help_text="例如：一号采集站")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
