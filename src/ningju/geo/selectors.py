from .models import Division


def division_list(*, user, parent_code: str | None = None, q: str | None = None, level: int | None = None):
    qs = Division.objects.visible_to(user)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    if level:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(name__contains=q) if not q.isdigit() else qs.filter(code__startswith=q)
    return qs.order_by("code")


def division_roots(*, user):
    """The top divisions a user sees: those whose parent is outside the user's scope."""
    qs = Division.objects.visible_to(user)
    visible_paths = list(qs.values_list("path", flat=True))
    roots = [p for p in visible_paths if not any(p != o and p.startswith(o) for o in visible_paths)]
    return Division.objects.filter(path__in=roots).order_by("code")


def division_subtree(division):
    return Division.objects.filter(path__startswith=division.path)
