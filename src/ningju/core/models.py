from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from .scoping import ScopedQuerySet


class ImmutableError(Exception):
    pass


class AuditQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise ImmutableError("审计记录不可修改")

    def delete(self):
        raise ImmutableError("审计记录不可删除")


class AuditEntry(models.Model):
    """One change of business data: who, when, which object, before/after of changed fields.

    Written only by :func:`ningju.core.audit.record` from services, never edited or deleted.
    The division and organisation paths of the object at the time of the change scope the trail.
    """

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_constraint=False,
    )
    actor_label = models.CharField("操作人", max_length=100, blank=True)
    action = models.CharField("动作", max_length=80, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField("对象", max_length=200)
    changes = models.JSONField("变更", default=dict)
    division_path = models.CharField(max_length=255, blank=True, db_index=True)
    org_path = models.CharField(max_length=255, blank=True, db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    source = models.CharField("来源", max_length=20, default="web")

    objects = AuditQuerySet.as_manager()

    class ScopeRules:
        division = ("division_path",)
        org = ("org_path",)
        user = ("actor_id",)

    class Meta:
        verbose_name = verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableError("审计记录不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("审计记录不可删除")
