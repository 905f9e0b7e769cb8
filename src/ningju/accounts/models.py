import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from ningju.core.idcard import mask_phone
from ningju.core.roles import M_CASES_REPORT, M_REFER, ROLE_CHOICES, ROLES, WORKER
from ningju.core.scoping import Scope, ScopedQuerySet


class UserQuerySet(ScopedQuerySet):
    pass


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, phone, password=None, **extra):
        if not phone:
            raise ValueError("手机号不能为空")
        user = self.model(phone=phone, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("name", "系统管理员")
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A login: a phone number and a password, one role, the organisation it acts for.

    Workers have no organisation role: they are linked to their registry record and see their own
    records only. Extra organisation subtrees (an instructor's assigned enterprises) come from
    :class:`ScopeGrant`.
    """

    phone = models.CharField("手机号", max_length=20, unique=True)
    name = models.CharField("姓名", max_length=50)
    role = models.CharField("角色", max_length=32, choices=ROLE_CHOICES, blank=True)
    organisation = models.ForeignKey("orgs.Organisation", verbose_name="所属组织", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="users")
    person = models.OneToOneField("people.Person", verbose_name="人员档案", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="user_account")
    is_active = models.BooleanField("启用", default=True)
    is_staff = models.BooleanField("可进入后台", default=False)
    date_joined = models.DateTimeField("创建时间", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["name"]

    class ScopeRules:
        division = ("organisation__division__path",)
        org = ("organisation__path",)
        user = ("pk",)

    class Meta:
        verbose_name = verbose_name_plural = "账号"

    def __str__(self):
        return self.name or self.phone

    @property
    def audit_label(self) -> str:
        return f"{self.name}({mask_phone(self.phone)})"

    @property
    def role_obj(self):
        return ROLES.get(self.role)

    @property
    def role_label(self) -> str:
        if self.is_superuser and not self.role:
            return "系统管理员"
        return self.role_obj.label if self.role_obj else "未分配角色"

    def can(self, module: str) -> bool:
        if module == M_REFER:  # only a worker who is a Party member refers colleagues (党员找党员)
            r = self.role_obj
            return bool(r and module in r.modules and self.person_id and self.person.is_party_member)
        if module == M_CASES_REPORT:  # only active "1+3+N" grid members file incident reports
            r = self.role_obj
            return bool(r and module in r.modules and self.grid_memberships.filter(active=True).exists())
        if self.is_superuser:
            return True
        r = self.role_obj
        return bool(r and module in r.modules)

    def compute_scope(self) -> Scope:
        if self.is_superuser:
            return Scope(everything=True)
        r = self.role_obj
        if r is None:
            return Scope(user_id=self.pk)
        if r.code == WORKER.code:
            return Scope(person_id=self.person_id, user_id=self.pk)
        org_paths, division_paths = [], []
        if self.organisation_id:
            org = self.organisation
            org_paths.append(org.path)
            if r.territorial:
                division_paths.append(org.division.path)
        for grant in self.scope_grants.filter(active=True).select_related("organisation"):
            org_paths.append(grant.organisation.path)
        return Scope(division_paths=tuple(division_paths), org_paths=tuple(org_paths),
                     person_id=self.person_id, user_id=self.pk)

    def audit_scope_paths(self):
        if self.organisation_id:
            return self.organisation.division.path, self.organisation.path
        return "", ""

    audit_skip = ("password", "last_login")


class ScopeGrant(models.Model):
    """An extra organisation subtree a user may see, e.g. an instructor's assigned stations."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="scope_grants")
    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField("原因", max_length=100, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "授权范围"
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="grant_unique")]

    def __str__(self):
        return f"{self.user} → {self.organisation}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField("失效时间", null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = verbose_name_plural = "API令牌"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_raw() -> str:
        return "nj_" + secrets.token_urlsafe(32)

    @property
    def is_valid(self) -> bool:
        return not self.revoked and (self.expires_at is None or self.expires_at > timezone.now())
