"""The JSON API under /api/v1/: schema, authentication, CSRF, the one error shape, pagination,
writes with their audit trail, and masking of sensitive data."""

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from ningju.accounts import services as account_services
from ningju.accounts.models import ApiToken
from ningju.core import idcard
from ningju.orgs.models import Organisation
from ningju.people.models import Person
from ningju.testing.api import API, JSON, bearer
from ningju.testing.factories import PASSWORD, make_id

pytestmark = pytest.mark.django_db

WRONG = "Wrong#Pass99"


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The one error shape: ``{"error": {"code", "message", "fields": [{"field", "message"}]}}``."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith(JSON)
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], list)
    for f in error["fields"]:
        assert set(f) == {"field", "message"} and isinstance(f["field"], str) and f["message"]
    if code is not None:
        assert error["code"] == code
    return error


def field_names(error: dict) -> list[str]:
    return [f["field"] for f in error["fields"]]


def masked_id(number: str) -> str:
    return number[:6] + "********" + number[-4:]


def masked_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def id_with(first17: str) -> str:
    return first17 + idcard.checksum(first17)


# --- OpenAPI ---------------------------------------------------------------------------------------

def test_openapi_document_is_served_without_login_as_valid_json(world):
    # Decision: the schema is public. It holds no data, and a client needs it (and /auth/token)
    # before it has a token; every data operation in it still requires authentication.
    response = Client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(JSON)
    doc = json.loads(response.content)
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path in ("/divisions", "/divisions/{code}", "/organisations", "/organisations/{org_id}", "/people",
                 "/people/{person_id}", "/audit", "/me", "/auth/token"):
        assert f"{API}{path}" in paths, path
    assert set(paths[f"{API}/people"]) >= {"get", "post"}
    assert set(paths[f"{API}/people/{{person_id}}"]) >= {"get", "patch", "delete"}
    assert set(paths[f"{API}/organisations/{{org_id}}"]) >= {"get", "patch", "delete"}
    schemes = doc["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"} in schemes.values()
    # Data operations declare security; the token exchange does not.
    assert paths[f"{API}/people"]["get"]["security"]
    assert not paths[f"{API}/auth/token"]["post"].get("security")


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/me"), ("get", "/divisions"), ("get", "/divisions/410882000000"), ("get", "/organisations"),
    ("get", "/organisations/1"), ("get", "/people"), ("get", "/people/1"), ("get", "/audit"),
    ("post", "/people"), ("patch", "/people/1"), ("delete", "/people/1"),
    ("post", "/organisations"), ("patch", "/organisations/1"), ("delete", "/organisations/1"),
])
def test_every_data_operation_requires_authentication(world, method, path):
    # A real client (CSRF enforced): an anonymous unsafe request is "not logged in", not a CSRF refusal.
    client = Client(enforce_csrf_checks=True)
    kwargs = {"data": "{}", "content_type": JSON} if method in ("post", "patch") else {}
    response = getattr(client, method)(API + path, **kwargs)
    assert_error(response, 401, "not_authenticated")


# --- Token authentication --------------------------------------------------------------------------

def test_token_from_phone_and_password_works_on_me(world):
    user = world.user["town"]
    client = Client()
    response = client.post(f"{API}/auth/token", {"phone": user.phone, "password": PASSWORD, "name": "脚本"},
                           content_type=JSON)
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("nj_") and body["expires_at"]
    # Only a hash is stored.
    stored = ApiToken.objects.get(user=user, name="脚本")
    assert body["token"] not in (stored.key_hash, stored.prefix)

    me = Client().get(f"{API}/me", headers={"authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    data = me.json()
    assert data["id"] == user.pk and data["phone"] == user.phone and data["role"] == "town_secretary"
    assert data["organisation_id"] == world.org["taihang"].pk
    assert "people" in data["modules"] and "audit" not in data["modules"]


def test_wrong_password_and_unknown_phone_give_the_same_401(world):
    client = Client()
    tokens = ApiToken.objects.count()
    wrong_pw = client.post(f"{API}/auth/token", {"phone": world.user["town"].phone, "password": WRONG},
                           content_type=JSON)
    unknown = client.post(f"{API}/auth/token", {"phone": "13999999999", "password": WRONG}, content_type=JSON)
    error = assert_error(wrong_pw, 401, "invalid_login")
    assert wrong_pw.json() == unknown.json()
    # The message names both parts, so it does not tell which one was wrong.
    assert "手机号" in error["message"] and "密码" in error["message"]
    assert ApiToken.objects.count() == tokens


def test_missing_bad_revoked_and_expired_tokens_give_401(world):
    user = world.user["qy_org"]
    token, raw = account_services.token_create(user=user, name="t")
    good = {"authorization": f"Bearer {raw}"}
    assert Client().get(f"{API}/me", headers=good).status_code == 200

    assert_error(Client().get(f"{API}/me"), 401, "not_authenticated")
    assert_error(Client().get(f"{API}/me", headers={"authorization": "Bearer nj_not-a-token"}), 401)
    assert_error(Client().get(f"{API}/me", headers={"authorization": f"Token {raw}"}), 401)
    assert_error(Client().get(f"{API}/me", headers={"authorization": "Bearer "}), 401)

    account_services.token_revoke(user=user, token=token)
    assert_error(Client().get(f"{API}/me", headers=good), 401, "not_authenticated")
    # Also on an unsafe method from a real client (CSRF enforced): 401, and nothing is written.
    count = Person.objects.count()
    revoked_post = Client(enforce_csrf_checks=True).post(
        f"{API}/people", {"name": "撤销", "id_number": make_id()}, content_type=JSON, headers=good)
    assert_error(revoked_post, 401, "not_authenticated")
    assert Person.objects.count() == count

    expired, raw2 = account_services.token_create(user=user, name="old")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_error(Client().get(f"{API}/me", headers={"authorization": f"Bearer {raw2}"}), 401)


def test_token_of_a_deactivated_user_stops_working(world):
    user = world.user["village"]
    client = bearer(user)
    assert client.get(f"{API}/me").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_error(client.get(f"{API}/me"), 401)


# --- Session authentication and CSRF ---------------------------------------------------------------

def _session_client(user) -> Client:
    """Log in through the real form with CSRF enforced, as a browser would."""
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    r = client.post("/accounts/login/", {"username": user.phone, "password": PASSWORD,
                                         "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert r.status_code == 302
    return client


def test_session_can_read_but_unsafe_methods_need_the_csrf_token(world):
    client = _session_client(world.user["qy_org"])
    assert client.get(f"{API}/me").json()["phone"] == world.user["qy_org"].phone
    assert client.get(f"{API}/people").status_code == 200

    count = Person.objects.count()
    body = {"name": "会话甲", "id_number": make_id(), "home_division_code": world.div["taihang"].code}
    assert_error(client.post(f"{API}/people", body, content_type=JSON), 403)
    driver = world.person["driver"]
    assert_error(client.patch(f"{API}/people/{driver.pk}", {"name": "改"}, content_type=JSON), 403)
    assert_error(client.delete(f"{API}/people/{driver.pk}"), 403)
    wrong = client.post(f"{API}/people", body, content_type=JSON, headers={"x-csrftoken": "x" * 64})
    assert_error(wrong, 403)
    assert Person.objects.count() == count
    driver.refresh_from_db()
    assert driver.name == "司机甲"

    csrf = {"x-csrftoken": client.cookies["csrftoken"].value}
    created = client.post(f"{API}/people", body, content_type=JSON, headers=csrf)
    assert created.status_code == 201
    patched = client.patch(f"{API}/people/{created.json()['id']}", {"name": "会话乙"}, content_type=JSON,
                           headers=csrf)
    assert patched.status_code == 200 and patched.json()["name"] == "会话乙"
    assert client.delete(f"{API}/people/{created.json()['id']}", headers=csrf).status_code == 204


def test_bearer_token_needs_no_csrf_token(world):
    client = bearer(world.user["qy_org"], enforce_csrf_checks=True)
    r = client.post(f"{API}/people", {"name": "令牌甲", "id_number": make_id()}, content_type=JSON)
    assert r.status_code == 201


def test_session_after_logout_is_401(world):
    client = _session_client(world.user["qy_org"])
    client.post("/accounts/logout/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert_error(client.get(f"{API}/me"), 401)


# --- Validation: the one error shape, never a 500 ----------------------------------------------------

@pytest.mark.parametrize(("body", "field"), [
    ({"name": "张三"}, "id_number"),                                          # missing field
    ({"id_number": "410882199001010011"}, "name"),                           # missing field
    ({"name": 123, "id_number": "410882199001010011"}, "name"),              # wrong type
    ({"name": "张三", "id_number": 410882199001010011}, "id_number"),        # wrong type
    ({"name": "张三", "id_number": "4", "employer_id": "abc"}, "employer_id"),  # wrong type
    ({"name": "张三", "id_number": "4", "political_status": "boss"}, "political_status"),  # bad enum
    ({"name": "张三", "id_number": "4", "occupation": ""}, "occupation"),    # bad enum
    ({"name": "张" * 51, "id_number": "410882199001010011"}, "name"),       # too long
    ({"name": "张三", "id_number": "4" * 19}, "id_number"),                  # too long
    ({"name": "张三", "id_number": "4", "phone": "1" * 21}, "phone"),        # too long
    ({"name": "", "id_number": "410882199001010011"}, "name"),               # too short
    ([], "name"),                                                             # not an object
])
def test_person_body_not_matching_the_schema_is_400_with_field_errors(world, body, field):
    client = bearer(world.user["qy_org"])
    count = Person.objects.count()
    r = client.post(f"{API}/people", json.dumps(body), content_type=JSON)
    error = assert_error(r, 400, "validation_error")
    assert field in field_names(error)
    assert Person.objects.count() == count


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "新支部", "division_code": "410882003000"}, "kind"),
    ({"name": "新支部", "kind": "castle", "division_code": "410882003000"}, "kind"),
    ({"name": "新支部", "kind": "branch", "industry": "mining", "division_code": "410882003000"}, "industry"),
    ({"name": "新支部", "kind": "branch", "division_code": "4108"}, "division_code"),
    ({"name": "新" * 121, "kind": "branch", "division_code": "410882003000"}, "name"),
    ({"name": "新支部", "kind": "branch", "division_code": "410882003000", "address": "址" * 201}, "address"),
    ({"name": "新支部", "kind": "branch", "division_code": "410882003000", "parent_id": "x"}, "parent_id"),
    ({"name": "新支部", "kind": "branch", "division_code": "410882003000", "is_active": "?"}, "is_active"),
])
def test_organisation_body_not_matching_the_schema_is_400(world, body, field):
    client = bearer(world.user["qy_org"])
    count = Organisation.objects.count()
    r = client.post(f"{API}/organisations", body, content_type=JSON)
    assert field in field_names(assert_error(r, 400, "validation_error"))
    assert Organisation.objects.count() == count


@pytest.mark.parametrize("raw", [b"not json", b'{"name": "x",', b"\xff\xfe", b"name=x&id_number=1"])
def test_body_that_is_not_json_is_400_in_the_error_shape(world, raw):
    client = bearer(world.user["qy_org"])
    error = assert_error(client.post(f"{API}/people", raw, content_type=JSON), 400, "invalid_json")
    assert field_names(error) == ["body"]
    person = world.person["driver"]
    assert_error(client.patch(f"{API}/people/{person.pk}", raw, content_type=JSON), 400, "invalid_json")


def test_patch_with_wrong_types_is_400_and_changes_nothing(world):
    client = bearer(world.user["qy_org"])
    person = world.person["driver"]
    error = assert_error(client.patch(f"{API}/people/{person.pk}", {"political_status": "boss", "name": 5},
                                      content_type=JSON), 400, "validation_error")
    assert {"political_status", "name"} <= set(field_names(error))
    org = world.org["s1"]
    assert_error(client.patch(f"{API}/organisations/{org.pk}", {"is_active": [1]}, content_type=JSON), 400)
    person.refresh_from_db()
    assert person.name == "司机甲" and person.political_status == "member"


@pytest.mark.parametrize(("query", "field"), [
    ("employer_id=abc", "employer_id"), ("political_status=boss", "political_status"),
    ("occupation=pilot", "occupation"), ("page=abc", "page"), ("page=0", "page"),
    ("page_size=0", "page_size"),
])
def test_bad_query_parameters_are_400(world, query, field):
    error = assert_error(bearer(world.user["qy_org"]).get(f"{API}/people?{query}"), 400, "validation_error")
    assert field in field_names(error)


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("get", "/people?q=a%00b", None, "q"),
    ("get", "/organisations?q=%00", None, "q"),
    ("get", "/divisions?q=x%00", None, "q"),
    ("get", "/divisions/410882%00", None, "code"),
    ("get", "/audit?object_id=1%00", None, "object_id"),
    ("post", "/people", {"name": "甲\x00", "id_number": "11010519491231002X"}, "name"),
    ("post", "/organisations", {"name": "支部", "kind": "branch", "division_code": "410882003000",
                                "address": "\x00"}, "address"),
    ("patch", "/people/{driver}", {"name": "甲\x00乙"}, "name"),
    ("post", "/auth/token", {"phone": "137\x00", "password": "x"}, "phone"),
])
def test_nul_characters_are_a_400_not_a_database_error(world, method, path, body, field):
    # PostgreSQL can neither store nor compare text with NUL: refused before any query.
    client = bearer(world.user["admin"])
    url = API + path.format(driver=world.person["driver"].pk)
    kwargs = {"data": body, "content_type": JSON} if body is not None else {}
    error = assert_error(getattr(client, method)(url, **kwargs), 400, "validation_error")
    assert field_names(error) == [field]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", f"/people?employer_id={10**30}", None),
    ("get", f"/organisations?parent_id={-10**30}", None),
    ("get", f"/divisions?level={10**30}", None),
    ("get", f"/people/{10**30}", None),
    ("delete", f"/organisations/{10**30}", None),
    ("post", "/people", {"name": "大数", "id_number": make_id(), "employer_id": 10**30}),
    ("patch", "/organisations/{org}", {"parent_id": -(10**30)}),
])
def test_out_of_range_integers_are_not_a_server_error(world, method, path, body):
    client = bearer(world.user["admin"])
    url = API + path.format(org=world.org["s1"].pk)
    kwargs = {"data": body, "content_type": JSON} if body is not None else {}
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code in (200, 400, 404)


# --- Domain errors: Chinese message and the API's field name -------------------------------------------

def _person_error(client, field: str, **body) -> dict:
    body.setdefault("name", "校验")
    count = Person.objects.count()
    error = assert_error(client.post(f"{API}/people", body, content_type=JSON), 400, "invalid")
    assert field_names(error) == [field]
    assert error["message"] == error["fields"][0]["message"]
    assert Person.objects.count() == count
    return error


def test_id_number_domain_errors_are_400_with_chinese_message(world):
    client = bearer(world.user["qy_org"])
    good = idcard.make("410882", dt.date(1991, 3, 4), 123)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    assert "校验位" in _person_error(client, "id_number", id_number=bad_check)["message"]
    feb30 = id_with("41088219910230123")
    assert "出生日期不存在" in _person_error(client, "id_number", id_number=feb30)["message"]
    future = dt.date.today() + dt.timedelta(days=400)
    assert "不合理" in _person_error(client, "id_number",
                                   id_number=id_with(f"410882{future:%Y%m%d}123"))["message"]
    assert "18位" in _person_error(client, "id_number", id_number="4108821991")["message"]
    assert "格式" in _person_error(client, "id_number", id_number="41088219910304A23X")["message"]
    dup = world.person["rider"].id_number
    assert "已登记" in _person_error(client, "id_number", id_number=dup.lower())["message"]
    assert "手机号码" in _person_error(client, "phone", id_number=good, phone="12345")["message"]


def test_duplicate_id_number_on_patch_is_400(world):
    client = bearer(world.user["qy_org"])
    driver, rider = world.person["driver"], world.person["rider"]
    error = assert_error(client.patch(f"{API}/people/{driver.pk}", {"id_number": rider.id_number},
                                      content_type=JSON), 400, "invalid")
    assert field_names(error) == ["id_number"] and "已登记" in error["message"]


def test_references_that_do_not_exist_or_are_out_of_scope_are_field_errors(world):
    client = bearer(world.user["qy_org"])
    good = make_id()
    _person_error(client, "home_division_code", id_number=good, home_division_code="999999999999")
    # 中马村 is in 山阳区, outside 沁阳市's scope: refused the same way as a missing one.
    _person_error(client, "home_division_code", id_number=good, home_division_code=world.div["zhongma"].code)
    _person_error(client, "employer_id", id_number=good, employer_id=world.org["zhongma"].pk)
    _person_error(client, "employer_id", id_number=good, employer_id=10**12)
    count = Organisation.objects.count()
    r = client.post(f"{API}/organisations", {"name": "新支部", "kind": "branch",
                                               "division_code": "999999999999"}, content_type=JSON)
    assert field_names(assert_error(r, 400, "invalid")) == ["division_code"]
    r = client.post(f"{API}/organisations", {"name": "新支部", "kind": "branch",
                                               "parent_id": world.org["sy"].pk,
                                               "division_code": world.div["taihang"].code}, content_type=JSON)
    assert field_names(assert_error(r, 400, "invalid")) == ["parent_id"]
    assert Organisation.objects.count() == count


def test_division_not_fitting_the_parent_is_400_on_division_code(world):
    client = bearer(world.user["qy_org"])
    count = Organisation.objects.count()
    # 覃怀街道 is not inside 太行街道, the division of the parent 太行街道党工委.
    r = client.post(f"{API}/organisations", {"name": "错位支部", "kind": "branch",
                                               "parent_id": world.org["taihang"].pk,
                                               "division_code": world.div["qinhuai"].code}, content_type=JSON)
    error = assert_error(r, 400, "invalid")
    assert field_names(error) == ["division_code"]
    assert "所在区划" in error["message"] and "太行街道" in error["message"]
    assert Organisation.objects.count() == count
    # The same on a patch, and a parent below the organisation itself is refused on parent_id.
    branch = world.org["luozhuang"]
    r = client.patch(f"{API}/organisations/{branch.pk}", {"division_code": world.div["qinhuai"].code},
                     content_type=JSON)
    assert field_names(assert_error(r, 400, "invalid")) == ["division_code"]
    r = client.patch(f"{API}/organisations/{world.org['e1'].pk}", {"parent_id": world.org["s1"].pk},
                     content_type=JSON)
    assert field_names(assert_error(r, 400, "invalid")) == ["parent_id"]


def test_refused_deletes_are_400_with_a_reason(world):
    client = bearer(world.user["admin"])
    error = assert_error(client.delete(f"{API}/organisations/{world.org['qy'].pk}"), 400, "invalid")
    assert "下级组织" in error["message"]
    error = assert_error(client.delete(f"{API}/people/{world.person['worker'].pk}"), 400, "invalid")
    assert "登录账号" in error["message"]
    assert Organisation.objects.filter(pk=world.org["qy"].pk).exists()


def test_roles_without_the_module_get_403_and_out_of_scope_objects_404(world):
    town = bearer(world.user["town"])
    assert_error(town.get(f"{API}/audit"), 403, "forbidden")
    new_org = {"name": "x", "kind": "branch", "division_code": "410882003000"}
    assert_error(town.post(f"{API}/organisations", new_org, content_type=JSON), 403, "forbidden")
    assert_error(town.get(f"{API}/people/{world.person['villager'].pk}"), 404, "not_found")
    assert_error(town.delete(f"{API}/people/{world.person['villager'].pk}"), 404, "not_found")
    assert_error(town.get(f"{API}/people/{10**12}"), 404, "not_found")
    assert Person.objects.filter(pk=world.person["villager"].pk).exists()


# --- Pagination ----------------------------------------------------------------------------------------

def test_page_and_page_size(world):
    client = bearer(world.user["admin"])
    total = Organisation.objects.count()
    first = client.get(f"{API}/organisations", {"page_size": 5}).json()
    assert first["count"] == total and first["page"] == 1 and first["page_size"] == 5
    assert first["pages"] == -(-total // 5) and len(first["items"]) == 5
    second = client.get(f"{API}/organisations", {"page_size": 5, "page": 2}).json()
    assert second["count"] == total and second["page"] == 2
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    last = client.get(f"{API}/organisations", {"page_size": 5, "page": first["pages"]}).json()
    assert len(last["items"]) == total - 5 * (first["pages"] - 1)
    everything = client.get(f"{API}/organisations", {"page_size": 200}).json()
    assert len(everything["items"]) == total and everything["pages"] == 1
    assert {i["id"] for i in everything["items"]} == set(Organisation.objects.values_list("id", flat=True))
    # A page past the end answers the last page.
    beyond = client.get(f"{API}/organisations", {"page_size": 5, "page": 999}).json()
    assert beyond["page"] == first["pages"] and beyond["items"] == last["items"]
    # Defaults.
    default = client.get(f"{API}/people").json()
    assert default["page"] == 1 and default["page_size"] == 50 and default["count"] == Person.objects.count()


def test_count_is_the_total_within_scope(world):
    client = bearer(world.user["station"])
    page = client.get(f"{API}/people", {"page_size": 1}).json()
    assert page["count"] == 2 and len(page["items"]) == 1 and page["pages"] == 2


@pytest.mark.parametrize("path", ["/people", "/organisations", "/divisions", "/audit"])
def test_page_size_over_200_is_400(world, path):
    client = bearer(world.user["admin"])
    error = assert_error(client.get(f"{API}{path}", {"page_size": 201}), 400, "validation_error")
    assert field_names(error) == ["page_size"]
    assert client.get(f"{API}{path}", {"page_size": 200}).status_code == 200


# --- Writes and the audit trail --------------------------------------------------------------------------

def _audit(client, model: str, pk) -> list[dict]:
    r = client.get(f"{API}/audit", {"object_type": model, "object_id": pk, "page_size": 200})
    assert r.status_code == 200
    return r.json()["items"]


def test_person_create_patch_delete_are_audited_with_masked_id_numbers(world):
    user = world.user["qy_org"]
    client = bearer(user)
    number, number2 = make_id("410882", 1985), make_id("410882", 1986)
    phone, phone2 = "13912345678", "13987654321"
    r = client.post(f"{API}/people", {"name": "审计甲", "id_number": number, "phone": phone, "occupation": "courier",
                                       "home_division_code": world.div["taihang"].code}, content_type=JSON)
    assert r.status_code == 201
    created = r.json()
    pk = created["id"]
    assert created["id_number"] == number and created["home_division_code"] == world.div["taihang"].code
    assert created["birth_date"] == idcard.parse(number).birth_date.isoformat()
    assert client.get(f"{API}/people/{pk}").json() == created

    r = client.patch(f"{API}/people/{pk}", {"phone": phone2, "political_status": "league"}, content_type=JSON)
    assert r.status_code == 200 and r.json()["political_status"] == "league" and r.json()["phone"] == phone2
    r = client.patch(f"{API}/people/{pk}", {"id_number": number2}, content_type=JSON)
    assert r.status_code == 200 and r.json()["id_number"] == number2
    r = client.delete(f"{API}/people/{pk}")
    assert r.status_code == 204 and r.content == b""
    assert_error(client.get(f"{API}/people/{pk}"), 404)
    assert not Person.objects.filter(pk=pk).exists()

    response = client.get(f"{API}/audit", {"object_type": "people.person", "object_id": pk})
    text = response.content.decode()
    for secret in (number, number2, phone, phone2, number[6:14], number2[6:14]):
        assert secret not in text
    entries = response.json()["items"]
    assert [e["action"] for e in entries] == ["people.person.deleted", "people.person.updated",
                                              "people.person.updated", "people.person.created"]
    deleted, id_changed, updated, create = entries
    assert [e["action_label"] for e in entries] == ["删除人员", "修改人员", "修改人员", "新增人员"]
    assert all(e["source"] == "api" and e["object_type"] == "people.person" and e["object_id"] == str(pk)
               for e in entries)
    assert all(user.name in e["actor_label"] and user.phone not in e["actor_label"] for e in entries)
    assert create["changes"]["name"] == [None, "审计甲"]
    assert create["changes"]["id_number"] == [None, masked_id(number)]
    assert create["changes"]["phone"] == [None, masked_phone(phone)]
    assert create["changes"]["occupation"] == [None, "courier"]
    assert updated["changes"] == {"phone": [masked_phone(phone), masked_phone(phone2)],
                                  "political_status": ["masses", "league"]}
    assert id_changed["changes"]["id_number"] == [masked_id(number), masked_id(number2)]
    assert deleted["changes"]["name"] == ["审计甲", None]
    assert deleted["changes"]["id_number"] == [masked_id(number2), None]
    # The superuser's view of the trail is masked the same way.
    admin_text = bearer(world.user["admin"]).get(f"{API}/audit", {"page_size": 200}).content.decode()
    assert number not in admin_text and number2 not in admin_text and masked_id(number) in admin_text


def test_organisation_create_patch_delete_are_audited(world):
    client = bearer(world.user["qy_org"])
    parent = world.org["taihang"]
    r = client.post(f"{API}/organisations", {"name": "罗庄第二支部", "kind": "branch", "parent_id": parent.pk,
                                               "division_code": world.div["luozhuang"].code,
                                               "contact_phone": "0391-1234567"}, content_type=JSON)
    assert r.status_code == 201
    org = r.json()
    assert org["parent_id"] == parent.pk and org["division_code"] == world.div["luozhuang"].code
    assert org["kind"] == "branch" and org["kind_label"] == "党支部" and org["is_active"] is True
    pk = org["id"]
    r = client.patch(f"{API}/organisations/{pk}", {"name": "罗庄第三支部", "is_active": False},
                     content_type=JSON)
    assert r.status_code == 200 and r.json()["name"] == "罗庄第三支部" and r.json()["is_active"] is False
    assert client.get(f"{API}/organisations/{pk}").json()["name"] == "罗庄第三支部"
    assert client.delete(f"{API}/organisations/{pk}").status_code == 204
    assert_error(client.get(f"{API}/organisations/{pk}"), 404)

    entries = _audit(client, "orgs.organisation", pk)
    assert [e["action"] for e in entries] == ["orgs.organisation.deleted", "orgs.organisation.updated",
                                              "orgs.organisation.created"]
    deleted, updated, created = entries
    assert created["changes"]["name"] == [None, "罗庄第二支部"]
    assert created["changes"]["parent"] == [None, f"{parent.name} (#{parent.pk})"]
    assert updated["changes"] == {"name": ["罗庄第二支部", "罗庄第三支部"], "is_active": [True, False]}
    assert deleted["changes"]["name"] == ["罗庄第三支部", None]
    assert all(e["source"] == "api" for e in entries)
    # The audit filters: by action, and the list is newest first.
    by_action = client.get(f"{API}/audit", {"action": "orgs.organisation.updated"}).json()
    assert [e["object_id"] for e in by_action["items"]] == [str(pk)]
    everything = client.get(f"{API}/audit", {"page_size": 200}).json()["items"]
    assert [e["at"] for e in everything] == sorted((e["at"] for e in everything), reverse=True)


def test_audit_trail_of_one_district_is_not_shown_to_another(world):
    client = bearer(world.user["qy_org"])
    r = client.post(f"{API}/people", {"name": "范围甲", "id_number": make_id(),
                                       "home_division_code": world.div["taihang"].code}, content_type=JSON)
    pk = r.json()["id"]
    assert len(_audit(client, "people.person", pk)) == 1
    assert _audit(bearer(world.user["sy_org"]), "people.person", pk) == []


# --- Masking -------------------------------------------------------------------------------------------

ID_MASK = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")
PHONE_MASK = re.compile(r"^1\d{2}\*{4}\d{4}$")


def test_roles_without_sensitive_rights_get_masked_values(world):
    driver = world.person["driver"]
    town = bearer(world.user["town"])
    one = town.get(f"{API}/people/{driver.pk}").json()
    assert ID_MASK.match(one["id_number"]) and one["id_number"] == masked_id(driver.id_number)
    assert PHONE_MASK.match(one["phone"]) and one["phone"] == masked_phone(driver.phone)
    listed = town.get(f"{API}/people").json()["items"]
    assert [p["id_number"] for p in listed] == [masked_id(driver.id_number)]
    text = town.get(f"{API}/people").content.decode()
    assert driver.id_number not in text and driver.phone not in text

    # A masked role's own write answers masked too.
    number = make_id("410882", 1979)
    r = town.post(f"{API}/people", {"name": "镇登记", "id_number": number, "phone": "13811112222",
                                     "home_division_code": world.div["luozhuang"].code}, content_type=JSON)
    assert r.status_code == 201
    assert r.json()["id_number"] == masked_id(number) and r.json()["phone"] == "138****2222"


def test_roles_with_sensitive_rights_get_full_values(world):
    driver = world.person["driver"]
    for key in ("qy_org", "admin", "station"):
        client = bearer(world.user[key])
        person = world.person["driver" if key != "station" else "rider"]
        one = client.get(f"{API}/people/{person.pk}").json()
        assert one["id_number"] == person.id_number and one["phone"] == person.phone, key
    assert driver.id_number[:6] == "410882"


def test_search_by_the_exact_id_number_or_phone_but_not_a_fragment(world):
    driver = world.person["driver"]
    for key in ("qy_org", "town"):
        client = bearer(world.user[key])

        def names(q):
            r = client.get(f"{API}/people", {"q": q})
            assert r.status_code == 200
            return [p["name"] for p in r.json()["items"]]

        assert names(driver.id_number) == ["司机甲"], key
        assert names(f" {driver.id_number.lower()} ") == ["司机甲"]
        assert names(driver.phone) == ["司机甲"]
        number = driver.id_number
        for fragment in (number[:17], number[:14], number[-8:], number[6:14], masked_id(number),
                         driver.phone[:7], driver.phone[-4:]):
            assert names(fragment) == [], fragment
        assert names("司机") == ["司机甲"]


def test_unknown_api_paths_and_bad_csrf_answer_in_the_error_shape(world, login):
    from django.test import Client

    client = login(world.user["qy_org"])
    r = client.get("/api/v1/people/abc")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.user["qy_org"])
    r = strict.post("/api/v1/people", {"name": "甲"}, content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
