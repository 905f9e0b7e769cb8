"""The holiday table: public holidays (休息日) and adjusted working days (调休上班日), and which years' plans
are complete.

A day with no row follows the weekend rule (Monday–Friday work, Saturday and Sunday rest). Rows are seeded
from the ``chinesecalendar`` library (source "seed") and edited by administrators (source "admin") when the
State Council publishes a year's plan (国务院办公厅关于某年部分节假日安排的通知). A ``YearPlan`` marked
published says the year's rows are the whole plan; a year without one is computed with what rows it has
and the weekend rule for the rest, and pages say so.

Holidays are public reference data, not business data of an organisation: every login reads all of them
(``ScopeRules.public``), and only the calendar page (module ``calendar``) writes them.
"""

from django.db import models

from ningju.core.scoping import ScopedQuerySet

# The years the table accepts (edits, page, API). The library's data covers 2004–2026.
YEAR_FIRST, YEAR_LAST = 2000, 2100


def weekday_label(d) -> str:
    """周一 … 周日."""
    return "周" + "一二三四五六日"[d.weekday()]


class Kind(models.TextChoices):
    HOLIDAY = "holiday", "休息日(法定节假日)"
    WORKDAY = "workday", "调休上班日"


class Source(models.TextChoices):
    SEED = "seed", "chinesecalendar 载入"
    ADMIN = "admin", "管理员录入"


class Holiday(models.Model):
    """One day that departs from the weekend rule: a holiday (rest) or an adjusted working day."""

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=50, help_text="如:春节、国庆节")
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.ADMIN)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        public = True  # every login reads the whole table

    class Meta:
        verbose_name = verbose_name_plural = "节假日安排"
        ordering = ["date"]

    audit_skip = ("created_at", "updated_at")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}({self.get_kind_display()})"

    @property
    def weekday_label(self) -> str:
        return weekday_label(self.date)


class YearPlan(models.Model):
    """A year's plan: ``published`` once its holidays and adjusted working days are all entered."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    published = models.BooleanField("已发布", default=False)
    note = models.CharField("说明", max_length=200, blank=True, help_text="如:国办发明电〔2025〕7号")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        public = True

    class Meta:
        verbose_name = verbose_name_plural = "年度节假日安排"
        ordering = ["year"]

    audit_skip = ("created_at", "updated_at")

    def __str__(self):
        return f"{self.year}年节假日安排"


class Revision(models.Model):
    """A single row whose token changes with every write to the tables above (in the same transaction).

    Each process keeps the table in memory and reloads it when the token it read differs from the one it
    holds; a random token (not a counter) never comes back after a rolled-back write.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "节假日表版本"

    def __str__(self):
        return self.token
