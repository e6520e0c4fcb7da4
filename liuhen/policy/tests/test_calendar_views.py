"""Calendar pages, API and the due-date badge: who may do what, and provisional answers always shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template

from liuhen.ledger.models import Event
from liuhen.org import rules
from liuhen.policy import calendar
from liuhen.policy.models import CalendarDay, CalendarYear
from liuhen.policy.tests.test_calendar_services import YAML_2027

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def agency(make_agency):
    return make_agency()


@pytest.fixture
def sysadmin(agency, make_user):
    return make_user(agency, rules.Role.SYSTEM_ADMIN)


@pytest.fixture
def officer(agency, make_user):
    return make_user(agency, rules.Role.OFFICER)


# --- template filter ------------------------------------------------------------------------------


def _render(source: str, **context) -> str:
    return Template("{% load deadlines %}" + source).render(Context(context))


def test_due_date_filter__provisional_shows_badge_naming_the_year():
    html = _render("{{ r|due_date }}", r=calendar.add_working_days(D(2027, 9, 30), 2))
    assert "2027-10-04" in html
    assert 'class="lh-badge-provisional"' in html and "暂定（2027年节假日未录入）" in html


def test_due_date_filter__settled_date_has_no_badge():
    html = _render("{{ r|due_date }}", r=calendar.add_working_days(D(2026, 9, 30), 2))
    assert "2026-10-09" in html and "lh-badge-provisional" not in html


def test_due_date_badge_tag__stored_fields_fall_back_to_the_due_year():
    html = _render("{% due_date_badge due prov %}", due=D(2028, 1, 5), prov=True)
    assert "2028-01-05" in html and "暂定（2028年节假日未录入）" in html
    assert "lh-badge-provisional" not in _render("{% due_date_badge due False %}", due=D(2028, 1, 5))
    assert _render("{% due_date_badge None %}") == "—"


# --- pages ----------------------------------------------------------------------------------------


def test_calendar_page__needs_login(client):
    response = client.get("/calendar/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_calendar_page__officer_computes_a_provisional_deadline_but_sees_no_admin_forms(client, officer):
    client.force_login(officer)
    response = client.get("/calendar/", {"start": "2027-09-30", "n": "2"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="calc-due"' in html and "2027-10-04" in html
    assert "暂定（2027年节假日未录入）" in html
    assert "未录入（按双休日暂算）" in html and "内置日历" in html
    assert 'data-testid="day-set-form"' not in html


def test_calendar_page__national_day_answer_is_settled(client, officer):
    client.force_login(officer)
    html = client.get("/calendar/", {"start": "2026-09-30", "n": "2"}).content.decode()
    assert "2026-10-09" in html and "国庆节" in html
    assert 'data-testid="provisional-badge"' not in html


def test_calendar_page__bad_count_is_a_form_error(client, officer):
    client.force_login(officer)
    response = client.get("/calendar/", {"start": "2026-09-30", "n": "-3"})
    assert response.status_code == 200 and 'data-testid="calc-result"' not in response.content.decode()


def test_calendar_page__officer_cannot_post_days(client, officer):
    client.force_login(officer)
    response = client.post("/calendar/days/set/", {"day": "2027-10-01", "kind": "holiday", "name": "国庆节"})
    assert response.status_code == 403
    assert not CalendarDay.objects.exists()


def test_calendar_page__system_admin_enters_day_confirms_year_and_answer_settles(client, sysadmin):
    client.force_login(sysadmin)
    assert 'data-testid="day-set-form"' in client.get("/calendar/").content.decode()
    response = client.post("/calendar/days/set/", {"day": "2027-10-01", "kind": "holiday", "name": "国庆节"})
    assert response.status_code == 302
    assert CalendarDay.objects.get(day=D(2027, 10, 1)).set_by == sysadmin
    response = client.post("/calendar/years/confirm/", {"year": "2027", "source": "国办发明电〔2026〕×号"})
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).confirmed_by == sysadmin
    assert Event.objects.filter(action__in=["calendar_day.set", "calendar_year.confirmed"]).count() == 2
    html = client.get("/calendar/", {"start": "2027-09-30", "n": "1"}).content.decode()
    assert "2027-10-04" in html and "暂定（" not in html and "已录入并确认" in html


def test_calendar_page__refusal_shown_and_nothing_stored(client, sysadmin):
    client.force_login(sysadmin)
    response = client.post("/calendar/years/confirm/", {"year": "2027", "source": "通知"})
    assert response.status_code == 400
    assert "2027年尚未录入任何法定节假日" in response.content.decode()
    response = client.post("/calendar/days/set/", {"day": "2027-03-03", "kind": "makeup", "name": "调休"})
    assert response.status_code == 400 and "调休上班日应是周六或周日" in response.content.decode()
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()


def test_calendar_page__import_a_year_file(client, sysadmin):
    client.force_login(sysadmin)
    upload = SimpleUploadedFile("2027.yaml", YAML_2027.encode(), content_type="text/yaml")
    response = client.post("/calendar/years/import/", {"file": upload, "confirm": "on"})
    assert response.status_code == 302
    assert CalendarYear.objects.filter(year=2027).exists() and CalendarDay.objects.count() == 8
    page = client.get("/calendar/").content.decode()
    assert 'data-testid="entered-2027"' in page and "国庆节调休上班" in page


def test_calendar_page__admin_clears_an_entry(client, sysadmin):
    client.force_login(sysadmin)
    client.post("/calendar/days/set/", {"day": "2027-10-01", "kind": "holiday", "name": "国庆节"})
    response = client.post("/calendar/days/clear/", {"day": "2027-10-01"})
    assert response.status_code == 302 and not CalendarDay.objects.exists()


# --- API ------------------------------------------------------------------------------------------


def test_api_add_working_days__national_day_2026(client, officer):
    client.force_login(officer)
    response = client.get("/api/calendar/add-working-days", {"start": "2026-09-30", "n": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["due"] == "2026-10-09" and body["provisional"] is False and body["unknown_years"] == []


def test_api_add_working_days__unknown_year_is_provisional(client, officer):
    client.force_login(officer)
    body = client.get("/api/calendar/add-working-days", {"start": "2027-09-30", "n": 2}).json()
    assert body == {
        "start": "2027-09-30",
        "n": 2,
        "due": "2027-10-04",
        "provisional": True,
        "unknown_years": [2027],
        "note": "暂定（2027年节假日未录入）",
    }


def test_api_day__strict_unknown_year_is_409_with_stable_code(client, officer):
    client.force_login(officer)
    response = client.get("/api/calendar/day/2027-03-03", {"strict": "true"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "calendar_year_unknown" and "2027年" in body["message"]
    assert body["detail"]["year"] == 2027
    lenient = client.get("/api/calendar/day/2027-03-03").json()
    assert lenient["is_working_day"] is True and lenient["provisional"] is True
    holiday = client.get("/api/calendar/day/2026-10-01", {"strict": "true"}).json()
    assert holiday["kind"] == "holiday" and holiday["name"] == "国庆节"


def test_api__bad_input_and_no_login(client, officer):
    assert client.get("/api/calendar/add-working-days", {"start": "2026-09-30", "n": 2}).status_code == 401
    client.force_login(officer)
    response = client.get("/api/calendar/add-working-days", {"start": "2026-13-01", "n": 2})
    assert response.status_code == 422 and response.json()["code"] == "validation_failed"
    assert client.get("/api/calendar/add-working-days", {"start": "2026-09-30", "n": -1}).status_code == 422


def test_api_years__lists_sources(client, officer):
    client.force_login(officer)
    rows = client.get("/api/calendar/years", {"start": 2026, "end": 2027}).json()
    assert [(r["year"], r["source"]) for r in rows] == [(2026, "package"), (2027, "unknown")]


def test_api_day_set__officer_refused(client, officer):
    client.force_login(officer)
    response = client.post(
        "/api/calendar/days",
        {"day": "2027-10-01", "is_working_day": False, "name": "国庆节"},
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not CalendarDay.objects.exists()
