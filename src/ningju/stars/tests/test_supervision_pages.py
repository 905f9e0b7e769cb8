"""Supervision pages (督导→整改→再督导): who sees what, recording a visit on the phone page, re-inspection,
the progress board, the export and the plan form."""

import datetime as dt
import io
import re
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from ningju.cases import services as case_services
from ningju.cases.models import Attachment, Case
from ningju.cases.states import Status
from ningju.core.models import AuditEntry
from ningju.stars import selectors
from ningju.stars.models import Aspect, CheckResult, Finding, PostEvaluation, SupervisionPlan, Visit
from ningju.stars.services import supervision_plan_create
from ningju.stars.services.supervision import GroupSpec
from ningju.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

D = dt.date
# All rounds end before any day these tests run, so no deadline computed from today can equal a round date by
# chance (the leak test below looks for round dates on the branch's pages).
ROUNDS = [(D(2026, 3, 2), D(2026, 3, 31)), (D(2026, 5, 4), D(2026, 5, 29)), (D(2026, 8, 3), D(2026, 8, 28)),
          (D(2026, 11, 2), D(2026, 11, 20))]
GROUP_NAMES = ["甲督导组", "乙督导组", "丙督导组"]


def make_plan(w, **kw):
    groups = [GroupSpec(name=GROUP_NAMES[0], organisation=w.org["group"], leader=w.user["supervisor"]),
              GroupSpec(name=GROUP_NAMES[1], organisation=w.org["group2"], leader=w.user["supervisor2"]),
              GroupSpec(name=GROUP_NAMES[2], organisation=w.org["group3"], leader=w.user["supervisor3"])]
    return supervision_plan_create(actor=w.user["sy_org"], name="2026年“五星”支部创建督导", year=2026,
                                   district=w.div["sy"], starts_on=D(2026, 3, 1), ends_on=D(2026, 12, 31),
                                   groups=groups, rounds=ROUNDS, **kw)


def visit_of(plan, unit, n) -> Visit:
    return Visit.objects.select_related("group", "round").get(round__plan=plan, round__number=n, unit=unit)


def png(name="photo.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def visit_post(findings=(), verify=None, problems=(), notes="") -> dict:
    """The visit form's fields: every aspect answered, ``findings`` as (aspect, text[, photo]) rows."""
    data = {f"check_{a.value}": "problem" if a.value in problems else "ok" for a in Aspect}
    for i, row in enumerate(findings):
        data[f"f-{i}-aspect"], data[f"f-{i}-text"] = row[0], row[1]
        if len(row) > 2:
            data[f"f-{i}-photos"] = row[2]
    for fid, (result, comment) in (verify or {}).items():
        data[f"verify_{fid}"], data[f"verify_comment_{fid}"] = result, comment
    data["notes"] = notes
    return data


def leader(visit) -> object:
    return visit.group.leader


def record(login, visit, **kw):
    return login(leader(visit)).post(reverse("stars:visit", args=[visit.pk]), visit_post(**kw))


def rectify(w, finding, text="已整改到位"):
    """The branch secretary (the item's owner) accepts, handles and replies in the case engine."""
    c = Case.objects.select_related("owner").get(pk=finding.case_id)
    sec = c.owner
    c = case_services.case_accept(actor=sec, case=c)
    c = case_services.case_handle(actor=sec, case=c, result=text)
    return case_services.case_reply(actor=sec, case=c, reply=text)


def test_pages_render_per_role(shanyang, login):
    w = shanyang
    plan = make_plan(w)
    first = visit_of(plan, w.org["zhongma"], 1)

    district = login(w.user["sy_org"])
    page = district.get(reverse("stars:supervision_home"))
    assert page.status_code == 200
    assert plan.name in page.content.decode() and "我的督导任务" not in page.content.decode()
    assert district.get(reverse("stars:supervision_create")).status_code == 200
    detail = district.get(reverse("stars:supervision_plan", args=[plan.pk])).content.decode()
    for name in GROUP_NAMES:
        assert name in detail
    assert 'id="assignment-table"' in detail and 'data-echart="aspect-chart-options"' in detail
    assert district.get(reverse("stars:findings")).status_code == 200

    member = login(leader(first))
    home = member.get(reverse("stars:supervision_home")).content.decode()
    assert "我的督导任务" in home and reverse("stars:visit", args=[first.pk]) in home
    visit_page = member.get(reverse("stars:visit", args=[first.pk])).content.decode()
    assert "检查清单" in visit_page and "规范标牌" in visit_page
    assert member.get(reverse("stars:supervision_create")).status_code == 403

    for key in ("sec_zhongma", "zx_town"):
        c = login(w.user[key])
        home = c.get(reverse("stars:supervision_home"))
        assert home.status_code == 200 and "我的督导任务" not in home.content.decode()
        assert c.get(reverse("stars:findings")).status_code == 200
        assert c.get(reverse("stars:supervision_plan", args=[plan.pk])).status_code == 404
        assert c.get(reverse("stars:supervision_export", args=[plan.pk])).status_code == 404
        assert c.get(reverse("stars:supervision_create")).status_code == 403


def test_planned_visits_never_reach_the_branch_or_the_town(shanyang, login):
    w = shanyang
    plan = make_plan(w)
    unit = w.org["zhongma"]
    first, second = visit_of(plan, unit, 1), visit_of(plan, unit, 2)
    assert record(login, first, findings=[("plan", "创建计划未上墙")], problems=["plan"]).status_code == 302
    finding = Finding.objects.get(plan=plan, unit=unit)

    planned = [visit_of(plan, unit, n) for n in (2, 3, 4)]
    secret = {second.group.name, second.group.organisation.name}
    for v in planned:
        secret |= {f"{v.round.starts_on:%Y-%m-%d}", f"{v.round.ends_on:%Y-%m-%d}", f"{v.round.starts_on:%m-%d}"}
    for key in ("sec_zhongma", "zx_town"):
        c = login(w.user[key])
        pages = [reverse("stars:supervision_home"), reverse("stars:findings"),
                 reverse("stars:findings") + f"?plan={plan.pk}&round=1", reverse("stars:findings") + "?state=open",
                 reverse("cases:detail", args=[finding.case_id])]
        for url in pages:
            response = c.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            assert finding.text in body, url
            leaked = [s for s in secret if s in body]
            assert not leaked, f"{key} sees {leaked} on {url}"
        for v in planned:
            assert c.get(reverse("stars:visit", args=[v.pk])).status_code == 403
        assert c.get(reverse("stars:supervision_plan", args=[plan.pk])).status_code == 404


def test_only_group_members_may_record_a_visit(shanyang, login):
    w = shanyang
    plan = make_plan(w)
    first = visit_of(plan, w.org["zhongma"], 1)
    url = reverse("stars:visit", args=[first.pk])
    # same supervision-group organisation, but not a member of the plan's group
    colleague = UserFactory(role="supervisor", organisation=first.group.organisation)
    for user in (colleague, w.user["sec_zhongma"], w.user["zx_town"]):
        c = login(user)
        assert c.get(url).status_code == 403
        assert c.post(url, visit_post(findings=[("plan", "x")])).status_code == 403
        assert c.get(reverse("stars:visit_finding_row", args=[first.pk])).status_code == 403
    # another group's member of the district sees the plan's visits but may not record this one
    other = next(u for k, u in w.user.items() if k.startswith("supervisor") and u != leader(first))
    assert login(other).get(url).status_code == 403
    # the organiser sees the page but has no form to record
    organiser = login(w.user["sy_org"]).get(url).content.decode()
    assert "尚未督导" in organiser and "提交督导记录" not in organiser
    assert login(w.user["sy_org"]).post(url, visit_post()).status_code == 403
    first.refresh_from_db()
    assert first.status == Visit.Status.PLANNED and not Finding.objects.exists()


def test_a_finding_without_an_aspect_is_refused_and_nothing_is_filed(shanyang, login):
    w = shanyang
    plan = make_plan(w)
    first = visit_of(plan, w.org["zhongma"], 1)
    cases_before = Case.objects.count()
    response = record(login, first, findings=[("signage", "标牌褪色"), ("", "档案柜未上锁")])
    assert response.status_code == 400
    assert "每个问题都要选择所属方面" in response.content.decode()
    assert "档案柜未上锁" in response.content.decode()  # the typed text stays on the form
    assert not Finding.objects.exists() and Case.objects.count() == cases_before
    assert not CheckResult.objects.exists()
    first.refresh_from_db()
    assert first.status == Visit.Status.PLANNED
    # an aspect left unanswered is named by the service's refusal
    data = visit_post()
    del data["check_training"]
    response = login(leader(first)).post(reverse("stars:visit", args=[first.pk]), data)
    assert response.status_code == 400 and "教育培训" in response.content.decode()


def test_recording_a_visit_files_rectification_items_owned_by_the_secretary(shanyang, login):
    w = shanyang
    plan = make_plan(w)
    first = visit_of(plan, w.org["zhongma"], 1)
    client = login(leader(first))
    row = client.get(reverse("stars:visit_finding_row", args=[first.pk]), {"f-0-aspect": ""},
                     HTTP_HX_REQUEST="true").content.decode()
    assert 'name="f-1-aspect"' in row and 'id="finding-1"' in row  # the rows on the page are counted
    response = client.post(reverse("stars:visit", args=[first.pk]), visit_post(
        findings=[("plan", "创建计划未上墙", png()), ("sanitation", "<b>院内</b>杂物堆放")], problems=["plan"],
        notes="支部书记在岗"))
    assert response.status_code == 302 and response["Location"] == reverse("stars:visit", args=[first.pk])
    found = list(Finding.objects.filter(visit=first).select_related("case").order_by("pk"))
    assert [f.aspect for f in found] == ["plan", "sanitation"]
    for f in found:
        assert f.case.kind == "rectification" and f.case.owner == w.user["sec_zhongma"]
        assert f.case.organisation == w.org["zhongma"]
    assert Attachment.objects.filter(case=found[0].case).count() == 1
    assert dict(CheckResult.objects.filter(visit=first).values_list("aspect", "ok"))["sanitation"] is False
    page = client.get(reverse("stars:visit", args=[first.pk])).content.decode()
    assert "已记录" in page and "发现问题2个" in page
    for f in found:
        assert reverse("cases:detail", args=[f.case_id]) in page and f.case.number in page
    assert "&lt;b&gt;院内&lt;/b&gt;杂物堆放" in page and "<b>院内</b>" not in page
    assert "提交督导记录" not in page  # read-only once done
    # the branch secretary finds the items in the case engine's inbox
    inbox = login(w.user["sec_zhongma"]).get(reverse("cases:inbox")).content.decode()
    assert found[0].case.number in inbox or "创建计划未上墙" in inbox


def test_reinspection_closes_one_item_and_sends_one_back(shanyang, login):
    w = shanyang
    plan = make_plan(w)
    unit = w.org["zhongma"]
    first, second = visit_of(plan, unit, 1), visit_of(plan, unit, 2)
    record(login, first, findings=[("plan", "创建计划未上墙"), ("signage", "标牌不规范")])
    f1, f2 = Finding.objects.filter(visit=first).order_by("pk")
    rectify(w, f1, "已上墙")
    client = login(leader(second))
    page = client.get(reverse("stars:visit", args=[second.pk])).content.decode()
    assert f'name="verify_{f1.pk}"' in page and "支部答复:已上墙" in page
    assert f'name="verify_{f2.pk}"' not in page and "尚在整改" in page  # not replied yet: shown, not verifiable
    rectify(w, f2, "已更换")
    response = client.post(reverse("stars:visit", args=[second.pk]), visit_post(
        verify={f1.pk: ("pass", "已核实"), f2.pk: ("fail", "标牌仍未更换")}))
    assert response.status_code == 302
    assert Case.objects.get(pk=f1.case_id).status == Status.CLOSED
    sent_back = Case.objects.get(pk=f2.case_id)
    assert sent_back.status == Status.DISPATCHED and sent_back.owner == w.user["sec_zhongma"]
    done = client.get(reverse("stars:visit", args=[second.pk])).content.decode()
    assert "核验2个(通过1个,退回1个)" in done and 'id="visit-verified"' in done and f1.text in done

    # sent back → rectified again → passed on the third visit → ready for post-evaluation on the plan page
    rectify(w, Finding.objects.get(pk=f2.pk), "已更换新标牌")
    third = visit_of(plan, unit, 3)
    record(login, third, verify={f2.pk: ("pass", "")})
    district = login(w.user["sy_org"])
    plan_page = district.get(reverse("stars:supervision_plan", args=[plan.pk])).content.decode()
    assert 'id="ready-units"' in plan_page and unit.name in plan_page
    response = district.post(reverse("stars:supervision_post_evaluate", args=[plan.pk]),
                             {"unit": unit.pk, "result": "consolidated", "comment": "整改到位,成效巩固"})
    assert response.status_code == 302
    assert PostEvaluation.objects.get(plan=plan, unit=unit).result == "consolidated"
    plan_page = district.get(reverse("stars:supervision_plan", args=[plan.pk])).content.decode()
    assert 'id="post-evaluations"' in plan_page and "整改到位,成效巩固" in plan_page


BOARD_ROW = re.compile(r"<tr><td>([^<]+)</td>" + r"<td>(\d+)</td>" * 4 + r"<td>([^<]+)</td></tr>")


def _scenario(w, login):
    """Visits of round 1 and 2 with findings in several aspects, some rectified, one verified, one sent back."""
    plan = make_plan(w)
    units = [w.org[k] for k in ("zhongma", "baima", "gongzilu")]
    record(login, visit_of(plan, units[0], 1), findings=[("plan", "计划未上墙"), ("signage", "标牌不规范")])
    record(login, visit_of(plan, units[1], 1), findings=[("plan", "计划内容空泛"), ("archives", "档案缺页")])
    record(login, visit_of(plan, units[2], 1), findings=[])
    a, b = Finding.objects.filter(unit=units[0]).order_by("pk")
    rectify(w, a)
    rectify(w, b)
    record(login, visit_of(plan, units[0], 2), findings=[("training", "学习记录不全")],
           verify={a.pk: ("pass", ""), b.pk: ("fail", "仍不规范")})
    rectify(w, Finding.objects.get(unit=units[1], aspect="archives"))
    return plan


def test_the_progress_board_matches_the_records(shanyang, login):
    w = shanyang
    plan = _scenario(w, login)
    rows = list(Finding.objects.filter(plan=plan).select_related("group", "unit"))
    labels = {"round": lambda f: f"第{f.round_number}轮", "group": lambda f: f.group.name,
              "aspect": lambda f: f.get_aspect_display(), "unit": lambda f: f.unit.name}
    client = login(w.user["sy_org"])
    for by, label_of in labels.items():
        expected = {}
        for label in {label_of(f) for f in rows}:
            mine = [f for f in rows if label_of(f) == label]
            found = len(mine)
            rectified = sum(1 for f in mine if f.case_status in (Status.REPLIED, Status.CLOSED))
            verified = sum(1 for f in mine if f.case_status == Status.CLOSED)
            rate = f"{round(100 * verified / found, 1):g}%"
            expected[label] = (found, rectified, verified, found - rectified, rate)
        html = client.get(reverse("stars:supervision_plan", args=[plan.pk]) + f"?by={by}",
                          HTTP_HX_REQUEST="true").content.decode()
        assert 'id="board-table"' in html and "<h1>" not in html  # the partial only
        shown = {m[0]: (int(m[1]), int(m[2]), int(m[3]), int(m[4]), m[5]) for m in BOARD_ROW.findall(html)}
        assert shown == expected, by
        assert dict(selectors.board(user=w.user["sy_org"], plan=plan, by=by)).keys() == expected.keys()
    page = client.get(reverse("stars:supervision_plan", args=[plan.pk])).content.decode()
    totals = re.search(r'id="plan-totals">.*?<div class="num">(\d+)</div>.*?<div class="num">(\d+)</div>'
                       r'.*?<div class="num">(\d+)</div>', page, re.S)
    assert tuple(map(int, totals.groups())) == (
        len(rows), sum(1 for f in rows if f.case_status in (Status.REPLIED, Status.CLOSED)),
        sum(1 for f in rows if f.case_status == Status.CLOSED))
    # the balance: every group visits its share each round; the visits done are counted
    done = Counter((v.round.number, v.group.name) for v in Visit.objects.filter(round__plan=plan, status="done")
                   .select_related("round", "group"))
    assert done[(1, visit_of(plan, w.org["zhongma"], 1).group.name)] == 1
    assert re.search(r'id="balance"', page)


def test_the_export_has_every_finding_escaped_and_is_audited(shanyang, login):
    w = shanyang
    plan = _scenario(w, login)
    record(login, visit_of(plan, w.org["gongzilu"], 2), findings=[("results", "=HYPERLINK(\"http://x\")")])
    client = login(w.user["sy_org"])
    response = client.get(reverse("stars:supervision_export", args=[plan.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert header[:6] == ["村(社区)党组织", "乡镇(街道)", "轮次", "督导组", "方面", "问题"]
    findings = list(Finding.objects.filter(plan=plan).select_related("case"))
    assert len(rows) == len(findings)
    by_number = {r[header.index("事项编号")]: r for r in rows}
    for f in findings:
        r = by_number[f.case.number]
        assert r[header.index("村(社区)党组织")] == f.unit.name
        assert r[header.index("整改状态")] == Status(f.case_status).label
        assert r[header.index("整改责任人")] == f.case.owner.name
        if f.verified_in_id:
            assert r[header.index("核验轮次")] == f"第{f.verified_in.round.number}轮"
        text = r[header.index("问题")]
        assert text == (f"'{f.text}" if f.text.startswith("=") else f.text)
    assert any(str(r[header.index("问题")]).startswith("'=HYPERLINK") for r in rows)
    entry = AuditEntry.objects.get(action="stars.finding.exported")
    assert entry.actor_id == w.user["sy_org"].pk and entry.changes["rows"][1] == len(findings)


def test_the_plan_form_creates_a_plan_and_shows_the_overlap_refusal(shanyang, login):
    w = shanyang
    client = login(w.user["sy_org"])
    people = client.get(reverse("stars:supervision_group_people"),
                        {"prefix": "g-1", "g-1-organisation": w.org["group2"].pk}, HTTP_HX_REQUEST="true")
    body = people.content.decode()
    assert f'value="{w.user["supervisor2"].pk}"' in body and f'value="{w.user["supervisor"].pk}"' not in body
    assert 'name="g-1-leader"' in body
    data = {"name": "2026年督导", "year": "2026", "district": w.div["sy"].pk, "starts_on": "2026-03-01",
            "ends_on": "2026-12-31", "rectify_workdays": "10",
            "g-0-name": "第一组", "g-0-organisation": w.org["group"].pk, "g-0-leader": w.user["supervisor"].pk,
            "g-1-name": "第二组", "g-1-organisation": w.org["group2"].pk, "g-1-leader": w.user["supervisor2"].pk,
            "r-0-starts_on": "2026-03-02", "r-0-ends_on": "2026-03-31",
            "r-1-starts_on": "2026-05-04", "r-1-ends_on": "2026-05-29"}
    response = client.post(reverse("stars:supervision_create"), data)
    plan = SupervisionPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("stars:supervision_plan", args=[plan.pk])
    assert plan.groups.count() == 2 and plan.rounds.count() == 2
    assert Visit.objects.filter(round__plan=plan).count() == 3 * 2

    overlapping = {**data, "name": "重复的计划", "starts_on": "2026-06-01", "ends_on": "2027-01-31",
                   "r-0-starts_on": "2026-06-01", "r-0-ends_on": "2026-06-30", "r-1-starts_on": "", "r-1-ends_on": ""}
    response = client.post(reverse("stars:supervision_create"), overlapping)
    assert response.status_code == 400
    body = response.content.decode()
    assert "已有督导计划" in body and plan.name in body
    assert SupervisionPlan.objects.count() == 1

    half = {**data, "starts_on": "2027-03-01", "ends_on": "2027-12-31", "g-1-leader": "",
            "r-0-starts_on": "2027-03-02", "r-0-ends_on": "2027-03-31", "r-1-starts_on": "", "r-1-ends_on": ""}
    response = client.post(reverse("stars:supervision_create"), half)
    assert response.status_code == 400 and "请填写组名,选择督导组和组长" in response.content.decode()
    # a leader who is not a login of the chosen supervision group is refused by the form's choices
    wrong = {**half, "g-1-leader": w.user["supervisor"].pk}
    response = client.post(reverse("stars:supervision_create"), wrong)
    assert response.status_code == 400 and SupervisionPlan.objects.count() == 1


def test_findings_page_filters_and_scopes(shanyang, login):
    w = shanyang
    plan = _scenario(w, login)
    sec = login(w.user["sec_zhongma"])
    body = sec.get(reverse("stars:findings")).content.decode()
    mine = Finding.objects.filter(unit=w.org["zhongma"])
    for f in mine:
        assert reverse("cases:detail", args=[f.case_id]) in body
    for f in Finding.objects.exclude(unit=w.org["zhongma"]):
        assert f.text not in body
    closed = sec.get(reverse("stars:findings"), {"state": "closed"}).content.decode()
    assert "共 1 个问题" in closed and mine.get(case_status=Status.CLOSED).text in closed
    district = login(w.user["sy_org"])
    everything = district.get(reverse("stars:findings"), {"plan": plan.pk}).content.decode()
    assert f"共 {Finding.objects.count()} 个问题" in everything
    planned_aspect = district.get(reverse("stars:findings"), {"aspect": "plan", "round": "1"},
                                  HTTP_HX_REQUEST="true").content.decode()
    assert "共 2 个问题" in planned_aspect and "<h1>" not in planned_aspect
