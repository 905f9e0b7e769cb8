"""Reads of roster imports and of the organisations a user may import into, already scoped."""

from __future__ import annotations

from django.http import Http404

from ningju.core.scoping import get_visible_or_404
from ningju.orgs.models import Kind, Organisation

from .models import RosterImport

TARGET_KINDS = (Kind.PLATFORM_ENTERPRISE, Kind.STATION)


def importable_organisations(user):
    """Enterprises and stations ``user`` may import a roster into (None: the system, all of them)."""
    qs = Organisation.objects.filter(kind__in=TARGET_KINDS, is_active=True)
    if user is not None:
        qs = qs.visible_to(user)
    return qs.select_related("division").order_by("path")


def importable_get(*, user, pk) -> Organisation:
    """One organisation to import into; 404 when it is missing, not visible, or not an enterprise/station."""
    if user is None:
        try:
            return importable_organisations(None).get(pk=pk)
        except (Organisation.DoesNotExist, ValueError, TypeError) as exc:
            raise Http404("对象不存在") from exc
    return get_visible_or_404(importable_organisations(user), user, pk=pk)


def import_list(*, user, status: str | None = None, organisation_id: int | None = None):
    qs = RosterImport.objects.visible_to(user).select_related("organisation", "uploaded_by")
    if status:
        qs = qs.filter(status=status)
    if organisation_id:
        qs = qs.filter(organisation_id=organisation_id)
    return qs.order_by("-uploaded_at", "-id")


def import_get(*, user, pk) -> RosterImport:
    return get_visible_or_404(RosterImport.objects.select_related("organisation", "uploaded_by"), user, pk=pk)


def earlier_identical(roster_import: RosterImport) -> RosterImport | None:
    """An earlier successful import of the very same file into the same organisation."""
    return (RosterImport.objects.filter(organisation_id=roster_import.organisation_id,
                                        file_sha256=roster_import.file_sha256,
                                        status=RosterImport.Status.SUCCEEDED, id__lt=roster_import.pk)
            .order_by("-id").first())
