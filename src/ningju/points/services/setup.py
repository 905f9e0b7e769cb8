"""Accounts, households, rulebooks and shops."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from ningju.core import audit, roles
from ningju.core.scoping import is_visible
from ningju.geo.models import Level

from ..models import Account, AccountKind, Household, Rule, Rulebook, Shop
from .ledger import may_manage

A_HOUSEHOLD = audit.register_action("points.household.saved", "登记农户")
A_ACCOUNT = audit.register_action("points.account.opened", "开立积分账户")
A_RULEBOOK = audit.register_action("points.rulebook.saved", "保存积分规则")
A_RULE = audit.register_action("points.rule.saved", "保存积分细则")
A_SHOP = audit.register_action("points.shop.saved", "设立积分超市")


def _require(actor, org) -> None:
    if not may_manage(actor, org):
        raise PermissionDenied("只有本组织的积分管理员可以操作")


@transaction.atomic
def household_create(*, actor, village, number: str, head_name: str, members: int = 1, address: str = "",
                     head=None) -> Household:
    if village.level != Level.VILLAGE:
        raise ValidationError({"village": "农户应登记在村(社区)"})
    if not getattr(actor, "can", lambda m: False)(roles.M_POINTS_MANAGE):
        raise PermissionDenied("只有积分管理员可以登记农户")
    if not is_visible(village, actor):
        raise ValidationError({"village": "该村(社区)不在管辖范围内"})
    number, head_name = (number or "").strip(), (head_name or "").strip()
    if not number or not head_name:
        raise ValidationError({"number": "请填写户号和户主"})
    h = Household(village=village, number=number[:20], head_name=head_name[:50], members=members,
                  address=(address or "")[:120], head=head, division_path=village.path)
    h.full_clean(exclude=["head"])
    try:
        with transaction.atomic():
            h.save()
    except IntegrityError:
        raise ValidationError({"number": f"户号{number}已存在"}) from None
    audit.record(actor=actor, action=A_HOUSEHOLD, obj=h, after=audit.snapshot(h))
    return h


@transaction.atomic
def account_open(*, actor, organisation, person=None, household: Household | None = None, user=None) -> Account:
    """A member's account kept by their branch, or a household's account kept by its village's organisation."""
    _require(actor, organisation)
    if (person is None) == (household is None):
        raise ValidationError("请指定党员或农户之一")
    if person is not None:
        if not person.is_party_member:
            raise ValidationError({"person": f"{person.name}不是党员"})
        kind, name = AccountKind.MEMBER, person.name
        if Account.objects.filter(organisation=organisation, person=person).exists():
            raise ValidationError({"person": f"{person.name}已有积分账户"})
    else:
        kind, name = AccountKind.HOUSEHOLD, f"{household.head_name}户"
        if not household.division_path.startswith(organisation.division.path):
            raise ValidationError({"household": "农户不在该组织所在村(社区)"})
        if Account.objects.filter(household=household).exists():
            raise ValidationError({"household": "该农户已有积分账户"})
    acc = Account.objects.create(kind=kind, organisation=organisation, person=person, household=household,
                                 name=name, user=user, division_path=organisation.division.path,
                                 org_path=organisation.path)
    audit.record(actor=actor, action=A_ACCOUNT, obj=acc, after=audit.snapshot(acc))
    return acc


@transaction.atomic
def rulebook_save(*, actor, organisation, name: str, applies_to: str, publicity_workdays: int = 3,
                  rulebook: Rulebook | None = None) -> Rulebook:
    _require(actor, organisation)
    if applies_to not in AccountKind.values:
        raise ValidationError({"applies_to": "适用对象不正确"})
    if not 1 <= publicity_workdays <= 15:
        raise ValidationError({"publicity_workdays": "公示期应为1至15个工作日"})
    before = audit.snapshot(rulebook) if rulebook else None
    if rulebook is None:
        if Rulebook.objects.filter(organisation=organisation, applies_to=applies_to, active=True).exists():
            raise ValidationError({"applies_to": "该组织已有适用于此对象的积分规则"})
        rulebook = Rulebook(organisation=organisation, applies_to=applies_to, org_path=organisation.path,
                            division_path=organisation.division.path)
    rulebook.name, rulebook.publicity_workdays = (name or "").strip()[:100] or "积分规则", publicity_workdays
    rulebook.save()
    audit.record(actor=actor, action=A_RULEBOOK, obj=rulebook, before=before, after=audit.snapshot(rulebook))
    return rulebook


@transaction.atomic
def rule_save(*, actor, rulebook: Rulebook, category: str, name: str, points: int, cap: int | None = None,
              cap_period: str = "month", declarable: bool = True, active: bool = True,
              rule: Rule | None = None) -> Rule:
    _require(actor, rulebook.organisation)
    if isinstance(points, bool) or not isinstance(points, int) or points == 0 or abs(points) > 1000:
        raise ValidationError({"points": "分值应为非零整数(-1000至1000),扣分填负数"})
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < abs(points)):
        raise ValidationError({"cap": "上限应为整数,且不小于单次分值"})
    before = audit.snapshot(rule) if rule else None
    rule = rule or Rule(rulebook=rulebook)
    if rule.rulebook_id != rulebook.pk:
        raise ValidationError("细则不属于该规则")
    rule.category, rule.name, rule.points, rule.cap = category, (name or "").strip(), points, cap
    rule.cap_period, rule.declarable, rule.active = cap_period, declarable, active
    rule.full_clean(exclude=["rulebook"], validate_unique=False)
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise ValidationError({"name": f"已有同名细则“{rule.name}”"}) from None
    audit.record(actor=actor, action=A_RULE, obj=rule, before=before, after=audit.snapshot(rule))
    return rule


@transaction.atomic
def shop_create(*, actor, organisation, name: str, keepers=(), address: str = "", hours: str = "") -> Shop:
    _require(actor, organisation)
    if organisation.division.level != Level.VILLAGE:
        raise ValidationError({"organisation": "积分超市设在村(社区)"})
    shop = Shop.objects.create(organisation=organisation, name=(name or "积分超市").strip()[:60],
                               address=(address or "")[:120], hours=(hours or "")[:60], org_path=organisation.path,
                               division_path=organisation.division.path)
    shop.keepers.set(list(keepers))
    audit.record(actor=actor, action=A_SHOP, obj=shop, after=audit.snapshot(shop))
    return shop
