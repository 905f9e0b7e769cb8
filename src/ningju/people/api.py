import datetime as dt

from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from ningju.api.auth import require_module
from ningju.api.errors import referenced_or_400
from ningju.api.pagination import PagePagination
from ningju.api.params import IdFilter
from ningju.core import roles
from ningju.geo.models import Division
from ningju.orgs.models import Organisation

from . import services
from .models import Occupation, PoliticalStatus
from .selectors import person_get, person_list, shown_id, shown_phone

router = Router(tags=["人员"])


class PersonOut(Schema):
    id: int
    name: str
    id_number: str = Field(..., description="身份证号;无权查看的角色得到脱敏值")
    phone: str
    gender: str
    birth_date: dt.date
    political_status: str
    political_status_label: str
    occupation: str
    employer_id: int | None
    home_division_code: str | None

    @staticmethod
    def resolve_id_number(obj, context):
        return shown_id(context["request"].auth, obj)

    @staticmethod
    def resolve_phone(obj, context):
        return shown_phone(context["request"].auth, obj)

    @staticmethod
    def resolve_political_status_label(obj):
        return obj.get_political_status_display()

    @staticmethod
    def resolve_home_division_code(obj):
        return obj.home_division.code if obj.home_division_id else None


class PersonIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    id_number: str = Field(..., min_length=1, max_length=18)
    phone: str = Field("", max_length=20)
    political_status: PoliticalStatus = PoliticalStatus.MASSES
    occupation: Occupation = Occupation.OTHER
    employer_id: int | None = None
    home_division_code: str | None = Field(None, max_length=15)


class PersonPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=50)
    id_number: str | None = Field(None, min_length=1, max_length=18)
    phone: str | None = Field(None, max_length=20)
    political_status: PoliticalStatus | None = None
    occupation: Occupation | None = None
    employer_id: int | None = None
    home_division_code: str | None = Field(None, max_length=15)


def _resolve(request, data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if key == "employer_id":
            out["employer"] = (referenced_or_400(Organisation, request.auth, key, "所在企业/站点", pk=value)
                               if value else None)
        elif key == "home_division_code":
            out["home_division"] = (referenced_or_400(Division, request.auth, key, "居住地", code=value)
                                    if value else None)
        else:
            out[key] = value.value if hasattr(value, "value") else value
    return out


@router.get("/people", response=list[PersonOut], summary="人员列表",
            description="q:姓名包含,或完整身份证号/手机号精确匹配(哈希检索)")
@paginate(PagePagination)
def list_people(request, q: str | None = None, political_status: PoliticalStatus | None = None,
                occupation: Occupation | None = None, employer_id: IdFilter = None,
                division: str | None = None):
    require_module(request, roles.M_PEOPLE)
    return person_list(user=request.auth, q=q, political_status=political_status, occupation=occupation,
                       employer_id=employer_id, division_code=division)


@router.get("/people/{int:person_id}", response=PersonOut, summary="人员详情")
def get_person(request, person_id: int):
    require_module(request, roles.M_PEOPLE)
    return person_get(user=request.auth, pk=person_id)


@router.post("/people", response={201: PersonOut}, summary="登记人员")
def create_person(request, payload: PersonIn):
    require_module(request, roles.M_PEOPLE_EDIT)
    person = services.person_create(actor=request.auth, source="api", **_resolve(request, payload.model_dump()))
    return Status(201, person)


@router.patch("/people/{int:person_id}", response=PersonOut, summary="修改人员")
def update_person(request, person_id: int, payload: PersonPatch):
    require_module(request, roles.M_PEOPLE_EDIT)
    person = person_get(user=request.auth, pk=person_id)
    return services.person_update(actor=request.auth, person=person, source="api",
                                  **_resolve(request, payload.model_dump(exclude_unset=True)))


@router.delete("/people/{int:person_id}", response={204: None}, summary="删除人员")
def delete_person(request, person_id: int):
    require_module(request, roles.M_PEOPLE_EDIT)
    person = person_get(user=request.auth, pk=person_id)
    services.person_delete(actor=request.auth, person=person, source="api")
    return Status(204, None)
