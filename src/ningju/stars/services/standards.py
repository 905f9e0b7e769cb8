"""Standard sets: copy last year's into a new one, edit items, publish."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from ningju.core import audit, roles

from ..models import Assessment, StandardItem, StandardSet, Star

A_COPIED = audit.register_action("stars.standard.copied", "沿用创建标准")
A_PUBLISHED = audit.register_action("stars.standard.published", "发布创建标准")
A_ITEM_SAVED = audit.register_action("stars.item.saved", "修改创建标准条目")

ITEM_FIELDS = ("order", "text", "mode", "max_score", "pass_score", "required", "evidence", "min_files")


@transaction.atomic
def standard_copy_year(*, actor, source: StandardSet, year: int) -> StandardSet:
    """A new year's set for the same kind of unit, copied star by star and item by item (unpublished)."""
    roles.require(actor, roles.M_STARS_MANAGE, "只有组织部门可以维护创建标准")
    if StandardSet.objects.filter(year=year, unit_kind=source.unit_kind).exists():
        raise ValidationError({"year": f"{year}年的{source.get_unit_kind_display()}创建标准已存在"})
    name = source.name.replace(str(source.year), str(year)) if str(source.year) in source.name else \
        f"{year}年{source.name}"
    new = StandardSet.objects.create(year=year, unit_kind=source.unit_kind, name=name, copied_from=source)
    for star in source.stars.prefetch_related("items"):
        items = list(star.items.all())
        star.pk, star.standard = None, new
        star.save()
        StandardItem.objects.bulk_create([StandardItem(star=star, **{f: getattr(i, f) for f in ITEM_FIELDS})
                                          for i in items])
    audit.record(actor=actor, action=A_COPIED, obj=new, after={"from": source.name, "year": year})
    return new


@transaction.atomic
def standard_publish(*, actor, standard: StandardSet, published: bool = True) -> StandardSet:
    roles.require(actor, roles.M_STARS_MANAGE, "只有组织部门可以维护创建标准")
    if published and not StandardItem.objects.filter(star__standard=standard).exists():
        raise ValidationError("创建标准还没有条目,不能发布")
    before = audit.snapshot(standard)
    standard.published = published
    standard.save(update_fields=["published"])
    audit.record(actor=actor, action=A_PUBLISHED, obj=standard, before=before, after=audit.snapshot(standard))
    return standard


@transaction.atomic
def item_save(*, actor, star: Star, item: StandardItem | None = None, **fields) -> StandardItem:
    """Add an item to a star, or change one no branch has assessed yet."""
    roles.require(actor, roles.M_STARS_MANAGE, "只有组织部门可以维护创建标准")
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise ValidationError({next(iter(unknown)): "该字段不能修改"})
    before = None
    if item is None:
        item = StandardItem(star=star)
    else:
        if item.star_id != star.pk:
            raise ValidationError("条目不属于该星")
        if Assessment.objects.filter(item=item).exists():
            raise ValidationError("已有支部对该条目自评,不能修改;如需调整请新增条目")
        before = audit.snapshot(item)
    for k, v in fields.items():
        setattr(item, k, v)
    if item.pass_score is not None and item.max_score is not None and item.pass_score > item.max_score:
        raise ValidationError({"pass_score": "达标分不能高于满分"})
    item.full_clean(exclude=["star"])
    item.save()
    audit.record(actor=actor, action=A_ITEM_SAVED, obj=item, before=before, after=audit.snapshot(item))
    return item
