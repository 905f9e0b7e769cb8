"""Which organisation gets a case (routing rules) and by when it must act (deadline rules)."""

from __future__ import annotations

import datetime as dt

from ningju.orgs.models import Kind, Organisation
from ningju.workdays import selectors as workdays

from ..models import Case, Category, DeadlineRule, RoutingRule
from ..states import Priority, Unit

# Organisations that answer for a village or community, in order of preference.
LOCAL_KINDS = (Kind.VILLAGE_COMMITTEE, Kind.COMMUNITY_COMMITTEE, Kind.BRANCH, Kind.GENERAL_BRANCH)
VILLAGE_LEVEL = 4


def prefixes(path: str) -> list[str]:
    """Every ancestor-or-self prefix of a materialised path ("a/b/c/" → "a/", "a/b/", "a/b/c/")."""
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]


def category_path(category: Category) -> str:
    return (category.parent.path if category.parent_id else "") + f"{category.code}/"


# --- deadlines -----------------------------------------------------------------------------------------

def deadline_rule(category: Category, priority: str) -> DeadlineRule | None:
    """The most specific rule for the category (or an ancestor) and priority, else the default one."""
    rules = list(DeadlineRule.objects.filter(priority=priority, category__path__in=prefixes(category.path))
                 .select_related("category"))
    if rules:
        return max(rules, key=lambda r: len(r.category.path))
    return DeadlineRule.objects.filter(priority=priority, category__isnull=True).first()


def add_time(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    if unit == Unit.HOUR:
        return start + dt.timedelta(hours=amount)
    return workdays.add_workdays(start, amount)


def due_times(category: Category, priority: str, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(accept by, reply by) for a case dispatched at ``start``."""
    rule = deadline_rule(category, priority) or deadline_rule(category, Priority.NORMAL)
    if rule is None:  # no rule configured at all: the national habit of 1 and 5 working days
        return workdays.add_workdays(start, 1), workdays.add_workdays(start, 5)
    return add_time(start, rule.accept_amount, rule.accept_unit), add_time(start, rule.reply_amount, rule.reply_unit)


# --- routing -------------------------------------------------------------------------------------------

def matching_rule(case: Case) -> RoutingRule | None:
    """The most specific active rule covering the case's category and division (deepest category first)."""
    rules = list(RoutingRule.objects.filter(active=True, category__path__in=prefixes(case.category_path),
                                            division__path__in=prefixes(case.division_path))
                 .select_related("category", "division", "organisation"))
    if not rules:
        return None
    return max(rules, key=lambda r: (len(r.category.path), len(r.division.path)))


def local_organisation(case: Case) -> Organisation | None:
    """The village committee (or, failing one, the Party branch) of the case's village or community."""
    division = case.division
    while division is not None and division.level > VILLAGE_LEVEL:
        division = division.parent
    if division is None or division.level != VILLAGE_LEVEL:
        return None
    candidates = list(Organisation.objects.filter(division=division, kind__in=LOCAL_KINDS, is_active=True))
    candidates.sort(key=lambda o: (LOCAL_KINDS.index(o.kind), o.pk))
    return candidates[0] if candidates else None


def route(case: Case) -> tuple[Organisation | None, RoutingRule | None]:
    """Where a new case goes: (organisation, rule), or (None, None) for the dispatchers' queue."""
    rule = matching_rule(case)
    if rule is None:
        return None, None
    if rule.target == RoutingRule.Target.LOCAL:
        org = local_organisation(case)
        return (org, rule) if org is not None else (None, None)
    if not rule.organisation.is_active:
        return None, None
    return rule.organisation, rule
