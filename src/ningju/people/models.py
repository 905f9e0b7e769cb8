from django.db import models

from ningju.core.crypto import EncryptedTextField
from ningju.core.idcard import mask_id, mask_phone
from ningju.core.scoping import ScopedQuerySet


class PoliticalStatus(models.TextChoices):
    MEMBER = "member", "中共党员"
    PROBATIONARY = "probationary", "中共预备党员"
    LEAGUE = "league", "共青团员"
    MASSES = "masses", "群众"


PARTY_STATUSES = {PoliticalStatus.MEMBER, PoliticalStatus.PROBATIONARY}


class Occupation(models.TextChoices):
    RIDER = "rider", "外卖骑手"
    COURIER = "courier", "快递员"
    RIDE_HAILING = "ride_hailing", "网约车司机"
    TRUCK = "truck", "货车司机"
    DESIGNATED_DRIVER = "designated_driver", "代驾司机"
    ONLINE_SELLER = "online_seller", "网络主播/网店从业者"
    STAFF = "staff", "站点管理人员"
    OTHER = "other", "其他"


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Person(models.Model):
    """A worker or Party member in the registry.

    The ID number and the phone are encrypted at rest; ``id_hash``/``phone_hash`` (keyed HMAC)
    answer exact-match search and keep one record per ID number. Birth date and gender are derived
    from the ID number by the service that writes it.
    """

    name = models.CharField("姓名", max_length=50)
    id_number = EncryptedTextField("身份证号")
    id_hash = models.CharField(max_length=64, unique=True, editable=False)
    phone = EncryptedTextField("手机号", blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    birth_date = models.DateField("出生日期")
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    political_status = models.CharField("政治面貌", max_length=20, choices=PoliticalStatus.choices,
                                        default=PoliticalStatus.MASSES)
    occupation = models.CharField("职业", max_length=32, choices=Occupation.choices, default=Occupation.OTHER)
    employer = models.ForeignKey("orgs.Organisation", verbose_name="所在企业/站点", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="employees")
    home_division = models.ForeignKey("geo.Division", verbose_name="居住地", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="residents")
    employed_since = models.DateField("入职日期", null=True, blank=True)
    # Party membership relation (组织关系): the branch holding it when it is in our tree, or its name
    # when it is elsewhere; a member whose relation is held elsewhere is a mobile member (流动党员).
    party_org = models.ForeignKey("orgs.Organisation", verbose_name="组织关系所在党组织", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="relation_holders")
    party_org_text = models.CharField("组织关系所在(外地)", max_length=200, blank=True)
    is_mobile_member = models.BooleanField("流动党员", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("home_division__path", "employer__division__path")
        org = ("employer__path",)
        person = ("pk",)

    class Meta:
        verbose_name = verbose_name_plural = "人员"
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["political_status", "occupation"]),
            models.Index(fields=["employer", "political_status"]),
        ]

    def __str__(self):
        return self.name

    audit_skip = ("id_hash", "phone_hash", "created_at", "updated_at")
    audit_masked = {"id_number": mask_id, "phone": mask_phone}

    def audit_scope_paths(self):
        division = self.home_division.path if self.home_division_id else ""
        if self.employer_id:
            return (division or self.employer.division.path), self.employer.path
        return division, ""

    @property
    def is_party_member(self) -> bool:
        return self.political_status in PARTY_STATUSES

    @property
    def id_number_masked(self) -> str:
        return mask_id(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)
