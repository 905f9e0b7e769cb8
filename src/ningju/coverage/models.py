from django.conf import settings
from django.db import models

from ningju.core.crypto import EncryptedTextField
from ningju.core.idcard import mask_id, mask_phone
from ningju.core.scoping import ScopedQuerySet


class MemberRecord(models.Model):
    """An entry of the Party-member registry (党员信息库), imported from the Party's own system.

    Rosters are matched against it by the keyed hash of the ID number (channel 1, "组织找党员").
    """

    class Status(models.TextChoices):
        FORMAL = "formal", "正式党员"
        PROBATIONARY = "probationary", "预备党员"

    name = models.CharField("姓名", max_length=50)
    id_number = EncryptedTextField("身份证号")
    id_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField("党员类别", max_length=20, choices=Status.choices, default=Status.FORMAL)
    relation_org = models.ForeignKey("orgs.Organisation", verbose_name="组织关系所在党组织", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="member_records")
    relation_text = models.CharField("组织关系所在(外地)", max_length=200, blank=True)
    joined_on = models.DateField("入党日期", null=True, blank=True)
    division = models.ForeignKey("geo.Division", verbose_name="登记地", on_delete=models.PROTECT,
                                 related_name="member_records")
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # The registry person with the same ID number, joined on the keyed hash (no column of its own):
    # lets the campaign match run as one indexed join, MemberRecord ⋈ Person ON id_hash.
    person = models.ForeignObject("people.Person", from_fields=["id_hash"], to_fields=["id_hash"],
                                  on_delete=models.DO_NOTHING, related_name="+", null=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division__path",)
        org = ("relation_org__path",)

    class Meta:
        verbose_name = verbose_name_plural = "党员信息库"

    def __str__(self):
        return self.name

    audit_skip = ("id_hash", "updated_at")
    audit_masked = {"id_number": mask_id}

    @property
    def id_number_masked(self) -> str:
        return mask_id(self.id_number)

    def audit_scope_paths(self):
        return self.division.path, self.relation_org.path if self.relation_org_id else ""


class Campaign(models.Model):
    """A coverage survey (全覆盖排查) run by an organisation department over a period."""

    name = models.CharField("名称", max_length=120)
    organiser = models.ForeignKey("orgs.Organisation", verbose_name="组织单位", on_delete=models.PROTECT,
                                  related_name="campaigns")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    divisions = models.ManyToManyField("geo.Division", verbose_name="覆盖区划", related_name="campaigns")
    industries = models.JSONField("覆盖行业", default=list)  # codes of orgs.Industry
    public_token = models.CharField(max_length=32, unique=True, editable=False)  # the self-registration link
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        # The organising department's territory and tree, and whoever oversees one of its units
        # (industry departments, town secretaries, instructors of the unit).
        division = ("organiser__division__path", "units__organisation__division__path")
        org = ("organiser__path", "units__organisation__path")
        many = True

    class Meta:
        verbose_name = verbose_name_plural = "排查行动"
        ordering = ["-starts_on", "-id"]

    def __str__(self):
        return self.name

    audit_skip = ("created_at", "public_token")

    def audit_scope_paths(self):
        return self.organiser.division.path, self.organiser.path

    def is_active_on(self, day) -> bool:
        return self.starts_on <= day <= self.ends_on


class CampaignUnit(models.Model):
    """An enterprise or station in a campaign's scope, with its survey progress."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="units")
    organisation = models.ForeignKey("orgs.Organisation", verbose_name="企业/站点", on_delete=models.PROTECT,
                                     related_name="campaign_units")
    checked_at = models.DateTimeField("核查完成时间", null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("organisation__division__path",)
        org = ("organisation__path",)

    class Meta:
        verbose_name = verbose_name_plural = "排查单位"
        constraints = [models.UniqueConstraint(fields=["campaign", "organisation"], name="campaign_unit_unique")]

    def __str__(self):
        return f"{self.campaign} · {self.organisation}"

    def audit_scope_paths(self):
        return self.organisation.division.path, self.organisation.path


class Finding(models.Model):
    """A Party member found in a campaign through one of three channels, to be verified by staff.

    A person can be found through several channels; the campaign counts each person once.
    """

    class Channel(models.TextChoices):
        ORG_FINDS = "org_finds", "组织找党员"
        SELF_DECLARED = "self_declared", "党员找组织"
        REFERRED = "referred", "党员找党员"

    class Status(models.TextChoices):
        PENDING = "pending", "待核实"
        VERIFIED = "verified", "已核实"
        REJECTED = "rejected", "不属实"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="findings")
    channel = models.CharField("发现渠道", max_length=20, choices=Channel.choices)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PENDING)
    person = models.ForeignKey("people.Person", verbose_name="人员", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="findings")
    employer = models.ForeignKey("orgs.Organisation", verbose_name="所在企业/站点", on_delete=models.PROTECT,
                                 related_name="findings")
    # What was declared or referred, before a person record is linked.
    declared_name = models.CharField("姓名", max_length=50)
    declared_phone = EncryptedTextField("手机号", blank=True, default="")
    member_status = models.CharField("党员类别", max_length=20, choices=MemberRecord.Status.choices,
                                     default=MemberRecord.Status.FORMAL)
    relation_org = models.ForeignKey("orgs.Organisation", verbose_name="组织关系所在党组织", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    relation_text = models.CharField("组织关系所在(外地)", max_length=200, blank=True)
    referrer = models.ForeignKey("people.Person", verbose_name="推荐人", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="referrals")
    member_record = models.ForeignKey(MemberRecord, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="findings")
    note = models.TextField("说明", blank=True, max_length=2000)
    created_at = models.DateTimeField("发现时间", auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField("核实时间", null=True, blank=True)
    review_reason = models.CharField("核实意见", max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("employer__division__path",)
        org = ("employer__path",)
        person = ("person_id", "referrer_id")

    class Meta:
        verbose_name = verbose_name_plural = "党员发现记录"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["campaign", "status", "channel"]),
                   models.Index(fields=["person", "status"])]
        constraints = [
            # One open finding per person, campaign and channel (a repeated declaration adds nothing).
            models.UniqueConstraint(fields=["campaign", "channel", "person"], name="finding_one_pending",
                                    condition=models.Q(status="pending", person__isnull=False)),
        ]

    def __str__(self):
        return f"{self.declared_name}({self.get_channel_display()})"

    audit_masked = {"declared_phone": mask_phone}
    audit_skip = ("created_at",)

    def audit_scope_paths(self):
        return self.employer.division.path, self.employer.path


class JointBranchLink(models.Model):
    """An enterprise or station with fewer than three formal members attached to a joint branch."""

    organisation = models.OneToOneField("orgs.Organisation", verbose_name="企业/站点", on_delete=models.CASCADE,
                                        related_name="joint_branch_link")
    joint_branch = models.ForeignKey("orgs.Organisation", verbose_name="联合党支部", on_delete=models.PROTECT,
                                     related_name="attached_units")
    since = models.DateField("纳入日期")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("organisation__division__path",)
        org = ("organisation__path", "joint_branch__path")

    class Meta:
        verbose_name = verbose_name_plural = "联合党支部覆盖"

    def __str__(self):
        return f"{self.organisation} → {self.joint_branch}"

    def audit_scope_paths(self):
        return self.organisation.division.path, self.organisation.path


class UnitCoverage(models.Model):
    """Rollup of one enterprise's or station's coverage, recomputed by the coverage services
    whenever one of its inputs changes (members, branches, joint-branch links, instructors).

    ``manage.py check_coverage`` proves it equals the figures computed from the records.
    """

    organisation = models.OneToOneField("orgs.Organisation", on_delete=models.CASCADE, related_name="coverage",
                                        primary_key=True)
    division_path = models.CharField(max_length=255, db_index=True)
    org_path = models.CharField(max_length=255, db_index=True)
    industry = models.CharField(max_length=32, blank=True, db_index=True)
    # Over the unit's subtree (an enterprise includes its stations): the inputs of the 应建尽建 rule.
    workers = models.PositiveIntegerField(default=0)
    formal_members = models.PositiveIntegerField(default=0)
    probationary_members = models.PositiveIntegerField(default=0)
    mobile_members = models.PositiveIntegerField(default=0)
    # Employed at the unit itself: these add up over any set of units without counting anyone twice.
    own_workers = models.PositiveIntegerField(default=0)
    own_formal = models.PositiveIntegerField(default=0)
    own_probationary = models.PositiveIntegerField(default=0)
    own_mobile = models.PositiveIntegerField(default=0)
    # Members employed at the unit itself with a verified finding, per channel and in all (distinct persons).
    found_org = models.PositiveIntegerField(default=0)
    found_self = models.PositiveIntegerField(default=0)
    found_referred = models.PositiveIntegerField(default=0)
    found_total = models.PositiveIntegerField(default=0)
    has_branch = models.BooleanField(default=False)
    has_joint_branch = models.BooleanField(default=False)
    instructors = models.PositiveIntegerField(default=0)
    covered = models.BooleanField(default=False, db_index=True)
    refreshed_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)
        org = ("org_path",)

    class Meta:
        verbose_name = verbose_name_plural = "覆盖情况"

    def __str__(self):
        return f"覆盖情况 #{self.organisation_id}"
