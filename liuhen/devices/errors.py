"""Refusals of the devices app: stable codes for programs, Chinese messages for people.

Codes: ``device_not_found`` (404), ``device_forbidden`` (403), ``device_not_holder`` (403),
``device_invalid`` / ``device_serial_required`` / ``device_kind_unknown`` / ``device_location_required`` /
``fault_kind_unknown`` / ``fault_description_required`` / ``date_in_future`` / ``date_before_registration``
/ ``holder_invalid`` (422), ``device_serial_taken`` / ``device_retired`` / ``device_not_in_service`` /
``device_already_assigned`` / ``device_not_assigned`` / ``device_status_refused`` (409).
"""

from __future__ import annotations

from liuhen.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class DeviceNotFound(NotFound):
    code = "device_not_found"
    message = "设备不存在或无权查看"


class DeviceForbidden(PermissionDenied):
    code = "device_forbidden"
    message = "无权管理执法记录设备（须为科室负责人、机关负责人或档案管理员）"


class DeviceInvalid(ValidationFailed):
    code = "device_invalid"
    message = "设备信息不符合要求"


class DeviceConflict(Conflict):
    code = "device_status_refused"
    message = "设备当前状态不允许此操作"


__all__ = ["DeviceConflict", "DeviceForbidden", "DeviceInvalid", "DeviceNotFound"]
