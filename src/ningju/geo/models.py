from django.db import models

from ningju.core.scoping import ScopedQuerySet


class Level(models.IntegerChoices):
    CITY = 1, "市"
    COUNTY = 2, "县(市、区)"
    TOWN = 3, "乡镇(街道)"
    VILLAGE = 4, "村(社区)"
    GRID = 5, "网格"


LEVEL_CODES = {"city": Level.CITY, "county": Level.COUNTY, "town": Level.TOWN,
               "village": Level.VILLAGE, "grid": Level.GRID}


class Division(models.Model):
    """An administrative division with its statistical code (12 digits; grids add 3).

    ``path`` is the materialised path of codes from the root ("410800000000/410882000000/"), so a
    subtree is one indexed prefix query.
    """

    code = models.CharField("区划代码", max_length=15, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices)
    parent = models.ForeignKey("self", verbose_name="上级", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, unique=True, editable=False)

    objects = ScopedQuerySet.as_manager()

    class ScopeRules:
        division = ("path",)

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/")

    def audit_scope_paths(self):
        return self.path, ""

    def ancestors_codes(self) -> list[str]:
        return [c for c in self.path.split("/") if c][:-1]
