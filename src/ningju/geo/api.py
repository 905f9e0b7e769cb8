from ninja import Query, Router, Schema
from ninja.pagination import paginate

from ningju.api.auth import require_module
from ningju.api.pagination import PagePagination
from ningju.core import roles
from ningju.core.scoping import get_visible_or_404

from .models import Division, Level
from .selectors import division_list

router = Router(tags=["行政区划"])


class DivisionOut(Schema):
    code: str
    name: str
    level: int
    level_label: str
    parent_code: str | None

    @staticmethod
    def resolve_level_label(obj):
        return obj.get_level_display()

    @staticmethod
    def resolve_parent_code(obj):
        return obj.parent.code if obj.parent_id else None


@router.get("/divisions", response=list[DivisionOut], summary="区划列表")
@paginate(PagePagination)
def list_divisions(request, parent: str | None = None, q: str | None = None,
                   level: int | None = Query(None, ge=min(Level), le=max(Level),
                                             description="层级:1 市,2 县(市、区),3 乡镇(街道),4 村(社区),5 网格")):
    require_module(request, roles.M_GEO)
    return division_list(user=request.auth, parent_code=parent, q=q, level=level).select_related("parent")


@router.get("/divisions/{code}", response=DivisionOut, summary="区划详情")
def get_division(request, code: str):
    require_module(request, roles.M_GEO)
    return get_visible_or_404(Division.objects.select_related("parent"), request.auth, code=code)
