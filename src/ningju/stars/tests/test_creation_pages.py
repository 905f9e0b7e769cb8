"""Creation pages: who may open which page, and the whole flow through the forms — plan, self-assessment with
a PDF, town review, district evaluation, award, publicity with an objection, ``stars_tick``, standing,
withdrawal — plus the refusals a user sees (missing items of a star, missing evidence) and scoped evidence."""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from ningju.stars import services
from ningju.stars.models import (
    Assessment,
    Award,
    Evidence,
    Plan,
    Project,
    StandardItem,
    StandardSet,
    Star,
)

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf(name="会议记录.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def star(code="branch", kind="village", year=2026):
    return Star.objects.get(standard__year=year, standard__unit_kind=kind, code=code)


def text(response) -> str:
    return response.content.decode()


def submitted_plan(w, key="zhongma"):
    return services.plan_save(actor=w.user[f"sec_{key}"], branch=w.org[key], year=2026,
                              targets=[star(), star("ecology")], measures="对标五星逐项落实", submit=True)


def assess_post(client, plan, item, *, files=True, note="已落实"):
    data = {f"a{item.pk}-note": note}
    if item.mode == StandardItem.Mode.SCORE:
        data[f"a{item.pk}-claim_score"] = str(item.max_score)
    else:
        data[f"a{item.pk}-claim_met"] = "1"
    if files:
        data[f"a{item.pk}-files"] = pdf()
    return client.post(f"/stars/plans/{plan.pk}/items/{item.pk}/assess/", data)


def evaluate_post(client, a, *, back=None):
    item = a.item
    data = {f"e{a.pk}-comment": "材料齐全"}
    if item.mode == StandardItem.Mode.SCORE:
        data[f"e{a.pk}-score"] = str(item.max_score)
    else:
        data[f"e{a.pk}-met"] = "1"
    if back:
        data["back"] = back
    return client.post(f"/stars/assessments/{a.pk}/evaluate/", data)


# --- access ----------------------------------------------------------------------------------------------

def test_pages_open_for_the_roles_that_use_them_and_refuse_the_others(shanyang, login):
    w = shanyang
    plan = submitted_plan(w)
    project = services.project_propose(actor=w.user["sec_zhongma"], branch=w.org["zhongma"], star=star(),
                                       name="党员活动室改造", description="改造党员活动室",
                                       planned_end=timezone.localdate() + dt.timedelta(days=60))
    standard = StandardSet.objects.get(year=2026, unit_kind="village")
    item = star().items.first()
    expect = {
        "sy_org": {"/stars/": 200, "/stars/standards/": 200, f"/stars/standards/{standard.pk}/": 200,
                   f"/stars/standards/stars/{star().pk}/items/new/": 200,
                   f"/stars/standards/items/{item.pk}/edit/": 200,
                   "/stars/plan/": 403, "/stars/plans/": 200, f"/stars/plans/{plan.pk}/": 200, "/stars/review/": 403,
                   "/stars/evaluate/": 200, "/stars/awards/": 200, f"/stars/history/{w.org['zhongma'].pk}/": 200,
                   "/stars/projects/": 200, "/stars/projects/new/": 403, f"/stars/projects/{project.pk}/": 200},
        "city_org": {"/stars/": 200, f"/stars/plans/{plan.pk}/": 200, "/stars/evaluate/": 200},
        "zx_town": {"/stars/": 200, "/stars/review/": 200, "/stars/evaluate/": 403, f"/stars/plans/{plan.pk}/": 200,
                    f"/stars/standards/stars/{star().pk}/items/new/": 403, "/stars/plan/": 403,
                    f"/stars/projects/{project.pk}/": 200},
        "sec_zhongma": {"/stars/": 200, "/stars/plan/": 200, f"/stars/plans/{plan.pk}/": 200, "/stars/review/": 403,
                        "/stars/evaluate/": 403, "/stars/projects/new/": 200, f"/stars/projects/{project.pk}/": 200,
                        f"/stars/history/{w.org['zhongma'].pk}/": 200, f"/stars/standards/{standard.pk}/": 200},
        "sec_baima": {f"/stars/plans/{plan.pk}/": 404, f"/stars/projects/{project.pk}/": 404,
                      f"/stars/history/{w.org['zhongma'].pk}/": 404, "/stars/plan/": 200},
        "qy_org": {f"/stars/plans/{plan.pk}/": 404, f"/stars/projects/{project.pk}/": 404,
                   f"/stars/history/{w.org['zhongma'].pk}/": 404, "/stars/": 200},
        "supervisor": {"/stars/": 200, f"/stars/plans/{plan.pk}/": 200, "/stars/review/": 403},
        "transport": {"/stars/": 403, f"/stars/plans/{plan.pk}/": 403, "/stars/awards/": 403},
        "worker": {"/stars/": 403, "/stars/projects/": 403},
    }
    for key, pages in expect.items():
        client = login(w.user[key])
        for url, status in pages.items():
            assert client.get(url).status_code == status, (key, url)


def test_navigation_and_home_by_role(shanyang, login):
    w = shanyang
    submitted_plan(w)
    page = text(login(w.user["sy_org"]).get("/stars/"))
    assert 'data-module="stars"' in page and "五星支部" in page
    assert 'id="star-counts"' in page and "一星支部" in page and 'id="home-approve"' in page
    assert 'href="/stars/supervision/"' in page
    assert 'id="home-review"' not in page and 'id="home-plan"' not in page
    town = text(login(w.user["zx_town"]).get("/stars/"))
    assert 'id="home-review"' in town and 'id="star-counts"' not in town and "/stars/supervision/" not in town
    assert 'href="/stars/supervision/"' in text(login(w.user["supervisor"]).get("/stars/"))
    branch = text(login(w.user["sec_zhongma"]).get("/stars/"))
    assert 'id="home-plan"' in branch and "逐项自评" in branch and 'id="star-counts"' not in branch
    other = text(login(w.user["sec_baima"]).get("/stars/"))
    assert "填写创建计划" in other
    assert 'data-module="stars"' not in text(login(w.user["transport"]).get("/"))


def test_the_branch_home_lists_open_rectification_items_with_links_to_the_case(shanyang, login):
    from ningju.stars.models import Aspect, Visit
    from ningju.stars.services.supervision import FindingSpec, GroupSpec

    w = shanyang
    groups = [GroupSpec(name="第一组", organisation=w.org["group"], leader=w.user["supervisor"]),
              GroupSpec(name="第二组", organisation=w.org["group2"], leader=w.user["supervisor2"])]
    sup = services.supervision_plan_create(
        actor=w.user["sy_org"], name="督导", year=2026, district=w.div["sy"], starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2026, 12, 31), groups=groups, rounds=[(dt.date(2026, 3, 2), dt.date(2026, 3, 31))])
    visit = Visit.objects.get(round__plan=sup, unit=w.org["zhongma"])
    services.visit_record(actor=visit.group.leader, visit=visit, checks={a.value: (True, "") for a in Aspect},
                          findings=[FindingSpec(aspect="signage", text="标牌<不规范>")])
    finding = visit.findings.get()
    page = text(login(w.user["sec_zhongma"]).get("/stars/"))
    assert f'href="/cases/{finding.case_id}/"' in page
    assert "标牌&lt;不规范&gt;" in page and "标牌<不规范>" not in page  # user text is escaped
    assert f"/cases/{finding.case_id}/" not in text(login(w.user["sec_baima"]).get("/stars/"))


# --- the whole creation flow through the forms -----------------------------------------------------------

def test_plan_assessment_review_evaluation_award_publicity_tick_standing_withdraw(shanyang, login):
    w = shanyang
    sec, town, district = login(w.user["sec_zhongma"]), login(w.user["zx_town"]), login(w.user["sy_org"])
    branch_star = star()

    page = sec.get("/stars/plan/?year=2026")
    assert page.status_code == 200 and "支部过硬星" in text(page)
    resp = sec.post("/stars/plan/", {"year": "2026", "targets": [branch_star.pk], "measures": "对标逐项落实",
                                     "draft": "1"})
    plan = Plan.objects.get(branch=w.org["zhongma"], year=2026)
    assert resp.status_code == 302 and plan.status == Plan.Status.DRAFT
    assert "提交后才能逐项自评" in text(sec.get(f"/stars/plans/{plan.pk}/"))
    resp = sec.post("/stars/plan/", {"year": "2026", "targets": [branch_star.pk], "measures": "对标逐项落实",
                                     "submit": "1"})
    assert resp.status_code == 302 and resp.url == f"/stars/plans/{plan.pk}/"
    plan.refresh_from_db()
    assert plan.status == Plan.Status.SUBMITTED and list(plan.targets.all()) == [branch_star]

    items = list(branch_star.items.order_by("order"))
    page = text(sec.get(f"/stars/plans/{plan.pk}/"))
    assert items[0].evidence in page and "提交自评" in page
    for item in items:
        resp = assess_post(sec, plan, item)
        assert resp.status_code == 302, text(resp)
    first = Assessment.objects.get(plan=plan, item=items[0])
    assert first.status == Assessment.Status.SUBMITTED and first.evidence.count() == 1
    page = text(sec.get(f"/stars/plans/{plan.pk}/"))
    assert "待乡镇审核" in page and "会议记录.pdf" in page

    queue = text(town.get("/stars/review/"))
    assert all(i.text in queue for i in items)
    resp = town.post(f"/stars/assessments/{first.pk}/review/", {f"r{first.pk}-decision": "return", "back": "queue"})
    assert resp.status_code == 400 and "退回时请写明原因" in text(resp)
    resp = town.post(f"/stars/assessments/{first.pk}/review/",
                     {f"r{first.pk}-decision": "return", f"r{first.pk}-comment": "照片不清晰"})
    assert resp.status_code == 302
    first.refresh_from_db()
    assert first.status == Assessment.Status.RETURNED
    assert "照片不清晰" in text(sec.get(f"/stars/plans/{plan.pk}/"))
    assert assess_post(sec, plan, items[0], note="补充了清晰照片").status_code == 302
    for a in Assessment.objects.filter(plan=plan):
        resp = town.post(f"/stars/assessments/{a.pk}/review/", {f"r{a.pk}-decision": "approve", "back": "queue"})
        assert resp.status_code == 302 and resp.url == "/stars/review/"
    assert "没有待审核自评" in text(town.get("/stars/review/"))

    assert all(i.text in text(district.get("/stars/evaluate/")) for i in items)
    for a in Assessment.objects.filter(plan=plan).select_related("item"):
        resp = evaluate_post(district, a, back="queue")
        assert resp.status_code == 302
    assert set(Assessment.objects.filter(plan=plan).values_list("status", flat=True)) == {Assessment.Status.MET}

    assert town.post(f"/stars/plans/{plan.pk}/stars/{branch_star.pk}/award/").status_code == 403
    resp = district.post(f"/stars/plans/{plan.pk}/stars/{branch_star.pk}/award/")
    assert resp.status_code == 302
    award = Award.objects.get(plan=plan, star=branch_star)
    assert award.status == Award.Status.PUBLICITY
    awards = text(district.get("/stars/awards/?year=2026"))
    assert "公示中" in awards and "公示至" in awards and timezone.localtime(award.publicity_until).strftime(
        "%Y-%m-%d") in awards

    resp = town.post(f"/stars/awards/{award.pk}/object/", {f"o{award.pk}-text": "班子成员<有空缺>"})
    assert resp.status_code == 302
    assert "班子成员&lt;有空缺&gt;" in text(sec.get("/stars/awards/?year=2026"))
    assert "处理异议" in text(district.get("/stars/awards/?year=2026"))
    resp = district.post(f"/stars/awards/{award.pk}/decide/", {f"d{award.pk}-uphold": "1"})
    assert resp.status_code == 400 and "这个字段是必填项" in text(resp)
    resp = district.post(f"/stars/awards/{award.pk}/decide/",
                         {f"d{award.pk}-uphold": "1", f"d{award.pk}-comment": "已核实补齐"})
    assert resp.status_code == 302

    out = io.StringIO()
    call_command("stars_tick", stdout=out)
    assert "本次公示期满授星 0 项" in out.getvalue()  # the publicity period runs for 5 working days
    Award.objects.filter(pk=award.pk).update(publicity_until=timezone.now() - dt.timedelta(minutes=1))  # it ends
    out = io.StringIO()
    call_command("stars_tick", stdout=out)
    assert "本次公示期满授星 1 项,现有已授星 1 项" in out.getvalue()
    award.refresh_from_db()
    assert award.status == Award.Status.STANDING
    assert "已授星" in text(sec.get(f"/stars/history/{w.org['zhongma'].pk}/"))

    resp = district.post(f"/stars/awards/{award.pk}/withdraw/", {f"w{award.pk}-reason": ""})
    assert resp.status_code == 400 and Award.objects.get(pk=award.pk).status == Award.Status.STANDING
    resp = district.post(f"/stars/awards/{award.pk}/withdraw/", {f"w{award.pk}-reason": "发生重大安全事故"})
    assert resp.status_code == 302
    award.refresh_from_db()
    assert award.status == Award.Status.WITHDRAWN
    history = text(sec.get(f"/stars/history/{w.org['zhongma'].pk}/"))
    assert "已摘星" in history and "发生重大安全事故" in history


def test_award_refusal_lists_the_missing_items_on_the_page(shanyang, login):
    w = shanyang
    plan = submitted_plan(w)
    branch_star = star()
    first = branch_star.items.order_by("order").first()
    a = services.assessment_submit(actor=w.user["sec_zhongma"], plan=plan, item=first, claim_met=True,
                                   files=[_clean_pdf()])
    services.assessment_review(actor=w.user["zx_town"], assessment=a, approve=True)
    district = login(w.user["sy_org"])
    assert evaluate_post(district, a).status_code == 302
    resp = district.post(f"/stars/plans/{plan.pk}/stars/{branch_star.pk}/award/")
    assert resp.status_code == 400 and not Award.objects.exists()
    page = text(resp)
    block = re.search(rf'id="award-errors-{branch_star.pk}">(.*?)</div>', page, re.S).group(1)
    assert "尚不能评定" in block
    listed = re.findall(r"<li>(.*?)</li>", block)
    missing = list(branch_star.items.filter(required=True).exclude(pk=first.pk).order_by("order"))
    assert len(listed) == len(missing) and all(any(i.text in li for li in listed) for i in missing)
    assert all(first.text not in li for li in listed)
    assert "未自评" in block


def _clean_pdf():
    from ningju.core.uploads import clean_upload

    return clean_upload(pdf(), allow_documents=True, label="佐证材料")


def test_assessment_without_evidence_shows_the_message_and_changes_nothing(shanyang, login):
    w = shanyang
    plan = submitted_plan(w)
    item = star().items.order_by("order").first()
    sec = login(w.user["sec_zhongma"])
    resp = assess_post(sec, plan, item, files=False)
    assert resp.status_code == 400
    page = text(resp)
    assert f"该条目需要佐证材料:{item.evidence}" in page
    assert re.search(rf'<details[^>]*id="assess-{item.pk}"[^>]*open', page)  # the form stays open
    assert not Assessment.objects.exists() and not Evidence.objects.exists()
    bad = SimpleUploadedFile("照片.pdf", b"just text, not a document", content_type="application/pdf")
    resp = sec.post(f"/stars/plans/{plan.pk}/items/{item.pk}/assess/",
                    {f"a{item.pk}-claim_met": "1", f"a{item.pk}-files": bad})
    assert resp.status_code == 400 and "佐证材料" in text(resp) and "不是PDF" in text(resp)
    assert not Assessment.objects.exists()
    # another branch's secretary cannot even see the plan
    assert assess_post(login(w.user["sec_baima"]), plan, item).status_code == 404
    # the district may see the plan but does not submit the branch's self-assessment
    assert assess_post(login(w.user["sy_org"]), plan, item).status_code == 403
    assert not Assessment.objects.exists()


def test_evidence_is_served_only_in_scope(shanyang, login):
    w = shanyang
    plan = submitted_plan(w)
    item = star().items.order_by("order").first()
    assert assess_post(login(w.user["sec_zhongma"]), plan, item).status_code == 302
    ev = Evidence.objects.get()
    url = f"/stars/evidence/{ev.pk}/"
    for key in ("sec_zhongma", "zx_town", "sy_org", "city_org"):
        resp = login(w.user[key]).get(url)
        assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf", key
        assert b"".join(resp.streaming_content) == PDF_BYTES
    for key in ("sec_baima", "qy_org", "town"):
        assert login(w.user[key]).get(url).status_code == 404, key
    assert login(w.user["transport"]).get(url).status_code == 403


# --- standards -------------------------------------------------------------------------------------------

def test_standards_are_edited_published_and_copied_by_the_organisation_department(shanyang, login):
    w = shanyang
    district, sec = login(w.user["sy_org"]), login(w.user["sec_zhongma"])
    branch_star = star()
    item_data = {"order": "9", "text": "党组织书记<带头>讲党课", "mode": "score", "max_score": "10", "pass_score": "6",
                 "required": "on", "evidence": "讲课记录", "min_files": "1"}
    assert sec.post(f"/stars/standards/stars/{branch_star.pk}/items/new/", item_data).status_code == 403
    resp = district.post(f"/stars/standards/stars/{branch_star.pk}/items/new/", {**item_data, "pass_score": "12"})
    assert resp.status_code == 400 and "达标分不能高于满分" in text(resp)
    resp = district.post(f"/stars/standards/stars/{branch_star.pk}/items/new/", item_data)
    assert resp.status_code == 302
    new = StandardItem.objects.get(star=branch_star, order=9)
    page = text(sec.get(f"/stars/standards/{branch_star.standard_id}/"))
    assert "党组织书记&lt;带头&gt;讲党课" in page and "讲课记录" in page and "修改条目" not in page
    resp = district.post(f"/stars/standards/items/{new.pk}/edit/", {**item_data, "text": "书记讲党课"})
    assert resp.status_code == 302 and StandardItem.objects.get(pk=new.pk).text == "书记讲党课"

    standard = branch_star.standard
    resp = district.post(f"/stars/standards/{standard.pk}/copy/", {"year": "2027"})
    copy = StandardSet.objects.get(year=2027, unit_kind="village")
    assert resp.status_code == 302 and resp.url == f"/stars/standards/{copy.pk}/" and not copy.published
    assert StandardItem.objects.filter(star__standard=copy).count() == StandardItem.objects.filter(
        star__standard=standard).count()
    resp = district.post(f"/stars/standards/{standard.pk}/copy/", {"year": "2027"})
    assert resp.status_code == 400 and "已存在" in text(resp)
    assert sec.get(f"/stars/standards/{copy.pk}/").status_code == 404  # a draft is not shown to branches
    assert copy.name not in text(sec.get("/stars/standards/")) and copy.name in text(district.get("/stars/standards/"))
    assert district.post(f"/stars/standards/{copy.pk}/publish/", {"published": "1"}).status_code == 302
    copy.refresh_from_db()
    assert copy.published and sec.get(f"/stars/standards/{copy.pk}/").status_code == 200
    assert sec.post(f"/stars/standards/{copy.pk}/publish/", {"published": "0"}).status_code == 403


# --- projects --------------------------------------------------------------------------------------------

def test_project_is_proposed_approved_and_reported_until_complete(shanyang, login):
    w = shanyang
    sec, district = login(w.user["sec_zhongma"]), login(w.user["sy_org"])
    end = (timezone.localdate() + dt.timedelta(days=90)).isoformat()
    data = {"star": star("industry").pk, "kind": "livelihood", "name": "村级光伏电站", "description": "屋顶光伏",
            "budget": "35.5", "planned_end": end}
    resp = sec.post("/stars/projects/new/", {**data, "name": ""})
    assert resp.status_code == 400 and not Project.objects.exists()
    resp = sec.post("/stars/projects/new/", data)
    project = Project.objects.get()
    assert resp.status_code == 302 and project.status == Project.Status.PROPOSED
    assert "村级光伏电站" in text(district.get("/stars/"))  # the district's list of projects to approve
    assert "村级光伏电站" in text(district.get("/stars/projects/?status=proposed"))
    assert "村级光伏电站" not in text(district.get("/stars/projects/?status=approved"))
    assert sec.post(f"/stars/projects/{project.pk}/decide/", {"decision": "approve"}).status_code == 403
    resp = district.post(f"/stars/projects/{project.pk}/decide/", {"decision": "reject"})
    assert resp.status_code == 400 and "不予立项请写明原因" in text(resp)
    assert district.post(f"/stars/projects/{project.pk}/decide/", {"decision": "approve"}).status_code == 302
    project.refresh_from_db()
    assert project.status == Project.Status.APPROVED
    assert 'id="project-update"' in text(sec.get(f"/stars/projects/{project.pk}/"))
    assert district.post(f"/stars/projects/{project.pk}/progress/",
                         {"progress": "50", "note": "x"}).status_code == 403
    progress = f"/stars/projects/{project.pk}/progress/"
    assert sec.post(progress, {"progress": "40", "note": "完成选址"}).status_code == 302
    resp = sec.post(progress, {"progress": "30", "note": "倒退"})
    assert resp.status_code == 400 and "进度应为40至100之间的整数" in text(resp)
    page = text(sec.get(f"/stars/projects/{project.pk}/"))
    assert '<progress class="sc-bar" id="project-progress" value="40" max="100"' in page and "完成选址" in page
    assert sec.post(progress, {"progress": "100", "note": "并网发电"}).status_code == 302
    project.refresh_from_db()
    assert project.status == Project.Status.COMPLETED and project.completed_at
    assert 'id="project-update"' not in text(sec.get(f"/stars/projects/{project.pk}/"))


def test_list_filters_answer_htmx_with_the_rows_only(shanyang, login):
    w = shanyang
    submitted_plan(w)
    submitted_plan(w, "baima")
    district = login(w.user["sy_org"])
    full = text(district.get("/stars/plans/?year=2026"))
    assert "<html" in full and "中马村党支部" in full and "百间房村党支部" in full
    part = district.get("/stars/plans/?year=2026&q=百间房", HTTP_HX_REQUEST="true")
    assert "<html" not in text(part) and "百间房村党支部" in text(part) and "中马村党支部" not in text(part)
    assert "<html" not in text(district.get("/stars/awards/", HTTP_HX_REQUEST="true"))
    assert "<html" not in text(district.get("/stars/projects/", HTTP_HX_REQUEST="true"))
    assert "中马村党支部" not in text(login(w.user["sec_baima"]).get("/stars/plans/?year=2026"))
