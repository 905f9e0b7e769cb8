"""The roster pages, the API and the command, as station managers and departments use them."""

import io

import openpyxl
import pytest
import python_calamine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from ningju.accounts import services as account_services
from ningju.core.crypto import keyed_hash
from ningju.people.models import Occupation, Person, PoliticalStatus
from ningju.rosters import services
from ningju.rosters.models import RosterImport
from ningju.rosters.parsing import COLUMN_NAMES
from ningju.testing.factories import make_id

from .files import HEADER, row, xlsx

pytestmark = pytest.mark.django_db


def _upload(client, org, content, name="花名册.xlsx", **extra):
    return client.post("/rosters/upload/", {"organisation": org.pk, "file": SimpleUploadedFile(name, content)},
                       **extra)


def _api(world, user):
    _, raw = account_services.token_create(user=world.user[user], name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


# --- pages ---------------------------------------------------------------------------------------------

def test_station_manager_uploads_a_roster_for_their_station(world, login):
    client = login(world.user["station"])
    page = client.get("/rosters/upload/").content.decode()
    assert f'<option value="{world.org["s2"].pk}" selected>' in page
    assert f'value="{world.org["s1"].pk}"' not in page  # only what the manager may import into

    a = make_id("410882", 1992)
    content = xlsx([row("骑手新", a, "13955556666")])
    response = _upload(client, world.org["s2"], content)
    record = RosterImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/rosters/{record.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "导入成功" in detail and "新增人员" in detail
    person = Person.objects.get(id_hash=keyed_hash(a))
    assert person.employer == world.org["s2"] and person.phone == "13955556666"

    listing = client.get("/rosters/").content.decode()
    assert "花名册.xlsx" in listing and f"/rosters/{record.pk}/" in listing
    again = _upload(client, world.org["s2"], content)  # the same file once more: nothing changes
    second = client.get(again["Location"]).content.decode()
    assert "完全相同" in second and f'href="/rosters/{record.pk}/"' in second
    assert RosterImport.objects.latest("id").unchanged_count == 1
    assert 'href="/rosters/"' in client.get("/").content.decode()  # the navigation entry "花名册"


def test_htmx_upload_redirects_through_the_header(world, login):
    client = login(world.user["station"])
    response = _upload(client, world.org["s2"], xlsx([row("甲")]), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"].startswith("/rosters/")
    missing = client.post("/rosters/upload/", {"organisation": world.org["s2"].pk}, HTTP_HX_REQUEST="true")
    assert missing.status_code == 200 and "请选择要上传的花名册文件" in missing.content.decode()
    assert "<html" not in missing.content.decode()  # the form only


def test_failed_upload_shows_each_error_and_offers_them_as_xlsx(world, login):
    client = login(world.user["station"])
    good = make_id("410882", 1990)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = _upload(client, world.org["s2"], xlsx([row("甲"), row("乙", bad)]))
    record = RosterImport.objects.get()
    assert record.status == RosterImport.Status.FAILED
    page = client.get(response["Location"]).content.decode()
    assert "第3行" in page and "身份证号码校验位错误" in page and "没有导入任何人员" in page
    export = client.get(f"/rosters/{record.pk}/errors.xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert [c.value for c in sheet[1]] == ["行号", "列", "问题"]
    assert [c.value for c in sheet[2]] == [3, "身份证号", "身份证号码校验位错误,请核对"]


def test_error_export_escapes_formulas(world, login):
    client = login(world.user["station"])
    header = [*HEADER[:5], "=HYPERLINK(\"http://evil\",\"x\")"]
    _upload(client, world.org["s2"], xlsx([[*row("甲")[:5], "1"]], header=header))
    record = RosterImport.objects.get()
    assert record.errors[0]["column"].startswith("=")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/rosters/{record.pk}/errors.xlsx").content)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value == "'" + record.errors[0]["column"]
    assert all(c.data_type != "f" for line in sheet.iter_rows() for c in line)


def test_station_manager_cannot_import_into_or_see_another_station(world, login):
    other = services.roster_import(actor=world.user["transport"], organisation=world.org["s1"],
                                   file_name="s1.xlsx", content=xlsx([row("网约车司机乙")]))
    assert other.status == RosterImport.Status.SUCCEEDED  # the industry department imports for its station
    client = login(world.user["station"])
    count = Person.objects.count()
    assert _upload(client, world.org["s1"], xlsx([row("越权")])).status_code == 404
    assert client.post("/rosters/upload/", {"organisation": "abc",
                                            "file": SimpleUploadedFile("a.xlsx", b"x")}).status_code == 404
    assert Person.objects.count() == count and RosterImport.objects.count() == 1

    assert "s1.xlsx" not in client.get("/rosters/").content.decode()
    assert client.get(f"/rosters/{other.pk}/").status_code == 404
    assert client.get(f"/rosters/{other.pk}/errors.xlsx").status_code == 404
    # The department that imported it sees it.
    assert "s1.xlsx" in login(world.user["transport"]).get("/rosters/").content.decode()


def test_roles_without_the_module_are_refused(world, login):
    town = login(world.user["town"])
    assert town.get("/rosters/").status_code == 403
    assert town.get("/rosters/upload/").status_code == 403
    assert town.get("/rosters/template.xlsx").status_code == 403
    assert 'href="/rosters/"' not in town.get("/").content.decode()


def test_template_has_the_columns_an_example_and_the_allowed_values(world, login):
    response = login(world.user["station"]).get("/rosters/template.xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["花名册", "可选值"]
    data = book.get_sheet_by_index(0).to_python()
    assert data[0] == list(COLUMN_NAMES) and len(data) == 2
    values = book.get_sheet_by_index(1).to_python()
    assert [r[0] for r in values[1:] if r[0]] == [label for _, label in Occupation.choices]
    assert [r[1] for r in values[1:] if r[1]] == [label for _, label in PoliticalStatus.choices]


# --- API -----------------------------------------------------------------------------------------------

def test_api_imports_and_answers_201_with_the_result(world):
    client = _api(world, "transport")
    a = make_id("410882", 1991)
    response = client.post("/api/v1/rosters", {"organisation_id": world.org["e1"].pk,
                                                "file": SimpleUploadedFile("e1.xlsx", xlsx([row("司机", a)]))})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["created_count"], body["rows_total"], body["errors"]) == ("succeeded", 1, 1, [])
    assert Person.objects.get(id_hash=keyed_hash(a)).employer == world.org["e1"]
    assert client.get(f"/api/v1/rosters/{body['id']}").json()["file_name"] == "e1.xlsx"


def test_api_refusal_carries_the_row_errors_and_keeps_the_record(world):
    client = _api(world, "station")
    good = make_id("410882", 1990)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    count = Person.objects.count()
    response = client.post("/api/v1/rosters", {
        "organisation_id": world.org["s2"].pk,
        "file": SimpleUploadedFile("bad.xlsx", xlsx([row("甲"), row("乙", bad), row("丙", phone="123")]))})
    assert response.status_code == 400
    error = response.json()["error"]
    record = RosterImport.objects.get()
    assert f"#{record.pk}" in error["message"]
    assert {"field": "第3行 身份证号", "message": "身份证号码校验位错误,请核对"} in error["fields"]
    assert {"field": "第4行 手机号", "message": "手机号码应为11位,以1开头"} in error["fields"]
    assert Person.objects.count() == count
    detail = client.get(f"/api/v1/rosters/{record.pk}").json()
    assert detail["status"] == "failed" and detail["error_count"] == 2
    assert detail["errors"][0] == {"row": 3, "column": "身份证号", "message": "身份证号码校验位错误,请核对"}
    # A file that is not a spreadsheet is an error of the file, not of a row.
    response = client.post("/api/v1/rosters", {"organisation_id": world.org["s2"].pk,
                                                "file": SimpleUploadedFile("a.xlsx", b"hello")})
    assert response.status_code == 400 and response.json()["error"]["fields"][1]["field"] == "文件"


def test_api_is_scoped(world):
    mine = services.roster_import(actor=world.user["station"], organisation=world.org["s2"], file_name="s2.xlsx",
                                  content=xlsx([row("甲")]))
    theirs = services.roster_import(actor=world.user["transport"], organisation=world.org["s1"],
                                    file_name="s1.xlsx", content=xlsx([row("乙")]))
    client = _api(world, "station")
    listing = client.get("/api/v1/rosters").json()
    assert [i["id"] for i in listing["items"]] == [mine.pk] and listing["count"] == 1
    assert client.get(f"/api/v1/rosters/{theirs.pk}").status_code == 404
    response = client.post("/api/v1/rosters", {"organisation_id": world.org["s1"].pk,
                                                "file": SimpleUploadedFile("x.xlsx", xlsx([row("丙")]))})
    assert response.status_code == 404 and RosterImport.objects.count() == 2
    assert _api(world, "town").get("/api/v1/rosters").status_code == 403
    assert len(_api(world, "qy_org").get("/api/v1/rosters").json()["items"]) == 2


# --- command -------------------------------------------------------------------------------------------

def test_command_imports_with_progress_and_prints_errors(world, tmp_path):
    good = tmp_path / "s2.xlsx"
    a = make_id("410882", 1990)
    good.write_bytes(xlsx([row("命令甲", a), row("命令乙")]))
    out = io.StringIO()
    call_command("import_roster", str(good), "--org", str(world.org["s2"].pk), "--actor",
                 world.user["station"].phone, stdout=out)
    text = out.getvalue()
    assert "校验" in text and "写入" in text and "新增 2" in text
    assert Person.objects.get(id_hash=keyed_hash(a)).employer == world.org["s2"]
    assert RosterImport.objects.get().source == "command"

    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(HEADER) + "\n" + ",".join(row("命令丙", a[:17] + "Y")) + "\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 处错误"):
        call_command("import_roster", str(bad), "--org", str(world.org["s2"].pk), stdout=out)
    assert "身份证号" in out.getvalue() and "格式不正确" in out.getvalue() and " 2 " in out.getvalue()

    with pytest.raises(CommandError, match="不在该账号的管辖范围内"):
        call_command("import_roster", str(good), "--org", str(world.org["s1"].pk), "--actor",
                     world.user["station"].phone, stdout=io.StringIO())
