"""Registering instructors: who may, the login that comes with it, the audit trail, masking and refusals."""

import pytest
from django.db import connection

from ningju.accounts.models import User
from ningju.core.models import AuditEntry
from ningju.instructors.models import Instructor

from .helpers import PASSWORD, assign, instructor_login, register

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Zhidao#2026x"


def _form(world, **overrides):
    data = {"name": "李指导", "phone": "13911112222", "title": "组织科科长", "appointed_by": world.org["qy_org"].pk,
            "account": "none", "password": "", "existing_user": ""}
    data.update(overrides)
    return data


def test_department_registers_instructor_with_new_login(world, login):
    client = login(world.user["qy_org"])
    form = client.get("/instructors/new/").content.decode()
    assert "登记党建指导员" in form
    # The appointing organisation defaults to the user's own.
    assert f'<option value="{world.org["qy_org"].pk}" selected>' in form

    response = client.post("/instructors/new/", _form(world, account="create", password=NEW_PASSWORD))
    assert response.status_code == 302
    instructor = Instructor.objects.get(name="李指导")
    assert response["Location"] == f"/instructors/{instructor.pk}/"
    assert instructor.phone == "13911112222" and instructor.appointed_by == world.org["qy_org"] and instructor.active

    account = instructor.user
    assert account.role == "instructor" and account.organisation == world.org["qy_org"]
    assert account.phone == "13911112222"
    # The new instructor can log in with the phone number and lands on their own page.
    page = login(account, NEW_PASSWORD).get("/instructors/").content.decode()
    assert "我指导的企业和站点" in page and "目前没有被选派指导的企业或站点" in page

    entry = AuditEntry.objects.get(action="instructors.instructor.created", object_id=str(instructor.pk))
    assert entry.actor == world.user["qy_org"]
    assert entry.changes["name"] == [None, "李指导"]
    assert entry.changes["phone"] == [None, "139****2222"]  # masked in the trail
    assert entry.org_path == world.org["qy_org"].path
    assert AuditEntry.objects.filter(action="accounts.user.created", object_id=str(account.pk)).exists()


def test_phone_is_encrypted_at_rest(world):
    register(world, phone="13933334444")
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM instructors_instructor")
        stored = cur.fetchone()[0]
    assert "13933334444" not in stored and "3333" not in stored
    assert Instructor.objects.get().phone == "13933334444"


def test_link_existing_instructor_login(world, login):
    client = login(world.user["qy_org"])
    existing = world.user["instructor"]
    form = client.get("/instructors/new/").content.decode()
    assert existing.name in form  # offered in the list of linkable logins
    response = client.post("/instructors/new/", _form(world, account="link", existing_user=existing.pk))
    assert response.status_code == 302
    assert Instructor.objects.get(name="李指导").user == existing
    # Once linked, it is not offered again, and linking it twice is refused.
    assert existing.name not in client.get("/instructors/new/").content.decode()
    with pytest.raises(Exception, match="已关联其他指导员"):
        register(world, name="另一人", user=existing)


@pytest.mark.parametrize(("overrides", "field_message"), [
    ({"name": ""}, "这个字段是必填项"),
    ({"phone": "12345"}, "手机号码应为11位"),
    ({"account": "create", "phone": "", "password": NEW_PASSWORD}, "开通登录账号需要填写手机号"),
    ({"account": "create", "password": ""}, "请设置初始密码"),
    ({"account": "create", "password": "12345678"}, "密码只包含数字"),  # the password policy
    ({"account": "create", "phone": "13700000001", "password": NEW_PASSWORD}, "该手机号已注册"),
    ({"account": "link", "existing_user": ""}, "请选择要关联的账号"),
])
def test_bad_registration_is_refused_and_changes_nothing(world, login, overrides, field_message):
    client = login(world.user["qy_org"])
    users_before = User.objects.count()
    audit_before = AuditEntry.objects.count()
    response = client.post("/instructors/new/", _form(world, **overrides))
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert not Instructor.objects.exists()
    assert User.objects.count() == users_before
    assert AuditEntry.objects.count() == audit_before


def test_appointing_organisation_must_be_in_scope(world, login):
    client = login(world.user["qy_org"])
    response = client.post("/instructors/new/", _form(world, appointed_by=world.org["sy_org"].pk))
    assert response.status_code == 400
    assert "选择一个有效的选项" in response.content.decode()
    assert not Instructor.objects.exists()
    # The service refuses it as well (API and commands go through it).
    with pytest.raises(Exception, match="选派单位不存在或不在管辖范围内"):
        register(world, appointed_by="sy_org")


@pytest.mark.parametrize("role", ["transport", "town", "instructor"])
def test_only_organisation_departments_register(world, login, role):
    client = login(world.user[role])
    assert client.get("/instructors/").status_code == 200
    assert client.get("/instructors/new/").status_code == 403
    assert client.post("/instructors/new/", _form(world)).status_code == 403
    assert not Instructor.objects.exists()


@pytest.mark.parametrize("role", ["station", "village", "supervisor", "worker"])
def test_roles_without_the_module_get_403(world, login, role):
    instructor = register(world)
    client = login(world.user[role])
    assert client.get("/instructors/").status_code == 403
    assert client.get(f"/instructors/{instructor.pk}/").status_code == 403
    assert "/instructors/" not in client.get("/").content.decode()  # no navigation entry


def test_navigation_entry(world, login):
    home = login(world.user["qy_org"]).get("/").content.decode()
    assert 'href="/instructors/"' in home and "指导员" in home


def test_edit_is_audited_with_before_and_after(world, login):
    instructor = register(world, phone="13955556666", title="干事")
    client = login(world.user["qy_org"])
    form = client.get(f"/instructors/{instructor.pk}/edit/").content.decode()
    assert "13955556666" in form  # the department sees and edits the full phone
    response = client.post(f"/instructors/{instructor.pk}/edit/", {
        "name": "王指导", "phone": "13955557777", "title": "副科长", "appointed_by": world.org["qy_org"].pk,
        "account": "none"})
    assert response.status_code == 302
    instructor.refresh_from_db()
    assert instructor.title == "副科长" and instructor.phone == "13955557777"
    entry = AuditEntry.objects.get(action="instructors.instructor.updated", object_id=str(instructor.pk))
    assert entry.changes == {"phone": ["139****6666", "139****7777"], "title": ["干事", "副科长"]}


def test_phone_is_masked_for_roles_without_sensitive_access(world, login):
    account = instructor_login(world, phone="13966667777")
    instructor = register(world, phone="13966667777", user=account)
    assign(world, instructor, "s1")
    assert "13966667777" in login(world.user["qy_org"]).get(f"/instructors/{instructor.pk}/").content.decode()
    # The industry department oversees S1 and sees the instructor, phone masked.
    page = login(world.user["transport"]).get(f"/instructors/{instructor.pk}/").content.decode()
    assert "139****7777" in page and "13966667777" not in page
    listing = login(world.user["transport"]).get("/instructors/").content.decode()
    assert "139****7777" in listing and "13966667777" not in listing
    api = login(world.user["town"]).get(f"/api/v1/instructors/{instructor.pk}").json()
    assert api["phone"] == "139****7777"
    # The instructor sees their own number.
    assert "13966667777" in login(account, PASSWORD).get(f"/instructors/{instructor.pk}/").content.decode()


def test_deactivate_and_reactivate(world, login):
    instructor = register(world)
    assign(world, instructor, "s1")
    assign(world, instructor, "s2")
    client = login(world.user["qy_org"])
    confirm = client.get(f"/instructors/{instructor.pk}/deactivate/").content.decode()
    assert "全部 2 个在指导的选派" in confirm
    assert client.post(f"/instructors/{instructor.pk}/deactivate/", {"ended_on": "2000-01-01"}).status_code == 302
    instructor.refresh_from_db()
    assert not instructor.active
    # Each assignment ends on the leaving date, or on its own start date if it started later.
    assert all(a.ended_on == a.assigned_on for a in instructor.assignments.all())
    assert AuditEntry.objects.filter(action="instructors.instructor.deactivated").count() == 1
    assert AuditEntry.objects.filter(action="instructors.assignment.ended").count() == 2
    # A former instructor cannot be assigned ...
    assert client.get(f"/instructors/{instructor.pk}/assign/").status_code == 302
    with pytest.raises(Exception, match="已离岗"):
        assign(world, instructor, "s1")
    # ... until back on duty.
    assert client.post(f"/instructors/{instructor.pk}/reactivate/").status_code == 302
    instructor.refresh_from_db()
    assert instructor.active
    assert instructor.assignments.filter(ended_on__isnull=True).count() == 0
    assign(world, instructor, "s1")


def test_future_leaving_date_is_refused(world, login):
    instructor = register(world)
    client = login(world.user["qy_org"])
    response = client.post(f"/instructors/{instructor.pk}/deactivate/", {"ended_on": "2999-01-01"})
    assert response.status_code == 400 and "离岗日期不能晚于今天" in response.content.decode()
    instructor.refresh_from_db()
    assert instructor.active
