"""The demo city's case story for 沁阳市 (the source article): 2 city-level and 11 town-level seminars collected
52 grievances, all resolved and rated; riders report incidents as 移动探头; the three rates the leaders'
page shows are computed from these records."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from ningju.accounts.models import User
from ningju.cases import selectors
from ningju.cases.derive import differences
from ningju.cases.models import Case, CaseEvent, Notification, Seminar, Supervision
from ningju.cases.states import RESOLVED_STATES, SATISFIED_RATINGS, Action, CaseKind, Source, Status
from ningju.core import roles
from ningju.demo.cases import LOGINS as CASE_LOGINS
from ningju.demo.management.commands.load_demo import DEMO_PASSWORD
from ningju.geo.models import Division
from ningju.geo.selectors import county_code_at
from ningju.orgs.models import Kind

pytestmark = pytest.mark.django_db

QINYANG = "410882000000"
ORG_DEPT, TRANSPORT, WORKER = "13800000002", "13800000004", "13800000010"  # printed demo logins


def qinyang():
    return Division.objects.get(code=QINYANG)


def test_thirteen_seminars_collected_52_grievances_all_resolved_and_rated(demo):
    seminars = Seminar.objects.filter(division__path__startswith=qinyang().path)
    assert seminars.filter(level="city").count() == 2
    town = seminars.filter(level="town").select_related("division", "organiser")
    assert town.count() == 11
    # One per town, organised by that town's Party committee; dated within the past year.
    assert len({s.division_id for s in town}) == 11
    assert all(s.division.level == 3 and s.organiser.division_id == s.division_id
               and s.organiser.kind == Kind.PARTY_COMMITTEE for s in town)
    today = timezone.localdate()
    assert all(today - dt.timedelta(days=366) <= s.held_on < today for s in seminars)

    grievances = Case.objects.filter(seminar__in=seminars)
    assert grievances.count() == 52
    assert set(grievances.values_list("kind", "source").distinct()) == {(CaseKind.GRIEVANCE, Source.SEMINAR)}
    assert len(set(grievances.values_list("text", flat=True))) == 52
    assert not grievances.exclude(status=Status.CLOSED).exists()
    assert not grievances.filter(rating="").exists()
    assert not grievances.exclude(division_path__startswith=qinyang().path).exists()
    assert all(s.cases.count() > 0 for s in seminars)
    # Seminar filers have no login: each rating was taken on a call-back by a dispatcher.
    assert not grievances.filter(filer__isnull=False).exists()
    for case in grievances:
        last = case.events.filter(action__in=[Action.CALLBACK, Action.RATE]).order_by("at", "id").last()
        assert last.action == Action.CALLBACK and last.data["rating"] == case.rating
    # The course was not always smooth: returns, a transfer, an extension, late acceptances (with their
    # notices, resolved) and one unsatisfied filer whose case was re-opened and rated again.
    events = CaseEvent.objects.filter(case__in=grievances)
    for action in (Action.RETURN, Action.DISPATCH, Action.TRANSFER, Action.EXTEND_APPROVE, Action.REOPEN):
        assert events.filter(action=action).exists(), action
    assert events.filter(action=Action.ACCEPT, data__in_time=False).exists()
    notices = Supervision.objects.filter(case__in=grievances)
    assert notices.exists() and not notices.filter(resolved_at__isnull=True).exists()
    reopened = grievances.get(reopen_count=1)
    ratings = list(reopened.events.filter(action=Action.CALLBACK).order_by("at").values_list("data__rating", flat=True))
    assert ratings[0] == "unsatisfied" and reopened.rating in SATISFIED_RATINGS
    assert list(differences()) == []  # every case's columns agree with its events
    assert not CaseEvent.objects.filter(at__gt=timezone.now()).exists()  # nothing happens after the load


def test_three_rates_on_the_figures_page_are_computed_from_the_records(demo, login):
    org_dept = User.objects.get(phone=ORG_DEPT)
    first = Seminar.objects.order_by("held_on").first().held_on
    today = timezone.localdate()
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    now = timezone.now()

    # Counted here, case by case, from the records.
    cases = [c for c in Case.objects.filter(division_path__startswith=qinyang().path, submitted_at__gte=start,
                                            submitted_at__lt=end) if c.status != Status.MERGED]
    last_accept = {c.pk: c.events.filter(action=Action.ACCEPT).order_by("at", "id").last() for c in cases}
    due = [c for c in cases if c.accepted_at or (c.accept_due and c.accept_due < now)]
    in_time = [c for c in cases if last_accept[c.pk] and last_accept[c.pk].data["in_time"]]
    resolved = [c for c in cases if c.status in RESOLVED_STATES]
    rated = [c for c in cases if c.rating]
    satisfied = [c for c in cases if c.rating in SATISFIED_RATINGS]
    assert all(c.accepted_at <= c.accept_due for c in in_time)
    # Most were accepted in time but not all; most resolved (some still open); nearly all satisfied.
    assert 0 < len(due) - len(in_time) < len(due) / 10
    assert len(cases) - 10 < len(resolved) < len(cases)
    assert 0 < len(rated) - len(satisfied) <= 3

    rates = selectors.rates(user=org_dept, start=start, end=end, now=now, division_path=qinyang().path)
    assert (rates.total, rates.due, rates.accepted_in_time, rates.resolved, rates.rated, rates.satisfied) == (
        len(cases), len(due), len(in_time), len(resolved), len(rated), len(satisfied))
    assert rates.response_rate == round(100 * len(in_time) / len(due), 1) < 100

    # The leaders' page shows the same figures for 沁阳市 over the same period.
    client = login(org_dept, DEMO_PASSWORD)
    page = client.get(reverse("cases:figures"), {"period": "custom", "start": first.isoformat(),
                                                 "end": today.isoformat(), "division": QINYANG})
    assert page.status_code == 200
    html = page.content.decode()

    def stat(name):
        block = re.search(rf'id="rate-{name}">(.*?)</div></div>', html, re.S).group(1)
        return [int(n) for n in re.findall(r'<b class="[nd]">(\d+)</b>', block)]

    assert stat("response") == [len(in_time), len(due)]
    assert stat("resolution") == [len(resolved), len(cases)]
    assert stat("satisfaction") == [len(satisfied), len(rated)]
    assert f"{rates.response_rate:g}%" in html


def test_riders_report_incidents_as_grid_members(demo, login):
    worker = User.objects.get(phone=WORKER)
    assert worker.can(roles.M_CASES_REPORT)  # the printed worker login reaches the 事件上报 page
    assert login(worker, DEMO_PASSWORD).get(reverse("cases:report")).status_code == 200

    reports = Case.objects.filter(kind=CaseKind.INCIDENT, division_path__startswith=qinyang().path)
    assert 8 <= reports.count() <= 15
    for case in reports.select_related("filer"):
        assert case.source == Source.GRID
        assert case.filer.grid_memberships.filter(active=True, role="scout").exists()
        assert county_code_at(float(case.lat), float(case.lng)) == QINYANG
    assert reports.filter(attachments__content_type="image/jpeg").distinct().count() >= 3
    assert reports.filter(status=Status.CLOSED).count() > reports.count() / 2
    assert {c.split("-")[0] for c in reports.values_list("category__code", flat=True)} == {
        "opinion", "warning", "emergency"}
    # A 突发事件 reached the on-duty leader at once.
    leader = User.objects.get(phone=CASE_LOGINS[0][0])
    emergencies = reports.filter(category__is_emergency=True)
    assert emergencies.exists()
    for case in emergencies:
        assert Notification.objects.filter(user=leader, case=case, kind="emergency").exists()


def test_live_work_waits_in_queue_inbox_and_supervision(demo):
    org_dept, transport = User.objects.get(phone=ORG_DEPT), User.objects.get(phone=TRANSPORT)
    now = timezone.now()
    assert selectors.queue(user=org_dept).filter(filer__role="worker").exists()
    soon = [c for c in selectors.inbox(user=transport) if now < c.reply_due < now + dt.timedelta(days=2)]
    assert soon
    hr = User.objects.get(phone=CASE_LOGINS[1][0])
    assert selectors.inbox(user=hr).filter(status=Status.DISPATCHED).exists()
    overdue = list(selectors.overdue_cases(user=org_dept, now=now))
    assert len(overdue) == 1
    assert Supervision.objects.filter(case=overdue[0], resolved_at__isnull=True).exists()
    # Workers' own online grievances, some closed with their own rating.
    online = Case.objects.filter(source=Source.ONLINE, status=Status.CLOSED)
    assert online.exists() and all(c.events.filter(action=Action.RATE, actor=c.filer).exists() for c in online)
