from django.conf import settings
from django.db import models

from ningju.core.crypto import EncryptedTextField
from ningju.core.idcard import mask_phone
from ningju.core.scoping import ScopedQuerySet


class Instructor(models.Model):
    """A Party-building instructor (党建指导员) appointed by an organisation department."""

    name = models.CharField("姓名", max_length=50)
    phone = EncryptedTextField("手机号", blank=True, default="")
    title = models.CharField("职务", max_length=100, blank=True)
    appointed_by = models.ForeignKey("orgs.Organisation", verbose_name="选派单位", on_delete=models.PROTECT,
                                     related_name="appointed_instructors")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="登录账号", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="instructor_profile")
    active = models.BooleanField("在岗", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        # Seen by the appointing side (its department's tree and territory), by those who oversee a unit
        # the instructor is or was assigned to (industry departments, towns, fellow instructors of the
        # unit), and by the instructor's own login.
        division = ("appointed_by__division__path", "assignments__organisation__division__path")
        org = ("appointed_by__path", "assignments__organisation__path")
        user = ("user_id",)
        many = True

    class Meta:
        verbose_name = verbose_name_plural = "党建指导员"
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    audit_masked = {"phone": mask_phone}
    audit_skip = ("created_at",)

    def audit_scope_paths(self):
        return self.appointed_by.division.path, self.appointed_by.path


class Assignment(models.Model):
    """An instructor assigned to an enterprise or station; active while ``ended_on`` is empty."""

    instructor = models.ForeignKey(Instructor, on_delete=models.PROTECT, related_name="assignments")
    organisation = models.ForeignKey("orgs.Organisation", verbose_name="企业/站点", on_delete=models.PROTECT,
                                     related_name="instructor_assignments")
    assigned_on = models.DateField("选派日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("organisation__division__path",)
        org = ("organisation__path", "instructor__appointed_by__path")
        user = ("instructor__user_id",)

    class Meta:
        verbose_name = verbose_name_plural = "指导员选派"
        constraints = [
            models.UniqueConstraint(fields=["instructor", "organisation"], condition=models.Q(ended_on__isnull=True),
                                    name="one_active_assignment_per_unit"),
        ]

    def __str__(self):
        return f"{self.instructor} → {self.organisation}"

    def audit_scope_paths(self):
        return self.organisation.division.path, self.organisation.path


class Visit(models.Model):
    """A visit record (走访记录) of an instructor at an enterprise or station."""

    instructor = models.ForeignKey(Instructor, on_delete=models.PROTECT, related_name="visits")
    organisation = models.ForeignKey("orgs.Organisation", verbose_name="走访单位", on_delete=models.PROTECT,
                                     related_name="instructor_visits")
    visited_on = models.DateField("走访日期")
    notes = models.TextField("走访情况", max_length=4000)
    photo = models.FileField("照片", upload_to="visits/%Y/%m/", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("organisation__division__path",)
        org = ("organisation__path",)
        user = ("instructor__user_id",)

    class Meta:
        verbose_name = verbose_name_plural = "走访记录"
        ordering = ["-visited_on", "-id"]

    def __str__(self):
        return f"{self.visited_on} {self.organisation}"

    audit_skip = ("created_at",)
    # The trail keeps the stored file's name (a random one), not the file object.
    audit_masked = {"photo": lambda f: f.name or ""}

    def audit_scope_paths(self):
        return self.organisation.division.path, self.organisation.path
