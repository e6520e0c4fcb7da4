"""Who may see and do what with recording devices: the one permission policy of the devices app.

Clauses dev-equipment-provision, dev-precheck-time-sync, dev-failure-report, dev-maintenance, 三员分立.
Every page, endpoint, service and the navigation ask :data:`device_policy` (``liuhen.core.permissions``):

- ``view``: whoever works cases, manages devices or supervises sees the agency's devices and their
  history (assignments, pre-use checks, fault reports, repairs: the history is read only through its
  device, so it needs no policy of its own); the three administrators are refused with
  ``admin_business_forbidden``.
- ``manage`` (register, assign, take back, send to repair, mark repaired, retire): ``devices.manage``
  (department head, agency head, records keeper), else ``device_forbidden``.
- ``use`` (the pre-use check): the holder of a held device; a device nobody holds only when it stays in
  place (a fixed camera), by any officer of the agency; else ``device_not_holder``.
- ``report`` (a fault, damage or loss): as ``use``, and those who manage devices.

Another agency's device is ``404 device_not_found`` whatever the action. Whether the device's state
allows the act (retired, faulty, already handed out) is the service's answer (409), not the policy's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from liuhen.core.errors import DomainError
from liuhen.core.people import display_name
from liuhen.core.permissions import PermissionPolicy
from liuhen.devices.errors import DeviceForbidden, DeviceNotFound
from liuhen.devices.models import Device, DeviceKind
from liuhen.org import rules
from liuhen.org.access import business_refusal

DEVICE_READ = (rules.P_DEVICES_MANAGE, rules.P_CASES_WORK, rules.P_SUPERVISE)


class DevicePolicy(PermissionPolicy[Device]):
    kind = "device"
    label = "设备"
    model = Device
    actions = {"view": "查看", "manage": "管理", "use": "做使用前检查", "report": "报告设备故障"}
    not_found = DeviceNotFound
    not_found_code = DeviceNotFound.code

    def rule(self, user: Any, action: str, obj: Device | None) -> DomainError | None:
        if (refused := business_refusal(user, *DEVICE_READ, what="执法记录设备")) is not None:
            return refused
        if action == "view":
            return None
        manager = rules.has_permission(user, rules.P_DEVICES_MANAGE)
        if action == "manage" or (action == "report" and manager):
            return None if manager else DeviceForbidden()
        return None if obj is None else self._use_refusal(user, obj, self.actions[action])

    @staticmethod
    def _use_refusal(user: Any, device: Device, doing: str) -> DomainError | None:
        """The holder uses a held device; a device nobody holds only when it stays in place (fixed camera)."""
        if device.holder_id is not None:
            if device.holder_id == user.pk:
                return None
            holder = display_name(device.holder, max_length=60)
            return DeviceForbidden(
                f"设备 {device.serial} 配发给了{holder}，只有领用人本人可以{doing}", code="device_not_holder"
            )
        if device.kind != DeviceKind.FIXED_CAMERA:
            return DeviceForbidden(
                f"设备 {device.serial} 尚未配发给您，请先由设备管理人员配发后再{doing}", code="device_not_holder"
            )
        if not rules.has_permission(user, rules.P_CASES_WORK):
            return DeviceForbidden(f"只有执法人员可以{doing}", code="device_not_holder")
        return None

    def visible(self, user: Any) -> QuerySet[Device]:
        if not self.user_can(user, "view"):
            return Device.objects.none()
        return self.in_agency(user).select_related("holder", "holder__officer", "department")


device_policy = DevicePolicy()
