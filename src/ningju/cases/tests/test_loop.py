"""The closed loop end to end: file → route → accept → handle → reply → rate → close, and its refusals."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ningju.cases import selectors, services
from ningju.cases.models import CaseEvent, Notification
from ningju.cases.states import Rating, Status

from .conftest import WEDNESDAY, file_grievance

pytestmark = pytest.mark.django_db


def test_full_loop_from_phone_to_closed(routed):
    w = routed
    filed = file_grievance(w)
    case = filed.case
    assert filed.created and case.status == Status.DISPATCHED
    assert case.organisation == w.org["transport"]
    # 1 working day to accept, 5 to reply, counted from Wednesday 10:00.
    assert case.accept_due == WEDNESDAY + dt.timedelta(days=1)
    assert case.reply_due == WEDNESDAY + dt.timedelta(days=7)  # Wed + 5 working days = next Wednesday
    assert Notification.objects.filter(user=w.user["transport"], case=case).exists()

    t = WEDNESDAY + dt.timedelta(hours=2)
    case = services.case_accept(actor=w.user["transport"], case=case, version=case.version, at=t)
    case = services.case_handle(actor=w.user["transport"], case=case, version=case.version, result="已联系交警维修",
                                at=t)
    case = services.case_reply(actor=w.user["transport"], case=case, version=case.version, reply="信号灯已修复", at=t)
    assert case.status == Status.REPLIED
    case = services.case_rate(actor=w.user["worker"], case=case, rating=Rating.SATISFIED, at=t)
    assert case.status == Status.CLOSED and case.rating == Rating.SATISFIED
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["submit", "route", "accept", "handle", "reply", "rate"]

    r = selectors.rates(user=w.user["qy_org"], start=WEDNESDAY - dt.timedelta(days=1),
                        end=WEDNESDAY + dt.timedelta(days=30), now=t)
    assert (r.total, r.due, r.accepted_in_time, r.resolved, r.rated, r.satisfied) == (1, 1, 1, 1, 1, 1)
    assert r.response_rate == r.resolution_rate == r.satisfaction_rate == 100.0


def test_village_matter_goes_to_its_branch_and_unrouted_to_queue(routed):
    w = routed
    village = file_grievance(w, code="community-access", text="小区门禁不让骑手进入")
    assert village.case.organisation == w.org["luozhuang"]
    queued = file_grievance(w, code="rights-pay", text="配送费被拖欠两个月")
    assert queued.case.status == Status.SUBMITTED and queued.case.organisation is None
    assert queued.case in selectors.queue(user=w.user["qy_org"])
    assert queued.case not in selectors.queue(user=w.user["sy_org"])


def test_second_rating_and_rating_by_someone_else_are_refused(routed):
    w = routed
    case = file_grievance(w).case
    for step in (services.case_accept,):
        case = step(actor=w.user["transport"], case=case)
    case = services.case_handle(actor=w.user["transport"], case=case, result="已处理")
    case = services.case_reply(actor=w.user["transport"], case=case, reply="已答复")
    with pytest.raises(PermissionDenied):
        services.case_rate(actor=w.user["qy_org"], case=case, rating=Rating.SATISFIED)
    services.case_rate(actor=w.user["worker"], case=case, rating=Rating.BASIC)
    with pytest.raises(ValidationError, match="已评价"):
        services.case_rate(actor=w.user["worker"], case=case, rating=Rating.SATISFIED)


def test_stale_version_gets_a_clear_message_and_nothing_applies_twice(routed):
    w = routed
    case = file_grievance(w).case
    seen = case.version
    services.case_accept(actor=w.user["transport"], case=case, version=seen)
    with pytest.raises(services.CaseConflict, match="已被他人处理"):
        services.case_accept(actor=w.user["transport"], case=case, version=seen)
    assert CaseEvent.objects.filter(case=case, action="accept").count() == 1


def test_same_client_key_files_once(routed):
    w = routed
    a = file_grievance(w, client_key="k-123")
    b = file_grievance(w, client_key="k-123")
    assert a.case.pk == b.case.pk and not b.created
