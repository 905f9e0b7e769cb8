"""The five-star API under /api/v1/stars/: creation and awarding, supervision with unannounced visits,
projects, scoping, and refusals in the API's one error shape."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ningju.cases import services as case_services
from ningju.cases.models import Case
from ningju.cases.states import Status as CaseStatus
from ningju.stars.models import Aspect, Assessment, Award, Finding, Plan, StandardItem, Star, Visit
from ningju.testing.api import API, bearer, error, ok, post
from ningju.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

ALL_OK = [{"aspect": a.value, "ok": True, "note": ""} for a in Aspect]


def messages(err, field: str) -> list[str]:
    return [f["message"] for f in err["fields"] if f["field"] == field]


def pdf(name="会议记录.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n", content_type="application/pdf")


def star(code="branch", kind="village") -> Star:
    return Star.objects.get(standard__year=2026, standard__unit_kind=kind, code=code)


def new_plan(client, **extra) -> dict:
    body = {"year": 2026, "target_star_ids": [star().pk, star("ecology").pk], "measures": "对标五星逐项落实",
            "submit": True, **extra}
    return ok(post(client, "/stars/plans", body), 201)


def assess(client, plan_id: int, item: StandardItem, files=True, **extra):
    data = {"item_id": item.pk, "claim_met": "true", "note": "按要求落实", **extra}
    if item.mode == StandardItem.Mode.SCORE:
        data.setdefault("claim_score", item.max_score)
    if files:
        data["files"] = [pdf()]
    return client.post(f"{API}/stars/plans/{plan_id}/assessments", data)


# --- OpenAPI ------------------------------------------------------------------------------------------

def test_openapi_lists_the_star_endpoints_under_their_tag(world):
    doc = Client().get(f"{API}/openapi.json").json()
    paths = doc["paths"]
    for path, method in [("/stars/standards", "get"), ("/stars/plans", "post"), ("/stars/plans/{plan_id}", "get"),
                         ("/stars/plans/{plan_id}/assessments", "post"),
                         ("/stars/assessments/{assessment_id}/review", "post"),
                         ("/stars/assessments/{assessment_id}/evaluation", "post"),
                         ("/stars/plans/{plan_id}/awards", "post"), ("/stars/awards", "get"),
                         ("/stars/awards/{award_id}/objections", "post"),
                         ("/stars/awards/{award_id}/withdrawal", "post"), ("/stars/supervision-plans", "get"),
                         ("/stars/supervision-plans", "post"), ("/stars/supervision-plans/{plan_id}", "get"),
                         ("/stars/supervision-plans/{plan_id}/board", "get"), ("/stars/findings", "get"),
                         ("/stars/my-visits", "get"), ("/stars/visits/{visit_id}/record", "post"),
                         ("/stars/supervision-plans/{plan_id}/post-evaluations", "post"),
                         ("/stars/projects", "get"), ("/stars/projects", "post"),
                         ("/stars/projects/{project_id}/decision", "post"),
                         ("/stars/projects/{project_id}/progress", "post")]:
        assert method in paths[f"{API}{path}"], (path, method)
        assert paths[f"{API}{path}"][method]["tags"] == ["五星支部创建"]
    # Input limits are declared, so a client (and schemathesis) learns them from the document.
    plan_in = doc["components"]["schemas"]["StarsPlanIn"]["properties"]
    assert (plan_in["year"]["minimum"], plan_in["year"]["maximum"]) == (2000, 2100)
    assert plan_in["measures"]["maxLength"] == 3000


# --- creation and awarding ----------------------------------------------------------------------------

def test_creation_flow_plan_assessment_review_evaluation_award_objection_withdrawal(shanyang):
    w = shanyang
    sec, town, district = bearer(w.user["sec_zhongma"]), bearer(w.user["zx_town"]), bearer(w.user["sy_org"])

    standards = ok(sec.get(f"{API}/stars/standards", {"year": 2026, "unit_kind": "village"}))
    assert standards["count"] == 1
    stars = standards["items"][0]["stars"]
    assert stars[0]["name"] == "支部过硬星" and stars[0]["items"][0]["evidence"]

    plan = new_plan(sec)  # the secretary's own branch by default
    assert plan["branch_id"] == w.org["zhongma"].pk and plan["status"] == "submitted"
    assert {t["code"] for t in plan["targets"]} == {"branch", "ecology"}
    again = ok(post(sec, "/stars/plans", {"year": 2026, "target_star_ids": [star().pk], "measures": "调整措施"}))
    assert again["id"] == plan["id"] and [t["code"] for t in again["targets"]] == ["branch"]

    target = star()
    items = list(target.items.order_by("order", "pk"))
    # Claiming an item met without the evidence it asks for is refused, naming the field.
    err = error(assess(sec, plan["id"], items[0], files=False), 400)
    assert items[0].evidence in " ".join(messages(err, "files"))
    assert not Assessment.objects.exists()

    first = ok(assess(sec, plan["id"], items[0]), 201)
    assert first["status"] == "submitted" and len(first["evidence"]) == 1
    evidence = sec.get(first["evidence"][0]["url"])
    assert evidence.status_code == 200 and evidence["Content-Type"] == "application/pdf"
    queue = ok(town.get(f"{API}/stars/assessments", {"queue": "review"}))
    assert [a["id"] for a in queue["items"]] == [first["id"]]
    err = error(post(town, f"/stars/assessments/{first['id']}/review", {"approve": False}), 400)
    assert messages(err, "comment")  # a return needs its reason
    returned = ok(post(town, f"/stars/assessments/{first['id']}/review", {"approve": False, "comment": "照片不清晰"}))
    assert returned["status"] == "returned" and returned["town_comment"] == "照片不清晰"
    assert ok(assess(sec, plan["id"], items[0]), 200)["status"] == "submitted"  # submitted again
    ok(post(town, f"/stars/assessments/{first['id']}/review", {"approve": True}))
    error(post(sec, f"/stars/assessments/{first['id']}/evaluation", {"met": True}), 403)  # not the secretary's step
    met = ok(post(district, f"/stars/assessments/{first['id']}/evaluation", {"met": True, "comment": "达标"}))
    assert met["status"] == "met"

    # Awarding while required items are not met: 400 with each missing item listed.
    err = error(post(district, f"/stars/plans/{plan['id']}/awards", {"star_id": target.pk}), 400)
    listed = messages(err, "star_id")
    assert "尚不能评定" in err["message"]
    missing = [i.text for i in items[1:] if i.required]
    assert missing and all(any(text in m for m in listed) for text in missing)
    assert not any(items[0].text in m for m in listed)

    for item in items[1:]:
        a = ok(assess(sec, plan["id"], item), 201)
        ok(post(town, f"/stars/assessments/{a['id']}/review", {"approve": True, "comment": "材料齐全"}))
        body = {"met": True, "score": item.max_score} if item.mode == StandardItem.Mode.SCORE else {"met": True}
        ok(post(district, f"/stars/assessments/{a['id']}/evaluation", body))
    detail = ok(sec.get(f"{API}/stars/plans/{plan['id']}"))
    assert {a["status"] for a in detail["assessments"]} == {"met"} and len(detail["assessments"]) == len(items)

    award = ok(post(district, f"/stars/plans/{plan['id']}/awards", {"star_id": target.pk}), 201)
    assert award["status"] == "publicity" and award["star_name"] == "支部过硬星"
    listed = ok(sec.get(f"{API}/stars/awards", {"year": 2026, "branch_id": w.org["zhongma"].pk}))
    assert [a["id"] for a in listed["items"]] == [award["id"]]
    objected = ok(post(town, f"/stars/awards/{award['id']}/objections", {"text": "班子成员有空缺"}))
    assert objected["objection_open"] and "班子成员有空缺" in objected["objections"]
    error(post(sec, f"/stars/awards/{award['id']}/withdrawal", {"reason": "自行放弃"}), 403)
    error(post(district, f"/stars/awards/{award['id']}/withdrawal", {"reason": ""}), 400)
    withdrawn = ok(post(district, f"/stars/awards/{award['id']}/withdrawal", {"reason": "发生重大安全事故"}))
    assert withdrawn["status"] == "withdrawn" and withdrawn["withdrawn_reason"] == "发生重大安全事故"
    assert Award.objects.get(pk=award["id"]).status == Award.Status.WITHDRAWN


def test_plan_input_is_checked_by_schema_and_by_the_service(shanyang):
    sec = bearer(shanyang.user["sec_zhongma"])
    err = error(post(sec, "/stars/plans", {"year": 1999, "target_star_ids": [star().pk], "measures": "x"}), 400)
    assert "year" in [f["field"] for f in err["fields"]]
    err = error(post(sec, "/stars/plans", {"year": 2026, "target_star_ids": [star("service", "community").pk],
                                           "measures": "x"}), 400)
    assert messages(err, "target_star_ids")  # a village branch cannot aim for a community star
    err = error(post(sec, "/stars/plans", {"year": 2031, "target_star_ids": [star().pk], "measures": "x"}), 400)
    assert "尚未发布" in " ".join(messages(err, "year"))
    plan = new_plan(sec, submit=False)
    err = error(assess(sec, plan["id"], star().items.first()), 400)
    assert "先提交创建计划" in err["message"]


def test_a_district_sees_nothing_of_another_districts_plans_and_awards(shanyang):
    w = shanyang
    plan = new_plan(bearer(w.user["sec_zhongma"]))
    qy = bearer(w.user["qy_org"])
    error(qy.get(f"{API}/stars/plans/{plan['id']}"), 404)
    assert ok(qy.get(f"{API}/stars/plans"))["count"] == 0
    error(post(qy, f"/stars/plans/{plan['id']}/awards", {"star_id": star().pk}), 404)
    # Another branch's secretary in the same town does not see it either.
    error(bearer(w.user["sec_baima"]).get(f"{API}/stars/plans/{plan['id']}"), 404)
    assert ok(bearer(w.user["zx_town"]).get(f"{API}/stars/plans"))["count"] == 1


# --- supervision --------------------------------------------------------------------------------------

def supervision_body(w, **extra) -> dict:
    d = dt.date
    groups = [{"name": "第一组", "organisation_id": w.org["group"].pk, "leader_id": w.user["supervisor"].pk},
              {"name": "第二组", "organisation_id": w.org["group2"].pk, "leader_id": w.user["supervisor2"].pk},
              {"name": "第三组", "organisation_id": w.org["group3"].pk, "leader_id": w.user["supervisor3"].pk}]
    rounds = [(d(2026, 3, 2), d(2026, 3, 31)), (d(2026, 5, 4), d(2026, 5, 29)), (d(2026, 8, 3), d(2026, 8, 28))]
    return {"name": "2026年“五星”支部创建督导", "year": 2026, "district_code": w.div["sy"].code,
            "starts_on": "2026-03-01", "ends_on": "2026-12-31", "groups": groups,
            "rounds": [{"starts_on": s.isoformat(), "ends_on": e.isoformat()} for s, e in rounds], **extra}


def assignment(plan: dict, unit, round_number: int) -> dict:
    return next(a for a in plan["assignments"] if a["unit_id"] == unit.pk and a["round_number"] == round_number)


def leader(w, plan: dict, row: dict):
    """The leader of the group a visit is assigned to."""
    leader_id = next(g["leader_id"] for g in plan["groups"] if g["id"] == row["group_id"])
    return next(u for u in w.user.values() if u.pk == leader_id)


def test_supervision_flow_visit_findings_rectification_reinspection_board_post_evaluation(shanyang):
    w = shanyang
    district = bearer(w.user["sy_org"])
    plan = ok(post(district, "/stars/supervision-plans", supervision_body(w)), 201)
    assert [g["name"] for g in plan["groups"]] == ["第一组", "第二组", "第三组"]
    assert [r["number"] for r in plan["rounds"]] == [1, 2, 3]
    assert len(plan["assignments"]) == 9  # 3 units × 3 rounds, all seen by the organiser
    assert sum(r["planned"] for r in plan["visits"]) == 9

    # A second plan overlapping the first for the same district is refused.
    err = error(post(district, "/stars/supervision-plans",
                     supervision_body(w, starts_on="2026-06-01", ends_on="2027-01-31",
                                      rounds=[{"starts_on": "2026-06-01", "ends_on": "2026-06-30"}])), 400)
    assert "已有督导计划" in " ".join(messages(err, "starts_on"))

    unit = w.org["zhongma"]
    first = assignment(plan, unit, 1)
    member = leader(w, plan, first)
    outsider = next(u for k, u in w.user.items() if k.startswith("supervisor") and u != member)
    mine = bearer(member)

    assert first["visit_id"] in [v["id"] for v in ok(mine.get(f"{API}/stars/my-visits"))["items"]]
    # A member of another group of the plan may not record this unit's visit.
    error(post(bearer(outsider), f"/stars/visits/{first['visit_id']}/record", {"checks": ALL_OK}), 403)
    # A finding without an aspect is refused by the schema, naming the field.
    err = error(post(mine, f"/stars/visits/{first['visit_id']}/record",
                     {"checks": ALL_OK, "findings": [{"text": "创建计划未上墙"}]}), 400)
    assert "findings.0.aspect" in [f["field"] for f in err["fields"]]
    err = error(post(mine, f"/stars/visits/{first['visit_id']}/record",
                     {"checks": ALL_OK, "findings": [{"aspect": "", "text": "创建计划未上墙"}]}), 400)
    assert "findings.0.aspect" in [f["field"] for f in err["fields"]]
    err = error(post(mine, f"/stars/visits/{first['visit_id']}/record", {"checks": ALL_OK[:3]}), 400)
    assert "尚未检查" in " ".join(messages(err, "checks"))
    assert Visit.objects.get(pk=first["visit_id"]).status == Visit.Status.PLANNED

    recorded = ok(post(mine, f"/stars/visits/{first['visit_id']}/record", {
        "checks": ALL_OK, "notes": "现场查看档案和标牌",
        "findings": [{"aspect": "plan", "text": "创建计划未上墙"}, {"aspect": "signage", "text": "标牌不规范"}]}))
    assert recorded["status"] == "done" and len(recorded["checks"]) == 7
    assert [(f["aspect"], f["case_status"]) for f in recorded["findings"]] == [("plan", "dispatched"),
                                                                               ("signage", "dispatched")]
    error(post(mine, f"/stars/visits/{first['visit_id']}/record", {"checks": ALL_OK}), 400)  # not twice

    # The branch sees its findings (and handles them as rectification items), never the visit plan.
    sec_user = w.user["sec_zhongma"]
    sec = bearer(sec_user)
    found = ok(sec.get(f"{API}/stars/findings", {"plan_id": plan["id"]}))
    assert found["count"] == 2 and {f["aspect_label"] for f in found["items"]} == {"创建计划", "规范标牌"}
    assert ok(sec.get(f"{API}/stars/findings", {"aspect": "plan"}))["count"] == 1
    for f in Finding.objects.filter(plan_id=plan["id"]).order_by("pk"):
        c = case_services.case_accept(actor=sec_user, case=f.case)
        c = case_services.case_handle(actor=sec_user, case=c, result="已整改")
        case_services.case_reply(actor=sec_user, case=c, reply="已整改,附照片")
    waiting = ok(sec.get(f"{API}/stars/findings", {"state": "awaiting_verification"}))
    assert waiting["count"] == 2

    second = assignment(plan, unit, 2)
    second_member = bearer(leader(w, plan, second))
    visit = ok(second_member.get(f"{API}/stars/visits/{second['visit_id']}"))
    to_verify = [f["id"] for f in visit["to_verify"]]
    assert len(to_verify) == 2
    ok(post(second_member, f"/stars/visits/{second['visit_id']}/record", {
        "checks": ALL_OK, "verifications": [{"finding_id": to_verify[0], "done": True},
                                            {"finding_id": to_verify[1], "done": False, "comment": "标牌仍未更换"}]}))
    assert Case.objects.get(star_finding__pk=to_verify[0]).status == CaseStatus.CLOSED
    assert Case.objects.get(star_finding__pk=to_verify[1]).status == CaseStatus.DISPATCHED

    board = ok(district.get(f"{API}/stars/supervision-plans/{plan['id']}/board", {"by": "aspect"}))
    rows = {r["label"]: r for r in board["rows"]}
    assert (rows["创建计划"]["found"], rows["创建计划"]["verified"]) == (1, 1)
    assert (rows["规范标牌"]["found"], rows["规范标牌"]["verified"]) == (1, 0)
    assert (board["totals"]["found"], board["totals"]["verified"], board["totals"]["rate"]) == (2, 1, 50.0)
    by_round = ok(district.get(f"{API}/stars/supervision-plans/{plan['id']}/board", {"by": "round"}))
    assert [r["label"] for r in by_round["rows"]] == ["第1轮"]
    error(district.get(f"{API}/stars/supervision-plans/{plan['id']}/board", {"by": "town"}), 400)

    body = {"unit_id": unit.pk, "result": "consolidated", "comment": "整改到位,成效巩固"}
    err = error(post(district, f"/stars/supervision-plans/{plan['id']}/post-evaluations", body), 400)
    assert "未整改核验完毕" in err["message"]
    f = Finding.objects.get(pk=to_verify[1])
    c = case_services.case_accept(actor=sec_user, case=f.case)
    case_services.case_reply(actor=sec_user, case=case_services.case_handle(actor=sec_user, case=c, result="已更换"),
                             reply="已更换标牌")
    third = assignment(plan, unit, 3)
    third_member = bearer(leader(w, plan, third))
    ok(post(third_member, f"/stars/visits/{third['visit_id']}/record",
            {"checks": ALL_OK, "verifications": [{"finding_id": f.pk, "done": True}]}))
    pe = ok(post(district, f"/stars/supervision-plans/{plan['id']}/post-evaluations", body), 201)
    assert pe["result_label"] == "整改成效巩固" and pe["unit_id"] == unit.pk
    detail = ok(district.get(f"{API}/stars/supervision-plans/{plan['id']}"))
    assert detail["post_evaluations"] == 1 and detail["findings"]["verified"] == 2


def test_planned_visits_are_hidden_from_branches_towns_and_other_districts(shanyang):
    w = shanyang
    plan = ok(post(bearer(w.user["sy_org"]), "/stars/supervision-plans", supervision_body(w)), 201)
    visit_id = plan["assignments"][0]["visit_id"]
    sec = bearer(w.user["sec_zhongma"])
    error(sec.get(f"{API}/stars/my-visits"), 403)  # a branch secretary cannot list planned visits
    assert ok(sec.get(f"{API}/stars/supervision-plans"))["count"] == 0
    error(sec.get(f"{API}/stars/supervision-plans/{plan['id']}"), 404)
    error(sec.get(f"{API}/stars/visits/{visit_id}"), 404)
    town = bearer(w.user["zx_town"])
    assert ok(town.get(f"{API}/stars/supervision-plans"))["count"] == 0
    error(town.get(f"{API}/stars/visits/{visit_id}"), 404)
    error(bearer(w.user["qy_org"]).get(f"{API}/stars/supervision-plans/{plan['id']}"), 404)
    # Staff of the committee above the organiser see the plan and its figures, not the per-unit table.
    above = bearer(UserFactory(phone="13710000099", role="district_org", organisation=w.org["sy"]))
    seen = ok(above.get(f"{API}/stars/supervision-plans/{plan['id']}"))
    assert seen["assignments"] is None and len(seen["groups"]) == 3 and sum(v["planned"] for v in seen["visits"]) == 9
    error(above.get(f"{API}/stars/visits/{visit_id}"), 404)
    # A group member sees the plan and the table of their own group only.
    member = w.user["supervisor2"]
    seen = ok(bearer(member).get(f"{API}/stars/supervision-plans/{plan['id']}"))
    group_id = next(g["id"] for g in seen["groups"] if g["leader_id"] == member.pk)
    assert seen["assignments"] and {a["group_id"] for a in seen["assignments"]} == {group_id}
    assert ok(bearer(member).get(f"{API}/stars/supervision-plans"))["count"] == 1


def test_supervision_plan_input_is_checked(shanyang):
    w = shanyang
    district = bearer(w.user["sy_org"])
    err = error(post(district, "/stars/supervision-plans", supervision_body(w, starts_on="1900-01-01")), 400)
    assert "starts_on" in [f["field"] for f in err["fields"]]
    body = supervision_body(w)
    body["groups"][1]["name"] = "第一组"
    error(post(district, "/stars/supervision-plans", body), 400)
    err = error(post(district, "/stars/supervision-plans", supervision_body(w, district_code=w.div["qy"].code)), 400)
    assert messages(err, "district_code")  # not the caller's district
    body = supervision_body(w)
    body["groups"][0]["member_ids"] = [w.user["sec_zhongma"].pk]  # not a member of the group's organisation
    error(post(district, "/stars/supervision-plans", body), 400)
    error(post(bearer(w.user["zx_town"]), "/stars/supervision-plans", supervision_body(w)), 403)
    assert not Plan.objects.exists()


# --- projects -----------------------------------------------------------------------------------------

def test_project_proposed_approved_and_completed(shanyang):
    w = shanyang
    sec, district = bearer(w.user["sec_zhongma"]), bearer(w.user["sy_org"])
    end = (timezone.localdate() + dt.timedelta(days=90)).isoformat()
    body = {"star_id": star("industry").pk, "kind": "livelihood", "name": "村集体光伏项目",
            "description": "利用村委屋顶建设分布式光伏", "budget": 35.5, "planned_end": end}
    project = ok(post(sec, "/stars/projects", body), 201)
    assert project["status"] == "proposed" and project["budget"] == 35.5
    assert project["kind_label"].startswith("民生实事")
    err = error(post(sec, "/stars/projects", {**body, "star_id": star("service", "community").pk}), 400)
    assert messages(err, "star_id")
    error(post(sec, f"/stars/projects/{project['id']}/decision", {"approve": True}), 403)
    error(post(district, f"/stars/projects/{project['id']}/decision", {"approve": False}), 400)  # reason needed
    ok(post(district, f"/stars/projects/{project['id']}/decision", {"approve": True, "comment": "同意立项"}))
    ok(post(sec, f"/stars/projects/{project['id']}/progress", {"progress": 40, "note": "完成屋顶加固"}))
    err = error(post(sec, f"/stars/projects/{project['id']}/progress", {"progress": 20, "note": "倒退"}), 400)
    assert messages(err, "progress")
    done = ok(post(sec, f"/stars/projects/{project['id']}/progress", {"progress": 100, "note": "并网发电"}))
    assert done["status"] == "completed" and [u["progress"] for u in done["updates"]] == [40, 100]
    assert ok(district.get(f"{API}/stars/projects", {"status": "completed"}))["count"] == 1
    assert ok(bearer(w.user["qy_org"]).get(f"{API}/stars/projects"))["count"] == 0
    error(bearer(w.user["qy_org"]).get(f"{API}/stars/projects/{project['id']}"), 404)
