"""山阳区's five-star story in the demo city: 54 units, “3组4轮次” supervision with 210+ findings over the seven
aspects, every finding rectified and verified, post-evaluations, and a realistic spread of awards."""

from collections import Counter

import pytest

from ningju.accounts.models import User
from ningju.cases.models import Case
from ningju.cases.states import CaseKind, Status
from ningju.stars import selectors
from ningju.stars.models import Aspect, Award, Finding, PostEvaluation, Project, SupervisionPlan, Visit
from ningju.stars.services.common import units_of

pytestmark = pytest.mark.django_db

ORG_DEPT, SUPERVISOR, SECRETARY = "13800000003", "13800000009", "13800000131"  # printed demo logins


@pytest.fixture
def plan(demo):
    return SupervisionPlan.objects.get(name__endswith="“五星”支部创建督导")


def test_every_unit_visited_by_three_groups_in_four_rounds(plan):
    units = units_of(plan.district)
    assert len(units) == 54
    assert plan.groups.count() == 3 and plan.rounds.count() == 4
    for group in plan.groups.all():
        assert 2 <= group.members.count() <= 3 and group.members.filter(pk=group.leader_id).exists()
    for rnd in plan.rounds.all():
        visits = Visit.objects.filter(round=rnd)
        assert set(visits.values_list("unit_id", flat=True)) == {u.pk for u in units}
        assert not visits.exclude(status=Visit.Status.DONE).exists()
        assert all(v.group.members.filter(pk=v.recorded_by_id).exists() for v in visits.select_related("group"))
        assert all(v.checks.count() == 7 for v in visits)
    assert User.objects.get(phone=SUPERVISOR).star_groups.filter(plan=plan).exists()


def test_findings_all_rectified_and_verified(plan):
    findings = Finding.objects.filter(plan=plan)
    assert findings.count() >= 210
    assert set(findings.values_list("aspect", flat=True)) == set(Aspect.values)
    per_round = Counter(findings.values_list("round_number", flat=True))
    assert per_round[1] > per_round[2] > per_round[3]
    cases = Case.objects.filter(pk__in=findings.values("case_id"))
    assert cases.count() == findings.count() and set(cases.values_list("kind", flat=True)) == {CaseKind.RECTIFICATION}
    assert set(cases.values_list("status", flat=True)) == {Status.CLOSED}
    assert not findings.filter(verified_in=None).exists()
    assert cases.filter(reopen_count=1).exists()  # a few were sent back once and fixed by the next round
    for f in findings.select_related("verified_in__round", "case"):
        assert f.verified_in.round.number > f.round_number
        assert f.case.owner.organisation_id == f.unit_id and f.case.replied_at < f.verified_in.visited_at


def test_board_totals_are_computed_from_the_records(plan):
    user = User.objects.get(phone=ORG_DEPT)
    findings = Finding.objects.filter(plan=plan)
    closed = Case.objects.filter(pk__in=findings.values("case_id"), status=Status.CLOSED).count()
    total = selectors.totals(user=user, plan=plan)
    assert (total.found, total.verified, total.open) == (findings.count(), closed, 0)
    by_aspect = dict(selectors.board(user=user, plan=plan, by="aspect"))
    counts = Counter(findings.values_list("aspect", flat=True))
    assert {label: p.found for label, p in by_aspect.items()} == {Aspect(k).label: n for k, n in counts.items()}
    by_round = dict(selectors.board(user=user, plan=plan, by="round"))
    assert sum(p.verified for p in by_round.values()) == closed
    done = {p.unit.division.name for p in PostEvaluation.objects.filter(plan=plan).select_related("unit__division")}
    assert done == {"上马村", "张庄村"}


def test_the_secretary_sees_her_own_findings_only(plan):
    sec = User.objects.get(phone=SECRETARY)
    mine = selectors.findings(user=sec, plan=plan)
    assert mine.exists() and set(mine.values_list("unit_id", flat=True)) == {sec.organisation_id}
    assert not Visit.objects.visible_to(sec).exists()


def test_awards_spread_and_statuses(plan):
    user = User.objects.get(phone=ORG_DEPT)
    year = plan.year
    statuses = Counter(Award.objects.filter(year=year).values_list("status", flat=True))
    assert statuses[Award.Status.STANDING] and statuses[Award.Status.PUBLICITY]
    assert statuses[Award.Status.WITHDRAWN] == 1
    withdrawn = Award.objects.get(year=year, status=Award.Status.WITHDRAWN)
    assert withdrawn.branch.division.name == "墙北村" and withdrawn.withdrawn_reason
    counts = selectors.star_counts(user=user, year=year)
    per_branch = Counter(Award.objects.filter(year=year).exclude(status=Award.Status.WITHDRAWN)
                         .values_list("branch_id", flat=True))
    assert counts == Counter(per_branch.values())
    assert counts[5] >= 2 and counts[3] + counts[4] > counts[5]
    assert all(a.evidence.exists() for p in selectors.plans(user=user, year=year) for a in p.assessments.all())
    kinds = Counter(Project.objects.values_list("kind", "status"))
    assert {s for _, s in kinds} == set(Project.Status.values)
    assert {k for k, _ in kinds} == set(Project.Kind.values)
