"""The staff pages of the case engine, driven through HTTP like a user: who may open which page, scope,
the closed loop through the case page, conflicts, the queue, routing rules, figures, export and seminars."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.utils import timezone

from ningju.cases import selectors, services
from ningju.cases.models import Case, CaseEvent, RoutingRule, Seminar
from ningju.cases.states import CaseKind, Rating, Status
from ningju.core.models import AuditEntry

from .conftest import WEDNESDAY, category, file_grievance

pytestmark = pytest.mark.django_db

PAGES = {
    "/cases/inbox/": ({"transport", "qy_org", "town", "village", "station", "city_org"},
                      {"worker", "instructor", "supervisor"}),
    "/cases/queue/": ({"qy_org", "city_org", "town"}, {"transport", "village", "worker", "supervisor"}),
    "/cases/": ({"qy_org", "transport", "instructor", "supervisor", "village"}, {"worker"}),
    "/cases/supervision/": ({"qy_org", "transport", "town"}, {"village", "station", "worker"}),
    "/cases/figures/": ({"qy_org", "city_org", "town"}, {"transport", "village", "worker"}),
    "/cases/rules/": ({"qy_org", "city_org", "town"}, {"transport", "instructor", "worker"}),
    "/cases/seminars/": ({"qy_org", "town"}, {"transport", "village", "worker"}),
    "/cases/duty/": ({"qy_org", "city_org"}, {"town", "transport", "worker"}),
}


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def _follow_messages(client, response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"])
    return page.content.decode()


@pytest.mark.parametrize("url", list(PAGES))
def test_each_page_opens_for_its_roles_and_403_for_others(routed, login, url):
    allowed, refused = PAGES[url]
    file_grievance(routed)  # something to show
    for key in sorted(allowed):
        response = login(routed.user[key]).get(url)
        assert response.status_code == 200, f"{key} {url}: {response.status_code}"
    for key in sorted(refused):
        assert login(routed.user[key]).get(url).status_code == 403, f"{key} should not open {url}"


def test_pages_need_a_login(routed, client):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_case_outside_scope_is_404_and_inside_opens(routed, login):
    case = file_grievance(routed).case  # 沁阳市, routed to 交通运输局
    sy = login(routed.user["sy_org"])
    assert sy.get(f"/cases/{case.pk}/").status_code == 404
    assert sy.post(f"/cases/{case.pk}/act/comment/", {"comment": "看看"}).status_code == 404
    assert not CaseEvent.objects.filter(case=case, action="comment").exists()
    for key in ("qy_org", "transport", "city_org"):
        response = login(routed.user[key]).get(f"/cases/{case.pk}/")
        assert response.status_code == 200
        assert case.number in response.content.decode()
    # a worker following their own case is sent to the filer's page
    response = login(routed.user["worker"]).get(f"/cases/{case.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/cases/mine/{case.pk}/"


def test_user_text_is_escaped(routed, login):
    case = file_grievance(routed, text="<script>alert(1)</script>路灯坏了").case
    html = login(routed.user["transport"]).get(f"/cases/{case.pk}/").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _version(client, case) -> int:
    html = client.get(f"/cases/{case.pk}/").content.decode()
    return int(re.search(r'name="version" value="(\d+)"', html).group(1))


def test_full_loop_through_the_pages(routed, login):
    w = routed
    case = file_grievance(w).case
    transport = login(w.user["transport"])

    inbox = transport.get("/cases/inbox/").content.decode()
    assert case.title in inbox and case.number in inbox
    html = transport.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-act="accept"' in html and 'data-act="return"' in html
    assert 'data-act="handle"' not in html and 'data-act="dispatch"' not in html

    r = transport.post(f"/cases/{case.pk}/act/accept/", {"version": _version(transport, case), "comment": ""})
    assert "已受理" in _follow_messages(transport, r)
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.owner == w.user["transport"]

    r = transport.post(f"/cases/{case.pk}/act/handle/", {"version": _version(transport, case), "result": ""})
    assert r.status_code == 400 and "请检查" in _messages(r)  # the result is required; nothing applied
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED

    png = _png()
    r = transport.post(f"/cases/{case.pk}/act/handle/",
                       {"version": _version(transport, case), "result": "已联系交警维修信号灯", "files": [png]})
    assert "已录入办理结果" in _follow_messages(transport, r)
    case.refresh_from_db()
    assert case.status == Status.HANDLED and case.attachments.count() == 1
    attachment = case.attachments.get()
    assert attachment.event.action == "handle" and attachment.content_type == "image/png"

    r = transport.post(f"/cases/{case.pk}/act/reply/", {"version": _version(transport, case), "reply": "信号灯已修复"})
    assert "已答复" in _follow_messages(transport, r)
    case.refresh_from_db()
    assert case.status == Status.REPLIED

    services.case_rate(actor=w.user["worker"], case=case, rating=Rating.SATISFIED)
    html = transport.get(f"/cases/{case.pk}/").content.decode()
    assert "已办结" in html and "满意" in html
    for label in ("提交", "自动分派", "受理", "办理", "答复", "评价"):
        assert f"<strong>{label}</strong>" in html
    assert f"/cases/attachment/{attachment.pk}/" in html
    assert 'data-act=' not in html  # nothing left to do on a closed case with a filer login


def _png() -> io.BytesIO:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    buf.seek(0)
    buf.name = "photo.png"
    return buf


def test_stale_version_shows_the_conflict_and_applies_once(routed, login):
    w = routed
    case = file_grievance(w).case
    transport = login(w.user["transport"])
    seen = _version(transport, case)
    transport.post(f"/cases/{case.pk}/act/accept/", {"version": seen})
    r = transport.post(f"/cases/{case.pk}/act/accept/", {"version": seen})  # the same page, sent again
    assert r.status_code == 409
    assert "该事项刚刚已被他人处理(当前状态:办理中)" in _messages(r)
    assert 'data-act="accept"' not in r.content.decode()  # the page shows the case as it is now
    assert CaseEvent.objects.filter(case=case, action="accept").count() == 1

    # a conflict on a step that is still possible keeps the typed text, with the current version
    seen = _version(transport, case)
    services.case_comment(actor=w.user["worker"], case=case, comment="补充:晚上更危险")  # moves the version on
    r = transport.post(f"/cases/{case.pk}/act/handle/", {"version": seen, "result": "已联系交警"})
    html = r.content.decode()
    assert r.status_code == 409 and "已被他人处理" in _messages(r)
    assert "已联系交警" in html and "补充:晚上更危险" in html
    assert f'name="version" value="{Case.objects.get(pk=case.pk).version}"' in html
    assert not CaseEvent.objects.filter(case=case, action="handle").exists()

    # a refusal that is not a conflict is a message too, the typed text kept
    qy = login(w.user["qy_org"])
    r = qy.post(f"/cases/{case.pk}/act/transfer/", {"version": _version(qy, case), "reason": "再看看",
                                                   "organisation": w.org["transport"].pk})
    assert r.status_code == 400 and "请选择另一个承办单位" in _messages(r) and "再看看" in r.content.decode()
    assert not CaseEvent.objects.filter(case=case, action="transfer").exists()


def test_return_sends_the_case_back_to_the_queue_and_the_handler_to_the_inbox(routed, login):
    w = routed
    case = file_grievance(w).case
    transport = login(w.user["transport"])
    r = transport.post(f"/cases/{case.pk}/act/return/", {"version": _version(transport, case),
                                                        "reason": "属于市场监管事项"})
    assert r.status_code == 302 and r["Location"] == "/cases/inbox/"  # the case left the handler's scope
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.organisation is None
    assert case in selectors.queue(user=w.user["qy_org"])


def test_queue_dispatch(routed, login):
    w = routed
    case = file_grievance(w, code="rights-pay", text="配送费被拖欠两个月").case  # no rule: waits in the queue
    qy = login(w.user["qy_org"])
    page = qy.get("/cases/queue/").content.decode()
    assert case.title in page and f'action="/cases/{case.pk}/act/dispatch/"' in page
    assert w.org["market"].name in page  # organisations with a handling login are offered at once
    r = qy.post(f"/cases/{case.pk}/act/dispatch/", {"version": case.version, "organisation": w.org["market"].pk,
                                                    "next": "/cases/queue/"})
    assert r.status_code == 302 and r["Location"] == "/cases/queue/"
    assert f"已分派给{w.org['market'].name}" in qy.get("/cases/queue/").content.decode()
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.organisation == w.org["market"]
    # an organisation outside the dispatcher's scope is refused by the picker
    other = file_grievance(w, code="rights-pay", text="另一件拖欠").case
    r = qy.post(f"/cases/{other.pk}/act/dispatch/", {"version": other.version, "organisation": w.org["zhongma"].pk})
    assert r.status_code == 400 and "不在管辖范围内" in r.content.decode()
    other.refresh_from_db()
    assert other.status == Status.SUBMITTED


def test_organisation_search_lists_only_organisations_in_scope(routed, login):
    w = routed
    html = login(w.user["qy_org"]).get("/cases/organisations/", {"org_q": "党支部"}).content.decode()
    assert w.org["luozhuang"].name in html and w.org["zhongma"].name not in html


def test_rule_editor_creates_a_rule_that_routes_the_next_case(routed, login):
    w = routed
    qy = login(w.user["qy_org"])
    form = qy.get("/cases/rules/new/").content.decode()
    assert w.div["qy"].name in form and w.div["sy"].name not in form  # divisions limited to scope
    pay = category("rights-pay")
    r = qy.post("/cases/rules/new/", {"category": pay.pk, "division": w.div["qy"].pk, "target": "org",
                                      "organisation": w.org["market"].pk, "note": "拖欠报酬交市场监管"})
    assert r.status_code == 302 and r["Location"] == "/cases/rules/"
    rule = RoutingRule.objects.get(category=pay, active=True)
    assert rule.organisation == w.org["market"]
    assert "拖欠报酬交市场监管" in qy.get("/cases/rules/").content.decode()

    case = file_grievance(w, code="rights-pay", text="配送费被拖欠").case
    assert case.status == Status.DISPATCHED and case.organisation == w.org["market"]

    # the same category and division again is refused with the service's message
    r = qy.post("/cases/rules/new/", {"category": pay.pk, "division": w.div["qy"].pk, "target": "local"})
    assert r.status_code == 400 and "已有分派规则" in r.content.decode()
    # switch it off: the next case waits in the queue
    qy.post(f"/cases/rules/{rule.pk}/off/")
    assert file_grievance(w, code="rights-pay", text="又一件").case.status == Status.SUBMITTED
    # a district cannot edit the city-wide deadlines; the city can
    assert qy.post("/cases/rules/deadlines/", {}).status_code == 403
    city = login(w.user["city_org"])
    r = city.post("/cases/rules/deadlines/", {"priority": "urgent", "accept_amount": 2, "accept_unit": "hour",
                                              "reply_amount": 1, "reply_unit": "workday"})
    assert r.status_code == 302


def test_figures_equal_the_selectors_rates(routed, login):
    w = routed
    t = WEDNESDAY + dt.timedelta(hours=2)
    a = file_grievance(w).case
    a = services.case_accept(actor=w.user["transport"], case=a, at=t)
    a = services.case_handle(actor=w.user["transport"], case=a, result="已处理", at=t)
    a = services.case_reply(actor=w.user["transport"], case=a, reply="已答复", at=t)
    services.case_rate(actor=w.user["worker"], case=a, rating=Rating.UNSATISFIED, comment="没解决", at=t)
    file_grievance(w, code="community-access", text="小区不让进")  # to the village branch, not accepted
    file_grievance(w, code="rights-pay", text="拖欠")  # queue
    file_grievance(w, division="zhongma", text="山阳区的事")  # outside 沁阳市

    params = {"period": "month", "year": "2026", "month": "11"}
    html = login(w.user["qy_org"]).get("/cases/figures/", params).content.decode()
    tz = timezone.get_current_timezone()
    start, end = dt.datetime(2026, 11, 1, tzinfo=tz), dt.datetime(2026, 12, 1, tzinfo=tz)
    expected = selectors.rates(user=w.user["qy_org"], start=start, end=end, division_path=w.div["qy"].path)
    assert expected.total == 3
    for stat, n, d, rate in (("response", expected.accepted_in_time, expected.due, expected.response_rate),
                             ("resolution", expected.resolved, expected.total, expected.resolution_rate),
                             ("satisfaction", expected.satisfied, expected.rated, expected.satisfaction_rate)):
        block = re.search(rf'id="rate-{stat}">(.*?)</div></div>', html, re.S).group(1)
        shown = re.search(r'class="num">([^<]*)<', block).group(1)
        assert shown == ("—" if rate is None else f"{rate:g}%"), (stat, shown, rate)
        assert f'class="n">{n}<' in block and f'class="d">{d}<' in block
    # drill-down into a town: only its cases
    html = login(w.user["qy_org"]).get("/cases/figures/", {**params, "division": w.div["taihang"].code})
    town = selectors.rates(user=w.user["qy_org"], start=start, end=end, division_path=w.div["taihang"].path)
    assert re.search(r'id="rate-total"><div class="num">(\d+)<', html.content.decode()).group(1) == str(town.total)
    # the category filter
    traffic = category("traffic")
    html = login(w.user["qy_org"]).get("/cases/figures/", {**params, "category": traffic.pk}).content.decode()
    only = selectors.rates(user=w.user["qy_org"], start=start, end=end, division_path=w.div["qy"].path,
                           category=traffic)
    assert re.search(r'id="rate-total"><div class="num">(\d+)<', html).group(1) == str(only.total) == "1"


def test_figures_export_matches_the_page(routed, login):
    w = routed
    file_grievance(w)
    r = login(w.user["qy_org"]).get("/cases/figures/export/", {"period": "year", "year": "2026"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "分组" and rows[1][0] == "合计" and rows[1][2] == 1
    assert AuditEntry.objects.filter(action="cases.figures.exported", actor=w.user["qy_org"]).exists()


def test_list_filters_export_and_audit(routed, login):
    w = routed
    first = file_grievance(w, text="=HYPERLINK(\"http://x\")信号灯").case
    file_grievance(w, code="rights-pay", text="配送费拖欠")
    file_grievance(w, division="zhongma", text="山阳区的事")
    qy = login(w.user["qy_org"])
    html = qy.get("/cases/", {"status": "submitted"}).content.decode()
    assert "配送费拖欠" in html and "信号灯" not in html and "山阳区的事" not in html
    html = qy.get("/cases/", {"q": first.number}).content.decode()
    assert first.number in html and "共 1 件" in html

    r = qy.get("/cases/export/", {"status": "open"})
    assert r.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and len(rows) == 3  # the two 沁阳市 cases, not 山阳区's
    texts = [row[3] for row in rows[1:]]
    assert any(t.startswith("'=HYPERLINK") for t in texts)  # formula injection neutralised
    entry = AuditEntry.objects.get(action="cases.case.exported")
    assert entry.actor == w.user["qy_org"] and entry.changes["rows"] == [None, 2]


def test_seminar_entry_files_a_case_linked_to_the_seminar(routed, login):
    w = routed
    qy = login(w.user["qy_org"])
    r = qy.post("/cases/seminars/", {"level": "county", "title": "新就业群体座谈会", "held_on": "2026-11-20",
                                     "place": "沁阳市党群服务中心", "division": w.div["qy"].pk,
                                     "organiser": w.org["qy_org"].pk, "attendee_count": 30})
    seminar = Seminar.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cases/seminars/{seminar.pk}/"
    page = qy.get(r["Location"]).content.decode()
    key = re.search(r'name="client_key" value="([0-9a-f]+)"', page).group(1)
    data = {"client_key": key, "filer_name": "骑手张", "filer_phone": "13912345678",
            "category": category("traffic-road").pk, "division": w.div["luozhuang"].pk, "text": "路口信号灯时长太短"}
    r = qy.post(f"/cases/seminars/{seminar.pk}/", data)
    assert r.status_code == 302
    case = Case.objects.get(seminar=seminar)
    assert case.source == "seminar" and case.filer is None and case.filer_name == "骑手张"
    assert case.organisation == w.org["transport"]  # routed like any other
    r = qy.post(f"/cases/seminars/{seminar.pk}/", data)  # the same form sent twice
    assert "重复提交未再次登记" in _follow_messages(qy, r)
    assert Case.objects.filter(seminar=seminar).count() == 1
    listing = qy.get("/cases/seminars/").content.decode()
    assert re.search(r"新就业群体座谈会</a></td>.*?<td>1</td></tr>", listing, re.S)
    detail = qy.get(f"/cases/seminars/{seminar.pk}/").content.decode()
    assert case.number in detail
    # the callback loop for a filer without a login: reply, then the dispatcher records the call
    t = services.case_accept(actor=w.user["transport"], case=case)
    t = services.case_handle(actor=w.user["transport"], case=t, result="已调整")
    services.case_reply(actor=w.user["transport"], case=t, reply="已调整信号灯时长")
    assert case.title in qy.get("/cases/queue/", {"tab": "callback"}).content.decode()
    assert "13912345678" in qy.get("/cases/queue/", {"tab": "callback"}).content.decode()
    case.refresh_from_db()
    r = qy.post(f"/cases/{case.pk}/act/callback/", {"version": case.version, "rating": "basic",
                                                     "comment": "电话回访,基本满意"})
    case.refresh_from_db()
    assert r.status_code == 302 and case.status == Status.CLOSED and case.rating == Rating.BASIC


def test_extension_request_and_approval(routed, login):
    w = routed
    case = file_grievance(w).case
    transport, qy = login(w.user["transport"]), login(w.user["qy_org"])
    transport.post(f"/cases/{case.pk}/act/accept/", {"version": _version(transport, case)})
    due = Case.objects.get(pk=case.pk).reply_due
    transport.post(f"/cases/{case.pk}/act/extend/", {"version": _version(transport, case), "days": 3,
                                                     "reason": "需协调交警部门"})
    assert "延期待批" in transport.get("/cases/inbox/").content.decode()
    assert case.title in qy.get("/cases/queue/", {"tab": "extensions"}).content.decode()
    r = qy.post(f"/cases/{case.pk}/act/decide/", {"version": _version(qy, case), "decision": "approve"})
    assert "已同意延期" in _follow_messages(qy, r)
    case.refresh_from_db()
    assert case.extension_days == 0 and case.reply_due > due


def test_merge_by_number_and_transfer(routed, login):
    w = routed
    keep = file_grievance(w, code="rights-pay", text="配送费拖欠").case
    dup = file_grievance(w, code="rights-pay", text="配送费拖欠(重复)").case
    qy = login(w.user["qy_org"])
    r = qy.post(f"/cases/{dup.pk}/act/merge/", {"version": dup.version, "into": "SQ20260101999999"})
    assert r.status_code == 400 and "请核对编号" in r.content.decode()
    r = qy.post(f"/cases/{dup.pk}/act/merge/", {"version": dup.version, "into": keep.number})
    assert f"已并入事项 {keep.number}" in _follow_messages(qy, r)
    dup.refresh_from_db()
    assert dup.status == Status.MERGED and dup.merged_into == keep

    routed_case = file_grievance(w).case
    r = qy.post(f"/cases/{routed_case.pk}/act/transfer/",
                {"version": routed_case.version, "organisation": w.org["market"].pk, "reason": "应由市场监管办理"})
    routed_case.refresh_from_db()
    assert r.status_code == 302 and routed_case.organisation == w.org["market"]


def test_inbox_marks_overdue_and_tabs(routed, login):
    w = routed
    old = file_grievance(w, at=timezone.now() - dt.timedelta(days=10)).case  # its deadlines have passed
    fresh = file_grievance(w, at=timezone.now(), text="刚提交的信号灯问题").case
    transport = login(w.user["transport"])
    html = transport.get("/cases/inbox/").content.decode()
    assert re.search(rf"{old.title}.*?已超期", html, re.S)
    services.case_accept(actor=w.user["transport"], case=fresh)
    html = transport.get("/cases/inbox/", {"state": "accepted"}).content.decode()
    assert "刚提交的信号灯问题" in html and old.number not in html


def test_supervision_page_groups_notices(routed, login):
    w = routed
    case = file_grievance(w, at=timezone.now() - dt.timedelta(days=10)).case
    services.tick(now=timezone.now())
    html = login(w.user["qy_org"]).get("/cases/supervision/").content.decode()
    assert case.number in html and "超期未受理" in html and w.org["qy"].name in html
    services.case_accept(actor=w.user["transport"], case=case)
    html = login(w.user["qy_org"]).get("/cases/supervision/", {"tab": "history"}).content.decode()
    assert case.number in html and "已解除" in html


def test_duty_and_grid_members(routed, login):
    w = routed
    qy = login(w.user["qy_org"])
    today = timezone.localdate().isoformat()
    r = qy.post("/cases/duty/", {"form": "shift", "organisation": w.org["qy"].pk, "user": w.user["qy_org"].pk,
                                 "starts_on": today, "ends_on": today})
    assert r.status_code == 302
    assert w.user["qy_org"].name in qy.get("/cases/duty/").content.decode()
    # a worker's login (no organisation) is found through the registry record in scope
    r = qy.post("/cases/duty/", {"form": "grid", "user": w.user["worker"].pk, "division": w.div["qzs"].pk,
                                 "role": "scout"})
    assert r.status_code == 302
    assert w.user["worker"].can("cases.report")
    # a login outside the scope cannot be picked
    r = qy.post("/cases/duty/", {"form": "shift", "organisation": w.org["qy"].pk, "user": w.user["sy_org"].pk,
                                 "starts_on": today, "ends_on": today})
    assert r.status_code == 400 and "不在管辖范围内" in r.content.decode()
    options = qy.get("/cases/users/", {"user_q": "骑手", "kind": "grid"}).content.decode()
    assert w.user["worker"].name in options


def test_incident_case_kind_shows_in_list(routed, login):
    w = routed
    services.grid_member_set(actor=w.user["qy_org"], user=w.user["worker"], division=w.div["qzs"])
    services.case_file(actor=w.user["worker"], kind=CaseKind.INCIDENT, category=category("warning-hazard"),
                       division=w.div["qzs"], text="井盖缺失")
    html = login(w.user["qy_org"]).get("/cases/", {"kind": "incident"}).content.decode()
    assert "井盖缺失" in html
