"""Devices API: the same services, refusals as ``{code, message}`` with stable codes."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from liuhen.devices.models import Device


def _post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_api__register_assign_check_fault_retire(client, staff):
    client.force_login(staff.department_head)
    r = _post(client, "/api/devices/", {"serial": "dsj-api-1", "kind": "body_camera", "model": "X"})
    assert r.status_code == 201, r.json()
    device_id = r.json()["id"]
    assert r.json()["serial"] == "DSJ-API-1"
    r = _post(client, "/api/devices/", {"serial": "DSJ-API-1", "kind": "body_camera"})
    assert r.status_code == 409 and r.json()["code"] == "device_serial_taken"
    r = _post(client, f"/api/devices/{device_id}/assign", {"holder_id": staff.officer.pk})
    assert r.status_code == 201 and r.json()["holder_id"] == staff.officer.pk
    assert client.get("/api/devices/by-serial/dsj-api-1").json()["holder_name"] == staff.officer.officer.name
    r = client.get("/api/devices/by-serial/NOPE-1")
    assert r.status_code == 404 and r.json()["code"] == "device_not_found" and "NOPE-1" in r.json()["message"]

    check = {"function_ok": True, "battery_ok": True, "storage_ok": True, "clock_calibrated": True}
    r = _post(client, f"/api/devices/{device_id}/checks", check)
    assert r.status_code == 403 and r.json()["code"] == "device_not_holder"
    client.force_login(staff.officer)
    r = _post(client, f"/api/devices/{device_id}/checks", check)
    assert r.status_code == 201 and r.json()["result"] == "passed"
    at = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    r = client.get(f"/api/devices/{device_id}/checks/ok", {"at": at})
    assert r.json() == {"ok": True, "check_id": r.json()["check_id"], "required": True}

    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    r = _post(client, f"/api/devices/{device_id}/faults", {"kind": "fault", "description": "x", "occurred_at": future})
    assert r.status_code == 422 and r.json()["code"] == "date_in_future"
    now = timezone.now().isoformat()
    r = _post(client, f"/api/devices/{device_id}/faults", {"kind": "loss", "description": "遗失", "occurred_at": now})
    assert r.status_code == 201 and r.json()["notified"][0]["id"] == staff.department_head.pk

    r = _post(client, f"/api/devices/{device_id}/retire", {"note": "遗失"})
    assert r.status_code == 403 and r.json()["code"] == "device_forbidden"
    client.force_login(staff.department_head)
    r = _post(client, f"/api/devices/{device_id}/retire", {"note": "遗失，无法找回"})
    assert r.status_code == 200 and r.json()["status_after"] == "retired"
    r = _post(client, f"/api/devices/{device_id}/assign", {"holder_id": staff.officer2.pk})
    assert r.status_code == 409 and r.json()["code"] == "device_retired"
    detail = client.get(f"/api/devices/{device_id}").json()
    assert detail["status"] == "retired" and detail["assignments"][0]["returned_at"]
    assert len(detail["checks"]) == 1 and len(detail["faults"]) == 1 and len(detail["steps"]) == 1
    assert Device.objects.get().status == "retired"


def test_api__another_agency_sees_nothing(client, staff, staff_of, camera):
    device = camera()
    other = staff_of("dev-other", "xigang-culture")
    client.force_login(other.department_head)
    assert client.get("/api/devices/").json() == []
    r = client.get(f"/api/devices/{device.pk}")
    assert r.status_code == 404 and r.json()["code"] == "device_not_found"
