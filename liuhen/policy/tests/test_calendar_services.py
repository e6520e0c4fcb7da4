"""Entering the calendar table: permissions, ledger events, precise refusals that store nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from liuhen.core.errors import Conflict, NotFound, PermissionDenied
from liuhen.ledger.models import Event
from liuhen.org import rules
from liuhen.policy import calendar
from liuhen.policy.calendar import services as calendar_services
from liuhen.policy.calendar.services import CalendarInputInvalid, HolidayRange, YearTable
from liuhen.policy.models import CalendarDay, CalendarYear
from liuhen.policy.tests.test_calendar import TABLE_2027

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


def _nothing_stored() -> None:
    assert CalendarDay.objects.count() == 0
    assert CalendarYear.objects.count() == 0
    assert not Event.objects.filter(action__startswith="calendar_").exists()


@pytest.mark.parametrize("role", [rules.Role.OFFICER, rules.Role.SECURITY_ADMIN, rules.Role.AUDIT_ADMIN])
def test_calendar_day_set__refused_without_settings_permission(agency, make_user, role):
    user = make_user(agency, role)
    with pytest.raises(PermissionDenied):
        calendar_services.calendar_day_set(actor=user, day=D(2027, 10, 1), is_working_day=False, name="国庆节")
    with pytest.raises(PermissionDenied):
        calendar_services.calendar_year_confirm(actor=user, year=2027, source="通知")
    with pytest.raises(PermissionDenied):
        calendar_services.calendar_year_import(actor=user, table=TABLE_2027)
    _nothing_stored()


def test_calendar_day_set__by_system_admin_stores_and_writes_ledger_event(sysadmin):
    entry = calendar_services.calendar_day_set(actor=sysadmin, day=D(2027, 10, 1), is_working_day=False, name="国庆节")
    assert entry.set_by == sysadmin and not entry.is_working_day
    event = Event.objects.get(action="calendar_day.set")
    assert event.actor_id == sysadmin.pk and event.object_id == "2027-10-01"
    assert json.loads(event.payload) == {
        "day": "2027-10-01",
        "is_working_day": False,
        "name": "国庆节",
        "previous": None,
        "year_confirmed": False,
    }
    calendar_services.calendar_day_set(actor=sysadmin, day=D(2027, 10, 1), is_working_day=False, name="国庆节假期")
    second = Event.objects.filter(action="calendar_day.set").order_by("-seq").first()
    assert json.loads(second.payload)["previous"] == {"is_working_day": False, "name": "国庆节"}
    assert CalendarDay.objects.get(day=D(2027, 10, 1)).name == "国庆节假期"


def test_calendar_day_set__makeup_on_an_ordinary_weekday_refused(sysadmin):
    with pytest.raises(CalendarInputInvalid) as err:
        calendar_services.calendar_day_set(actor=sysadmin, day=D(2027, 3, 3), is_working_day=True, name="调休")
    assert err.value.code == "calendar_makeup_not_weekend"
    assert "2027-03-03（星期三）" in err.value.message
    _nothing_stored()


def test_calendar_day_set__name_required(sysadmin):
    with pytest.raises(CalendarInputInvalid) as err:
        calendar_services.calendar_day_set(actor=sysadmin, day=D(2027, 10, 2), is_working_day=False, name="  ")
    assert err.value.code == "calendar_name_required"
    _nothing_stored()


def test_calendar_day_set__may_correct_a_package_holiday(sysadmin):
    assert not calendar.is_working_day(D(2026, 10, 5))
    calendar_services.calendar_day_set(actor=sysadmin, day=D(2026, 10, 5), is_working_day=True, name="更正")
    info = calendar.day_info(D(2026, 10, 5))
    assert info.is_working_day and info.source is calendar.DaySource.ENTERED and not info.provisional


def test_calendar_day_clear__removes_entry_with_event(sysadmin):
    calendar_services.calendar_day_set(actor=sysadmin, day=D(2027, 10, 1), is_working_day=False, name="国庆节")
    calendar_services.calendar_day_clear(actor=sysadmin, day=D(2027, 10, 1))
    assert not CalendarDay.objects.exists()
    assert Event.objects.filter(action="calendar_day.cleared", object_id="2027-10-01").exists()
    with pytest.raises(NotFound) as err:
        calendar_services.calendar_day_clear(actor=sysadmin, day=D(2027, 10, 1))
    assert err.value.code == "calendar_day_not_entered"


def test_calendar_year_confirm__refused_while_no_holiday_entered(sysadmin):
    with pytest.raises(CalendarInputInvalid) as err:
        calendar_services.calendar_year_confirm(actor=sysadmin, year=2027, source="国办发明电〔2026〕×号")
    assert err.value.code == "calendar_year_empty" and "2027年尚未录入任何法定节假日" in err.value.message
    _nothing_stored()


def test_calendar_year_confirm__refused_for_a_package_year_and_without_source(sysadmin):
    with pytest.raises(CalendarInputInvalid) as err:
        calendar_services.calendar_year_confirm(actor=sysadmin, year=2026, source="通知")
    assert err.value.code == "calendar_year_known_by_package"
    calendar_services.calendar_day_set(actor=sysadmin, day=D(2027, 10, 1), is_working_day=False, name="国庆节")
    with pytest.raises(CalendarInputInvalid) as err:
        calendar_services.calendar_year_confirm(actor=sysadmin, year=2027, source=" ")
    assert err.value.code == "calendar_source_required"
    assert not CalendarYear.objects.exists()


def test_calendar_year_confirm__writes_event_and_ends_provisional(sysadmin):
    calendar_services.calendar_day_set(actor=sysadmin, day=D(2027, 10, 1), is_working_day=False, name="国庆节")
    assert calendar.add_working_days(D(2027, 9, 30), 1).provisional
    calendar_services.calendar_year_confirm(actor=sysadmin, year=2027, source="国办发明电〔2026〕×号")
    event = Event.objects.get(action="calendar_year.confirmed")
    assert event.object_id == "2027" and json.loads(event.payload)["holidays"] == 1
    assert not calendar.add_working_days(D(2027, 9, 30), 1).provisional


def test_calendar_year_confirm__announces_changed_year_on_commit(sysadmin, django_capture_on_commit_callbacks):
    received = []

    def listener(*, years):
        received.append(years)

    calendar.calendar_changed.register(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            calendar_services.calendar_year_import(actor=sysadmin, table=TABLE_2027)
    finally:
        calendar.calendar_changed.unregister(listener)
    assert [2027] in received


def test_calendar_year_import__stores_whole_year_and_one_event_per_step(sysadmin):
    result = calendar_services.calendar_year_import(actor=sysadmin, table=TABLE_2027)
    assert (result.holidays, result.makeup_days, result.confirmed) == (3 + 9 + 7, 2, True)
    assert CalendarDay.objects.filter(is_working_day=False).count() == 19
    assert CalendarYear.objects.get(year=2027).source == TABLE_2027.source
    imported = json.loads(Event.objects.get(action="calendar_year.imported").payload)
    assert imported["holidays"][1] == {"name": "春节", "from": "2027-02-06", "to": "2027-02-14"}
    assert Event.objects.filter(action="calendar_year.confirmed").count() == 1


def test_calendar_year_import__second_import_needs_replace(sysadmin):
    calendar_services.calendar_year_import(actor=sysadmin, table=TABLE_2027)
    with pytest.raises(Conflict) as err:
        calendar_services.calendar_year_import(actor=sysadmin, table=TABLE_2027)
    assert err.value.code == "calendar_year_has_entries"
    result = calendar_services.calendar_year_import(actor=sysadmin, table=TABLE_2027, replace=True)
    assert result.replaced == 21 and CalendarDay.objects.count() == 21


def _table(holidays=(), makeups=(), year=2027, source="测试依据"):
    return YearTable(year=year, source=source, holidays=tuple(holidays), makeup_days=tuple(makeups))


@pytest.mark.parametrize(
    ("table", "code", "words"),
    [
        (_table([HolidayRange("元旦", D(2026, 12, 31), D(2027, 1, 2))]), "calendar_date_outside_year", "不在2027年内"),
        (_table([HolidayRange("春节", D(2027, 2, 14), D(2027, 2, 6))]), "calendar_range_reversed", "早于开始日期"),
        (
            _table([HolidayRange("国庆节", D(2027, 10, 1), D(2027, 10, 7))], [(D(2027, 10, 2), "国庆节调休")]),
            "calendar_day_both_ways",
            "既被列为放假",
        ),
        (
            _table([HolidayRange("国庆节", D(2027, 10, 1), D(2027, 10, 7))], [(D(2027, 10, 8), "国庆节调休")]),
            "calendar_makeup_not_weekend",
            "星期五",
        ),
        (
            _table([HolidayRange("国庆节", D(2027, 10, 1), D(2027, 10, 7))], [(D(2028, 1, 8), "调休")]),
            "calendar_date_outside_year",
            "2028-01-08",
        ),
        (
            _table(
                [
                    HolidayRange("春节", D(2027, 2, 6), D(2027, 2, 14)),
                    HolidayRange("元宵", D(2027, 2, 14), D(2027, 2, 15)),
                ]
            ),
            "calendar_holidays_overlap",
            "两段放假安排",
        ),
        (_table([HolidayRange("春节", D(2027, 2, 1), D(2027, 3, 1))]), "calendar_range_too_long", "请核对"),
        (_table([]), "calendar_year_empty", "没有任何放假安排"),
        (_table([HolidayRange("", D(2027, 10, 1), D(2027, 10, 7))]), "calendar_name_required", "节日名称"),
        (
            _table([HolidayRange("国庆节", D(2026, 10, 1), D(2026, 10, 7))], year=2026),
            "calendar_year_known_by_package",
            "内置日历",
        ),
        (
            _table([HolidayRange("国庆节", D(2027, 10, 1), D(2027, 10, 7))], source=""),
            "calendar_source_required",
            "依据",
        ),
    ],
)
def test_calendar_year_import__bad_input_refused_precisely_and_nothing_stored(sysadmin, table, code, words):
    with pytest.raises(CalendarInputInvalid) as err:
        calendar_services.calendar_year_import(actor=sysadmin, table=table)
    assert err.value.code == code
    assert words in err.value.message
    _nothing_stored()


def test_parse_year_table__reads_yaml_and_names_the_bad_field():
    table = calendar_services.parse_year_table(
        "year: 2027\nsource: 通知\nholidays:\n  - {name: 国庆节, from: 2027-10-01, to: 2027-10-07}\n"
        "  - {name: 中秋节, date: '2027-09-15'}\nmakeup_working_days:\n  - {date: 2027-10-09, name: 调休}\n"
    )
    assert table.holidays[0] == HolidayRange("国庆节", D(2027, 10, 1), D(2027, 10, 7))
    assert table.holidays[1].first == table.holidays[1].last == D(2027, 9, 15)
    assert table.makeup_days == ((D(2027, 10, 9), "调休"),)
    with pytest.raises(CalendarInputInvalid) as err:
        calendar_services.parse_year_table(
            "year: 2027\nholidays:\n  - {name: 国庆节, from: 2027-10-01, to: 十月七日}\n", filename="y.yaml"
        )
    assert err.value.code == "calendar_file_invalid"
    assert err.value.message.startswith("y.yaml: holidays 第1条 to") and "十月七日" in err.value.message
    with pytest.raises(CalendarInputInvalid) as err:
        calendar_services.parse_year_table("year: 2027\nholiday: []\n")
    assert "未知字段：holiday" in err.value.message


YAML_2027 = """\
year: 2027
source: 测试用通知（非真实）
holidays:
  - {name: 国庆节, from: 2027-10-01, to: 2027-10-07}
makeup_working_days:
  - {date: 2027-10-09, name: 国庆节调休上班}
"""


def test_calendar_import_command__imports_and_confirms(tmp_path, sysadmin, capsys):
    path = tmp_path / "2027.yaml"
    path.write_text(YAML_2027, encoding="utf-8")
    call_command("calendar_import", str(path), "--user", sysadmin.username)
    assert "已导入2027年：放假 7 天，调休上班 1 天" in capsys.readouterr().out
    assert calendar.add_working_days(D(2027, 9, 30), 2) == calendar.DueDate(
        start=D(2027, 9, 30), days=2, due=D(2027, 10, 9)
    )
    assert Event.objects.get(action="calendar_year.imported").actor_id == sysadmin.pk


def test_calendar_import_command__bad_file_reports_code_and_stores_nothing(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(YAML_2027.replace("2027-10-09", "2027-10-03"), encoding="utf-8")
    with pytest.raises(CommandError) as err:
        call_command("calendar_import", str(path))
    assert "[calendar_day_both_ways]" in str(err.value) and "2027-10-03" in str(err.value)
    _nothing_stored()
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("calendar_import", str(tmp_path / "missing.yaml"))


def test_calendar_year_import__ledger_failure_rolls_back_the_table(sysadmin, monkeypatch):
    from liuhen.ledger.services import LedgerError

    calls = []

    def failing_record(**kwargs):
        calls.append(kwargs["action"])
        if kwargs["action"] == "calendar_year.confirmed":
            raise LedgerError("模拟账本写入失败")

    monkeypatch.setattr(calendar_services, "record", failing_record)
    with pytest.raises(LedgerError):
        calendar_services.calendar_year_import(actor=sysadmin, table=TABLE_2027)
    assert calls == ["calendar_year.imported", "calendar_year.confirmed"]
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()
    assert calendar.add_working_days(D(2027, 9, 30), 2).provisional


def test_calendar_day_set__a_corrected_package_holiday_can_be_renamed(sysadmin):
    calendar_services.calendar_day_set(actor=sysadmin, day=D(2026, 10, 5), is_working_day=True, name="更正")
    calendar_services.calendar_day_set(actor=sysadmin, day=D(2026, 10, 5), is_working_day=True, name="更正（依据通知）")
    assert CalendarDay.objects.get(day=D(2026, 10, 5)).name == "更正（依据通知）"
