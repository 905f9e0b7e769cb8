"""The case API: the closed loop through /api/v1/, scoping, idempotent filing, conflicts, refusals, the rates."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from ningju.cases import selectors, services
from ningju.cases.models import Attachment, Case, CaseEvent, Notification, RoutingRule
from ningju.cases.states import Status
from ningju.core.models import AuditEntry
from ningju.testing.api import API, bearer, error, fields, ok, post

from .conftest import category, file_grievance

pytestmark = pytest.mark.django_db

INSIDE = {"lat": 35.0875, "lng": 112.9502}  # 沁阳市 town centre


def grievance(world, **extra) -> dict:
    return {"category": "traffic-road", "text": "太行路与建设路口信号灯故障,骑手通行危险",
            "division_code": world.div["luozhuang"].code, **INSIDE, **extra}


def png(name="现场.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def test_openapi_lists_the_case_endpoints(world):
    doc = Client().get(f"{API}/openapi.json").json()
    paths = doc["paths"]
    for path in ("/cases", "/cases/{case_id}", "/cases/categories", "/cases/inbox", "/cases/queue",
                 "/cases/supervisions", "/cases/overdue", "/cases/rates", "/notifications", "/notifications/read",
                 "/cases/routing-rules", "/cases/routing-rules/{rule_id}", "/cases/seminars", "/cases/upload",
                 "/cases/{case_id}/comments/upload", "/cases/attachments/{attachment_id}"):
        assert f"{API}{path}" in paths, path
    assert set(paths[f"{API}/cases"]) == {"get", "post"}
    for step in ("dispatch", "accept", "return", "transfer", "handle", "reply", "rate", "callback", "reopen",
                 "merge", "extension", "extension/decision", "comments"):
        operation = paths[f"{API}/cases/{{case_id}}/{step}"]["post"]
        assert operation["tags"] == ["闭环事项"]
        assert {"200", "409"} <= set(operation["responses"]), step
    assert set(paths[f"{API}/cases"]["post"]["responses"]) >= {"200", "201"}
    text = doc["components"]["schemas"]["CaseIn"]["properties"]["text"]
    assert text["maxLength"] == 2000
    assert "multipart/form-data" in paths[f"{API}/cases/upload"]["post"]["requestBody"]["content"]


def test_full_loop_through_the_api(routed):
    w = routed
    worker, handler = bearer(w.user["worker"]), bearer(w.user["transport"])

    filed = ok(post(worker, "/cases", grievance(w, client_key="8d1c6a52-loop")), 201)
    assert filed["created"] and filed["query_code"] is None
    assert filed["status"] == "dispatched" and filed["organisation_id"] == w.org["transport"].pk
    assert filed["number"].startswith("SQ") and filed["filer_id"] == w.user["worker"].pk
    assert [e["action"] for e in filed["events"]] == ["submit", "route"]
    case_id = filed["id"]
    assert AuditEntry.objects.get(action="cases.case.filed").source == "api"

    inbox = ok(handler.get(f"{API}/cases/inbox"))
    assert [c["id"] for c in inbox["items"]] == [case_id] and inbox["count"] == 1

    seen = ok(handler.get(f"{API}/cases/{case_id}"))
    accepted = ok(post(handler, f"/cases/{case_id}/accept", {"version": seen["version"], "comment": "已受理"}))
    assert accepted["status"] == "accepted" and accepted["owner_id"] == w.user["transport"].pk
    handled = ok(post(handler, f"/cases/{case_id}/handle", {"version": accepted["version"],
                                                             "result": "已联系交警维修信号灯"}))
    assert handled["status"] == "handled" and handled["result"] == "已联系交警维修信号灯"
    replied = ok(post(handler, f"/cases/{case_id}/reply", {"version": handled["version"], "reply": "信号灯已修复"}))
    assert replied["status"] == "replied"

    rated = ok(post(worker, f"/cases/{case_id}/rate", {"rating": "satisfied", "version": replied["version"]}))
    assert rated["status"] == "closed" and rated["rating"] == "satisfied" and rated["closed_at"]

    mine = ok(worker.get(f"{API}/cases/{case_id}"))
    assert [e["action"] for e in mine["events"]] == ["submit", "route", "accept", "handle", "reply", "rate"]
    assert mine["events"][2]["action_label"] == "受理"
    assert set(AuditEntry.objects.filter(action__startswith="cases.case.").values_list("source", flat=True)) == {"api"}

    unread = ok(worker.get(f"{API}/notifications?unread=true"))
    assert unread["count"] >= 3 and {n["case_id"] for n in unread["items"]} == {case_id}
    first = unread["items"][0]["id"]
    assert ok(post(worker, "/notifications/read", {"ids": [first]})) == {"marked": 1, "unread": unread["count"] - 1}
    assert ok(post(worker, "/notifications/read"))["unread"] == 0
    assert not Notification.objects.filter(user=w.user["worker"], read_at__isnull=True).exists()


def test_queue_dispatch_transfer_extension_merge_and_callback(routed):
    w = routed
    dispatcher, handler = bearer(w.user["qy_org"]), bearer(w.user["transport"])
    # Not covered by a rule: waits in the queue of 沁阳市's dispatchers, not of 山阳区's.
    queued = file_grievance(w, code="rights-pay", text="配送费被拖欠两个月").case
    assert [c["id"] for c in ok(dispatcher.get(f"{API}/cases/queue"))["items"]] == [queued.pk]
    assert ok(bearer(w.user["sy_org"]).get(f"{API}/cases/queue"))["count"] == 0

    case = ok(post(dispatcher, f"/cases/{queued.pk}/dispatch", {"organisation_id": w.org["market"].pk,
                                                                 "version": queued.version}))
    assert case["status"] == "dispatched" and case["organisation_name"] == "沁阳市市场监管局"
    case = ok(post(dispatcher, f"/cases/{queued.pk}/transfer", {"organisation_id": w.org["transport"].pk,
                                                                 "reason": "属交通部门职责"}))
    assert case["organisation_id"] == w.org["transport"].pk
    case = ok(post(handler, f"/cases/{queued.pk}/accept"))
    case = ok(post(handler, f"/cases/{queued.pk}/extension", {"days": 3, "reason": "需协调平台企业"}))
    assert case["extension_days"] == 3
    assert [c["id"] for c in ok(dispatcher.get(f"{API}/cases/extensions"))["items"]] == [queued.pk]
    due = dt.datetime.fromisoformat(case["reply_due"])
    case = ok(post(dispatcher, f"/cases/{queued.pk}/extension/decision", {"approve": True}))
    assert case["extension_days"] == 0 and dt.datetime.fromisoformat(case["reply_due"]) > due

    # A duplicate folds into the first; the target must be one the dispatcher sees.
    dup = file_grievance(w, code="rights-pay", text="配送费拖欠").case
    err = error(post(dispatcher, f"/cases/{dup.pk}/merge", {"into_id": dup.pk}), 400)
    assert "into_id" in fields(err)
    merged = ok(post(dispatcher, f"/cases/{dup.pk}/merge", {"into_id": queued.pk, "comment": "同一事项"}))
    assert merged["status"] == "merged" and merged["merged_into_id"] == queued.pk

    # A grievance taken at a seminar has no login behind it: the dispatcher records the call-back rating.
    seminar = ok(post(dispatcher, "/cases/seminars", {
        "level": "county", "title": "新就业群体座谈会", "held_on": "2026-11-10", "place": "沁阳市党群服务中心",
        "division_code": w.div["qy"].code, "attendee_count": 12}), 201)
    assert seminar["organiser_id"] == w.org["qy_org"].pk and seminar["case_count"] == 0
    taken = ok(post(dispatcher, "/cases", grievance(w, seminar_id=seminar["id"], filer_name="张师傅",
                                                    filer_phone="13912345678", priority="urgent")), 201)
    assert taken["source"] == "seminar" and taken["priority"] == "urgent" and taken["filer_phone"] == "13912345678"
    assert ok(dispatcher.get(f"{API}/cases/seminars"))["items"][0]["case_count"] == 1
    # The phone is shown to the dispatcher and the handler, masked to a village secretary who only sees it.
    assert ok(bearer(w.user["village"]).get(f"{API}/cases/{taken['id']}"))["filer_phone"] == "139****5678"
    for step, body in (("accept", {}), ("handle", {"result": "已处理"}), ("reply", {"reply": "已电话答复"})):
        ok(post(handler, f"/cases/{taken['id']}/{step}", body))
    assert [c["id"] for c in ok(dispatcher.get(f"{API}/cases/callbacks"))["items"]] == [taken["id"]]
    closed = ok(post(dispatcher, f"/cases/{taken['id']}/callback", {"rating": "basic", "comment": "电话回访基本满意"}))
    assert closed["status"] == "closed" and closed["rating"] == "basic"


def test_return_leaves_the_handlers_scope_but_answers_the_step(routed):
    w = routed
    case = file_grievance(w).case
    handler = bearer(w.user["transport"])
    returned = ok(post(handler, f"/cases/{case.pk}/return", {"reason": "不属本单位职责"}))
    assert returned["status"] == "submitted" and returned["organisation_id"] is None
    assert handler.get(f"{API}/cases/{case.pk}").status_code == 404
    assert case.pk in [c["id"] for c in ok(bearer(w.user["qy_org"]).get(f"{API}/cases/queue"))["items"]]


def test_scoping_other_district_sees_nothing(routed):
    w = routed
    case = file_grievance(w).case
    other = bearer(w.user["sy_org"])
    assert error(other.get(f"{API}/cases/{case.pk}"), 404)["code"] == "not_found"
    assert ok(other.get(f"{API}/cases"))["count"] == 0
    assert ok(other.get(f"{API}/cases?q={case.number}"))["count"] == 0
    assert error(post(other, f"/cases/{case.pk}/transfer", {"organisation_id": w.org["sy_org"].pk,
                                                            "reason": "转办"}), 404)
    assert ok(bearer(w.user["qy_org"]).get(f"{API}/cases?q={case.number}"))["items"][0]["id"] == case.pk
    # The filer sees their own case; a worker's role may not dispatch (403 before anything about the case).
    worker = bearer(w.user["worker"])
    assert ok(worker.get(f"{API}/cases"))["count"] == 1
    assert error(post(worker, f"/cases/{case.pk}/dispatch", {"organisation_id": w.org["transport"].pk}),
                 403)["code"] == "forbidden"
    # Listing filters.
    qy = bearer(w.user["qy_org"])
    assert ok(qy.get(f"{API}/cases?status=open&kind=grievance&category=traffic"))["count"] == 1
    assert ok(qy.get(f"{API}/cases?status=closed"))["count"] == 0
    assert ok(qy.get(f"{API}/cases?division={w.div['qinhuai'].code}"))["count"] == 0
    assert "category" in fields(error(qy.get(f"{API}/cases?category=no-such"), 400))
    assert ok(qy.get(f"{API}/cases?q=SQ2026112599999999999999999999"))["count"] == 0  # not a number: no match


def test_same_client_key_files_once_and_answers_200(routed):
    w = routed
    worker = bearer(w.user["worker"])
    body = grievance(w, client_key="b7e0f4b2-6a0e-4f0e-9c0d-2f5b1c9a7e11")
    first = ok(post(worker, "/cases", body), 201)
    again = ok(post(worker, "/cases", body))
    assert again["id"] == first["id"] and again["created"] is False
    assert Case.objects.count() == 1 and CaseEvent.objects.filter(action="submit").count() == 1
    assert AuditEntry.objects.filter(action="cases.case.filed").count() == 1
    # Someone else sending the same key is refused, not shown the case.
    err = error(post(bearer(w.user["qy_org"]), "/cases", body), 400)
    assert "client_key" in fields(err) or "请求标识重复" in err["message"]


def test_anonymous_filing_returns_a_query_code_once(routed):
    w = routed
    worker = bearer(w.user["worker"])
    body = grievance(w, anonymous=True, client_key="anon-5f0c2d", filer_phone="13812345678")
    filed = ok(post(worker, "/cases", body), 201)
    assert filed["anonymous"] and filed["filer_id"] is None and len(filed["query_code"]) == 10
    assert filed["filer_phone"] == "138****5678"
    # The anonymous case is not the worker's: not in their list, not readable by id; a retry still answers.
    assert worker.get(f"{API}/cases/{filed['id']}").status_code == 404
    again = ok(post(worker, "/cases", body))
    assert again["id"] == filed["id"] and again["query_code"] is None and not again["created"]
    # The retry is recognised by its client key alone: an anonymous case records no filer to compare with.
    assert ok(post(bearer(w.user["village"]), "/cases", body))["id"] == filed["id"]
    # A named case's key presented by someone else is refused.
    named = grievance(w, client_key="named-7d1e")
    ok(post(worker, "/cases", named), 201)
    assert "client_key" in fields(error(post(bearer(w.user["sy_org"]), "/cases", named), 400))
    case = selectors.case_by_code(number=filed["number"], query_code=filed["query_code"])
    assert case.pk == filed["id"]


def test_stale_version_is_a_409_conflict(routed):
    w = routed
    case = file_grievance(w).case
    handler = bearer(w.user["transport"])
    seen = case.version
    ok(post(handler, f"/cases/{case.pk}/accept", {"version": seen}))
    err = error(post(handler, f"/cases/{case.pk}/accept", {"version": seen}), 409)
    assert err["code"] == "conflict" and "已被他人处理" in err["message"]
    err = error(post(handler, f"/cases/{case.pk}/handle", {"version": seen, "result": "已处理"}), 409)
    assert err["code"] == "conflict"
    assert CaseEvent.objects.filter(case=case, action__in=["accept", "handle"]).count() == 1
    # The largest version the column holds is stale too (its + 1 used to overflow into a 500 on PostgreSQL).
    err = error(post(handler, f"/cases/{case.pk}/handle", {"version": 2**31 - 1, "result": "已处理"}), 409)
    assert err["code"] == "conflict"
    # Without a version the current one is expected; a wrong state is a 400 with the engine's message.
    err = error(post(handler, f"/cases/{case.pk}/accept"), 400)
    assert "办理中" in err["message"]


def test_bad_input_is_refused_with_the_field(routed):
    w = routed
    worker = bearer(w.user["worker"])
    err = error(post(worker, "/cases", grievance(w, category="no-such-category")), 400)
    assert "category" in fields(err)
    err = error(post(worker, "/cases", grievance(w, category="warning-hazard")), 400)  # an incident category
    assert "category" in fields(err)
    err = error(post(worker, "/cases", grievance(w, text="长" * 2001)), 400)
    assert "text" in fields(err)
    err = error(post(worker, "/cases", grievance(w, title="标" * 61)), 400)
    assert "title" in fields(err)
    err = error(post(worker, "/cases", grievance(w, lat=39.9042, lng=116.4074)), 400)  # Beijing
    assert "lat" in fields(err) and "不在本市范围" in fields(err)["lat"]
    err = error(post(worker, "/cases", grievance(w, lat=95)), 400)
    assert "lat" in fields(err)
    err = error(post(worker, "/cases", grievance(w, division_code="999999999999")), 400)
    assert "division_code" in fields(err)
    err = error(post(worker, "/cases", grievance(w, organisation_id=w.org["transport"].pk)), 400)
    assert "organisation_id" in fields(err)
    # Incident reports are for grid members only.
    assert error(post(worker, "/cases", grievance(w, kind="incident", category="warning-hazard")), 403)
    assert Case.objects.count() == 0

    case = file_grievance(w).case
    handler = bearer(w.user["transport"])
    for step, body in (("accept", {}), ("handle", {"result": "已处理"}), ("reply", {"reply": "已答复"})):
        ok(post(handler, f"/cases/{case.pk}/{step}", body))
    assert "comment" in fields(error(post(handler, f"/cases/{case.pk}/comments", {"comment": "说" * 1001}), 400))
    assert error(post(bearer(w.user["qy_org"]), f"/cases/{case.pk}/rate", {"rating": "satisfied"}),
                 403)["code"] == "forbidden"
    assert "rating" in fields(error(post(worker, f"/cases/{case.pk}/rate", {"rating": "great"}), 400))
    # Unsatisfied needs a reason; then one rating only.
    assert "comment" in fields(error(post(worker, f"/cases/{case.pk}/rate", {"rating": "unsatisfied"}), 400))
    ok(post(worker, f"/cases/{case.pk}/rate", {"rating": "unsatisfied", "comment": "信号灯仍时好时坏"}))
    err = error(post(worker, f"/cases/{case.pk}/rate", {"rating": "satisfied"}), 400)
    assert "已评价" in err["message"]
    # An unsatisfied filer may re-open it, once.
    reopened = ok(post(worker, f"/cases/{case.pk}/reopen", {"reason": "问题没有解决"}))
    assert reopened["status"] == "dispatched" and reopened["reopen_count"] == 1


def test_comment_with_photo_and_scoped_download(routed):
    w = routed
    case = file_grievance(w).case
    worker = bearer(w.user["worker"])
    response = worker.post(f"{API}/cases/{case.pk}/comments/upload", {"comment": "补充现场照片", "files": [png()]})
    detail = ok(response)
    assert len(detail["attachments"]) == 1
    attachment = detail["attachments"][0]
    assert attachment["is_image"] and attachment["content_type"] == "image/png"
    assert detail["events"][-1]["attachment_ids"] == [attachment["id"]]
    photo = bearer(w.user["transport"]).get(attachment["url"])
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert bearer(w.user["sy_org"]).get(attachment["url"]).status_code == 404
    not_image = SimpleUploadedFile("x.png", b"plain text, not a picture", content_type="image/png")
    err = error(worker.post(f"{API}/cases/{case.pk}/comments/upload", {"comment": "再补充", "files": [not_image]}), 400)
    assert "files" in fields(err)
    assert Attachment.objects.count() == 1

    filed = ok(worker.post(f"{API}/cases/upload", {**grievance(w), "files": [png("a.png"), png("b.png")]}), 201)
    assert len(filed["attachments"]) == 2 and filed["attachments"][0]["event_id"] == filed["events"][0]["id"]


def test_rates_match_the_selectors(routed):
    w = routed
    now = timezone.now()
    closed = file_grievance(w, at=now - dt.timedelta(days=3)).case
    for step in (services.case_accept,):
        closed = step(actor=w.user["transport"], case=closed)
    closed = services.case_handle(actor=w.user["transport"], case=closed, result="已处理")
    closed = services.case_reply(actor=w.user["transport"], case=closed, reply="已答复")
    services.case_rate(actor=w.user["worker"], case=closed, rating="satisfied")
    file_grievance(w, code="community-access", text="小区门禁不让骑手进入", at=now - dt.timedelta(days=2))
    file_grievance(w, code="rights-pay", text="配送费被拖欠", at=now - dt.timedelta(days=1))

    leader = bearer(w.user["qy_org"])
    start, end = (now - dt.timedelta(days=10)).date(), timezone.localdate()
    body = ok(leader.get(f"{API}/cases/rates?start={start}&end={end}&by=category"))
    expected = selectors.rates(user=w.user["qy_org"], start=timezone.make_aware(dt.datetime.combine(start, dt.time())),
                               end=timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time())))
    assert (body["total"], body["due"], body["accepted_in_time"], body["resolved"], body["rated"],
            body["satisfied"]) == (expected.total, expected.due, expected.accepted_in_time, expected.resolved,
                                   expected.rated, expected.satisfied)
    assert body["total"] == 3 and body["resolved"] == 1 and body["rated"] == body["satisfied"] == 1
    assert body["resolution_rate"] == expected.resolution_rate == round(100 / 3, 1)
    assert body["satisfaction_rate"] == 100.0 and body["response_rate"] == expected.response_rate
    assert {r["label"]: r["total"] for r in body["breakdown"]} == {"交通安全": 1, "社区融入": 1, "权益保障": 1}

    narrowed = ok(leader.get(f"{API}/cases/rates?start={start}&end={end}&category=traffic"
                             f"&organisation_id={w.org['transport'].pk}&by=organisation"))
    assert narrowed["total"] == 1 and narrowed["breakdown"] == [{**{k: narrowed[k] for k in (
        "total", "due", "accepted_in_time", "resolved", "rated", "satisfied", "response_rate", "resolution_rate",
        "satisfaction_rate")}, "label": "沁阳市交通运输局"}]
    assert ok(bearer(w.user["sy_org"]).get(f"{API}/cases/rates?start={start}&end={end}"))["total"] == 0
    assert "start" in fields(error(leader.get(f"{API}/cases/rates?start={end}&end={start - dt.timedelta(days=1)}"),
                                   400))
    assert "end" in fields(error(leader.get(f"{API}/cases/rates?end=9999-12-31"), 400))
    assert error(bearer(w.user["worker"]).get(f"{API}/cases/rates"), 403)


def test_routing_rules_and_categories(world):
    w = world
    dispatcher = bearer(w.user["qy_org"])
    body = {"category": "life", "division_code": w.div["qy"].code, "organisation_id": w.org["market"].pk,
            "note": "生活服务由市场监管局牵头"}
    rule = ok(post(dispatcher, "/cases/routing-rules", body), 201)
    assert rule["category_name"] == "生活服务" and rule["organisation_name"] == "沁阳市市场监管局"
    assert "category" in fields(error(post(dispatcher, "/cases/routing-rules", body), 400))  # one active rule
    assert "division_code" in fields(error(post(dispatcher, "/cases/routing-rules", {
        **body, "division_code": w.div["sy"].code}), 400))
    assert [r["id"] for r in ok(dispatcher.get(f"{API}/cases/routing-rules"))["items"]] == [rule["id"]]
    assert bearer(w.user["sy_org"]).delete(f"{API}/cases/routing-rules/{rule['id']}").status_code == 404
    assert error(bearer(w.user["transport"]).get(f"{API}/cases/routing-rules"), 403)

    filed = file_grievance(w, code="life-station", text="驿站饮水机坏了").case
    assert filed.organisation == w.org["market"]
    assert dispatcher.delete(f"{API}/cases/routing-rules/{rule['id']}").status_code == 204
    assert not RoutingRule.objects.get(pk=rule["id"]).active
    assert ok(dispatcher.get(f"{API}/cases/routing-rules"))["count"] == 0
    assert file_grievance(w, code="life-station", text="驿站没有热水").case.status == Status.SUBMITTED

    codes = [c["code"] for c in ok(dispatcher.get(f"{API}/cases/categories?kind=grievance&page_size=200"))["items"]]
    assert "traffic-road" in codes and "warning-hazard" not in codes
    assert {c.code for c in selectors.categories(kind="grievance")} == set(codes)
    incident = ok(bearer(w.user["worker"]).get(f"{API}/cases/categories?kind=incident&page_size=200"))["items"]
    assert {c["code"] for c in incident} >= {"warning-hazard", "emergency-fire"}
    assert next(c for c in incident if c["code"] == "emergency-fire")["is_emergency"]
    assert category("traffic-road").parent.code == "traffic"


def test_supervision_and_overdue_lists(routed):
    w = routed
    late = timezone.now() - dt.timedelta(days=20)
    case = file_grievance(w, at=late).case
    services.tick()
    leader = bearer(w.user["qy_org"])
    overdue = ok(leader.get(f"{API}/cases/overdue"))
    assert [c["id"] for c in overdue["items"]] == [case.pk] and overdue["items"][0]["overdue"]
    assert ok(leader.get(f"{API}/cases?overdue=true"))["count"] == 1
    notices = ok(leader.get(f"{API}/cases/supervisions"))["items"]
    assert {(n["case_id"], n["reason"]) for n in notices} == {(case.pk, "accept"), (case.pk, "reply")}
    assert {n["handling_org_name"] for n in notices} == {"沁阳市交通运输局"}
    assert ok(bearer(w.user["sy_org"]).get(f"{API}/cases/supervisions"))["count"] == 0
    assert error(bearer(w.user["worker"]).get(f"{API}/cases/overdue"), 403)
