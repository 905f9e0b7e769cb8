"""Roster import: what a station manager or department sees happen to the registry, row by row."""

import datetime as dt

import pytest

from ningju.core import audit, hooks
from ningju.core.crypto import keyed_hash
from ningju.core.models import AuditEntry
from ningju.coverage.models import UnitCoverage
from ningju.people.models import Occupation, Person, PoliticalStatus
from ningju.rosters import parsing, services, validation
from ningju.rosters.models import RosterImport
from ningju.testing.factories import make_id

from .files import HEADER, csv, row, xlsx

pytestmark = pytest.mark.django_db


def _import(world, content, *, user="station", org="s2", name="花名册.xlsx"):
    return services.roster_import(actor=world.user[user] if user else None, organisation=world.org[org],
                                  file_name=name, content=content)


def _state():
    """What an import must not change when it is refused."""
    return (Person.objects.count(), sorted(Person.objects.values_list("id", "name", "phone_hash", "employer_id",
                                                                      "occupation", "political_status")),
            AuditEntry.objects.filter(content_type__model="person").count())


def _refused(world, content, *, name="花名册.xlsx", user="station", org="s2"):
    before = _state()
    record = _import(world, content, user=user, org=org, name=name)
    assert record.status == RosterImport.Status.FAILED
    assert record.created_count == record.updated_count == record.unchanged_count == 0
    assert _state() == before, "a refused import must not write to the registry"
    assert RosterImport.objects.get(pk=record.pk).errors == record.errors  # kept for the uploader
    return record.errors


# --- a good import -------------------------------------------------------------------------------------

def test_good_import_registers_every_row_at_the_chosen_station(world):
    ids = [make_id("410882", 1991), make_id("410882", 1992), make_id("410882", 1985)]
    content = xlsx([
        row("王一", ids[0], "13911110001", "外卖骑手", "中共党员", "2023-05-01", "410882001001"),
        row("王二", ids[1], "13911110002", "快递员", "共青团员"),
        row("王三", ids[2].lower(), "139 1111 0003", "站点管理人员", "中共预备党员"),
    ])
    record = _import(world, content, user="qy_org")
    assert record.status == RosterImport.Status.SUCCEEDED, record.errors
    assert (record.rows_total, record.created_count, record.updated_count, record.unchanged_count) == (3, 3, 0, 0)
    assert len(record.file_sha256) == 64 and record.uploaded_by == world.user["qy_org"]

    one = Person.objects.get(id_hash=keyed_hash(ids[0]))
    assert (one.name, one.phone, one.employer, one.occupation, one.political_status) == (
        "王一", "13911110001", world.org["s2"], Occupation.RIDER, PoliticalStatus.MEMBER)
    assert one.employed_since == dt.date(2023, 5, 1) and one.home_division == world.div["qzs"]
    assert one.birth_date.year == 1991 and one.gender in ("M", "F")
    three = Person.objects.get(id_hash=keyed_hash(ids[2]))
    assert three.id_number == ids[2] and three.phone == "13911110003"

    # One audit entry per person, the same content core.audit would have written, sensitive values masked.
    entry = AuditEntry.objects.get(action=services.A_PERSON_CREATED, object_id=str(one.pk))
    assert entry.changes == audit.diff(None, audit.snapshot(one))
    assert entry.changes["id_number"][1] == ids[0][:6] + "********" + ids[0][-4:]
    assert entry.changes["phone"][1] == "139****0001"
    assert entry.actor == world.user["qy_org"] and entry.org_path == world.org["s2"].path
    assert entry.division_path == world.div["qzs"].path
    assert AuditEntry.objects.filter(action=services.A_PERSON_CREATED).count() == 3
    assert AuditEntry.objects.filter(action=services.A_IMPORTED, object_id=str(record.pk)).exists()

    # The coverage rollup counts them at once.
    assert UnitCoverage.objects.get(organisation=world.org["s2"]).workers == Person.objects.filter(
        employer=world.org["s2"]).count()


def test_import_announces_the_people_it_wrote(world, monkeypatch):
    heard = []
    monkeypatch.setitem(hooks._subscribers, "rosters.imported",
                        [*hooks._subscribers["rosters.imported"], lambda **kw: heard.append(kw)])
    record = _import(world, xlsx([row("甲"), row("乙")]))
    people = set(Person.objects.filter(name__in=["甲", "乙"]).values_list("id", flat=True))
    assert len(heard) == 1
    assert heard[0]["org_ids"] == [world.org["s2"].pk] and set(heard[0]["person_ids"]) == people
    assert record.created_count == 2
    _import(world, xlsx([]), name="empty.xlsx")  # refused: nothing announced
    assert len(heard) == 1


# --- re-import -----------------------------------------------------------------------------------------

def test_reimport_updates_people_and_the_same_file_twice_changes_nothing(world):
    rider = world.person["rider"]  # already registered at s2, visible to its station manager
    a, b = make_id("410882", 1990), make_id("410882", 1993)
    first = xlsx([row("甲", a, "13900000001"), row("乙", b, "13900000002"),
                  row(rider.name, rider.id_number, rider.phone, "外卖骑手", "群众")])
    r1 = _import(world, first)
    assert (r1.created_count, r1.updated_count, r1.unchanged_count) == (2, 0, 1)
    count = Person.objects.count()

    changed = xlsx([row("甲", a, "13900000009", "外卖骑手", "中共党员"), row("乙", b, "13900000002"),
                    row(rider.name, rider.id_number, rider.phone, "快递员", "群众", "2024/3/1")])
    r2 = _import(world, changed)
    assert (r2.created_count, r2.updated_count, r2.unchanged_count) == (0, 2, 1)
    assert Person.objects.count() == count, "no duplicates"
    jia = Person.objects.get(id_hash=keyed_hash(a))
    assert jia.phone == "13900000009" and jia.political_status == PoliticalStatus.MEMBER
    rider.refresh_from_db()
    assert rider.occupation == Occupation.COURIER and rider.employed_since == dt.date(2024, 3, 1)
    update = AuditEntry.objects.get(action=services.A_PERSON_UPDATED, object_id=str(jia.pk))
    assert update.changes == {"phone": ["139****0001", "139****0009"], "political_status": ["masses", "member"]}

    stamps = dict(Person.objects.values_list("id", "updated_at"))
    entries = AuditEntry.objects.filter(content_type__model="person").count()
    r3 = _import(world, changed)
    assert r3.status == RosterImport.Status.SUCCEEDED
    assert (r3.created_count, r3.updated_count, r3.unchanged_count) == (0, 0, 3)
    assert r3.file_sha256 == r2.file_sha256
    assert dict(Person.objects.values_list("id", "updated_at")) == stamps
    assert AuditEntry.objects.filter(content_type__model="person").count() == entries


def test_blank_optional_cells_keep_what_the_registry_has(world):
    a = make_id("410882", 1987)
    _import(world, xlsx([row("丙", a, since="2022-01-01", home="410882001001")]), user="qy_org")
    record = _import(world, xlsx([row("丙", a)]), user="qy_org")
    assert record.unchanged_count == 1
    person = Person.objects.get(id_hash=keyed_hash(a))
    assert person.employed_since == dt.date(2022, 1, 1) and person.home_division == world.div["qzs"]


def test_department_moves_a_visible_person_to_the_station_it_imports_for(world):
    driver = world.person["driver"]  # at s1; 沁阳市委组织部 sees both s1 and s2
    record = _import(world, xlsx([row(driver.name, driver.id_number, driver.phone, "网约车司机", "中共党员")]),
                     user="qy_org")
    assert record.updated_count == 1
    driver.refresh_from_db()
    assert driver.employer == world.org["s2"]
    # Both stations' coverage follows.
    assert UnitCoverage.objects.get(organisation=world.org["s1"]).workers == 0


# --- the file as a whole -------------------------------------------------------------------------------

@pytest.mark.parametrize("content,name,expected", [
    (b"name,id\nhello", "roster.xlsx", "不是 Excel 工作簿"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 50, "roster.xlsx", "JPEG 图片"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 50, "photo.jpg", "JPEG 图片"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", "另存为” .xlsx"),
    (b"PK\x03\x04" + b"\x00" * 100, "broken.xlsx", "不是有效的 Excel"),
    (b"just some notes", "notes.txt", "不支持 .txt"),
    (b"\x00\x01\x02binary", "data.csv", "不是文本格式的 CSV"),
])
def test_a_file_that_is_not_a_spreadsheet_is_refused(world, content, name, expected):
    errors = _refused(world, content, name=name)
    assert len(errors) == 1 and errors[0]["row"] is None and expected in errors[0]["message"]


def test_empty_file_and_file_without_rows(world):
    assert "空的" in _refused(world, b"")[0]["message"]
    assert "没有任何内容" in _refused(world, xlsx([], header=None))[0]["message"]
    assert "只有表头" in _refused(world, xlsx([]))[0]["message"]


def test_file_without_header_row(world):
    errors = _refused(world, xlsx([row("甲"), row("乙")], header=None))
    assert errors == [{"row": 1, "column": "", "message": errors[0]["message"]}]
    assert "缺少表头行" in errors[0]["message"]


def test_extra_and_renamed_columns_are_named(world):
    header = ["姓名", "身份证号码", "手机号", "职业", "政治面貌", "备注"]
    errors = _refused(world, xlsx([["甲", make_id(), "13912345678", "外卖骑手", "群众", "x"]], header=header))
    by_column = {e["column"]: e for e in errors}
    assert set(by_column) == {"身份证号码", "备注", "身份证号"}
    assert all(e["row"] == 1 for e in errors)
    assert "多余的列“身份证号码”" in by_column["身份证号码"]["message"]
    assert "是否应为“身份证号”" in by_column["身份证号码"]["message"]
    assert "多余的列“备注”(第F列)" in by_column["备注"]["message"]
    assert by_column["身份证号"]["message"] == "缺少必填列“身份证号”"


def test_optional_columns_may_be_left_out_and_headers_tolerate_marks(world):
    header = ["姓名*", " 身份证号 ", "手机号", "职业", "政治面貌"]
    record = _import(world, xlsx([["甲", make_id(), "13912345678", "外卖骑手", "群众"]], header=header))
    assert record.status == RosterImport.Status.SUCCEEDED and record.created_count == 1


def test_over_the_row_limit(world, monkeypatch):
    monkeypatch.setattr(parsing, "MAX_ROWS", 3)
    errors = _refused(world, xlsx([row(f"人{i}") for i in range(4)]))
    assert errors == [{"row": None, "column": "", "message": errors[0]["message"]}]
    assert "4 行数据" in errors[0]["message"] and "上限 3 行" in errors[0]["message"]
    assert _import(world, xlsx([row(f"人{i}") for i in range(3)])).status == RosterImport.Status.SUCCEEDED


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_gbk_or_utf8_with_or_without_bom(world, encoding):
    a = make_id("410882", 1994)
    content = csv([row("张伟", a, "13912340000", "网约车司机", "中共党员", "2023年5月1日")], encoding=encoding)
    if encoding == "utf-8-sig":
        assert content.startswith(b"\xef\xbb\xbf")
    record = _import(world, content, name="花名册.csv")
    assert record.status == RosterImport.Status.SUCCEEDED, record.errors
    person = Person.objects.get(id_hash=keyed_hash(a))
    assert person.name == "张伟" and person.occupation == Occupation.RIDE_HAILING
    assert person.employed_since == dt.date(2023, 5, 1)


def test_tab_separated_unicode_text_from_excel(world):
    a = make_id("410882", 1994)
    text = "\t".join(HEADER[:5]) + "\r\n" + "\t".join(row("李雷", a)[:5]) + "\r\n"
    record = _import(world, text.encode("utf-16"), name="花名册.csv")
    assert record.status == RosterImport.Status.SUCCEEDED, record.errors


# --- cells ---------------------------------------------------------------------------------------------

def test_dates_as_serial_numbers_date_cells_and_text(world):
    forms = [45047, 45047.0, dt.date(2023, 5, 1), "2023-05-01", "2023/5/1", "2023年5月1日", "20230501",
             "2023.05.01", "2023-05-01 00:00:00"]
    ids = [make_id("410882", 1980 + i) for i in range(len(forms))]
    record = _import(world, xlsx([row(f"日{i}", ids[i], since=f) for i, f in enumerate(forms)]))
    assert record.status == RosterImport.Status.SUCCEEDED, record.errors
    assert set(Person.objects.filter(id_hash__in=[keyed_hash(i) for i in ids])
               .values_list("employed_since", flat=True)) == {dt.date(2023, 5, 1)}


def test_impossible_or_malformed_dates_point_at_their_cell(world):
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    errors = _refused(world, xlsx([row("甲", since="2023-02-30"), row("乙", since="五月一日"),
                                   row("丙", since=tomorrow)]))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "入职日期"), (3, "入职日期"), (4, "入职日期")]
    assert "不存在" in errors[0]["message"] and "无法识别" in errors[1]["message"]
    assert "晚于今天" in errors[2]["message"]


def test_bad_checksum_is_reported_at_its_row_and_column(world):
    good = make_id("410882", 1990)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    errors = _refused(world, xlsx([row("甲"), row("乙", bad), row("丙")]))
    assert errors == [{"row": 3, "column": "身份证号", "message": "身份证号码校验位错误,请核对"}]


def test_each_bad_cell_is_reported(world):
    errors = _refused(world, xlsx([
        row("", phone="1391234"),
        row("甲", occupation="骑手", status="党员"),
        row("乙", "", home="410811008202"),  # 中马村 is in 山阳区: outside 沁阳市委组织部's scope
        row("丙", home="999999999999"),
    ]), user="qy_org")
    assert [(e["row"], e["column"]) for e in errors] == [
        (2, "姓名"), (2, "手机号"), (3, "职业"), (3, "政治面貌"), (4, "身份证号"), (4, "居住地区划代码"),
        (5, "居住地区划代码")]
    assert "外卖骑手、快递员" in errors[2]["message"] and "中共党员、中共预备党员" in errors[3]["message"]
    assert errors[4]["message"] == "身份证号不能为空"
    assert errors[5]["message"] == "区划代码“410811008202”不存在或不在您的管辖范围内"
    assert errors[6]["message"] == "区划代码“999999999999”不存在或不在您的管辖范围内"
    # 中马村 itself exists, only out of scope: the city's organisation department may use it.
    assert _import(world, xlsx([row("乙", home="410811008202")]), user="city_org").created_count == 1


def test_id_numbers_excel_turned_into_numbers(world):
    errors = _refused(world, xlsx([row("甲", 4.10882199001011e17), row("乙", "4.10882E+17")]))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "身份证号"), (3, "身份证号")]
    assert all("科学计数法" in e["message"] and "丢失" in e["message"] for e in errors)

    # An integer cell keeps every digit (calamine reads .xlsx numbers as floats; other readers give ints).
    number = make_id("410882", 1990)
    while number.endswith("X"):
        number = make_id("410882", 1990)
    table = parsing.Table(header_row=1, columns=HEADER[:5],
                          rows=[(2, ("甲", int(number), 13912345678, "外卖骑手", "群众"))])
    checked = validation.check_rows(table)
    assert checked.errors == [] and checked.clean[0].id_number == number and checked.clean[0].phone == "13912345678"


def test_duplicates_in_the_file_point_at_the_first_row(world):
    a = make_id("410882", 1990)
    errors = _refused(world, xlsx([row("甲", a), row("乙"), row("甲", a.lower()), row("丁", a)]))
    assert errors == [{"row": 4, "column": "身份证号", "message": "身份证号与第2行重复"},
                      {"row": 5, "column": "身份证号", "message": "身份证号与第2行重复"}]


def test_id_registered_outside_the_importers_scope_is_refused(world):
    driver = world.person["driver"]  # employed at s1, not visible to the manager of s2
    errors = _refused(world, xlsx([row("甲"), row("冒名", driver.id_number)]))
    assert [(e["row"], e["column"]) for e in errors] == [(3, "身份证号")]
    assert errors[0]["message"].startswith("该身份证号已在其他单位登记")
    driver.refresh_from_db()
    assert driver.name == "司机甲" and driver.employer == world.org["s1"]


def test_template_example_row_is_not_imported(world):
    from ningju.rosters.spreadsheets import template_bytes

    errors = _refused(world, template_bytes())
    assert {(e["row"], e["column"]) for e in errors} == {(2, "姓名"), (2, "身份证号"), (2, "居住地区划代码")}


def test_import_into_an_organisation_that_is_not_an_enterprise_or_station_is_refused(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        _import(world, xlsx([row("甲")]), user="qy_org", org="qy_org")
    with pytest.raises(ValidationError):  # the station manager's scope is its own station
        _import(world, xlsx([row("甲")]), user="station", org="s1")


def test_imported_and_updated_values_are_encrypted_at_rest(world):
    from django.db import connection

    a = make_id("410882", 1979)
    _import(world, xlsx([row("密文", a, "13977770001")]))
    _import(world, xlsx([row("密文", a, "13977770002")]))  # the update path writes the phone again
    person = Person.objects.get(id_hash=keyed_hash(a))
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone, created_at, updated_at FROM people_person WHERE id = %s", [person.pk])
        id_number, phone, created_at, updated_at = cur.fetchone()
    assert a not in id_number and "13977770002" not in phone and created_at and updated_at
    assert (person.id_number, person.phone, person.phone_hash) == (a, "13977770002", keyed_hash("13977770002"))
    assert person.updated_at >= person.created_at


def test_a_very_long_error_list_is_cut_with_a_note(world, monkeypatch):
    monkeypatch.setattr(services, "MAX_STORED_ERRORS", 2)
    errors = _refused(world, xlsx([row("甲", phone="1"), row("乙", phone="2"), row("丙", phone="3")]))
    assert [e["row"] for e in errors] == [2, 3, None]
    assert "共发现 3 处错误,只保留前 2 处" in errors[-1]["message"]
