"""The member registry (党员信息库): import from .xlsx/.csv, all or nothing, errors by row and column."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from ningju.core.crypto import keyed_hash
from ningju.core.excel import xlsx_bytes
from ningju.core.models import AuditEntry
from ningju.coverage import services
from ningju.coverage.models import MemberRecord
from ningju.testing.factories import make_id

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "身份证号", "党员类别", "组织关系所在", "入党日期"]


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    lines = [",".join(HEADER)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_xlsx_import_creates_records_and_links_local_branches(world):
    a, b = make_id("410882", 1980), make_id("410882", 1985)
    data = xlsx_bytes("党员", HEADER, [["张三", a, "正式党员", "罗庄社区党支部", "2005-07-01"],
                                      ["李四", b, "预备党员", "山西省晋城市某村党支部", ""]])
    result = services.member_records_import(actor=world.user["qy_org"], division=world.div["qy"],
                                            file_name="党员.xlsx", data=data)
    assert result.ok and (result.created, result.updated) == (2, 0)
    zhang = MemberRecord.objects.get(id_hash=keyed_hash(a))
    assert zhang.relation_org == world.org["luozhuang"] and zhang.joined_on.isoformat() == "2005-07-01"
    li = MemberRecord.objects.get(id_hash=keyed_hash(b))
    assert li.status == "probationary" and li.relation_org is None and li.relation_text == "山西省晋城市某村党支部"
    assert AuditEntry.objects.filter(action="coverage.member_record.created").count() == 2
    # Imported again with a change: updated, the other unchanged.
    data = xlsx_bytes("党员", HEADER, [["张三", a, "正式党员", "罗庄社区党支部", "2005-07-01"],
                                      ["李四", b, "正式党员", "山西省晋城市某村党支部", ""]])
    again = services.member_records_import(actor=world.user["qy_org"], division=world.div["qy"],
                                           file_name="党员.xlsx", data=data)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert MemberRecord.objects.get(id_hash=keyed_hash(b)).status == "formal"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_import_in_utf8_and_gbk(world, encoding):
    number = make_id("410882", 1979)
    data = csv_bytes([["王五", number, "正式党员", "", "2001/7/1"]], encoding)
    result = services.member_records_import(actor=None, division=world.div["qy"], file_name="members.csv", data=data)
    assert result.ok, result.errors
    assert MemberRecord.objects.get(id_hash=keyed_hash(number)).name == "王五"


def test_any_error_imports_nothing_and_says_where(world):
    good = make_id("410882", 1980)
    bad_check = good[:17] + ("1" if good[17] != "1" else "2")
    rows = [["好人", good, "正式党员", "", ""],
            ["", make_id("410882", 1981), "党员", "", "2099-01-01"],
            ["校验错", bad_check, "预备党员", "", "昨天"],
            ["重复", good, "正式党员", "", ""]]
    result = services.member_records_import(actor=None, division=world.div["qy"], file_name="m.csv",
                                            data=csv_bytes(rows))
    assert not result.ok
    got = {(e["row"], e["column"]) for e in result.errors}
    assert got == {(3, "姓名"), (3, "党员类别"), (3, "入党日期"), (4, "身份证号"), (4, "入党日期"), (5, "身份证号")}
    messages = " ".join(e["message"] for e in result.errors)
    assert "校验位" in messages and "与第 2 行的身份证号重复" in messages and "正式党员" in messages
    assert not MemberRecord.objects.exists()


def test_file_level_errors(world):
    def errors(name, data):
        return services.member_records_import(actor=None, division=world.div["qy"], file_name=name,
                                              data=data).errors

    assert "缺少“身份证号”列" in errors("m.csv", "姓名,党员类别\r\n张三,正式党员\r\n".encode())[0]["message"]
    assert "仅支持" in errors("m.pdf", b"%PDF-1.4")[0]["message"]
    assert "无法读取" in errors("m.xlsx", b"not a zip")[0]["message"]
    assert "空" in errors("m.csv", b"")[0]["message"]
    numeric = xlsx_bytes("党员", HEADER, [["张三", 410882198001011234, "正式党员", "", ""]])
    assert "文本" in errors("m.xlsx", numeric)[0]["message"]
    assert not MemberRecord.objects.exists()


def test_a_record_of_another_district_is_not_overwritten(world):
    number = make_id("410811", 1970)
    services.member_records_import(actor=world.user["sy_org"], division=world.div["sy"], file_name="sy.csv",
                                   data=csv_bytes([["山阳党员", number, "正式党员", "", ""]]))
    result = services.member_records_import(actor=world.user["qy_org"], division=world.div["qy"],
                                            file_name="qy.csv", data=csv_bytes([["冒名", number, "正式党员", "", ""]]))
    assert not result.ok and "其他地区" in result.errors[0]["message"]
    assert MemberRecord.objects.get().name == "山阳党员"


def test_import_page_and_list(world, login):
    client = login(world.user["qy_org"])
    number = make_id("410882", 1966)
    upload = SimpleUploadedFile("党员.csv", csv_bytes([["赵六", number, "正式党员", "罗庄社区党支部", "1990-07-01"]]))
    response = client.post("/coverage/members/import/", {"division": world.div["qy"].pk, "file": upload})
    assert response.status_code == 302
    page = client.get("/coverage/members/").content.decode()
    assert "赵六" in page and number in page  # the organisation department sees ID numbers
    bad = SimpleUploadedFile("坏.csv", csv_bytes([["孙七", "123", "正式党员", "", ""]]))
    response = client.post("/coverage/members/import/", {"division": world.div["qy"].pk, "file": bad})
    assert response.status_code == 400
    text = response.content.decode()
    assert "未导入任何数据" in text and "身份证号码应为18位" in text
    assert MemberRecord.objects.count() == 1
    assert client.get("/api/v1/coverage/member-records").json()["count"] == 1
    assert login(world.user["town"]).get("/coverage/members/").status_code == 403
    assert login(world.user["sy_org"]).get("/api/v1/coverage/member-records").json()["count"] == 0


def test_import_members_command(world, tmp_path, capsys):
    path = tmp_path / "members.xlsx"
    numbers = [make_id("410882", 1970 + i) for i in range(3)]
    path.write_bytes(xlsx_bytes("党员", HEADER, [[f"党员{i}", n, "正式党员", "", ""] for i, n in enumerate(numbers)]))
    call_command("import_members", str(path), "--division", "410882000000")
    assert "新增 3" in capsys.readouterr().out
    assert MemberRecord.objects.filter(division=world.div["qy"]).count() == 3
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["坏", "1", "正式党员", "", ""]]))
    with pytest.raises(CommandError, match="未导入"):
        call_command("import_members", str(bad), "--division", "410882000000")
    with pytest.raises(CommandError, match="区划代码不存在"):
        call_command("import_members", str(path), "--division", "999")
    assert MemberRecord.objects.count() == 3
