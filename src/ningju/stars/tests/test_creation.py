"""Creation and awarding: plan, self-assessment with evidence, town review, district evaluation, award."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ningju.core.uploads import CleanFile
from ningju.stars import selectors, services
from ningju.stars.models import Assessment, Award, StandardItem, StandardSet, Star

from .conftest import MONDAY

pytestmark = pytest.mark.django_db

PDF = CleanFile(content=b"%PDF-1.4\n%%EOF", extension="pdf", content_type="application/pdf", size=14,
             original_name="会议记录.pdf", sha256="b" * 64)


def branch_star(code="branch", kind="village"):
    return Star.objects.get(standard__year=2026, standard__unit_kind=kind, code=code)


def make_plan(w, key="zhongma"):
    return services.plan_save(actor=w.user[f"sec_{key}"], branch=w.org[key], year=2026,
                              targets=[branch_star(), branch_star("ecology")], measures="对标五星逐项落实",
                              submit=True, at=MONDAY)


def meet_all(w, plan, star):
    for item in star.items.exclude(assessments__plan=plan):
        score = item.max_score if item.mode == StandardItem.Mode.SCORE else None
        a = services.assessment_submit(actor=w.user["sec_zhongma"], plan=plan, item=item, claim_met=True,
                                       claim_score=score, files=[PDF], at=MONDAY)
        services.assessment_review(actor=w.user["zx_town"], assessment=a, approve=True)
        services.assessment_evaluate(actor=w.user["sy_org"], assessment=a, met=True, score=score)


def test_seeded_standards_follow_the_unit_kind(shanyang):
    rural = StandardSet.objects.get(year=2026, unit_kind="village")
    assert [s.name for s in rural.stars.all()] == ["支部过硬星", "产业兴旺星", "生态宜居星", "平安法治星", "文明幸福星"]
    with pytest.raises(ValidationError):  # a village branch cannot target a community star
        services.plan_save(actor=shanyang.user["sec_zhongma"], branch=shanyang.org["zhongma"], year=2026,
                           targets=[branch_star("service", "community")], measures="x")


def test_new_year_copies_last_year_item_by_item(shanyang):
    old = StandardSet.objects.get(year=2026, unit_kind="village")
    new = services.standard_copy_year(actor=shanyang.user["sy_org"], source=old, year=2027)
    assert new.name.startswith("2027年") and not new.published
    assert StandardItem.objects.filter(star__standard=new).count() == StandardItem.objects.filter(
        star__standard=old).count()
    with pytest.raises(ValidationError):
        services.standard_copy_year(actor=shanyang.user["sy_org"], source=old, year=2027)
    with pytest.raises(PermissionDenied):
        services.standard_copy_year(actor=shanyang.user["sec_zhongma"], source=old, year=2028)


def test_self_assessment_needs_the_evidence_the_item_asks_for(shanyang):
    w = shanyang
    plan = make_plan(w)
    item = branch_star().items.first()
    with pytest.raises(ValidationError) as exc:
        services.assessment_submit(actor=w.user["sec_zhongma"], plan=plan, item=item, claim_met=True)
    assert "佐证材料" in str(exc.value) and item.evidence in str(exc.value)
    with pytest.raises(PermissionDenied):  # another branch's secretary
        services.assessment_submit(actor=w.user["sec_baima"], plan=plan, item=item, claim_met=True, files=[PDF])
    a = services.assessment_submit(actor=w.user["sec_zhongma"], plan=plan, item=item, claim_met=True, files=[PDF])
    assert a.evidence.count() == 1 and a.status == Assessment.Status.SUBMITTED
    with pytest.raises(ValidationError):
        services.assessment_review(actor=w.user["zx_town"], assessment=a, approve=False, comment="")
    a = services.assessment_review(actor=w.user["zx_town"], assessment=a, approve=False, comment="照片不清晰")
    assert a.status == Assessment.Status.RETURNED
    a = services.assessment_submit(actor=w.user["sec_zhongma"], plan=plan, item=item, claim_met=True, files=[PDF])
    assert a.status == Assessment.Status.SUBMITTED and a.evidence.count() == 2


def test_award_refused_with_missing_items_listed_then_publicity_then_standing(shanyang):
    w = shanyang
    plan = make_plan(w)
    star = branch_star()
    first = star.items.order_by("order").first()
    a = services.assessment_submit(actor=w.user["sec_zhongma"], plan=plan, item=first, claim_met=True, files=[PDF])
    services.assessment_review(actor=w.user["zx_town"], assessment=a, approve=True)
    services.assessment_evaluate(actor=w.user["sy_org"], assessment=a, met=True)
    with pytest.raises(ValidationError) as exc:
        services.award_star(actor=w.user["sy_org"], plan=plan, star=star)
    listed = " ".join(exc.value.messages)
    required_missing = [i.text for i in star.items.filter(required=True).exclude(pk=first.pk)]
    assert all(text in listed for text in required_missing) and first.text not in listed
    meet_all(w, plan, star)
    award = services.award_star(actor=w.user["sy_org"], plan=plan, star=star, at=MONDAY)
    assert award.status == Award.Status.PUBLICITY
    assert award.publicity_until == MONDAY + dt.timedelta(days=7)  # 5 working days: next Monday
    assert services.awards_settle(now=MONDAY + dt.timedelta(days=3)) == 0
    services.award_object(actor=w.user["zx_town"], award=award, text="班子成员有空缺", at=MONDAY + dt.timedelta(days=1))
    assert services.awards_settle(now=MONDAY + dt.timedelta(days=8)) == 0  # an open objection waits
    services.award_decide_objection(actor=w.user["sy_org"], award=award, uphold_award=True, comment="已核实补齐")
    assert services.awards_settle(now=MONDAY + dt.timedelta(days=8)) == 1
    award.refresh_from_db()
    assert award.status == Award.Status.STANDING
    with pytest.raises(ValidationError):
        services.award_star(actor=w.user["sy_org"], plan=plan, star=star)  # not twice
    with pytest.raises(ValidationError):
        services.award_withdraw(actor=w.user["sy_org"], award=award, reason="")
    services.award_withdraw(actor=w.user["sy_org"], award=award, reason="发生重大安全事故")
    history = list(selectors.star_history(user=w.user["sec_zhongma"], branch=w.org["zhongma"]))
    assert [(h.star.name, h.status) for h in history] == [("支部过硬星", Award.Status.WITHDRAWN)]
    assert history[0].withdrawn_reason == "发生重大安全事故"
    assert not selectors.awards(user=w.user["qy_org"]).exists()  # another district sees nothing
