"""The one scoping mechanism.

Every business model uses :class:`ScopedQuerySet` as its default manager's queryset and declares a
``ScopeRules`` inner class naming the lookups that tie a row to the tree:

    class ScopeRules:
        division = ("home_division__path",)   # materialised division paths
        org = ("employer__path",)              # materialised organisation paths
        person = ("pk",)                       # the worker's own record
        user = ("created_by",)                 # rows a user owns
        public = True                          # reference data every login may read

``Model.objects.visible_to(user)`` narrows any queryset to what the user may see. Pages, API,
exports and search all start from it; :func:`get_visible_or_404` is the single way to fetch one
object by id, and answers "not there" and "not yours" alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db import models
from django.http import Http404


@dataclass(frozen=True)
class Scope:
    """What a user may see: prefixes of materialised paths, or their own records."""

    everything: bool = False
    division_paths: tuple[str, ...] = ()
    org_paths: tuple[str, ...] = ()
    person_id: int | None = None
    user_id: int | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def nothing(cls) -> Scope:
        return cls()


def scope_of(user) -> Scope:
    """The scope of a user (cached on the user object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope.nothing()
    cached = getattr(user, "_ningju_scope", None)
    if cached is None:
        cached = user.compute_scope()
        user._ningju_scope = cached
    return cached


def _prefix_q(lookups: tuple[str, ...], prefixes: tuple[str, ...]) -> list[models.Q]:
    return [models.Q(**{f"{lookup}__startswith": p}) for lookup in lookups for p in prefixes]


def visible_q(model: type[models.Model], scope: Scope) -> models.Q | None:
    """A Q object that limits ``model`` to ``scope``; None means everything."""
    if scope.everything:
        return None
    rules = getattr(model, "ScopeRules", None)
    if rules is None:
        raise TypeError(f"{model.__name__} declares no ScopeRules")
    if getattr(rules, "public", False):  # reference data every login may read (categories, rules)
        return None
    parts: list[models.Q] = []
    parts += _prefix_q(tuple(getattr(rules, "division", ())), scope.division_paths)
    parts += _prefix_q(tuple(getattr(rules, "org", ())), scope.org_paths)
    if scope.person_id is not None:
        parts += [models.Q(**{lookup: scope.person_id}) for lookup in getattr(rules, "person", ())]
    if scope.user_id is not None:
        parts += [models.Q(**{lookup: scope.user_id}) for lookup in getattr(rules, "user", ())]
    if not parts:
        return models.Q(pk__in=[])
    return reduce(or_, parts)


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user) -> ScopedQuerySet:
        q = visible_q(self.model, scope_of(user))
        qs = self if q is None else self.filter(q)
        # Path prefixes of several lookups can match one row more than once through joins.
        return qs.distinct() if q is not None and _joins(self.model) else qs


def _joins(model) -> bool:
    rules = model.ScopeRules
    lookups = [*getattr(rules, "division", ()), *getattr(rules, "org", ()), *getattr(rules, "person", ()),
               *getattr(rules, "user", ())]
    # Only many-valued relations can duplicate rows; declare them with ScopeRules.many = True.
    return bool(getattr(rules, "many", False)) and any("__" in lk for lk in lookups)


def get_visible_or_404(queryset_or_model, user, **lookup):
    """Fetch one object the user may see; 404 for both a missing and an out-of-scope object."""
    qs = queryset_or_model
    if isinstance(qs, type) and issubclass(qs, models.Model):
        qs = qs.objects.all()
    try:
        return qs.visible_to(user).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("对象不存在或无权查看") from exc


def is_visible(obj, user) -> bool:
    return type(obj).objects.visible_to(user).filter(pk=obj.pk).exists()
