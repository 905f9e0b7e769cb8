from django.conf import settings
from django.db import models

from ningju.core.scoping import ScopedQuerySet


class RosterImport(models.Model):
    """One upload of an enterprise's or station's roster (花名册), successful or refused.

    A refused import keeps its errors (row, column, message) so the uploader can read and download
    them; nothing of its rows is written. A successful one records what it created and updated.
    """

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "导入成功"
        FAILED = "failed", "有错误,未导入"

    organisation = models.ForeignKey("orgs.Organisation", verbose_name="企业/站点", on_delete=models.PROTECT,
                                     related_name="roster_imports")
    file_name = models.CharField("文件名", max_length=200)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    status = models.CharField("结果", max_length=20, choices=Status.choices)
    rows_total = models.PositiveIntegerField("行数", default=0)
    created_count = models.PositiveIntegerField("新增", default=0)
    updated_count = models.PositiveIntegerField("更新", default=0)
    unchanged_count = models.PositiveIntegerField("未变", default=0)
    errors = models.JSONField("错误", default=list, blank=True)  # [{"row": 3, "column": "身份证号", "message": "..."}]
    source = models.CharField(max_length=20, default="web")

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("organisation__division__path",)
        org = ("organisation__path",)

    class Meta:
        verbose_name = verbose_name_plural = "花名册导入"
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.organisation} {self.file_name}"

    def audit_scope_paths(self):
        return self.organisation.division.path, self.organisation.path
