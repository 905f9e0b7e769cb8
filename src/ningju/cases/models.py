"""The closed-loop case engine's data: categories, routing and deadline rules, cases and their events.

One engine serves grievances (诉求), incident reports from grid members (事件报告) and supervision
rectification items (整改事项). Workflows live in :mod:`ningju.cases.services`; the models hold data
and invariants only. The columns a case carries beside its event history (due times, acceptance,
reply, rating) are derived from its events by the services; ``manage.py check_cases`` proves they
equal a re-derivation from the events.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ningju.core.crypto import EncryptedTextField
from ningju.core.idcard import mask_phone
from ningju.core.scoping import ScopedQuerySet

from .states import HANDLER_STATES, NUMBER_PREFIX, CaseKind, Priority, Rating, Source, Status, Unit


class Category(models.Model):
    """A node of the configurable category tree; ``code`` is also the Open311 service code."""

    kind = models.CharField("事项类型", max_length=20, choices=CaseKind.choices)
    parent = models.ForeignKey("self", verbose_name="上级分类", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    code = models.SlugField("代码", max_length=60, unique=True)
    name = models.CharField("名称", max_length=60)
    description = models.CharField("说明", max_length=300, blank=True)
    keywords = models.CharField("关键词", max_length=200, blank=True)
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    is_emergency = models.BooleanField("突发事件(立即通知值班领导)", default=False)
    default_priority = models.CharField("默认紧急程度", max_length=12, choices=Priority.choices,
                                        default=Priority.NORMAL)
    public = models.BooleanField("对外公开(可在线提交、Open311)", default=True)
    active = models.BooleanField("启用", default=True)
    sort = models.PositiveSmallIntegerField("排序", default=0)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:  # the category tree is reference data every login may read
        public = True

    class Meta:
        verbose_name = verbose_name_plural = "事项分类"
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="case_category_unique_name")]

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/")

    def audit_scope_paths(self):
        return "", ""


class RoutingRule(models.Model):
    """Category subtree × division subtree → the responsible organisation (or the local one).

    The most specific rule wins: the deepest category, then the deepest division. A case no rule
    covers waits in the dispatchers' queue.
    """

    class Target(models.TextChoices):
        ORG = "org", "指定单位"
        LOCAL = "local", "属地村(社区)"

    category = models.ForeignKey(Category, verbose_name="事项分类", on_delete=models.CASCADE,
                                 related_name="routing_rules")
    division = models.ForeignKey("geo.Division", verbose_name="适用区划", on_delete=models.PROTECT,
                                 related_name="+")
    target = models.CharField("承办方式", max_length=10, choices=Target.choices, default=Target.ORG)
    organisation = models.ForeignKey("orgs.Organisation", verbose_name="承办单位", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField("启用", default=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division__path",)

    class Meta:
        verbose_name = verbose_name_plural = "分派规则"
        constraints = [
            models.UniqueConstraint(fields=["category", "division"], condition=Q(active=True),
                                    name="case_routing_one_active_rule"),
            models.CheckConstraint(condition=Q(target="local") | Q(organisation__isnull=False),
                                   name="case_routing_org_required"),
        ]

    def __str__(self):
        who = self.organisation.name if self.organisation_id else "属地村(社区)"
        return f"{self.category.name} @ {self.division.name} → {who}"

    def audit_scope_paths(self):
        return self.division.path, (self.organisation.path if self.organisation_id else "")


class DeadlineRule(models.Model):
    """Time allowed to accept and to reply, per category (subtree) and priority; category empty = default."""

    category = models.ForeignKey(Category, verbose_name="事项分类(空为默认)", null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="deadline_rules")
    priority = models.CharField("紧急程度", max_length=12, choices=Priority.choices)
    accept_amount = models.PositiveSmallIntegerField("受理时限")
    accept_unit = models.CharField("受理时限单位", max_length=10, choices=Unit.choices, default=Unit.WORKDAY)
    reply_amount = models.PositiveSmallIntegerField("答复时限")
    reply_unit = models.CharField("答复时限单位", max_length=10, choices=Unit.choices, default=Unit.WORKDAY)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        public = True

    class Meta:
        verbose_name = verbose_name_plural = "办理时限"
        constraints = [
            models.UniqueConstraint(fields=["category", "priority"], name="case_deadline_unique"),
            models.UniqueConstraint(fields=["priority"], condition=Q(category__isnull=True),
                                    name="case_deadline_one_default"),
            models.CheckConstraint(condition=Q(accept_amount__gt=0) & Q(reply_amount__gt=0),
                                   name="case_deadline_positive"),
        ]

    def __str__(self):
        return (f"{self.category or '默认'} {self.get_priority_display()}: 受理{self.accept_amount}"
                f"{self.get_accept_unit_display()},答复{self.reply_amount}{self.get_reply_unit_display()}")

    def audit_scope_paths(self):
        return "", ""


class Seminar(models.Model):
    """A 座谈会 where staff collected grievances from workers (city or town level)."""

    class Level(models.TextChoices):
        CITY = "city", "市级"
        COUNTY = "county", "县(市、区)级"
        TOWN = "town", "乡镇(街道)级"

    level = models.CharField("层级", max_length=10, choices=Level.choices)
    title = models.CharField("名称", max_length=100)
    held_on = models.DateField("日期")
    place = models.CharField("地点", max_length=120)
    division = models.ForeignKey("geo.Division", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+")
    organiser = models.ForeignKey("orgs.Organisation", verbose_name="组织单位", on_delete=models.PROTECT,
                                  related_name="+")
    attendee_count = models.PositiveIntegerField("参会人数")
    attendees = models.TextField("参会人员", blank=True, max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division__path",)
        org = ("organiser__path",)

    class Meta:
        verbose_name = verbose_name_plural = "座谈会"
        ordering = ["-held_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(attendee_count__gt=0), name="seminar_attendees_positive")]

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d} {self.title}"

    def audit_scope_paths(self):
        return self.division.path, self.organiser.path


class Case(models.Model):
    """One closed-loop matter. ``version`` increases with every transition (optimistic concurrency)."""

    kind = models.CharField("类型", max_length=20, choices=CaseKind.choices)
    category = models.ForeignKey(Category, verbose_name="分类", on_delete=models.PROTECT, related_name="cases")
    category_path = models.CharField(max_length=255, editable=False, default="")
    title = models.CharField("标题", max_length=60)
    text = models.TextField("内容", max_length=2000)
    priority = models.CharField("紧急程度", max_length=12, choices=Priority.choices, default=Priority.NORMAL)
    source = models.CharField("来源", max_length=20, choices=Source.choices)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    version = models.PositiveIntegerField(default=1)

    # Who filed it: a login, or nobody (anonymous / collected at a seminar: name and phone kept).
    filer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提交人", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="filed_cases")
    anonymous = models.BooleanField("匿名", default=False)
    filer_name = models.CharField("联系人", max_length=50, blank=True)
    filer_phone = EncryptedTextField("联系电话", blank=True, default="")
    query_code_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    client_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    seminar = models.ForeignKey(Seminar, verbose_name="座谈会", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="cases")
    open311_token = models.CharField(max_length=40, blank=True, default="", editable=False)
    source_ref = models.CharField("来源记录", max_length=100, blank=True, default="")

    # Where.
    division = models.ForeignKey("geo.Division", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+")
    division_path = models.CharField(max_length=255, editable=False, default="")
    address = models.CharField("地址", max_length=200, blank=True)
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)

    # Who holds it now.
    organisation = models.ForeignKey("orgs.Organisation", verbose_name="承办单位", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="cases")
    org_path = models.CharField(max_length=255, editable=False, default="")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="责任人", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="owned_cases")
    reviewer_org = models.ForeignKey("orgs.Organisation", verbose_name="核验单位", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     help_text="整改事项:由该单位(督导组)的成员核验并评价,而非提交人本人")
    merged_into = models.ForeignKey("self", verbose_name="并入", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="duplicates")

    # Times, derived from the events by the services.
    submitted_at = models.DateTimeField("提交时间")
    dispatched_at = models.DateTimeField("分派时间", null=True, blank=True)
    accept_due = models.DateTimeField("受理期限", null=True, blank=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    reply_due = models.DateTimeField("答复期限", null=True, blank=True)
    handled_at = models.DateTimeField("办理时间", null=True, blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    rating = models.CharField("评价", max_length=12, choices=Rating.choices, blank=True, default="")
    reopen_count = models.PositiveSmallIntegerField("重新办理次数", default=0)
    result = models.TextField("办理结果", blank=True, default="", max_length=2000)
    reply = models.TextField("答复内容", blank=True, default="", max_length=2000)
    extension_days = models.PositiveSmallIntegerField("待批延期(工作日)", default=0)
    extension_reason = models.CharField("延期理由", max_length=300, blank=True, default="")
    accept_reminded = models.BooleanField(default=False, editable=False)
    reply_reminded = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)
        org = ("org_path",)
        user = ("filer",)

    class Meta:
        verbose_name = verbose_name_plural = "事项"
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # Handler inbox (selectors.inbox: org subtree OR owner, in a handler state): partial indexes hold only
            # the cases still with a handler (a few thousand of a million), so the page, its count and the tab
            # counts read just those rows (bench/cases_scale.py, docs/performance.md).
            models.Index(fields=["org_path", "reply_due"], name="case_inbox_open",
                         opclasses=["varchar_pattern_ops", ""], condition=Q(status__in=HANDLER_STATES)),
            models.Index(fields=["owner", "reply_due"], name="case_owner_open", condition=Q(status__in=HANDLER_STATES)),
            # Dispatcher queue and lists by state.
            models.Index(fields=["status", "submitted_at"], name="case_status_time"),
            # Rates for a division subtree and a period (prefix on the path, range on the time).
            models.Index(fields=["division_path", "submitted_at"], name="case_division_time",
                         opclasses=["varchar_pattern_ops", ""]),
            models.Index(fields=["org_path", "submitted_at"], name="case_org_time",
                         opclasses=["varchar_pattern_ops", ""]),
            models.Index(fields=["filer", "submitted_at"], name="case_filer"),
            # The three rates for a period (selectors.rates): the period is a range on the leading column, the
            # division a prefix on the second; the other columns are all the rates and visible_to() read, so both
            # databases answer from the index alone (key columns rather than INCLUDE: SQLite covers with them too).
            models.Index(fields=["submitted_at", "division_path", "status", "accepted_at", "accept_due", "rating",
                                 "org_path", "filer", "id"],
                         name="case_rates", opclasses=["", "varchar_pattern_ops", *[""] * 7]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["client_key"], condition=~Q(client_key=""), name="case_client_key"),
            models.UniqueConstraint(fields=["open311_token"], condition=~Q(open311_token=""),
                                    name="case_open311_token"),
            models.CheckConstraint(condition=Q(reopen_count__lte=1) | Q(kind="rectification"),
                                   name="case_reopen_once"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        """The case number shown to users: kind prefix, submission date, id (e.g. SQ20261125000123)."""
        return f"{NUMBER_PREFIX.get(self.kind, 'AJ')}{self.submitted_at:%Y%m%d}{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in (Status.SUBMITTED, Status.DISPATCHED, Status.ACCEPTED, Status.HANDLED)

    audit_masked = {"filer_phone": lambda v: mask_phone(v) if v else ""}
    audit_skip = ("query_code_hash", "client_key", "category_path", "division_path", "org_path",
                  "accept_reminded", "reply_reminded", "version")

    def audit_scope_paths(self):
        return self.division_path, self.org_path


def parse_number(number: str) -> int | None:
    """The id inside a case number, or None when it is not one."""
    number = (number or "").strip().upper()
    if not 16 <= len(number) <= 20 or not number[2:].isascii() or not number[2:].isdigit():
        return None
    return int(number[10:])


class CaseEvent(models.Model):
    """One step of a case's history: who did what, when, from which state to which, with what comment."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("动作", max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_label = models.CharField("操作人", max_length=100)
    at = models.DateTimeField("时间")
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20, blank=True, default="")
    organisation = models.ForeignKey("orgs.Organisation", verbose_name="涉及单位", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    comment = models.TextField("说明", blank=True, default="", max_length=2000)
    data = models.JSONField(default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("case__division_path",)
        org = ("case__org_path",)
        user = ("case__filer",)

    class Meta:
        verbose_name = verbose_name_plural = "事项流转记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_time")]

    def __str__(self):
        return f"{self.case_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


def attachment_path(instance, filename):
    return f"cases/{instance.case_id}/{filename}"


class Attachment(models.Model):
    """A photo or document on a case, cleaned on upload (type from content, metadata stripped)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("case__division_path",)
        org = ("case__org_path",)
        user = ("case__filer",)

    class Meta:
        verbose_name = verbose_name_plural = "附件"
        ordering = ["id"]

    def __str__(self):
        return self.original_name or self.file.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Supervision(models.Model):
    """An overdue notice (督办) raised to the organisation above the one holding the case."""

    class Reason(models.TextChoices):
        ACCEPT_OVERDUE = "accept", "超期未受理"
        REPLY_OVERDUE = "reply", "超期未答复"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervisions")
    reason = models.CharField("督办原因", max_length=10, choices=Reason.choices)
    due_at = models.DateTimeField("原期限")
    handling_org = models.ForeignKey("orgs.Organisation", verbose_name="承办单位", on_delete=models.PROTECT,
                                     related_name="+")
    organisation = models.ForeignKey("orgs.Organisation", verbose_name="督办单位", on_delete=models.PROTECT,
                                     related_name="supervisions")
    org_path = models.CharField(max_length=255, editable=False, default="")
    raised_at = models.DateTimeField("督办时间")
    resolved_at = models.DateTimeField("解除时间", null=True, blank=True)
    note = models.CharField("督办意见", max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("case__division_path",)
        org = ("org_path",)

    class Meta:
        verbose_name = verbose_name_plural = "超期督办"
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["case", "reason", "due_at"], name="supervision_once")]
        indexes = [models.Index(fields=["organisation", "resolved_at"], name="supervision_org_open")]

    def __str__(self):
        return f"{self.case.number} {self.get_reason_display()}"

    def audit_scope_paths(self):
        return self.case.division_path, self.org_path


class DutyShift(models.Model):
    """Who is the on-duty leader (值班领导) of an organisation on which days; 突发事件 reach them at once."""

    organisation = models.ForeignKey("orgs.Organisation", verbose_name="单位", on_delete=models.CASCADE,
                                     related_name="duty_shifts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="值班领导", on_delete=models.CASCADE,
                             related_name="duty_shifts")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("organisation__division__path",)
        org = ("organisation__path",)

    class Meta:
        verbose_name = verbose_name_plural = "值班安排"
        ordering = ["-starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="duty_dates_ordered")]

    def __str__(self):
        return f"{self.organisation} {self.user} {self.starts_on}~{self.ends_on}"

    def audit_scope_paths(self):
        return self.organisation.division.path, self.organisation.path


class GridMember(models.Model):
    """A member of a "1+3+N" grid (网格长、专职/兼职网格员、移动探头 such as riders) who may file incident reports."""

    class Role(models.TextChoices):
        LEADER = "leader", "网格长(1)"
        STAFF = "staff", "专职网格员(3)"
        SCOUT = "scout", "移动探头(N)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="账号", on_delete=models.CASCADE,
                             related_name="grid_memberships")
    division = models.ForeignKey("geo.Division", verbose_name="网格/村(社区)", on_delete=models.PROTECT,
                                 related_name="+")
    role = models.CharField("角色", max_length=10, choices=Role.choices, default=Role.SCOUT)
    active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division__path",)
        user = ("user",)

    class Meta:
        verbose_name = verbose_name_plural = "网格成员"
        constraints = [models.UniqueConstraint(fields=["user", "division"], name="grid_member_unique")]

    def __str__(self):
        return f"{self.user} @ {self.division} ({self.get_role_display()})"

    def audit_scope_paths(self):
        return self.division.path, ""


class Notification(models.Model):
    """An in-app message for one user (站内消息)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField("类别", max_length=20)
    title = models.CharField("标题", max_length=120)
    body = models.CharField("内容", max_length=500, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField("时间", db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        user = ("user",)

    class Meta:
        verbose_name = verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self):
        return self.title
