import pytest
from django.core.exceptions import ValidationError

from ningju.orgs import services
from ningju.orgs.models import Kind, Organisation
from ningju.people.models import Person

pytestmark = pytest.mark.django_db


def test_moving_an_organisation_moves_its_subtree_and_scopes_follow(world):
    s1, market = world.org["s1"], world.org["market"]
    e1 = world.org["e1"]
    services.organisation_update(actor=world.user["qy_org"], organisation=e1, parent=market)
    s1.refresh_from_db()
    e1.refresh_from_db()
    assert e1.path.startswith(market.path) and s1.path.startswith(e1.path)
    # The transport department no longer sees the moved enterprise or its worker.
    transport = world.user["transport"]
    transport._ningju_scope = None
    assert not Organisation.objects.visible_to(transport).filter(pk=s1.pk).exists()
    assert not Person.objects.visible_to(transport).filter(pk=world.person["driver"].pk).exists()


def test_cannot_move_under_own_descendant(world):
    with pytest.raises(ValidationError):
        services.organisation_update(actor=None, organisation=world.org["e1"], parent=world.org["s1"])


def test_division_must_lie_within_the_parents_division(world):
    with pytest.raises(ValidationError) as exc:
        services.organisation_create(actor=None, name="错位站点", kind=Kind.STATION, parent=world.org["e1"],
                                     division=world.div["zhongma"])
    assert "division" in exc.value.message_dict


def test_cannot_delete_with_children_or_people(world):
    with pytest.raises(ValidationError):
        services.organisation_delete(actor=None, organisation=world.org["e1"])
    with pytest.raises(ValidationError):
        services.organisation_delete(actor=None, organisation=world.org["s1"])


def test_create_and_edit_through_the_page(world, login):
    client = login(world.user["qy_org"])
    response = client.post("/orgs/new/", {"name": "新站点", "kind": "station", "industry": "express",
                                          "parent": world.org["e2"].pk, "division": world.div["qinhuai"].pk,
                                          "is_active": "on"})
    assert response.status_code == 302
    org = Organisation.objects.get(name="新站点")
    assert org.path.startswith(world.org["e2"].path)
    # A district department cannot pick a division outside its district.
    bad = client.post("/orgs/new/", {"name": "越界", "kind": "station", "parent": world.org["e2"].pk,
                                     "division": world.div["zhongma"].pk})
    assert bad.status_code == 400 and not Organisation.objects.filter(name="越界").exists()
