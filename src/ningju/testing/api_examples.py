"""One object of each kind the API addresses by id (a case, a creation plan, a supervision plan with its visits,
a project, a points account with entries, a declaration, a shop with an item and an order), written through the
services on top of the test ``world``. The schemathesis run uses their ids (and those of the world) instead of
generated numbers, so the operations behind ``/cases/{case_id}``, ``/stars/...`` and ``/points/...`` are
reached with objects that exist, in and out of the caller's scope."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.utils import timezone

from ningju.cases import services as case_services
from ningju.cases.models import Category
from ningju.cases.states import CaseKind
from ningju.points.services import declarations, ledger, setup, shop
from ningju.stars import services as star_services
from ningju.stars.models import Star
from ningju.stars.services.supervision import GroupSpec

from .factories import UserFactory
from .world import World

# Path parameter → the models whose ids it takes (a name used by two apps takes the ids of both).
PATH_MODELS = {
    "account_id": ["points.Account"], "assessment_id": ["stars.Assessment"],
    "assignment_id": ["instructors.Assignment"], "attachment_id": ["cases.Attachment"],
    "award_id": ["stars.Award"], "campaign_id": ["coverage.Campaign"], "case_id": ["cases.Case"],
    "declaration_id": ["points.Declaration"], "entry_id": ["points.Entry"], "evidence_id": ["stars.Evidence"],
    "finding_id": ["stars.Finding", "coverage.Finding"], "import_id": ["rosters.RosterImport"],
    "instructor_id": ["instructors.Instructor"], "order_id": ["points.Order"],
    "plan_id": ["stars.Plan", "stars.SupervisionPlan"], "project_id": ["stars.Project"],
    "rule_id": ["points.Rule", "cases.RoutingRule"], "shop_id": ["points.Shop"],
    "unit_id": ["coverage.CampaignUnit"], "visit_id": ["stars.Visit", "instructors.Visit"],
}


def build_api_examples(w: World) -> None:
    o, u = w.org, w.user
    today = timezone.localdate()
    sec = u["sec_zhongma"] = UserFactory(phone="13700000020", role="village_secretary", organisation=o["zhongma"])

    case_services.case_file(actor=u["worker"], kind=CaseKind.GRIEVANCE, category=Category.objects.get(
        code="traffic-road"), text="路口红绿灯坏了,骑手过路口很危险", division=w.div["luozhuang"])

    star = Star.objects.filter(standard__unit_kind="village", code="branch").order_by("-standard__year").first()
    star_services.plan_save(actor=sec, branch=o["zhongma"], year=star.standard.year, targets=[star],
                            measures="对标五星逐项落实", submit=True)
    star_services.project_propose(actor=sec, branch=o["zhongma"], star=star, name="党群服务中心改造",
                                  description="改造党群服务中心", planned_end=today + dt.timedelta(days=90))
    star_services.supervision_plan_create(
        actor=u["sy_org"], name="“五星”支部创建督导", year=today.year, district=w.div["sy"], starts_on=today,
        ends_on=today + dt.timedelta(days=60), rounds=[(today, today + dt.timedelta(days=20))],
        groups=[GroupSpec(name="第一组", organisation=o["group"], leader=u["supervisor"])])

    book = setup.rulebook_save(actor=sec, organisation=o["zhongma"], name="中马村乡村积分管理办法",
                               applies_to="household")
    rule = setup.rule_save(actor=sec, rulebook=book, category="sanitation", name="庭院整洁", points=5)
    household = setup.household_create(actor=sec, village=w.div["zhongma"], number="ZM001", head_name="马建国")
    account = setup.account_open(actor=sec, organisation=o["zhongma"], household=household)
    for n in range(3):
        ledger.award(actor=sec, account=account, rule=rule, occurred_on=today, idempotency_key=f"example-{n}")
    declarations.submit(actor=sec, account=account, rule=rule, occurred_on=today, note="打扫庭院")
    points_shop = setup.shop_create(actor=sec, organisation=o["zhongma"], name="中马村积分超市", keepers=[sec])
    item = shop.item_save(actor=sec, shop=points_shop, name="洗衣粉", price=5, stock=5, unit="袋")
    shop.place(actor=sec, account=account, item=item, quantity=1, client_key="example-order")


def existing_ids() -> dict[str, list[int]]:
    """For each path parameter of :data:`PATH_MODELS`, the ids present in the database."""
    out = {}
    for name, labels in PATH_MODELS.items():
        ids = set()
        for label in labels:
            ids.update(apps.get_model(label).objects.values_list("pk", flat=True))
        out[name] = sorted(ids)
    return out
