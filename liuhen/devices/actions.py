"""Ledger actions of the devices app, merged into ``liuhen.ledger.actions.ACTIONS`` when the app loads."""

from __future__ import annotations

DEVICE_ACTIONS: dict[str, str] = {
    "device.registered": "登记执法记录设备",
    "device.assigned": "配发执法记录设备",
    "device.returned": "收回执法记录设备",
    "device.preuse_checked": "设备使用前检查",
    "device.fault_reported": "报告设备故障",
    "device.repair_started": "设备送修",
    "device.repaired": "设备维修完成",
    "device.retired": "设备报废",
}
