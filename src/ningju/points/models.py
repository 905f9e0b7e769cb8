"""Points (积分): accounts, rulebooks, the append-only ledger, declarations, boards and the village points shop.

The ledger (:class:`Entry`) is append-only: the model refuses updates and deletes, and a database trigger
(installed by migration ``0002_ledger_guard`` on SQLite and PostgreSQL alike) refuses them below the ORM.
Corrections are reversals. ``Account.balance`` is a cache of the sum of the account's entries, changed only by
:mod:`ningju.points.services.ledger` in the same statement that guards it against going below zero;
``manage.py check_points`` proves it equals the sum. ``PeriodTotal`` keeps per-month and per-year sums for the
boards, in the same transaction as the entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ningju.core.scoping import ScopedQuerySet


class AccountKind(models.TextChoices):
    MEMBER = "member", "党员"
    HOUSEHOLD = "household", "农户"


class Household(models.Model):
    """A village household (户) that earns points as one."""

    village = models.ForeignKey("geo.Division", verbose_name="村(社区)", on_delete=models.PROTECT, related_name="+")
    number = models.CharField("户号", max_length=20)
    head_name = models.CharField("户主", max_length=50)
    head = models.ForeignKey("people.Person", verbose_name="户主档案", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    members = models.PositiveSmallIntegerField("人口", default=1)
    address = models.CharField("住址", max_length=120, blank=True)
    division_path = models.CharField(max_length=255, editable=False, default="")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)

    class Meta:
        verbose_name = verbose_name_plural = "农户"
        ordering = ["division_path", "number"]
        constraints = [models.UniqueConstraint(fields=["village", "number"], name="points_household_number")]

    def __str__(self):
        return f"{self.number} {self.head_name}"

    @property
    def masked_head(self) -> str:
        """The head's name as published on boards: surname and last character (张*强, 李*)."""
        n = self.head_name
        return n if len(n) <= 1 else (n[0] + "*" if len(n) == 2 else n[0] + "*" * (len(n) - 2) + n[-1])

    def audit_scope_paths(self):
        return self.division_path, ""


class Account(models.Model):
    """The points account of a Party member (kept by the branch) or of a household (kept by the village)."""

    kind = models.CharField("类型", max_length=12, choices=AccountKind.choices)
    organisation = models.ForeignKey("orgs.Organisation", verbose_name="管理组织", on_delete=models.PROTECT,
                                     related_name="points_accounts")
    person = models.ForeignKey("people.Person", verbose_name="党员", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="points_accounts")
    household = models.ForeignKey(Household, verbose_name="农户", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="accounts")
    name = models.CharField("名称", max_length=60)
    balance = models.IntegerField("余额", default=0, editable=False)
    active = models.BooleanField("有效", default=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登录账号", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="points_accounts")
    division_path = models.CharField(max_length=255, editable=False, default="")
    org_path = models.CharField(max_length=255, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)
        org = ("org_path",)
        user = ("user",)

    class Meta:
        verbose_name = verbose_name_plural = "积分账户"
        ordering = ["org_path", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_not_negative"),
            models.CheckConstraint(condition=(Q(kind="member", person__isnull=False, household__isnull=True)
                                              | Q(kind="household", household__isnull=False, person__isnull=True)),
                                   name="points_account_owner"),
            models.UniqueConstraint(fields=["organisation", "person"], condition=Q(person__isnull=False),
                                    name="points_member_account_once"),
            models.UniqueConstraint(fields=["household"], condition=Q(household__isnull=False),
                                    name="points_household_account_once"),
        ]
        indexes = [models.Index(fields=["division_path"], name="points_account_division",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return self.name

    def audit_scope_paths(self):
        return self.division_path, self.org_path


class Rulebook(models.Model):
    """An organisation's points rules (a village's or a branch's)."""

    organisation = models.ForeignKey("orgs.Organisation", verbose_name="组织", on_delete=models.PROTECT,
                                     related_name="rulebooks")
    name = models.CharField("名称", max_length=100)
    applies_to = models.CharField("适用对象", max_length=12, choices=AccountKind.choices)
    publicity_workdays = models.PositiveSmallIntegerField("申报公示期(工作日)", default=3)
    active = models.BooleanField("启用", default=True)
    org_path = models.CharField(max_length=255, editable=False, default="")
    division_path = models.CharField(max_length=255, editable=False, default="")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)
        org = ("org_path",)

    class Meta:
        verbose_name = verbose_name_plural = "积分规则"
        constraints = [models.UniqueConstraint(fields=["organisation", "applies_to"], condition=Q(active=True),
                                               name="points_one_active_rulebook")]

    def __str__(self):
        return self.name

    def audit_scope_paths(self):
        return self.division_path, self.org_path


class Period(models.TextChoices):
    MONTH = "month", "每月"
    QUARTER = "quarter", "每季度"
    YEAR = "year", "每年"


class Rule(models.Model):
    class Category(models.TextChoices):
        STUDY = "study", "学习"
        ACTIVITY = "activity", "活动"
        VOLUNTEER = "volunteer", "志愿服务"
        SANITATION = "sanitation", "环境卫生"
        FILIAL = "filial", "孝老爱亲"
        CIVILITY = "civility", "文明新风"
        OTHER = "other", "其他"

    rulebook = models.ForeignKey(Rulebook, on_delete=models.CASCADE, related_name="rules")
    category = models.CharField("类别", max_length=12, choices=Category.choices)
    name = models.CharField("事项", max_length=100)
    points = models.IntegerField("分值(每次)", help_text="正数为加分,负数为扣分")
    cap = models.PositiveIntegerField("周期上限(分)", null=True, blank=True)
    cap_period = models.CharField("上限周期", max_length=10, choices=Period.choices, default=Period.MONTH)
    declarable = models.BooleanField("可申报(经审核公示后入账)", default=True)
    active = models.BooleanField("启用", default=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("rulebook__division_path",)
        org = ("rulebook__org_path",)

    class Meta:
        verbose_name = verbose_name_plural = "积分细则"
        ordering = ["rulebook", "category", "id"]
        constraints = [models.CheckConstraint(condition=~Q(points=0), name="points_rule_not_zero"),
                       models.UniqueConstraint(fields=["rulebook", "name"], name="points_rule_name")]

    def __str__(self):
        return f"{self.get_category_display()}·{self.name}({self.points:+d})"


class EntryKind(models.TextChoices):
    EARN = "earn", "加分"
    DEDUCT = "deduct", "扣分"
    REDEEM = "redeem", "兑换"
    REFUND = "refund", "退还"
    REVERSAL = "reversal", "冲正"


class EntryQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise TypeError("积分流水只能追加,不能修改;更正请冲正")

    def delete(self):
        raise TypeError("积分流水只能追加,不能删除;更正请冲正")


class Entry(models.Model):
    """One change of points. Never updated or deleted; a correction is a reversal entry."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField("类型", max_length=10, choices=EntryKind.choices)
    amount = models.IntegerField("分值")
    reason = models.CharField("事由", max_length=200)
    rule = models.ForeignKey(Rule, verbose_name="依据规则", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="entries")
    source_type = models.CharField("来源类型", max_length=40, blank=True)
    source_id = models.CharField("来源记录", max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    reverses = models.OneToOneField("self", verbose_name="冲正对象", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversed_by")
    occurred_on = models.DateField("发生日期")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("入账时间")
    division_path = models.CharField(max_length=255, editable=False, default="")
    org_path = models.CharField(max_length=255, editable=False, default="")

    objects = EntryQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)
        org = ("org_path",)
        user = ("account__user",)

    class Meta:
        verbose_name = verbose_name_plural = "积分流水"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "occurred_on"], name="points_entry_account_day")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="points_entry_not_zero"),
            models.CheckConstraint(condition=(Q(kind__in=["earn", "refund"], amount__gt=0)
                                              | Q(kind__in=["deduct", "redeem"], amount__lt=0)
                                              | Q(kind="reversal", reverses__isnull=False)),
                                   name="points_entry_sign"),
        ]

    def __str__(self):
        return f"{self.account} {self.amount:+d} {self.reason}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("积分流水只能追加,不能修改;更正请冲正")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("积分流水只能追加,不能删除;更正请冲正")

    def audit_scope_paths(self):
        return self.division_path, self.org_path


class PeriodTotal(models.Model):
    """Sums of an account's entries per month ("2026-03") and per year ("2026"), kept with each entry."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=7)
    earned = models.IntegerField(default=0)    # earn + reversals of deductions
    deducted = models.IntegerField(default=0)  # deduct + reversals of earnings (negative)
    org_id_copy = models.IntegerField()
    division_path = models.CharField(max_length=255, default="")

    class Meta:
        verbose_name = verbose_name_plural = "积分周期汇总"
        constraints = [models.UniqueConstraint(fields=["account", "period"], name="points_total_once")]
        indexes = [models.Index(fields=["org_id_copy", "period"], name="points_total_org"),
                   models.Index(fields=["period", "division_path"], name="points_total_division",
                                opclasses=["", "varchar_pattern_ops"]),
                   # The county board (selectors.county_board): a period's sums already in board order, so the
                   # top rows of a county are read from the start of the index (division_path checked in it).
                   models.Index(F("period"), (F("earned") + F("deducted")).desc(), F("account_id"),
                                F("division_path"), name="points_total_board")]

    def __str__(self):
        return f"{self.account_id} {self.period}"

    @property
    def net(self) -> int:
        return self.earned + self.deducted


class Declaration(models.Model):
    """申报 → 审核 → 公示 → 入账: a villager's or member's claim under a rule."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待审核"
        REJECTED = "rejected", "未通过"
        PUBLICITY = "publicity", "公示中"
        OBJECTED = "objected", "有异议待处理"
        POSTED = "posted", "已入账"
        WITHDRAWN = "withdrawn", "已撤销"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="declarations")
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="declarations")
    occurred_on = models.DateField("发生日期")
    note = models.CharField("说明", max_length=300)
    times = models.PositiveSmallIntegerField("次数", default=1)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.CharField("审核意见", max_length=300, blank=True)
    publicity_until = models.DateTimeField("公示截止", null=True, blank=True)
    objections = models.TextField("异议", blank=True, max_length=3000)
    entry = models.OneToOneField(Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="declaration")
    division_path = models.CharField(max_length=255, editable=False, default="")
    org_path = models.CharField(max_length=255, editable=False, default="")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)
        org = ("org_path",)
        user = ("account__user",)

    class Meta:
        verbose_name = verbose_name_plural = "积分申报"
        ordering = ["-submitted_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(times__gte=1), name="points_declaration_times")]

    def __str__(self):
        return f"{self.account} {self.rule.name}"

    @property
    def points(self) -> int:
        """What the declaration is worth: the rule's points per occurrence × occurrences."""
        return self.rule.points * self.times

    def audit_scope_paths(self):
        return self.division_path, self.org_path


class Shop(models.Model):
    """A village points shop (积分超市)."""

    organisation = models.ForeignKey("orgs.Organisation", verbose_name="所属组织", on_delete=models.PROTECT,
                                     related_name="points_shops")
    name = models.CharField("名称", max_length=60)
    keepers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="管理员", related_name="points_shops",
                                     blank=True)
    address = models.CharField("地址", max_length=120, blank=True)
    hours = models.CharField("开放时间", max_length=60, blank=True)
    org_path = models.CharField(max_length=255, editable=False, default="")
    division_path = models.CharField(max_length=255, editable=False, default="")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)
        org = ("org_path",)

    class Meta:
        verbose_name = verbose_name_plural = "积分超市"

    def __str__(self):
        return self.name

    def audit_scope_paths(self):
        return self.division_path, self.org_path


class Item(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="items")
    name = models.CharField("商品", max_length=60)
    price = models.PositiveIntegerField("所需积分")
    stock = models.IntegerField("库存")
    unit = models.CharField("单位", max_length=10, default="件")
    active = models.BooleanField("上架", default=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("shop__division_path",)
        org = ("shop__org_path",)

    class Meta:
        verbose_name = verbose_name_plural = "兑换商品"
        ordering = ["shop", "price", "id"]
        constraints = [models.CheckConstraint(condition=Q(stock__gte=0), name="points_item_stock_not_negative"),
                       models.CheckConstraint(condition=Q(price__gt=0), name="points_item_price_positive")]

    def __str__(self):
        return f"{self.name}({self.price}分)"

    def audit_scope_paths(self):
        return self.shop.division_path, self.shop.org_path


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed", "待领取"
        FULFILLED = "fulfilled", "已领取"
        CANCELLED = "cancelled", "已取消"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="orders")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="orders")
    quantity = models.PositiveSmallIntegerField("数量")
    points = models.PositiveIntegerField("积分")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PLACED)
    pickup_code = models.CharField("取货码", max_length=8)
    client_key = models.CharField(max_length=64, unique=True)
    redeem_entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="order")
    refund_entry = models.OneToOneField(Entry, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="refunded_order")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    placed_at = models.DateTimeField()
    fulfilled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    division_path = models.CharField(max_length=255, editable=False, default="")
    org_path = models.CharField(max_length=255, editable=False, default="")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)
        org = ("org_path",)
        user = ("account__user",)

    class Meta:
        verbose_name = verbose_name_plural = "兑换订单"
        ordering = ["-placed_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="points_order_quantity")]

    def __str__(self):
        return f"{self.account} {self.item} ×{self.quantity}"

    def audit_scope_paths(self):
        return self.division_path, self.org_path


class BoardPublication(models.Model):
    """A published board (党员积分榜 / 红黑榜) that villagers open on a phone through its link."""

    class Kind(models.TextChoices):
        MEMBERS = "members", "党员积分榜"
        RED_BLACK = "red_black", "红黑榜"

    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    period = models.CharField("周期", max_length=7)
    token = models.CharField(max_length=32, unique=True)
    rows = models.JSONField("榜单", default=list)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField()
    org_path = models.CharField(max_length=255, editable=False, default="")
    division_path = models.CharField(max_length=255, editable=False, default="")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)
        org = ("org_path",)

    class Meta:
        verbose_name = verbose_name_plural = "已发布榜单"
        ordering = ["-published_at"]

    def __str__(self):
        return f"{self.organisation} {self.get_kind_display()} {self.period}"

    def audit_scope_paths(self):
        return self.division_path, self.org_path
