import pytest
from django.core.management import CommandError, call_command

from ningju.core.models import AuditEntry
from ningju.geo.models import Division
from ningju.geo.selectors import division_subtree
from ningju.geo.services import DivisionImportError, divisions_import

pytestmark = pytest.mark.django_db

GOOD = """code,name,level,parent_code
410800000000,焦作市,city,
410882000000,沁阳市,county,410800000000
410882003000,太行街道,town,410882000000
410882003002,罗庄社区,village,410882003000
410882003002001,罗庄社区第1网格,grid,410882003002
410811000000,山阳区,county,410800000000
"""


def _write(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "divisions.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_import_command_builds_the_tree_with_paths(tmp_path):
    call_command("import_divisions", str(_write(tmp_path, GOOD)))
    grid = Division.objects.get(code="410882003002001")
    assert grid.path == "410800000000/410882000000/410882003000/410882003002/410882003002001/"
    assert grid.parent.name == "罗庄社区"
    assert AuditEntry.objects.filter(action="geo.division.created").count() == 6


def test_reimport_refreshes_names_without_duplicates(tmp_path):
    call_command("import_divisions", str(_write(tmp_path, GOOD)))
    call_command("import_divisions", str(_write(tmp_path, GOOD.replace("罗庄社区,", "罗庄新社区,"), "gb18030")))
    assert Division.objects.count() == 6
    assert Division.objects.get(code="410882003002").name == "罗庄新社区"


@pytest.mark.parametrize(("bad_line", "message"), [
    ("410883003000,错位街道,town,410882000000", "不匹配"),       # town code not under its county
    ("41088200300,短代码,town,410882000000", "12位"),             # 11 digits
    ("410882003000,重复,town,410882000000", "重复"),              # duplicate in file
    ("410882005000,无上级,town,410882999000", "不存在"),          # unknown parent
    ("410882000100,层级错,village,410882000000", "层级"),         # village directly under a county
])
def test_bad_rows_are_reported_by_line_and_nothing_is_written(tmp_path, bad_line, message):
    text = GOOD + bad_line + "\n"
    with pytest.raises(CommandError):
        call_command("import_divisions", str(_write(tmp_path, text)))
    assert Division.objects.count() == 0
    with pytest.raises(DivisionImportError) as exc:
        from ningju.geo.services import read_rows

        divisions_import(actor=None, rows=read_rows(text))
    assert any(message in e and e.startswith("第8行") for e in exc.value.errors), exc.value.errors


def test_subtree_is_one_query_not_a_tree_walk(tmp_path, django_assert_num_queries):
    call_command("import_divisions", str(_write(tmp_path, GOOD)))
    county = Division.objects.get(code="410882000000")
    with django_assert_num_queries(1):
        codes = sorted(division_subtree(county).values_list("code", flat=True))
    assert codes == ["410882000000", "410882003000", "410882003002", "410882003002001"]


def test_shipped_jiaozuo_file_imports_cleanly():
    call_command("import_divisions", "src/ningju/geo/data/jiaozuo.csv")
    assert Division.objects.get(code="410882000000").name == "沁阳市"
    assert Division.objects.get(code="410811000000").name == "山阳区"
    villages_sy = Division.objects.filter(path__startswith="410800000000/410811000000/", level=4)
    assert villages_sy.count() == 54
