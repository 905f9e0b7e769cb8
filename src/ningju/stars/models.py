"""Five-star branches (五星支部创建): standards, creation, awarding, supervision rounds, findings, projects.

Findings of supervision visits are rectification items of the case engine (``cases.Case`` of kind
``rectification``); this app keeps the link (``Finding.case``) and reads their state from there.
Workflows live in :mod:`ningju.stars.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ningju.core.scoping import ScopedQuerySet


class UnitKind(models.TextChoices):
    VILLAGE = "village", "行政村"
    COMMUNITY = "community", "城市社区"


class Aspect(models.TextChoices):
    """The seven aspects a supervision visit checks; each maps to a rectification category of the case engine."""

    ARCHIVES = "archives", "档案资料"
    ATMOSPHERE = "atmosphere", "创建氛围"
    PLAN = "plan", "创建计划"
    SANITATION = "sanitation", "清洁卫生"
    TRAINING = "training", "教育培训"
    RESULTS = "results", "工作成效"
    SIGNAGE = "signage", "规范标牌"


ASPECT_CATEGORY = {a.value: f"star-{a.value}" for a in Aspect}


# --- standards -----------------------------------------------------------------------------------------

class StandardSet(models.Model):
    """The star standards of one year for one kind of unit (e.g. 2026, 行政村)."""

    year = models.PositiveSmallIntegerField("年度")
    unit_kind = models.CharField("适用对象", max_length=12, choices=UnitKind.choices)
    name = models.CharField("名称", max_length=100)
    published = models.BooleanField("已发布", default=False)
    copied_from = models.ForeignKey("self", verbose_name="沿用自", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        public = True

    class Meta:
        verbose_name = verbose_name_plural = "创建标准"
        ordering = ["-year", "unit_kind"]
        constraints = [models.UniqueConstraint(fields=["year", "unit_kind"], name="stars_standard_year_kind")]

    def __str__(self):
        return self.name

    def audit_scope_paths(self):
        return "", ""


class Star(models.Model):
    standard = models.ForeignKey(StandardSet, on_delete=models.CASCADE, related_name="stars")
    code = models.SlugField("代码", max_length=30)
    name = models.CharField("星", max_length=30)
    order = models.PositiveSmallIntegerField("排序", default=0)
    description = models.CharField("说明", max_length=300, blank=True)
    pass_score = models.PositiveSmallIntegerField("达星分数线", default=0,
                                                  help_text="计分项目得分合计不低于此分(0为不设分数线)")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        public = True

    class Meta:
        verbose_name = verbose_name_plural = "星"
        ordering = ["standard", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["standard", "code"], name="stars_star_code")]

    def __str__(self):
        return self.name

    def audit_scope_paths(self):
        return "", ""


class StandardItem(models.Model):
    """One item of a star's standard, with its scoring rule and the evidence it needs."""

    class Mode(models.TextChoices):
        PASS = "pass", "达标制"
        SCORE = "score", "计分制"

    star = models.ForeignKey(Star, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField("序号", default=0)
    text = models.CharField("标准内容", max_length=300)
    mode = models.CharField("计分方式", max_length=8, choices=Mode.choices, default=Mode.PASS)
    max_score = models.PositiveSmallIntegerField("满分", default=10)
    pass_score = models.PositiveSmallIntegerField("达标分", default=6)
    required = models.BooleanField("必达项(未达标不得评星)", default=True)
    evidence = models.CharField("佐证材料要求", max_length=300, blank=True)
    min_files = models.PositiveSmallIntegerField("至少上传佐证文件数", default=1)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        public = True

    class Meta:
        verbose_name = verbose_name_plural = "创建标准条目"
        ordering = ["star", "order", "id"]
        constraints = [models.CheckConstraint(condition=Q(pass_score__lte=models.F("max_score")),
                                              name="stars_item_pass_le_max")]

    def __str__(self):
        return self.text[:40]

    def audit_scope_paths(self):
        return "", ""


# --- creation and awarding -----------------------------------------------------------------------------

class Plan(models.Model):
    """A branch's creation plan (创建计划) for a year: the stars it aims for and how."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"

    branch = models.ForeignKey("orgs.Organisation", verbose_name="党支部", on_delete=models.PROTECT,
                               related_name="star_plans")
    standard = models.ForeignKey(StandardSet, verbose_name="创建标准", on_delete=models.PROTECT, related_name="plans")
    year = models.PositiveSmallIntegerField("年度")
    targets = models.ManyToManyField(Star, verbose_name="目标星", related_name="+")
    measures = models.TextField("创建措施", max_length=3000)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    division_path = models.CharField(max_length=255, editable=False, default="")
    org_path = models.CharField(max_length=255, editable=False, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)
        org = ("org_path",)

    class Meta:
        verbose_name = verbose_name_plural = "创建计划"
        ordering = ["-year", "org_path"]
        constraints = [models.UniqueConstraint(fields=["branch", "year"], name="stars_plan_branch_year")]

    def __str__(self):
        return f"{self.year} {self.branch}"

    def audit_scope_paths(self):
        return self.division_path, self.org_path


class Assessment(models.Model):
    """A branch's self-assessment of one standard item, reviewed by the town and evaluated by the district."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待乡镇审核"
        RETURNED = "returned", "乡镇退回"
        REVIEWED = "reviewed", "待区县评定"
        MET = "met", "达标"
        NOT_MET = "not_met", "未达标"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="assessments")
    item = models.ForeignKey(StandardItem, on_delete=models.PROTECT, related_name="assessments")
    claim_met = models.BooleanField("自评达标")
    claim_score = models.PositiveSmallIntegerField("自评得分", null=True, blank=True)
    note = models.TextField("自评说明", max_length=2000, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    score = models.PositiveSmallIntegerField("评定得分", null=True, blank=True)
    town_comment = models.CharField("乡镇审核意见", max_length=500, blank=True)
    town_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    town_at = models.DateTimeField(null=True, blank=True)
    district_comment = models.CharField("区县评定意见", max_length=500, blank=True)
    district_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    district_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField("提交时间")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("plan__division_path",)
        org = ("plan__org_path",)

    class Meta:
        verbose_name = verbose_name_plural = "自评"
        ordering = ["plan", "item__star__order", "item__order"]
        constraints = [models.UniqueConstraint(fields=["plan", "item"], name="stars_assessment_once")]

    def __str__(self):
        return f"{self.plan} · {self.item}"

    def audit_scope_paths(self):
        return self.plan.division_path, self.plan.org_path


def evidence_path(instance, filename):
    return f"stars/evidence/{instance.assessment_id}/{filename}"


class Evidence(models.Model):
    """A file proving a self-assessment (cleaned by ``core.uploads``: type from content, no metadata)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("assessment__plan__division_path",)
        org = ("assessment__plan__org_path",)

    class Meta:
        verbose_name = verbose_name_plural = "佐证材料"
        ordering = ["id"]

    def __str__(self):
        return self.original_name or self.file.name


class Award(models.Model):
    """A star given to a branch for a year: in publicity (公示) first, then standing, unless withdrawn (摘星)."""

    class Status(models.TextChoices):
        PUBLICITY = "publicity", "公示中"
        STANDING = "standing", "已授星"
        WITHDRAWN = "withdrawn", "已摘星"

    branch = models.ForeignKey("orgs.Organisation", verbose_name="党支部", on_delete=models.PROTECT,
                               related_name="star_awards")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="awards")
    star = models.ForeignKey(Star, on_delete=models.PROTECT, related_name="awards")
    year = models.PositiveSmallIntegerField("年度")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PUBLICITY)
    awarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    awarded_at = models.DateTimeField("评定时间")
    publicity_until = models.DateTimeField("公示截止")
    objections = models.TextField("公示期异议", blank=True, max_length=3000)
    objection_open = models.BooleanField("有待处理的异议", default=False)
    withdrawn_at = models.DateTimeField("摘星时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    withdrawn_reason = models.CharField("摘星原因", max_length=300, blank=True)
    division_path = models.CharField(max_length=255, editable=False, default="")
    org_path = models.CharField(max_length=255, editable=False, default="")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)
        org = ("org_path",)

    class Meta:
        verbose_name = verbose_name_plural = "星级评定"
        ordering = ["-year", "org_path", "star__order"]
        constraints = [models.UniqueConstraint(fields=["branch", "star"], condition=~Q(status="withdrawn"),
                                               name="stars_award_once")]

    def __str__(self):
        return f"{self.year} {self.branch} {self.star}"

    def audit_scope_paths(self):
        return self.division_path, self.org_path


# --- supervision ---------------------------------------------------------------------------------------

class SupervisionPlan(models.Model):
    """A district's supervision plan: groups and rounds over its villages and communities ("3组4轮次")."""

    name = models.CharField("名称", max_length=100)
    year = models.PositiveSmallIntegerField("年度")
    district = models.ForeignKey("geo.Division", verbose_name="区县", on_delete=models.PROTECT, related_name="+")
    organiser = models.ForeignKey("orgs.Organisation", verbose_name="组织单位", on_delete=models.PROTECT,
                                  related_name="+")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    rectify_workdays = models.PositiveSmallIntegerField("整改期限(工作日)", default=10)
    org_path = models.CharField(max_length=255, editable=False, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:  # the organising department and the groups under it, and the departments above the district
        org = ("org_path",)  # (a district's path is shorter than any town's prefix, so towns and branches never match)
        division = ("district__path",)

    class Meta:
        verbose_name = verbose_name_plural = "督导计划"
        ordering = ["-starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="stars_plan_dates")]

    def __str__(self):
        return self.name

    def audit_scope_paths(self):
        return "", self.org_path


class Group(models.Model):
    plan = models.ForeignKey(SupervisionPlan, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField("组名", max_length=50)
    organisation = models.ForeignKey("orgs.Organisation", verbose_name="督导组(组织)", on_delete=models.PROTECT,
                                     related_name="+")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="组长", on_delete=models.PROTECT,
                               related_name="+")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="成员", related_name="star_groups")
    order = models.PositiveSmallIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        org = ("plan__org_path", "organisation__path")
        division = ("plan__district__path",)

    class Meta:
        verbose_name = verbose_name_plural = "督导组"
        ordering = ["plan", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "name"], name="stars_group_name")]

    def __str__(self):
        return self.name

    def audit_scope_paths(self):
        return "", self.plan.org_path


class Round(models.Model):
    plan = models.ForeignKey(SupervisionPlan, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField("轮次")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        org = ("plan__org_path",)
        division = ("plan__district__path",)

    class Meta:
        verbose_name = verbose_name_plural = "督导轮次"
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="stars_round_number"),
                       models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="stars_round_dates")]

    def __str__(self):
        return f"第{self.number}轮"


class Visit(models.Model):
    """One unit's visit by one group in one round. Planned visits are seen only by the organiser and the group
    (unannounced, 四不两直); the branch learns of it through the findings."""

    class Status(models.TextChoices):
        PLANNED = "planned", "待督导"
        DONE = "done", "已督导"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="visits")
    unit = models.ForeignKey("orgs.Organisation", verbose_name="村(社区)党组织", on_delete=models.PROTECT,
                             related_name="+")
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="visits")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PLANNED)
    visited_at = models.DateTimeField("督导时间", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    notes = models.TextField("督导情况", blank=True, max_length=3000)
    plan_org_path = models.CharField(max_length=255, editable=False, default="")
    group_org_path = models.CharField(max_length=255, editable=False, default="")
    unit_division_path = models.CharField(max_length=255, editable=False, default="")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        org = ("plan_org_path", "group_org_path")
        division = ("round__plan__district__path",)

    class Meta:
        verbose_name = verbose_name_plural = "督导走访"
        ordering = ["round", "group", "unit"]
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="stars_visit_once_per_round")]
        indexes = [models.Index(fields=["round", "group"], name="stars_visit_round_group")]

    def __str__(self):
        return f"{self.round} {self.unit}"

    def audit_scope_paths(self):
        return "", self.plan_org_path


class CheckResult(models.Model):
    """The checklist of a visit: one row per aspect, fine or with problems."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="checks")
    aspect = models.CharField("方面", max_length=12, choices=Aspect.choices)
    ok = models.BooleanField("无问题")
    note = models.CharField("情况", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "督导清单"
        ordering = ["visit", "aspect"]
        constraints = [models.UniqueConstraint(fields=["visit", "aspect"], name="stars_check_once")]

    def __str__(self):
        return f"{self.visit} {self.get_aspect_display()}"


class Finding(models.Model):
    """A problem found on a visit; its rectification is a case of the engine (owner: the branch secretary)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="findings")
    aspect = models.CharField("方面", max_length=12, choices=Aspect.choices)
    text = models.CharField("问题", max_length=500)
    case = models.OneToOneField("cases.Case", verbose_name="整改事项", on_delete=models.PROTECT,
                                related_name="star_finding")
    verified_in = models.ForeignKey(Visit, verbose_name="再督导核验", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="verified_findings")
    # Copied from the visit and the case so the progress board is one grouped scan of this table.
    plan = models.ForeignKey(SupervisionPlan, on_delete=models.CASCADE, related_name="findings")
    round_number = models.PositiveSmallIntegerField("轮次")
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="findings")
    unit = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+")
    case_status = models.CharField("整改状态", max_length=20, default="dispatched")
    plan_org_path = models.CharField(max_length=255, editable=False, default="")
    unit_division_path = models.CharField(max_length=255, editable=False, default="")
    unit_org_path = models.CharField(max_length=255, editable=False, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:  # the organiser and groups, the town/district territory, and the branch itself
        org = ("plan_org_path", "unit_org_path")
        division = ("unit_division_path",)

    class Meta:
        verbose_name = verbose_name_plural = "督导发现问题"
        ordering = ["visit", "id"]
        indexes = [models.Index(fields=["plan", "round_number", "aspect"], name="stars_finding_board")]

    def __str__(self):
        return self.text[:40]

    def audit_scope_paths(self):
        return self.unit_division_path, self.unit_org_path


class PostEvaluation(models.Model):
    """后评估 of a branch after all its findings of a plan are rectified and verified."""

    class Result(models.TextChoices):
        CONSOLIDATED = "consolidated", "整改成效巩固"
        WATCH = "watch", "需持续关注"
        REGRESSED = "regressed", "出现反弹"

    plan = models.ForeignKey(SupervisionPlan, on_delete=models.CASCADE, related_name="post_evaluations")
    unit = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+")
    result = models.CharField("结论", max_length=14, choices=Result.choices)
    comment = models.TextField("评估意见", max_length=2000)
    evaluated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    evaluated_at = models.DateTimeField()
    plan_org_path = models.CharField(max_length=255, editable=False, default="")
    unit_division_path = models.CharField(max_length=255, editable=False, default="")
    unit_org_path = models.CharField(max_length=255, editable=False, default="")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        org = ("plan_org_path", "unit_org_path")
        division = ("unit_division_path",)

    class Meta:
        verbose_name = verbose_name_plural = "后评估"
        ordering = ["-evaluated_at"]
        constraints = [models.UniqueConstraint(fields=["plan", "unit"], name="stars_post_evaluation_once")]

    def __str__(self):
        return f"{self.unit} {self.get_result_display()}"

    def audit_scope_paths(self):
        return self.unit_division_path, self.unit_org_path


# --- project library -----------------------------------------------------------------------------------

class Project(models.Model):
    """创星项目库: a branch's project tied to a star (incl. livelihood projects, "1+10+N")."""

    class Kind(models.TextChoices):
        STAR = "star", "创星项目"
        LIVELIHOOD = "livelihood", "民生实事(1+10+N)"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "待审批"
        APPROVED = "approved", "已立项"
        REJECTED = "rejected", "未通过"
        COMPLETED = "completed", "已完成"

    branch = models.ForeignKey("orgs.Organisation", verbose_name="党支部", on_delete=models.PROTECT,
                               related_name="star_projects")
    star = models.ForeignKey(Star, verbose_name="对应星", on_delete=models.PROTECT, related_name="projects")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices, default=Kind.STAR)
    name = models.CharField("项目名称", max_length=100)
    description = models.TextField("内容", max_length=3000)
    budget = models.DecimalField("预算(万元)", max_digits=10, decimal_places=2, null=True, blank=True)
    planned_end = models.DateField("计划完成日期")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PROPOSED)
    progress = models.PositiveSmallIntegerField("进度(%)", default=0)
    decision_comment = models.CharField("审批意见", max_length=300, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField()
    division_path = models.CharField(max_length=255, editable=False, default="")
    org_path = models.CharField(max_length=255, editable=False, default="")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)
        org = ("org_path",)

    class Meta:
        verbose_name = verbose_name_plural = "创星项目"
        ordering = ["-proposed_at"]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="stars_project_progress")]

    def __str__(self):
        return self.name

    def audit_scope_paths(self):
        return self.division_path, self.org_path


class ProjectUpdate(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="updates")
    progress = models.PositiveSmallIntegerField("进度(%)")
    note = models.CharField("进展情况", max_length=500)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "项目进展"
        ordering = ["project", "at", "id"]

    def __str__(self):
        return f"{self.project} {self.progress}%"
