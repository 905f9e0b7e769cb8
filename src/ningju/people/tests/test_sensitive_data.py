"""ID numbers and phones: validated, encrypted at rest, masked for roles that do not need them,
found by exact match through the keyed hash."""

import io
import os
import sqlite3
import tempfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from ningju.core.crypto import keyed_hash
from ningju.people import services
from ningju.people.models import Person
from ningju.testing.factories import make_id

pytestmark = pytest.mark.django_db


def _raw_rows():
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM people_person")
        return [" ".join(str(v) for v in row) for row in cur.fetchall()]


def test_raw_id_number_and_phone_are_not_stored(world):
    number = make_id("410882", 1988)
    services.person_create(actor=None, name="加密测试", id_number=number, phone="13812345678")
    joined = "\n".join(_raw_rows())
    assert number not in joined and number[:14] not in joined
    assert "13812345678" not in joined
    # The ORM gives the plain value back.
    assert Person.objects.get(id_hash=keyed_hash(number)).id_number == number


@pytest.mark.django_db(transaction=True)
def test_raw_id_number_is_not_in_the_database_file():
    if connection.vendor != "sqlite":
        pytest.skip("the database-file check is for the embedded SQLite; PostgreSQL is checked by the raw-row test")
    number = make_id("410882", 1977)
    services.person_create(actor=None, name="文件检查", id_number=number, phone="13787654321")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "copy.sqlite3")
        with connection.cursor() as cur:
            cur.execute("VACUUM INTO %s", [path])
        data = open(path, "rb").read()
        assert number.encode() not in data and b"13787654321" not in data
        # Sanity: the file does hold the person's (not sensitive) name.
        assert "文件检查".encode() in data
        sqlite3.connect(path).close()


def test_birth_date_and_gender_come_from_the_id_number(world):
    person = services.person_create(actor=None, name="派生", id_number="11010519491231002X")
    assert person.birth_date.isoformat() == "1949-12-31" and person.gender == "F"


@pytest.mark.parametrize("bad", ["110105194912310021", "110105194902300028", "1101051949", "abc"])
def test_bad_id_numbers_are_refused_and_nothing_is_written(world, bad):
    count = Person.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.person_create(actor=None, name="坏", id_number=bad)
    assert "id_number" in exc.value.message_dict
    assert Person.objects.count() == count


def test_duplicate_id_number_is_refused(world):
    number = world.person["rider"].id_number
    with pytest.raises(ValidationError) as exc:
        services.person_create(actor=None, name="重复", id_number=number.lower())
    assert "已登记" in exc.value.message_dict["id_number"][0]


def test_masked_for_roles_without_need_and_plain_for_those_with_it(world, login):
    person = world.person["driver"]
    masked = person.id_number[:6] + "********" + person.id_number[-4:]
    town = login(world.user["town"])
    page = town.get(f"/people/{person.pk}/").content.decode()
    assert masked in page and person.id_number not in page and person.phone not in page
    api = town.get(f"/api/v1/people/{person.pk}").json()
    assert api["id_number"] == masked
    sheet = openpyxl.load_workbook(io.BytesIO(town.get("/people/export.xlsx").content)).active
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == person.name)
    assert row[3] == masked and "****" in row[4]

    org = login(world.user["qy_org"])
    assert person.id_number in org.get(f"/people/{person.pk}/").content.decode()
    assert org.get(f"/api/v1/people/{person.pk}").json()["id_number"] == person.id_number


def test_worker_sees_own_record_unmasked_on_the_api(world, login):
    worker = login(world.user["worker"])
    me = worker.get("/").content.decode()
    assert world.person["worker"].name in me


def test_exact_search_by_id_number_and_phone(world, login):
    person = world.person["rider"]
    client = login(world.user["qy_org"])
    by_id = client.get("/api/v1/people", {"q": person.id_number}).json()
    assert [i["name"] for i in by_id["items"]] == [person.name]
    by_phone = client.get("/api/v1/people", {"q": person.phone}).json()
    assert [i["name"] for i in by_phone["items"]] == [person.name]
    fragment = client.get("/api/v1/people", {"q": person.id_number[:10]}).json()
    assert fragment["count"] == 0
    # Outside the scope, an exact match finds nothing.
    other = login(world.user["sy_org"]).get("/api/v1/people", {"q": person.id_number}).json()
    assert other["count"] == 0
