from django.db import transaction
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from ningju.api.auth import require_module
from ningju.api.errors import referenced_or_400
from ningju.api.pagination import PagePagination
from ningju.api.params import IdFilter
from ningju.core import roles
from ningju.core.scoping import get_visible_or_404
from ningju.geo.models import Division

from . import services
from .models import Industry, Kind, Organisation
from .selectors import organisation_list

router = Router(tags=["组织"])


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    industry: str
    parent_id: int | None
    division_code: str
    contact_name: str
    contact_phone: str
    address: str
    is_active: bool

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_division_code(obj):
        return obj.division.code


class OrganisationIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    kind: Kind
    industry: Industry = Industry.NONE
    parent_id: int | None = None
    division_code: str = Field(..., min_length=12, max_length=15)
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30)
    address: str = Field("", max_length=200)
    is_active: bool = True


class OrganisationPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    kind: Kind | None = None
    industry: Industry | None = None
    parent_id: int | None = None
    division_code: str | None = Field(None, min_length=12, max_length=15)
    contact_name: str | None = Field(None, max_length=50)
    contact_phone: str | None = Field(None, max_length=30)
    address: str | None = Field(None, max_length=200)
    is_active: bool | None = None


# Text columns that may be blank but not NULL: a null in a patch clears them.
_BLANK_TEXT = ("industry", "contact_name", "contact_phone", "address")


def _resolve(request, data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if value is None and key in _BLANK_TEXT:
            out[key] = ""
        elif key == "parent_id":
            out["parent"] = (referenced_or_400(Organisation, request.auth, key, "上级组织", pk=value)
                             if value is not None else None)
        elif key == "division_code":
            out["division"] = referenced_or_400(Division, request.auth, key, "所在区划", code=value)
        else:
            out[key] = value.value if hasattr(value, "value") else value
    return out


@router.get("/organisations", response=list[OrganisationOut], summary="组织列表")
@paginate(PagePagination)
def list_organisations(request, q: str | None = None, kind: Kind | None = None, industry: Industry | None = None,
                       division: str | None = None, parent_id: IdFilter = None):
    require_module(request, roles.M_ORGS)
    return organisation_list(user=request.auth, q=q, kind=kind, industry=industry, division_code=division,
                             parent_id=parent_id)


@router.get("/organisations/{int:org_id}", response=OrganisationOut, summary="组织详情")
def get_organisation(request, org_id: int):
    require_module(request, roles.M_ORGS)
    return get_visible_or_404(Organisation.objects.select_related("division"), request.auth, pk=org_id)


@router.post("/organisations", response={201: OrganisationOut}, summary="新增组织")
def create_organisation(request, payload: OrganisationIn):
    require_module(request, roles.M_ORGS_EDIT)
    org = services.organisation_create(actor=request.auth, source="api",
                                       **_resolve(request, payload.model_dump()))
    return Status(201, org)


@router.patch("/organisations/{int:org_id}", response=OrganisationOut, summary="修改组织")
def update_organisation(request, org_id: int, payload: OrganisationPatch):
    require_module(request, roles.M_ORGS_EDIT)
    org = get_visible_or_404(Organisation, request.auth, pk=org_id)
    data = _resolve(request, payload.model_dump(exclude_unset=True))
    with transaction.atomic():
        org = services.organisation_update(actor=request.auth, organisation=org, source="api", **data)
    return org


@router.delete("/organisations/{int:org_id}", response={204: None}, summary="删除组织")
def delete_organisation(request, org_id: int):
    require_module(request, roles.M_ORGS_EDIT)
    org = get_visible_or_404(Organisation, request.auth, pk=org_id)
    services.organisation_delete(actor=request.auth, organisation=org, source="api")
    return Status(204, None)
