"""Reads of the five-star campaign, always through ``visible_to(user)``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from ningju.cases.states import Status

from .models import (
    Aspect,
    Assessment,
    Award,
    Finding,
    Plan,
    PostEvaluation,
    Project,
    StandardSet,
    SupervisionPlan,
    Visit,
)

RECTIFIED = (Status.REPLIED, Status.CLOSED)


def standards(*, year: int | None = None) -> QuerySet[StandardSet]:
    qs = StandardSet.objects.prefetch_related("stars__items")
    return qs.filter(year=year) if year else qs


def plans(*, user, year: int | None = None) -> QuerySet[Plan]:
    qs = Plan.objects.visible_to(user).select_related("branch", "branch__division", "standard")
    return qs.filter(year=year) if year else qs


def plan_get(*, user, pk: int) -> Plan:
    from ningju.core.scoping import get_visible_or_404

    return get_visible_or_404(Plan.objects.select_related("branch", "standard"), user, pk=pk)


def assessments_to_review(*, user) -> QuerySet[Assessment]:
    return (Assessment.objects.visible_to(user).filter(status=Assessment.Status.SUBMITTED)
            .select_related("plan__branch", "item__star").order_by("submitted_at"))


def assessments_to_evaluate(*, user) -> QuerySet[Assessment]:
    return (Assessment.objects.visible_to(user).filter(status=Assessment.Status.REVIEWED)
            .select_related("plan__branch", "item__star").order_by("town_at"))


def awards(*, user, year: int | None = None, branch=None) -> QuerySet[Award]:
    qs = Award.objects.visible_to(user).select_related("branch", "star", "awarded_by", "withdrawn_by")
    if year:
        qs = qs.filter(year=year)
    if branch is not None:
        qs = qs.filter(branch=branch)
    return qs


def star_history(*, user, branch) -> QuerySet[Award]:
    """Every star the branch was given, year by year, with publicity, standing and withdrawals."""
    return awards(user=user, branch=branch).order_by("-year", "star__order", "-awarded_at")


def star_counts(*, user, year: int) -> Counter:
    """How many branches hold n stars (standing or in publicity) in ``year``: {n: branches}."""
    per_branch = Counter(Award.objects.visible_to(user).filter(year=year).exclude(status=Award.Status.WITHDRAWN)
                         .values_list("branch_id", flat=True))
    return Counter(per_branch.values())


def supervision_plans(*, user) -> QuerySet[SupervisionPlan]:
    return SupervisionPlan.objects.visible_to(user).select_related("district", "organiser")


def my_visits(*, user) -> QuerySet[Visit]:
    """A group member's visits: the ones planned for their groups (never shown to the branches)."""
    return (Visit.objects.filter(group__members=user).select_related("round", "unit", "group", "round__plan")
            .order_by("-status", "round__number", "unit__division__code"))  # planned before done


def findings(*, user, plan: SupervisionPlan | None = None) -> QuerySet[Finding]:
    qs = Finding.objects.visible_to(user).select_related("case", "unit", "group", "visit__round")
    return qs.filter(plan=plan) if plan is not None else qs


@dataclass(frozen=True)
class Progress:
    found: int
    rectified: int   # the branch replied (整改完成待核验) or the group verified it
    verified: int    # closed by the group's re-inspection

    @property
    def open(self) -> int:
        return self.found - self.rectified

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.verified / self.found, 1) if self.found else None


_AGG = {"found": Count("id"), "rectified": Count("id", filter=Q(case_status__in=RECTIFIED)),
        "verified": Count("id", filter=Q(case_status=Status.CLOSED))}
BOARD_KEYS = {"round": "round_number", "group": "group__name", "aspect": "aspect", "unit": "unit__name"}


def board(*, user, plan: SupervisionPlan, by: str) -> list[tuple[str, Progress]]:
    """The progress board: findings found / rectified / verified per round, group, aspect or unit."""
    key = BOARD_KEYS[by]
    # Units are grouped by id as well: two villages of a county may share a name.
    keys = [key, "unit_id"] if by == "unit" else [key]
    rows = (Finding.objects.visible_to(user).filter(plan=plan).values(*keys).annotate(**_AGG).order_by(*keys))
    labels = dict(Aspect.choices)
    out = []
    for r in rows:
        k = r.pop(key)
        r.pop("unit_id", None)
        label = f"第{k}轮" if by == "round" else labels.get(k, k) if by == "aspect" else str(k)
        out.append((label, Progress(**r)))
    return out


def totals(*, user, plan: SupervisionPlan) -> Progress:
    return Progress(**Finding.objects.visible_to(user).filter(plan=plan).aggregate(**_AGG))


def visit_progress(*, user, plan: SupervisionPlan) -> list[dict]:
    """Visits done per round and group."""
    return list(Visit.objects.visible_to(user).filter(round__plan=plan)
                .values("round__number", "group__name")
                .annotate(planned=Count("id"), done=Count("id", filter=Q(status=Visit.Status.DONE)))
                .order_by("round__number", "group__name"))


def post_evaluations(*, user, plan: SupervisionPlan) -> QuerySet[PostEvaluation]:
    return PostEvaluation.objects.visible_to(user).filter(plan=plan).select_related("unit")


def ready_for_post_evaluation(*, user, plan: SupervisionPlan) -> list:
    """Units of the plan whose findings are all verified and that have no post-evaluation yet."""
    rows = (Finding.objects.visible_to(user).filter(plan=plan).values("unit_id", "unit__name")
            .annotate(found=Count("id"), verified=Count("id", filter=Q(case_status=Status.CLOSED)))
            .order_by("unit__name", "unit_id"))  # not the model's ordering, whose joins would stay in the GROUP BY
    done = set(PostEvaluation.objects.filter(plan=plan).values_list("unit_id", flat=True))
    return [r for r in rows if r["found"] == r["verified"] and r["unit_id"] not in done]


def projects(*, user, status: str | None = None) -> QuerySet[Project]:
    qs = Project.objects.visible_to(user).select_related("branch", "star")
    return qs.filter(status=status) if status else qs
