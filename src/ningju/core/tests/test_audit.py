import pytest
from django.contrib import admin
from django.db import connection

from ningju.core.models import AuditEntry, ImmutableError
from ningju.orgs import services as org_services
from ningju.people import services as people_services
from ningju.testing.factories import make_id

pytestmark = pytest.mark.django_db


def _entries(obj):
    return AuditEntry.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name).order_by("id")


def test_create_update_delete_leave_who_when_what_and_before_after(world):
    actor = world.user["qy_org"]
    person = people_services.person_create(actor=actor, name="新登记", id_number=make_id(), phone="13911112222",
                                           employer=world.org["s2"])
    people_services.person_update(actor=actor, person=person, name="改名后", phone="13933334444")
    pk = person.pk
    people_services.person_delete(actor=actor, person=person)

    entries = list(AuditEntry.objects.filter(object_id=str(pk), content_type__model="person").order_by("id"))
    assert [e.action for e in entries] == ["people.person.created", "people.person.updated", "people.person.deleted"]
    assert all(e.actor_id == actor.pk and e.at is not None for e in entries)
    created, updated, deleted = entries
    assert created.changes["name"] == [None, "新登记"]
    assert updated.changes["name"] == ["新登记", "改名后"]
    # Sensitive values are recorded masked, before and after.
    assert updated.changes["phone"] == ["139****2222", "139****4444"]
    assert "id_number" not in updated.changes
    assert deleted.changes["name"] == ["改名后", None]
    # The trail is scoped by where the object was.
    assert created.org_path == world.org["s2"].path


def test_audit_entries_cannot_be_edited_or_deleted(world):
    entry = AuditEntry.objects.first()
    entry.action = "forged"
    with pytest.raises(ImmutableError):
        entry.save()
    with pytest.raises(ImmutableError):
        entry.delete()
    with pytest.raises(ImmutableError):
        AuditEntry.objects.all().update(action="x")
    with pytest.raises(ImmutableError):
        AuditEntry.objects.all().delete()


def test_admin_offers_no_change_or_delete_of_audit_entries(world, rf):
    model_admin = admin.site._registry[AuditEntry]
    request = rf.get("/admin/")
    request.user = world.user["admin"]
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_add_permission(request)


def test_organisation_department_browses_its_subtree_only(world, login):
    org_services.organisation_update(actor=world.user["admin"], organisation=world.org["zhongma"], address="中马村委")
    org_services.organisation_update(actor=world.user["admin"], organisation=world.org["s1"], address="太行路1号")
    qy = login(world.user["qy_org"]).get("/audit/?q=太行服务点").content.decode()
    assert "网约车太行服务点" in qy
    sy_page = login(world.user["sy_org"]).get("/audit/").content.decode()
    assert "中马村党支部" in sy_page and "网约车太行服务点" not in sy_page
    api = login(world.user["sy_org"]).get("/api/v1/audit?page_size=200").json()
    assert api["count"] > 0
    assert all("太行" not in item["object_repr"] for item in api["items"])
    # Roles without the audit module cannot open it.
    assert login(world.user["station"]).get("/audit/").status_code == 403


def test_audit_write_happens_in_the_same_transaction(world):
    before = AuditEntry.objects.count()
    with pytest.raises(Exception):
        people_services.person_create(actor=None, name="坏号码", id_number="410882199001011230")
    assert AuditEntry.objects.count() == before
    assert connection.in_atomic_block  # test transaction still usable
