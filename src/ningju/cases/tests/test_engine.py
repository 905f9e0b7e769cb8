"""The engine's rules beyond the happy path: deadlines, supervision, transfer, merge, extension, re-open, refusals."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from ningju.cases import selectors, services
from ningju.cases.derive import differences
from ningju.cases.models import Case, CaseEvent, Notification, Supervision
from ningju.cases.states import CaseKind, Rating, Status
from ningju.core.models import AuditEntry
from ningju.core.uploads import CleanFile

from .conftest import WEDNESDAY, category, file_grievance

pytestmark = pytest.mark.django_db


def local(y, m, d, h=10):
    return timezone.make_aware(dt.datetime(y, m, d, h, 0))


def close(w, case, rating=Rating.SATISFIED, at=None):
    u = w.user["transport"]
    case = services.case_accept(actor=u, case=case, at=at)
    case = services.case_handle(actor=u, case=case, result="已处理", at=at)
    case = services.case_reply(actor=u, case=case, reply="已答复", at=at)
    return services.case_rate(actor=w.user["worker"], case=case, rating=rating, comment="没有解决", at=at)


def test_deadlines_skip_the_national_day_holiday_and_count_the_adjusted_saturday(routed):
    # Filed on Wednesday 30 September 2026, the day before the National Day holiday (1–7 October).
    case = file_grievance(routed, at=local(2026, 9, 30)).case
    assert case.accept_due == local(2026, 10, 8)       # the next working day is Thursday 8 October
    # 5 working days: 8, 9, 10 (the adjusted working Saturday), 12, 13 October.
    assert case.reply_due == local(2026, 10, 13)


def test_a_case_filed_on_a_weekend_counts_from_monday(routed):
    case = file_grievance(routed, at=local(2026, 11, 21, 15)).case  # Saturday afternoon
    assert case.accept_due == local(2026, 11, 24, 0)  # Monday counts as the first working day: due Tuesday 00:00


def test_deadlines_in_an_unpublished_year_fall_back_to_weekends(routed):
    case = file_grievance(routed, at=local(2027, 1, 8)).case  # a Friday in 2027
    assert case.accept_due == local(2027, 1, 11)  # Monday


def test_emergency_category_is_due_in_hours_and_reaches_the_on_duty_leader(routed):
    w = routed
    services.grid_member_set(actor=w.user["qy_org"], user=w.user["worker"], division=w.div["luozhuang"])
    services.duty_shift_create(actor=w.user["qy_org"], organisation=w.org["qy_org"], user=w.user["qy_org"],
                               starts_on=WEDNESDAY.date(), ends_on=WEDNESDAY.date())
    services.routing_rule_save(actor=w.user["qy_org"], category=category("emergency"), division=w.div["qy"],
                               organisation=w.org["transport"])
    filed = services.case_file(actor=w.user["worker"], kind=CaseKind.INCIDENT, category=category("emergency-traffic"),
                               text="建设路口两车相撞,有人受伤", division=w.div["luozhuang"], lat=35.09, lng=112.95,
                               at=WEDNESDAY)
    case = filed.case
    assert case.priority == "emergency"
    assert case.accept_due == WEDNESDAY + dt.timedelta(hours=1)
    assert Notification.objects.filter(user=w.user["qy_org"], kind="emergency", case=case).exists()


def test_only_grid_members_report_incidents(routed):
    w = routed
    with pytest.raises(PermissionDenied):
        services.case_file(actor=w.user["worker"], kind=CaseKind.INCIDENT, category=category("warning-hazard"),
                           text="井盖缺失", division=w.div["luozhuang"])


def test_overdue_case_raises_one_supervision_notice_to_the_organisation_above(routed):
    w = routed
    case = file_grievance(w).case
    late = case.accept_due + dt.timedelta(minutes=5)
    first = services.tick(now=case.accept_due - dt.timedelta(minutes=30))
    assert first.reminded == 1 and first.supervised == 0
    assert services.tick(now=late).supervised == 1
    assert services.tick(now=late + dt.timedelta(minutes=10)).supervised == 0  # idempotent
    notice = Supervision.objects.get(case=case)
    assert notice.organisation == w.org["qy"] and notice.handling_org == w.org["transport"]
    assert notice in selectors.supervisions(user=w.user["qy_org"])
    assert notice not in selectors.supervisions(user=w.user["sy_org"])
    services.case_accept(actor=w.user["transport"], case=case, at=late)
    notice.refresh_from_db()
    assert notice.resolved_at == late


def test_return_goes_back_to_the_queue_and_dispatch_restarts_deadlines(routed):
    w = routed
    case = file_grievance(w).case
    with pytest.raises(ValidationError):
        services.case_return(actor=w.user["transport"], case=case, reason="")
    case = services.case_return(actor=w.user["transport"], case=case, reason="属于市场监管范围",
                                at=WEDNESDAY + dt.timedelta(hours=1))
    assert case.status == Status.SUBMITTED and case.organisation is None
    with pytest.raises(PermissionDenied):
        services.case_dispatch(actor=w.user["sy_org"], case=case, organisation=w.org["market"])
    later = WEDNESDAY + dt.timedelta(hours=3)
    case = services.case_dispatch(actor=w.user["qy_org"], case=case, organisation=w.org["market"], at=later)
    assert case.status == Status.DISPATCHED and case.accept_due == later + dt.timedelta(days=1)
    with pytest.raises(PermissionDenied):  # the old organisation no longer holds it
        services.case_accept(actor=w.user["transport"], case=case)


def test_transfer_merge_and_extension(routed):
    w = routed
    a = file_grievance(w).case
    b = file_grievance(w, text="同一路口信号灯坏了").case
    b = services.case_merge(actor=w.user["qy_org"], case=b, into=a, comment="同一事项")
    assert b.status == Status.MERGED and b.merged_into == a
    with pytest.raises(ValidationError):
        services.case_merge(actor=w.user["qy_org"], case=a, into=a)
    a = services.case_accept(actor=w.user["transport"], case=a, at=WEDNESDAY)
    due = a.reply_due
    with pytest.raises(ValidationError):
        services.case_request_extension(actor=w.user["transport"], case=a, days=0, reason="x")
    a = services.case_request_extension(actor=w.user["transport"], case=a, days=3, reason="需协调交警")
    with pytest.raises(PermissionDenied):
        services.case_decide_extension(actor=w.user["transport"], case=a, approve=True)
    a = services.case_decide_extension(actor=w.user["qy_org"], case=a, approve=True)
    assert due == local(2026, 11, 25) and a.reply_due == local(2026, 11, 30)  # Thu, Fri, Mon
    a = services.case_transfer(actor=w.user["qy_org"], case=a, organisation=w.org["market"], reason="职责调整")
    assert a.status == Status.DISPATCHED and a.organisation == w.org["market"] and a.owner is None


def test_unsatisfied_filer_reopens_once(routed):
    w = routed
    case = close(w, file_grievance(w).case, rating=Rating.UNSATISFIED)
    assert case.status == Status.CLOSED
    case = services.case_reopen(actor=w.user["worker"], case=case, reason="信号灯又坏了")
    assert case.status == Status.DISPATCHED and case.reopen_count == 1 and case.rating == ""
    case = close(w, case, rating=Rating.UNSATISFIED)
    with pytest.raises(ValidationError, match="只能重新办理1次"):
        services.case_reopen(actor=w.user["worker"], case=case, reason="还是不行")


def test_satisfied_case_cannot_be_reopened_and_old_cases_neither(routed):
    w = routed
    case = close(w, file_grievance(w).case, rating=Rating.SATISFIED)
    with pytest.raises(ValidationError, match="不满意"):
        services.case_reopen(actor=w.user["worker"], case=case, reason="x")
    old = close(w, file_grievance(w, at=WEDNESDAY).case, rating=Rating.UNSATISFIED, at=WEDNESDAY)
    with pytest.raises(ValidationError, match="超过15天"):
        services.case_reopen(actor=w.user["worker"], case=old, reason="x", at=WEDNESDAY + dt.timedelta(days=20))


def test_anonymous_filer_follows_and_rates_with_the_query_code(routed):
    w = routed
    filed = services.case_file(actor=None, anonymous=True, kind=CaseKind.GRIEVANCE, category=category("traffic-road"),
                               text="路口无信号灯", division=w.div["luozhuang"], filer_phone="13912345678")
    case, code = filed.case, filed.query_code
    assert code and case.filer is None and case.anonymous
    assert selectors.case_by_code(number=case.number, query_code=code).pk == case.pk
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.case_by_code(number=case.number, query_code="WRONGCODE1")
    u = w.user["transport"]
    case = services.case_accept(actor=u, case=case)
    case = services.case_handle(actor=u, case=case, result="已处理")
    case = services.case_reply(actor=u, case=case, reply="已答复")
    with pytest.raises(PermissionDenied):
        services.case_rate(actor=None, case=case, rating=Rating.SATISFIED, query_code="WRONGCODE1")
    case = services.case_rate(actor=None, case=case, rating=Rating.BASIC, query_code=code)
    assert case.status == Status.CLOSED
    # The phone is stored encrypted and shown masked to those who don't handle the case.
    assert selectors.shown_phone(w.user["sy_org"], case) == "139****5678"
    assert selectors.shown_phone(u, case) == "13912345678"


def test_seminar_grievance_is_rated_by_call_back(routed):
    w = routed
    seminar = services.seminar_create(actor=w.user["qy_org"], level="town", title="太行街道骑手座谈会",
                                      held_on=WEDNESDAY.date(), place="太行街道党群服务中心", division=w.div["taihang"],
                                      organiser=w.org["taihang"], attendee_count=18)
    case = services.case_file(actor=w.user["qy_org"], kind=CaseKind.GRIEVANCE, category=category("traffic-road"),
                              seminar=seminar, filer_name="王师傅", text="希望增设临时停靠点",
                              division=w.div["luozhuang"]).case
    assert case.source == "seminar" and case.filer is None
    u = w.user["transport"]
    case = services.case_reply(actor=u, case=services.case_handle(
        actor=u, case=services.case_accept(actor=u, case=case), result="已设停靠点"), reply="已增设")
    assert case in selectors.awaiting_callback(user=w.user["qy_org"])
    with pytest.raises(PermissionDenied):
        services.case_callback(actor=u, case=case, rating=Rating.SATISFIED, comment="电话回访")
    case = services.case_callback(actor=w.user["qy_org"], case=case, rating=Rating.SATISFIED, comment="电话回访满意")
    assert case.status == Status.CLOSED


@pytest.mark.parametrize("kwargs,field", [
    ({"text": ""}, "text"),
    ({"text": "长" * 2001}, "text"),
    ({"title": "题" * 61}, "title"),
    ({"lat": 39.9, "lng": 116.4}, "lat"),        # Beijing: outside the city
    ({"lat": 35.09}, "lat"),                      # half a point
    ({"filer_phone": "12345"}, "filer_phone"),
])
def test_bad_input_is_refused_and_files_nothing(routed, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        file_grievance(routed, **kwargs)
    assert field in exc.value.message_dict
    assert not Case.objects.exists()


def test_unknown_or_foreign_category_is_refused(routed):
    with pytest.raises(ValidationError) as exc:
        services.case_file(actor=routed.user["worker"], kind=CaseKind.GRIEVANCE, category=None, text="x",
                           division=routed.div["luozhuang"])
    assert "category" in exc.value.message_dict
    with pytest.raises(ValidationError):  # an incident category for a grievance
        file_grievance(routed, code="warning-hazard")
    with pytest.raises(PermissionDenied):  # workers cannot create rectification items
        services.case_file(actor=routed.user["worker"], kind=CaseKind.RECTIFICATION, category=category("star-plan"),
                           text="x", division=routed.div["luozhuang"])


def test_script_is_stored_as_text(routed):
    case = file_grievance(routed, text="<script>alert(1)</script>").case
    assert Case.objects.get(pk=case.pk).text == "<script>alert(1)</script>"


def test_attachments_are_kept_with_the_event(routed):
    up = CleanFile(content=b"%PDF-1.4 test", extension="pdf", content_type="application/pdf", size=13,
                original_name="证明.pdf", sha256="a" * 64)
    case = file_grievance(routed, attachments=[up]).case
    att = case.attachments.get()
    assert att.event.action == "submit" and att.original_name == "证明.pdf"


def test_every_step_is_audited_and_columns_agree_with_events(routed):
    w = routed
    case = close(w, file_grievance(w).case, rating=Rating.UNSATISFIED)
    services.case_reopen(actor=w.user["worker"], case=case, reason="又坏了")
    b = file_grievance(w).case
    services.case_return(actor=w.user["transport"], case=b, reason="不属本单位")
    c = file_grievance(w).case
    c = services.case_accept(actor=w.user["transport"], case=c)
    c = services.case_request_extension(actor=w.user["transport"], case=c, days=2, reason="协调")
    services.case_decide_extension(actor=w.user["qy_org"], case=c, approve=True)
    actions = set(AuditEntry.objects.filter(object_id=str(case.pk)).values_list("action", flat=True))
    assert {"cases.case.filed", "cases.case.accept", "cases.case.rate", "cases.case.reopen"} <= actions
    assert list(differences()) == []
    call_command("check_cases")
    # A column changed behind the services' back is caught.
    Case.objects.filter(pk=c.pk).update(rating="satisfied")
    assert any("rating" in line for line in differences())


def test_rates_count_late_acceptance_and_exclude_merged(routed):
    w = routed
    on_time = file_grievance(w).case
    late = file_grievance(w).case
    dup = file_grievance(w).case
    services.case_merge(actor=w.user["qy_org"], case=dup, into=on_time)
    services.case_accept(actor=w.user["transport"], case=on_time, at=WEDNESDAY + dt.timedelta(hours=1))
    services.case_accept(actor=w.user["transport"], case=late, at=WEDNESDAY + dt.timedelta(days=2))
    r = selectors.rates(user=w.user["city_org"], start=WEDNESDAY - dt.timedelta(days=1),
                        end=WEDNESDAY + dt.timedelta(days=1), now=WEDNESDAY + dt.timedelta(days=3))
    assert (r.total, r.due, r.accepted_in_time) == (2, 2, 1)
    assert r.response_rate == 50.0 and r.satisfaction_rate is None
    by_org = dict(selectors.rates_by(user=w.user["city_org"], start=WEDNESDAY - dt.timedelta(days=1),
                                     end=WEDNESDAY + dt.timedelta(days=1), by="organisation"))
    assert by_org["沁阳市交通运输局"].total == 2
    assert selectors.rates(user=w.user["sy_org"], start=WEDNESDAY - dt.timedelta(days=1),
                           end=WEDNESDAY + dt.timedelta(days=1)).total == 0


def test_events_are_visible_only_with_their_case(routed):
    w = routed
    case = file_grievance(w).case
    assert CaseEvent.objects.visible_to(w.user["qy_org"]).filter(case=case).exists()
    assert not CaseEvent.objects.visible_to(w.user["sy_org"]).filter(case=case).exists()
    assert CaseEvent.objects.visible_to(w.user["worker"]).filter(case=case).exists()


def test_rectification_item_is_verified_by_the_group_and_sent_back_until_done(routed):
    from ningju.testing.factories import UserFactory

    w = routed
    u = UserFactory(phone="13700000099", role="village_secretary", organisation=w.org["zhongma"])
    item = services.case_file(actor=w.user["supervisor"], kind=CaseKind.RECTIFICATION, category=category("star-plan"),
                              text="创建计划未上墙", division=w.div["zhongma"], organisation=w.org["zhongma"],
                              owner=u, reply_workdays=5, reviewer_org=w.org["group"], at=WEDNESDAY).case
    assert item.reply_due == local(2026, 11, 25) and item.owner == u
    for round_ in range(3):  # sent back twice, then verified
        item = services.case_accept(actor=u, case=item) if item.status == Status.DISPATCHED else item
        item = services.case_handle(actor=u, case=item, result="已整改")
        item = services.case_reply(actor=u, case=item, reply="计划已上墙")
        with pytest.raises(PermissionDenied):  # the branch cannot verify its own rectification
            services.case_rate(actor=u, case=item, rating=Rating.SATISFIED)
        if round_ < 2:
            item = services.case_rate(actor=w.user["supervisor"], case=item, rating=Rating.UNSATISFIED,
                                      comment="仍未上墙")
            item = services.case_reopen(actor=w.user["supervisor"], case=item, reason="再督导未通过")
    item = services.case_rate(actor=w.user["supervisor"], case=item, rating=Rating.SATISFIED)
    assert item.status == Status.CLOSED and item.reopen_count == 2
    assert list(differences()) == []


@pytest.mark.parametrize("text", ["SQ2026112500000１", "SQ²0261125000001", "SQ2026112599999999999999", "", "SQ1"])
def test_odd_case_numbers_are_simply_not_found(text):
    from ningju.cases.models import parse_number

    assert parse_number(text) is None
