"""The instructors API: OpenAPI, registration, assignments, visits (JSON and multipart), errors, scope."""

import datetime as dt

import pytest
from django.test import Client

from ningju.accounts.models import ScopeGrant, User
from ningju.core.models import AuditEntry
from ningju.coverage.models import UnitCoverage
from ningju.instructors.models import Assignment, Instructor, Visit
from ningju.testing.api import API, JSON, bearer

from .helpers import assign, instructor_login, is_png_bytes_picture, png, register, text_as_jpg

pytestmark = pytest.mark.django_db


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def _fields(error) -> dict:
    return {f["field"]: f["message"] for f in error["fields"]}


def test_openapi_describes_the_endpoints(world):
    paths = Client().get(f"{API}/openapi.json").json()["paths"]
    assert set(paths[f"{API}/instructors"]) >= {"get", "post"}
    assert set(paths[f"{API}/instructors/{{instructor_id}}"]) >= {"get", "patch"}
    assert "post" in paths[f"{API}/instructors/{{instructor_id}}/assignments"]
    assert "post" in paths[f"{API}/assignments/{{assignment_id}}/end"]
    assert set(paths[f"{API}/visits"]) >= {"get", "post"}
    upload = paths[f"{API}/visits/upload"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    assert "get" in paths[f"{API}/visits/{{visit_id}}/photo"]


def test_register_assign_visit_end_through_the_api(world):
    staff = bearer(world.user["qy_org"])
    created = staff.post(f"{API}/instructors", {"name": "赵指导", "phone": "13922223333", "title": "组织员",
                                                "create_account": True, "password": "Zhidao#2026x"},
                         content_type=JSON)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["appointed_by_id"] == world.org["qy_org"].pk  # the caller's organisation by default
    assert body["phone"] == "13922223333" and body["active"] and body["assignments"] == []
    instructor = Instructor.objects.get(pk=body["id"])
    account = instructor.user
    assert body["user_id"] == account.pk and account.role == "instructor"
    assert AuditEntry.objects.get(action="instructors.instructor.created").source == "api"

    r = staff.post(f"{API}/instructors/{instructor.pk}/assignments",
                   {"organisation_id": world.org["s2"].pk, "assigned_on": "2026-01-05"}, content_type=JSON)
    assert r.status_code == 201, r.content
    assignment_id = r.json()["id"]
    assert r.json()["active"] and r.json()["organisation_name"] == "外卖覃怀站"
    assert UnitCoverage.objects.get(organisation=world.org["s2"]).covered
    assert ScopeGrant.objects.get(user=account, organisation=world.org["s2"]).active

    # The instructor records visits with their own token: JSON without a photo, multipart with one.
    own = bearer(User.objects.get(pk=account.pk))
    r = own.post(f"{API}/visits", {"organisation_id": world.org["s2"].pk, "visited_on": "2026-01-10",
                                   "notes": "走访站点"}, content_type=JSON)
    assert r.status_code == 201, r.content
    assert r.json()["instructor_id"] == instructor.pk and not r.json()["has_photo"] and r.json()["photo_url"] is None
    r = own.post(f"{API}/visits/upload", {"organisation_id": world.org["s2"].pk, "visited_on": "2026-01-11",
                                          "notes": "带照片", "photo": png()})
    assert r.status_code == 201, r.content
    photo_url = r.json()["photo_url"]
    assert r.json()["has_photo"] and photo_url == f"{API}/visits/{r.json()['id']}/photo"
    photo = own.get(photo_url)
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert is_png_bytes_picture(b"".join(photo.streaming_content))
    assert bearer(world.user["sy_org"]).get(photo_url).status_code == 404

    listed = staff.get(f"{API}/visits?instructor_id={instructor.pk}").json()
    assert [v["notes"] for v in listed["items"]] == ["带照片", "走访站点"]
    detail = staff.get(f"{API}/instructors/{instructor.pk}").json()
    assert detail["last_visit_on"] == "2026-01-11" and detail["active_assignments"] == 1
    assert [a["id"] for a in detail["assignments"]] == [assignment_id]

    r = staff.post(f"{API}/assignments/{assignment_id}/end", {"ended_on": "2026-02-01"}, content_type=JSON)
    assert r.status_code == 200 and r.json()["ended_on"] == "2026-02-01" and not r.json()["active"]
    assert not UnitCoverage.objects.get(organisation=world.org["s2"]).covered
    assert not ScopeGrant.objects.get(user=account, organisation=world.org["s2"]).active
    r = staff.post(f"{API}/assignments/{assignment_id}/end", {}, content_type=JSON)
    assert _error(r, 400)["message"] == "该选派已结束"


def test_patch_edits_and_deactivates(world):
    instructor = register(world, phone="13944445555")
    assign(world, instructor, "s1")
    assign(world, instructor, "s2")
    staff = bearer(world.user["qy_org"])
    r = staff.patch(f"{API}/instructors/{instructor.pk}", {"title": "副书记", "phone": None}, content_type=JSON)
    assert r.status_code == 200 and r.json()["title"] == "副书记" and r.json()["phone"] == ""
    r = staff.patch(f"{API}/instructors/{instructor.pk}", {"active": False}, content_type=JSON)
    assert r.status_code == 200 and not r.json()["active"] and r.json()["active_assignments"] == 0
    assert not Assignment.objects.filter(ended_on__isnull=True).exists()
    assert not UnitCoverage.objects.get(organisation=world.org["s1"]).covered
    r = staff.patch(f"{API}/instructors/{instructor.pk}", {"active": True}, content_type=JSON)
    assert r.json()["active"]


def test_patch_is_all_or_nothing(world):
    instructor = register(world)
    assign(world, instructor, "s2")
    staff = bearer(world.user["qy_org"])
    r = staff.patch(f"{API}/instructors/{instructor.pk}", {"title": "新职务", "active": False,
                                                           "appointed_by_id": world.org["sy_org"].pk},
                    content_type=JSON)
    error = _error(r, 400)
    assert _fields(error) == {"appointed_by_id": "选派单位不存在或不在管辖范围内"}
    instructor.refresh_from_db()
    assert instructor.title == "" and instructor.active


@pytest.mark.parametrize(("payload", "field", "message"), [
    ({"name": ""}, "name", None),
    ({"name": "孙", "phone": "123"}, "phone", "手机号码应为11位,以1开头"),
    ({"name": "孙", "create_account": True, "password": "Zhidao#2026x"}, "phone",
     "创建登录账号需要填写手机号(作为登录名)"),
    ({"name": "孙", "phone": "13700000001", "create_account": True, "password": "Zhidao#2026x"}, "phone",
     "该手机号已注册"),
    ({"name": "孙", "appointed_by_id": 999999}, "appointed_by_id", "选派单位不存在或不在管辖范围内"),
    ({"name": "孙", "user_id": 999999}, "user_id", "登录账号不存在或不在管辖范围内"),
    ({"name": "孙\x00"}, "name", None),  # PostgreSQL cannot store NUL: refused, never a 500
])
def test_bad_registration_is_400_with_fields(world, payload, field, message):
    users = User.objects.count()
    r = bearer(world.user["qy_org"]).post(f"{API}/instructors", payload, content_type=JSON)
    fields = _fields(_error(r, 400))
    assert field in fields
    if message:
        assert fields[field] == message
    assert not Instructor.objects.exists() and User.objects.count() == users


def test_linking_a_non_instructor_login_is_refused(world):
    r = bearer(world.user["qy_org"]).post(f"{API}/instructors", {"name": "孙", "user_id": world.user["town"].pk},
                                          content_type=JSON)
    assert _fields(_error(r, 400)) == {"user_id": "只能关联角色为“党建指导员”的账号"}


def test_assignment_errors(world):
    instructor = register(world)
    staff = bearer(world.user["qy_org"])
    url = f"{API}/instructors/{instructor.pk}/assignments"
    r = staff.post(url, {"organisation_id": world.org["zhongma"].pk}, content_type=JSON)
    assert _fields(_error(r, 400)) == {"organisation_id": "企业/站点不存在或不在管辖范围内"}
    r = staff.post(url, {"organisation_id": world.org["transport"].pk}, content_type=JSON)
    assert _fields(_error(r, 400)) == {"organisation_id": "请选择管辖范围内的平台企业或站点"}
    r = staff.post(url, {"organisation_id": world.org["s2"].pk, "assigned_on": "2999-01-01"}, content_type=JSON)
    assert _fields(_error(r, 400)) == {"assigned_on": "选派日期不能晚于今天"}
    r = staff.post(url, {"organisation_id": "abc"}, content_type=JSON)
    assert _error(r, 400)["code"] == "validation_error"
    assert not Assignment.objects.exists()
    # Out of scope or missing: 404, and module permissions: 403.
    assert _error(bearer(world.user["sy_org"]).post(url, {"organisation_id": world.org["s2"].pk},
                                                    content_type=JSON), 404)["code"] == "not_found"
    assert _error(bearer(world.user["transport"]).post(url, {"organisation_id": world.org["s1"].pk},
                                                       content_type=JSON), 403)["code"] == "forbidden"
    assert _error(staff.post(f"{API}/assignments/999999/end", {}, content_type=JSON), 404)["code"] == "not_found"


def test_visit_errors_and_permissions(world):
    account = instructor_login(world)
    instructor = register(world, user=account)
    assign(world, instructor, "s2", assigned_on=dt.date(2026, 1, 5))
    own = bearer(account)
    s2 = world.org["s2"].pk

    r = own.post(f"{API}/visits", {"organisation_id": s2, "visited_on": "2999-01-01", "notes": "x"}, content_type=JSON)
    assert _fields(_error(r, 400)) == {"visited_on": "走访日期不能晚于今天"}
    r = own.post(f"{API}/visits", {"organisation_id": world.org["s1"].pk, "visited_on": "2026-01-10", "notes": "x"},
                 content_type=JSON)
    assert _fields(_error(r, 400)) == {"organisation_id": "企业/站点不存在或不在管辖范围内"}
    r = own.post(f"{API}/visits", {"organisation_id": s2, "visited_on": "2026-01-10", "notes": ""}, content_type=JSON)
    assert _error(r, 400)["code"] == "validation_error"
    r = own.post(f"{API}/visits/upload", {"organisation_id": s2, "visited_on": "2026-01-10", "notes": "x",
                                          "photo": text_as_jpg()})
    assert "JPEG、PNG或WebP" in _fields(_error(r, 400))["photo"]
    r = own.post(f"{API}/visits/upload", {"organisation_id": s2, "visited_on": "2026-01-10", "notes": "x"})
    assert _error(r, 400)["code"] == "validation_error"  # the multipart endpoint needs the photo

    # A colleague of the same department sees the instructor, but may not record for them: 403.
    colleague = instructor_login(world)
    register(world, name="同事", user=colleague)
    r = bearer(colleague).post(f"{API}/visits", {"instructor_id": instructor.pk, "organisation_id": s2,
                                                 "visited_on": "2026-01-10", "notes": "x"}, content_type=JSON)
    assert _error(r, 403)["code"] == "forbidden"
    # A colleague recording without naming an instructor records for themselves, and is not assigned to S2.
    r = bearer(colleague).post(f"{API}/visits", {"organisation_id": s2, "visited_on": "2026-01-10", "notes": "x"},
                               content_type=JSON)
    assert _error(r, 400)["fields"]
    # Staff must name the instructor.
    staff = bearer(world.user["qy_org"])
    r = staff.post(f"{API}/visits", {"organisation_id": s2, "visited_on": "2026-01-10", "notes": "x"},
                   content_type=JSON)
    assert _fields(_error(r, 400)) == {"instructor_id": "请指定指导员"}
    r = staff.post(f"{API}/visits", {"instructor_id": instructor.pk, "organisation_id": s2,
                                     "visited_on": "2026-01-10", "notes": "组织部代录"}, content_type=JSON)
    assert r.status_code == 201 and r.json()["created_by_name"] == world.user["qy_org"].name
    assert Visit.objects.count() == 1
    # Roles without the module: 403.
    assert _error(bearer(world.user["station"]).get(f"{API}/visits"), 403)["code"] == "forbidden"
    assert _error(bearer(world.user["station"]).get(f"{API}/instructors"), 403)["code"] == "forbidden"


def test_read_only_roles_cannot_write(world):
    instructor = register(world)
    assign(world, instructor, "s1")
    client = bearer(world.user["transport"])
    assert client.get(f"{API}/instructors/{instructor.pk}").status_code == 200
    assert _error(client.post(f"{API}/instructors", {"name": "x"}, content_type=JSON), 403)
    assert _error(client.patch(f"{API}/instructors/{instructor.pk}", {"name": "x"}, content_type=JSON), 403)
    instructor.refresh_from_db()
    assert instructor.name == "王指导"


def test_session_writes_need_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    client.post("/accounts/login/", {"username": world.user["qy_org"].phone, "password": world.password,
                                     "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    r = client.post(f"{API}/instructors", {"name": "无令牌"}, content_type=JSON)
    assert r.status_code == 403
    r = client.post(f"{API}/instructors", {"name": "有令牌"}, content_type=JSON,
                    headers={"x-csrftoken": client.cookies["csrftoken"].value})
    assert r.status_code == 201
    assert list(Instructor.objects.values_list("name", flat=True)) == ["有令牌"]


@pytest.mark.parametrize("query", ["appointed_by_id=99999999999999999999999", "appointed_by_id=0"])
def test_an_impossible_id_filter_is_a_field_error(world, query):
    # Larger than a database id: refused as bad input instead of reaching the driver (it overflowed on SQLite).
    error = _error(bearer(world.user["town"]).get(f"{API}/instructors?{query}"), 400)
    assert "appointed_by_id" in _fields(error)


def test_validation_messages_are_in_chinese(world):
    client = bearer(world.user["town"])
    assert _fields(_error(client.get(f"{API}/instructors?appointed_by_id=0"), 400)) == {"appointed_by_id": "不能小于1"}
    assert _fields(_error(client.get(f"{API}/instructors?active=maybe"), 400)) == {"active": "应为 true 或 false"}
