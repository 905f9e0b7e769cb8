from django.db import models

from ningju.core.scoping import ScopedQuerySet


class Kind(models.TextChoices):
    PARTY_COMMITTEE = "party_committee", "党委(党工委)"
    ORG_DEPARTMENT = "org_department", "组织部"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    JOINT_BRANCH = "joint_branch", "联合党支部"
    GOV_DEPARTMENT = "gov_department", "政府部门"
    INDUSTRY_DEPARTMENT = "industry_department", "行业主管部门"
    PLATFORM_ENTERPRISE = "platform_enterprise", "平台企业"
    STATION = "station", "站点(网点)"
    VILLAGE_COMMITTEE = "village_committee", "村民委员会"
    COMMUNITY_COMMITTEE = "community_committee", "社区居民委员会"
    SUPERVISION_GROUP = "supervision_group", "督导组"
    OTHER = "other", "其他"


PARTY_KINDS = {Kind.PARTY_COMMITTEE, Kind.GENERAL_BRANCH, Kind.BRANCH, Kind.JOINT_BRANCH}


class Industry(models.TextChoices):
    NONE = "", "—"
    FOOD_DELIVERY = "food_delivery", "外卖配送"
    EXPRESS = "express", "快递物流"
    RIDE_HAILING = "ride_hailing", "网约车"
    FREIGHT = "freight", "货运"
    OTHER = "other", "其他新业态"


class Organisation(models.Model):
    """A node of the organisation tree: Party organisations, departments, enterprises, stations.

    ``path`` is the materialised path of base-36 ids ("1/4/1a/"), so a subtree is one prefix query.
    It is maintained by :mod:`ningju.orgs.services`, never by hand.
    """

    name = models.CharField("名称", max_length=120)
    kind = models.CharField("类型", max_length=32, choices=Kind.choices)
    industry = models.CharField("行业", max_length=32, choices=Industry.choices, blank=True, default="")
    parent = models.ForeignKey("self", verbose_name="上级组织", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    division = models.ForeignKey("geo.Division", verbose_name="所在区划", on_delete=models.PROTECT,
                                 related_name="organisations")
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    is_active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("division__path",)
        org = ("path",)

    class Meta:
        verbose_name = verbose_name_plural = "组织"
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="org_unique_name_under_parent"),
        ]

    def __str__(self):
        return self.name

    audit_skip = ("path", "created_at", "updated_at")

    def audit_scope_paths(self):
        return self.division.path, self.path

    @property
    def is_party_org(self) -> bool:
        return self.kind in PARTY_KINDS
