"""Supervision: plan with groups and rounds, unannounced visits, findings as rectification items, re-inspection,
post-evaluation, and the progress board."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ningju.cases import services as case_services
from ningju.cases.models import Case
from ningju.cases.states import Status
from ningju.stars import selectors, services
from ningju.stars.models import Aspect, Finding, Visit
from ningju.stars.services.supervision import FindingSpec, GroupSpec, Verification, rotation

from .conftest import MONDAY

pytestmark = pytest.mark.django_db

ALL_OK = {a.value: (True, "") for a in Aspect}


def make_plan(w, **kw):
    groups = [GroupSpec(name="第一组", organisation=w.org["group"], leader=w.user["supervisor"]),
              GroupSpec(name="第二组", organisation=w.org["group2"], leader=w.user["supervisor2"]),
              GroupSpec(name="第三组", organisation=w.org["group3"], leader=w.user["supervisor3"])]
    d = dt.date
    rounds = [(d(2026, 3, 2), d(2026, 3, 31)), (d(2026, 5, 4), d(2026, 5, 29)), (d(2026, 8, 3), d(2026, 8, 28)),
              (d(2026, 11, 2), d(2026, 11, 27))]
    kw.setdefault("starts_on", d(2026, 3, 1))
    kw.setdefault("ends_on", d(2026, 12, 31))
    return services.supervision_plan_create(actor=w.user["sy_org"], name="2026年“五星”支部创建督导", year=2026,
                                            district=w.div["sy"], groups=groups, rounds=rounds, **kw)


def visit_of(plan, unit, n):
    return Visit.objects.get(round__plan=plan, round__number=n, unit=unit)


def test_rotation_is_balanced_and_never_repeats_a_group_in_consecutive_rounds():
    for units, groups in ((54, 3), (7, 3), (5, 2), (4, 1)):
        table = rotation(units, groups, 4)
        for r in range(4):
            counts = [table[r].count(g) for g in range(groups)]
            assert max(counts) - min(counts) <= 1
            if r and groups > 1:
                assert all(table[r][u] != table[r - 1][u] for u in range(units))


def test_plan_assigns_every_unit_each_round_and_is_hidden_from_branches(shanyang):
    w = shanyang
    plan = make_plan(w)
    units = {w.org[k].pk for k in ("zhongma", "baima", "gongzilu")}
    for n in range(1, 5):
        assert {v.unit_id for v in Visit.objects.filter(round__plan=plan, round__number=n)} == units
    assert not Visit.objects.visible_to(w.user["sec_zhongma"]).exists()
    assert not Visit.objects.visible_to(w.user["zx_town"]).exists()
    assert Visit.objects.visible_to(w.user["supervisor"]).exists()
    assert selectors.my_visits(user=w.user["supervisor"]).count() == 4  # 3 units × 4 rounds over 3 groups
    with pytest.raises(ValidationError) as exc:  # a second overlapping plan for the same units
        make_plan(w, starts_on=dt.date(2026, 6, 1), ends_on=dt.date(2027, 1, 31))
    assert "已有督导计划" in str(exc.value)


def test_visit_finding_rectification_reinspection_and_post_evaluation(shanyang):
    w = shanyang
    plan = make_plan(w)
    unit = w.org["zhongma"]
    first = visit_of(plan, unit, 1)
    member = first.group.leader
    outsider = next(u for k, u in w.user.items() if k.startswith("supervisor") and u != member)
    with pytest.raises(PermissionDenied):
        services.visit_record(actor=outsider, visit=first, checks=ALL_OK, findings=[])
    with pytest.raises(ValidationError):  # a finding without an aspect
        services.visit_record(actor=member, visit=first, checks=ALL_OK, findings=[FindingSpec(aspect="", text="x")])
    with pytest.raises(ValidationError):  # not all seven aspects checked
        services.visit_record(actor=member, visit=first, checks={"plan": (True, "")}, findings=[])
    services.visit_record(actor=member, visit=first, checks=ALL_OK, at=MONDAY, findings=[
        FindingSpec(aspect="plan", text="创建计划未上墙"), FindingSpec(aspect="signage", text="标牌不规范")])
    found = list(Finding.objects.filter(plan=plan, unit=unit).order_by("pk"))
    assert len(found) == 2 and all(f.case.owner == w.user["sec_zhongma"] for f in found)
    assert found[0].case.kind == "rectification" and found[0].case.category.code == "star-plan"
    assert found[0].case.reply_due.date() == dt.date(2026, 3, 16)  # 10 working days
    board = dict(selectors.board(user=w.user["sy_org"], plan=plan, by="aspect"))
    assert board["创建计划"].found == 1 and board["创建计划"].verified == 0
    assert selectors.findings(user=w.user["sec_zhongma"], plan=plan).count() == 2  # the branch sees its findings

    sec = w.user["sec_zhongma"]
    for f in found:
        c = case_services.case_accept(actor=sec, case=f.case)
        c = case_services.case_handle(actor=sec, case=c, result="已整改")
        case_services.case_reply(actor=sec, case=c, reply="已整改,附照片")
    second = visit_of(plan, unit, 2)
    with pytest.raises(ValidationError):  # post-evaluation before verification
        services.post_evaluate(actor=w.user["sy_org"], plan=plan, unit=unit, result="consolidated", comment="好")
    services.visit_record(actor=second.group.leader, visit=second, checks=ALL_OK, findings=[], at=MONDAY,
                          verifications=[Verification(finding_id=found[0].pk, done=True),
                                         Verification(finding_id=found[1].pk, done=False, comment="标牌仍未更换")])
    assert Case.objects.get(pk=found[0].case_id).status == Status.CLOSED
    assert Case.objects.get(pk=found[1].case_id).status == Status.DISPATCHED  # sent back
    totals = selectors.totals(user=w.user["sy_org"], plan=plan)
    assert (totals.found, totals.verified) == (2, 1)
    c = Case.objects.get(pk=found[1].case_id)
    c = case_services.case_accept(actor=sec, case=c)
    c = case_services.case_reply(actor=sec, case=case_services.case_handle(actor=sec, case=c, result="已更换"),
                                 reply="已更换标牌")
    third = visit_of(plan, unit, 3)
    services.visit_record(actor=third.group.leader, visit=third, checks=ALL_OK, findings=[], at=MONDAY,
                          verifications=[Verification(finding_id=found[1].pk, done=True)])
    assert [r["unit_id"] for r in selectors.ready_for_post_evaluation(user=w.user["sy_org"], plan=plan)] == [unit.pk]
    pe = services.post_evaluate(actor=w.user["sy_org"], plan=plan, unit=unit, result="consolidated",
                                comment="整改到位,成效巩固")
    assert pe.result == "consolidated"
    assert selectors.totals(user=w.user["sy_org"], plan=plan).verified == 2


def test_board_by_unit_keeps_two_villages_of_the_same_name_apart(shanyang):
    from ningju.geo.models import Level
    from ningju.orgs.models import Kind
    from ningju.testing.factories import OrganisationFactory, UserFactory, division

    w = shanyang
    town = division("410811009000", "新城街道", Level.TOWN, w.div["sy"])
    village = division("410811009201", "中马村", Level.VILLAGE, town)
    town_org = OrganisationFactory(name="新城街道党工委", kind=Kind.PARTY_COMMITTEE, division=town, parent=w.org["sy"])
    twin = OrganisationFactory(name=w.org["zhongma"].name, kind=Kind.BRANCH, division=village, parent=town_org)
    UserFactory(phone="13710000099", role="village_secretary", organisation=twin)
    plan = make_plan(w)
    for unit in (w.org["zhongma"], twin):
        visit = visit_of(plan, unit, 1)
        services.visit_record(actor=visit.group.leader, visit=visit, checks=ALL_OK, at=MONDAY,
                              findings=[FindingSpec(aspect="plan", text="创建计划未上墙")])
    rows = [(label, p.found) for label, p in selectors.board(user=w.user["sy_org"], plan=plan, by="unit")]
    assert rows == [(twin.name, 1), (twin.name, 1)]
    assert selectors.ready_for_post_evaluation(user=w.user["sy_org"], plan=plan) == []
