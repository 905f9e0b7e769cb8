"""The points API (积分): accounts and ledgers, staff awards and reversals, the posting endpoint for other
systems, rulebooks, declarations with their publicity, the boards and the village points shop.

Thin over :mod:`.services` and :mod:`.selectors`. A refusal answers like the rest of the API: 400 with the
service's Chinese message under the request's field name, 403 for a role or person who may not take the
step, 404 for an object in the path the caller may not see (a reference in a body or query is a 400 field
error, as everywhere in the API).

Villagers and workers (``points.my``) see their own accounts through the scoping rules; the shops, rules and
publicity list of the villages they hold an account in are theirs to use as well (``_my_villages``).

Idempotency: ``POST /points/entries``, ``POST /points/post`` and ``POST /points/orders`` take a key; a retry
with the same key answers the first result with status 200 (201 the first time) and counts once. API keys
are stored with the prefix ``api:`` so that they can never meet the keys the module writes itself
(``declaration:…``, ``reversal:…``, ``order:…``).
"""

import datetime as dt
from contextlib import contextmanager
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import AfterValidator

from ningju.api.auth import require_module
from ningju.api.errors import referenced_or_400
from ningju.api.pagination import PagePagination
from ningju.api.params import ID_MAX
from ningju.core import roles
from ningju.core.scoping import get_visible_or_404, is_visible
from ningju.geo.models import Division
from ningju.orgs.models import Organisation

from . import selectors
from .models import (
    Account,
    AccountKind,
    Declaration,
    Entry,
    EntryKind,
    Item,
    Order,
    PeriodTotal,
    Rule,
    Rulebook,
    Shop,
)
from .services import declarations, ledger, shop

router = Router(tags=["积分"])

KEY_PREFIX = "api:"
KEY_MAX = 64
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
PERIOD_PATTERN = r"^[0-9]{4}(-[0-9]{2})?$"
BOARD_LIMIT = 500
NOT_FOUND = "对象不存在或无权查看"

# Choices as inline enums: a TextChoices class would become an OpenAPI component named after the class
# ("Status", "Category"), which other apps' enums of the same name would overwrite, or be overwritten by.
KindChoice = Literal[tuple(AccountKind.values)]
EntryKindChoice = Literal[tuple(EntryKind.values)]
CategoryChoice = Literal[tuple(Rule.Category.values)]
DeclarationStatus = Literal[tuple(Declaration.Status.values)]
OrderStatus = Literal[tuple(Order.Status.values)]

# Services name model fields; requests name the references as below.
_FIELDS = {"account": "account_id", "rule": "rule_id", "item": "item_id", "__all__": ""}


def _in_range(day: dt.date) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"日期应在{FIRST_DAY.year}年至{LAST_DAY.year}年之间")
    return day


Day = Annotated[dt.date, AfterValidator(_in_range)]
PositiveId = Annotated[int, Field(ge=1, le=ID_MAX)]
Period = Annotated[str | None, Query(None, pattern=PERIOD_PATTERN, description="年份(2026)或年月(2026-03);"
                                                                                  "缺省为本月")]
OrgFilter = Annotated[int | None, Query(None, ge=1, le=ID_MAX, description="组织;缺省为调用者所在组织")]


@contextmanager
def _refusals(**extra):
    """The services' refusals with the field names the requests use."""
    names = {**_FIELDS, **extra}
    try:
        yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError({names.get(k, k): v for k, v in exc.message_dict.items()}) from None
        raise


def _require_any(request, *modules: str) -> None:
    if not any(request.auth.can(m) for m in modules):
        raise PermissionDenied("当前角色无权使用该功能")


def _points_user(request) -> None:
    """Staff who read points in scope, and villagers/workers with their own account."""
    _require_any(request, roles.M_POINTS, roles.M_POINTS_MY)


# --- reads that add the caller's own villages to the scope ---------------------------------------------

def _my_villages(user) -> list[str]:
    """The division paths of the villages the caller holds an active points account in."""
    return list(selectors.my_accounts(user=user).values_list("division_path", flat=True).distinct())


def _shops(user):
    """Shops in scope, the shops of the caller's villages, and the shops the caller keeps."""
    keeps = Shop.keepers.through.objects.filter(user_id=user.pk).values("shop_id")
    return (Shop.objects.filter(Q(pk__in=selectors.shops(user=user).values("pk"))
                                | Q(division_path__in=_my_villages(user)) | Q(pk__in=keeps))
            .select_related("organisation").order_by("division_path", "name", "pk"))


def _shop_or_404(user, shop_id: int) -> Shop:
    s = _shops(user).filter(pk=shop_id).first()
    if s is None:
        raise Http404(NOT_FOUND)
    return s


def _orders(user, status: str | None = None):
    """Orders in scope (one's own included) and the orders of the shops the caller keeps."""
    keeps = Shop.keepers.through.objects.filter(user_id=user.pk).values("shop_id")
    qs = Order.objects.filter(Q(pk__in=selectors.orders(user=user).values("pk")) | Q(item__shop_id__in=keeps))
    qs = qs.select_related("account", "item__shop", "placed_by")
    return qs.filter(status=status) if status else qs


def _rule_for(user, account: Account, rule_id: int) -> Rule:
    """A rule the caller names for an account: one in scope, or one of the account's own organisation."""
    rule = (Rule.objects.filter(pk=rule_id)
            .filter(Q(pk__in=Rule.objects.visible_to(user).values("pk"))
                    | Q(rulebook__organisation_id=account.organisation_id))
            .select_related("rulebook__organisation").first())
    if rule is None:
        raise ValidationError({"rule_id": "积分细则不存在或不在管辖范围内"})
    return rule


def _account_ref(user, account_id: int) -> Account:
    return referenced_or_400(Account.objects.select_related("organisation"), user, "account_id", "积分账户",
                             pk=account_id)


def _declaration_for_objection(user, pk: int) -> Declaration:
    """A declaration in scope, or one on the publicity list of a village the caller holds an account in."""
    d = Declaration.objects.filter(pk=pk).select_related("account__household", "rule").first()
    if d is None or not (is_visible(d, user) or d.division_path in _my_villages(user)):
        raise Http404(NOT_FOUND)  # the same answer for "not there" and "not yours"
    return d


def _with_year_totals(qs):
    """Accounts with this year's earned and deducted sums (from the period sums, in the same query)."""
    totals = PeriodTotal.objects.filter(account=OuterRef("pk"), period=str(timezone.localdate().year))
    return qs.annotate(earned_this_year=Coalesce(Subquery(totals.values("earned")[:1]), 0),
                       deducted_this_year=Coalesce(Subquery(totals.values("deducted")[:1]), 0))


def _key(raw: str) -> str:
    return KEY_PREFIX + raw.strip()


def _period(period: str | None) -> str:
    return selectors.check_period(period) if period else f"{timezone.localdate():%Y-%m}"


def _organisation(request, organisation_id: int | None) -> Organisation:
    user = request.auth
    organisation_id = organisation_id or user.organisation_id
    if organisation_id is None:
        raise ValidationError({"organisation_id": "请指定组织"})
    return referenced_or_400(Organisation, user, "organisation_id", "组织", pk=organisation_id)


def _public_label(account: Account) -> str:
    """How a village shows an account to everyone: households as 户号 and masked head, members by name."""
    h = account.household
    return f"{h.number} {h.masked_head}" if h is not None else account.name


# --- schemas: accounts and the ledger ------------------------------------------------------------------

class AccountOut(Schema):
    id: int
    kind: KindChoice
    kind_label: str
    name: str
    organisation_id: int
    organisation_name: str
    household_number: str | None = Field(..., description="农户户号;党员账户为空")
    balance: int = Field(..., description="当前余额(分)")
    active: bool

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_organisation_name(obj):
        return obj.organisation.name

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number if obj.household_id else None


class AccountDetailOut(AccountOut):
    year: int = Field(..., description="本年度")
    earned_this_year: int = Field(..., description="本年加分(含扣分的冲正)")
    deducted_this_year: int = Field(..., description="本年扣分(负数,含加分的冲正)")

    @staticmethod
    def resolve_year(obj):
        return timezone.localdate().year


class EntryOut(Schema):
    id: int
    account_id: int
    kind: EntryKindChoice
    kind_label: str
    amount: int = Field(..., description="分值:加分、退还为正,扣分、兑换为负")
    reason: str
    rule_id: int | None
    rule_name: str | None
    source_type: str
    source_id: str
    occurred_on: dt.date
    created_at: dt.datetime = Field(..., description="入账时间")
    approved_by_name: str | None
    reverses_id: int | None = Field(..., description="冲正记录所冲正的流水")
    reversed: bool = Field(..., description="已被冲正")

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_rule_name(obj):
        return obj.rule.name if obj.rule_id else None

    @staticmethod
    def resolve_approved_by_name(obj):
        return obj.approved_by.name if obj.approved_by_id else None

    @staticmethod
    def resolve_reversed(obj):
        return hasattr(obj, "reversed_by")


class EntryPostedOut(EntryOut):
    created: bool = Field(..., description="false:同一请求标识此前已入账,返回的是原流水(未重复记分)")


class AwardIn(Schema):
    account_id: PositiveId
    rule_id: PositiveId = Field(..., description="积分细则(须属于该账户的组织,适用于该类账户)")
    occurred_on: Day = Field(..., description="发生日期,不能晚于今天")
    times: int = Field(1, ge=1, le=ledger.MAX_TIMES, strict=True, description="次数;分值 = 细则分值 × 次数")
    reason: str = Field("", max_length=200, description="事由;缺省为细则名称")
    idempotency_key: str = Field(..., min_length=1, max_length=KEY_MAX, pattern=r"\S",
                                 description="请求标识(建议 UUID):同一标识只记分一次,重复的请求得到原流水(200)")


class PostIn(AwardIn):
    source_type: str = Field(..., min_length=1, max_length=40, pattern=r"\S",
                             description="来源系统或业务类型,如 attendance、volunteer")
    source_id: str = Field(..., min_length=1, max_length=64, pattern=r"\S", description="来源记录的标识")


class ReversalIn(Schema):
    reason: str = Field(..., min_length=1, max_length=150, pattern=r"\S", description="冲正原因")


# --- schemas: rulebooks and declarations ---------------------------------------------------------------

class RuleOut(Schema):
    id: int
    category: CategoryChoice
    category_label: str
    name: str
    points: int = Field(..., description="每次分值:正数加分,负数扣分")
    cap: int | None = Field(..., description="周期上限(分);空为不设")
    cap_period: str
    declarable: bool = Field(..., description="可申报(经审核、公示后入账)")
    active: bool

    @staticmethod
    def resolve_category_label(obj):
        return obj.get_category_display()


class RulebookOut(Schema):
    id: int
    organisation_id: int
    organisation_name: str
    name: str
    applies_to: KindChoice
    applies_to_label: str
    publicity_workdays: int = Field(..., description="申报公示期(工作日)")
    active: bool
    rules: list[RuleOut]

    @staticmethod
    def resolve_organisation_name(obj):
        return obj.organisation.name

    @staticmethod
    def resolve_applies_to_label(obj):
        return obj.get_applies_to_display()

    @staticmethod
    def resolve_rules(obj):
        return list(obj.rules.all())


class DeclarationOut(Schema):
    id: int
    account_id: int
    account_name: str
    rule_id: int
    rule_name: str
    times: int
    points: int = Field(..., description="入账后的分值(细则分值 × 次数)")
    occurred_on: dt.date
    note: str
    status: DeclarationStatus
    status_label: str
    submitted_at: dt.datetime
    reviewed_at: dt.datetime | None
    review_comment: str
    publicity_until: dt.datetime | None = Field(..., description="公示截止;期满无异议自动入账")
    objections: str
    entry_id: int | None = Field(..., description="入账后的积分流水")

    @staticmethod
    def resolve_account_name(obj):
        return obj.account.name

    @staticmethod
    def resolve_rule_name(obj):
        return obj.rule.name

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()


class PublicityOut(Schema):
    id: int
    account_label: str = Field(..., description="农户为户号和脱敏的户主姓名,党员为姓名")
    category_label: str
    rule_name: str
    times: int
    points: int
    occurred_on: dt.date
    note: str
    status: DeclarationStatus
    status_label: str
    publicity_until: dt.datetime | None

    @staticmethod
    def resolve_account_label(obj):
        return _public_label(obj.account)

    @staticmethod
    def resolve_category_label(obj):
        return obj.rule.get_category_display()

    @staticmethod
    def resolve_rule_name(obj):
        return obj.rule.name

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()


class DeclarationIn(Schema):
    account_id: PositiveId
    rule_id: PositiveId = Field(..., description="可申报的积分细则")
    occurred_on: Day = Field(..., description="发生日期,不能晚于今天")
    note: str = Field(..., min_length=1, max_length=300, pattern=r"\S", description="申报说明")
    times: int = Field(1, ge=1, le=20, strict=True)


class ReviewIn(Schema):
    approve: bool = Field(..., description="true:通过并进入公示;false:不通过(须写明原因)")
    comment: str = Field("", max_length=300)


class ObjectionIn(Schema):
    text: str = Field(..., min_length=1, max_length=300, pattern=r"\S", description="异议内容")


# --- schemas: boards ----------------------------------------------------------------------------------

class BoardRowOut(Schema):
    rank: int
    account_id: int
    name: str
    earned: int
    deducted: int
    net: int


class BoardOut(Schema):
    organisation_id: int
    organisation_name: str
    period: str
    rows: list[BoardRowOut]


class RedBlackOut(Schema):
    organisation_id: int
    organisation_name: str
    period: str
    red: list[BoardRowOut] = Field(..., description="红榜:本期净得分最多的农户(户号和脱敏户主)")
    black: list[BoardRowOut] = Field(..., description="黑榜:本期有扣分的农户")


def _board_rows(rows) -> list[dict]:
    return [{"rank": r.rank, "account_id": r.account_id, "name": r.name, "earned": r.earned,
             "deducted": r.deducted, "net": r.net} for r in rows]


# --- schemas: the shop --------------------------------------------------------------------------------

class ShopOut(Schema):
    id: int
    name: str
    organisation_id: int
    organisation_name: str
    address: str
    hours: str
    is_keeper: bool = Field(..., description="调用者是本超市的管理员(可核销取货码)")

    @staticmethod
    def resolve_organisation_name(obj):
        return obj.organisation.name

    @staticmethod
    def resolve_is_keeper(obj, context):
        return shop.is_keeper(context["request"].auth, obj)


class ItemOut(Schema):
    id: int
    shop_id: int
    name: str
    price: int = Field(..., description="所需积分")
    stock: int
    unit: str
    active: bool


class OrderOut(Schema):
    id: int
    account_id: int
    account_name: str
    shop_id: int
    item_id: int
    item_name: str
    quantity: int
    points: int
    status: OrderStatus
    status_label: str
    pickup_code: str | None = Field(..., description="取货码:仅账户本人和下单人可见")
    placed_at: dt.datetime
    fulfilled_at: dt.datetime | None
    cancelled_at: dt.datetime | None

    @staticmethod
    def resolve_account_name(obj):
        return obj.account.name

    @staticmethod
    def resolve_shop_id(obj):
        return obj.item.shop_id

    @staticmethod
    def resolve_item_name(obj):
        return obj.item.name

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()

    @staticmethod
    def resolve_pickup_code(obj, context):
        me = context["request"].auth.pk
        return obj.pickup_code if me in (obj.account.user_id, obj.placed_by_id) else None


class OrderPlacedOut(OrderOut):
    created: bool = Field(..., description="false:同一 client_key 此前已下单,返回的是原订单(未重复扣分)")


class OrderIn(Schema):
    item_id: PositiveId
    account_id: PositiveId
    quantity: int = Field(..., ge=1, le=shop.MAX_QUANTITY, strict=True)
    client_key: str = Field(..., min_length=1, max_length=KEY_MAX, pattern=r"\S",
                            description="请求标识(建议 UUID):同一标识只下单一次,重复的请求得到原订单(200)")


class PickupIn(Schema):
    pickup_code: str = Field(..., pattern=r"^[0-9]{6}$", description="村民出示的6位取货码")


# --- accounts and the ledger --------------------------------------------------------------------------

@router.get("/points/accounts", response=list[AccountOut], summary="积分账户列表",
            description="管辖范围内的党员和农户积分账户;kind:member 党员 / household 农户;q:名称包含")
@paginate(PagePagination)
def list_accounts(request, kind: KindChoice | None = None, q: str | None = Query(None, max_length=50)):
    _points_user(request)
    return selectors.accounts(user=request.auth, kind=kind, q=q)


@router.get("/points/me", response=list[AccountDetailOut], summary="我的积分账户",
            description="调用者本人的积分账户(村民的农户账户、党员本人的账户),含余额和本年加扣分")
@paginate(PagePagination)
def my_accounts(request):
    _points_user(request)
    return _with_year_totals(selectors.my_accounts(user=request.auth).select_related("household"))


@router.get("/points/accounts/{int:account_id}", response=AccountDetailOut, summary="积分账户详情",
            description="余额,以及本年度的加分、扣分合计")
def get_account(request, account_id: int):
    _points_user(request)
    return get_visible_or_404(_with_year_totals(selectors.accounts(user=request.auth)), request.auth, pk=account_id)


@router.get("/points/accounts/{int:account_id}/entries", response=list[EntryOut], summary="积分流水",
            description="账户的全部流水(只追加,更正为冲正记录),最新的在前")
@paginate(PagePagination)
def list_entries(request, account_id: int):
    _points_user(request)
    account = get_visible_or_404(Account, request.auth, pk=account_id)
    return selectors.ledger(user=request.auth, account=account).select_related("reversed_by")


def _posted(request, payload: AwardIn, post):
    user = request.auth
    account = _account_ref(user, payload.account_id)
    rule = _rule_for(user, account, payload.rule_id)
    key = _key(payload.idempotency_key)
    existed = Entry.objects.filter(idempotency_key=key).exists()
    with _refusals():
        entry = post(user, account, rule, key)
    entry = Entry.objects.select_related("rule", "approved_by", "reversed_by").get(pk=entry.pk)
    entry.created = not existed
    return Status(200 if existed else 201, entry)


@router.post("/points/entries", response={201: EntryPostedOut, 200: EntryPostedOut}, summary="记分(积分管理员)",
             description="按积分细则为账户加分或扣分;同一 idempotency_key 只记一次,重复的请求状态码 200、"
                         "created=false。细则须属于该账户的组织;有周期上限的细则超出上限时拒绝;扣分不能使余额为负。")
def award(request, payload: AwardIn):
    require_module(request, roles.M_POINTS_MANAGE)
    return _posted(request, payload, lambda user, account, rule, key: ledger.award(
        actor=user, account=account, rule=rule, occurred_on=payload.occurred_on, times=payload.times,
        reason=payload.reason.strip(), idempotency_key=key))


@router.post("/points/post", response={201: EntryPostedOut, 200: EntryPostedOut}, summary="其他系统入账",
             description="供考勤、志愿服务等系统按细则记分(调用账号须为该账户的积分管理员);source_type/source_id "
                         "记录来源。同一 idempotency_key 只入账一次,重复的请求状态码 200、created=false。")
def post_points(request, payload: PostIn):
    require_module(request, roles.M_POINTS_MANAGE)

    def post(user, account, rule, key):
        if not ledger.may_manage(user, account):
            raise PermissionDenied("只有本组织的积分管理员可以记分")
        return ledger.post_points(actor=user, account=account, rule=rule, idempotency_key=key,
                                  occurred_on=payload.occurred_on, times=payload.times, reason=payload.reason.strip(),
                                  source_type=payload.source_type.strip(), source_id=payload.source_id.strip(),
                                  approved_by=user)

    return _posted(request, payload, post)


@router.post("/points/entries/{int:entry_id}/reversal", response={201: EntryOut}, summary="冲正(积分管理员)",
             description="以一条相反的流水更正加分或扣分,每条只能冲正一次;冲正记录不能再冲正,兑换和退还不能冲正"
                         "(请取消订单)")
def reverse_entry(request, entry_id: int, payload: ReversalIn):
    require_module(request, roles.M_POINTS_MANAGE)
    entry = get_visible_or_404(Entry, request.auth, pk=entry_id)
    with _refusals():
        rev = ledger.reverse(actor=request.auth, entry=entry, reason=payload.reason)
    return Status(201, Entry.objects.select_related("rule", "approved_by", "reversed_by").get(pk=rev.pk))


# --- rulebooks and declarations -----------------------------------------------------------------------

@router.get("/points/rulebooks", response=list[RulebookOut], summary="积分规则(含细则)",
            description="管辖范围内的积分规则;村民和从业人员看到本人账户所在组织启用的规则和细则")
@paginate(PagePagination)
def list_rulebooks(request):
    _points_user(request)
    user = request.auth
    if user.can(roles.M_POINTS):
        return (Rulebook.objects.visible_to(user).select_related("organisation")
                .prefetch_related(Prefetch("rules", queryset=Rule.objects.order_by("category", "id")))
                .order_by("org_path", "applies_to", "pk"))
    orgs = selectors.my_accounts(user=user).values("organisation_id")
    return (Rulebook.objects.filter(organisation_id__in=orgs, active=True).select_related("organisation")
            .prefetch_related(Prefetch("rules", queryset=Rule.objects.filter(active=True).order_by("category", "id")))
            .order_by("org_path", "applies_to", "pk"))


@router.get("/points/declarations", response=list[DeclarationOut], summary="积分申报列表",
            description="管辖范围内的申报(积分管理员据此审核),村民看到本人账户的申报;status 按状态筛选")
@paginate(PagePagination)
def list_declarations(request, status: DeclarationStatus | None = None):
    _points_user(request)
    return selectors.declarations(user=request.auth, status=status)


@router.post("/points/declarations", response={201: DeclarationOut}, summary="申报积分",
             description="村民(或党员)为本人账户按可申报的细则申报;审核通过后公示,公示期满无异议自动入账")
def submit_declaration(request, payload: DeclarationIn):
    _require_any(request, roles.M_POINTS_MY, roles.M_POINTS_MANAGE)
    user = request.auth
    account = _account_ref(user, payload.account_id)
    rule = _rule_for(user, account, payload.rule_id)
    with _refusals():
        d = declarations.submit(actor=user, account=account, rule=rule, occurred_on=payload.occurred_on,
                                note=payload.note, times=payload.times)
    return Status(201, d)


@router.post("/points/declarations/{int:declaration_id}/review", response=DeclarationOut,
             summary="审核申报(积分管理员)", description="通过则进入公示(按规则的公示期,工作日);不通过须写明原因")
def review_declaration(request, declaration_id: int, payload: ReviewIn):
    require_module(request, roles.M_POINTS_MANAGE)
    d = get_visible_or_404(Declaration, request.auth, pk=declaration_id)
    with _refusals():
        return declarations.review(actor=request.auth, declaration=d, approve=payload.approve,
                                   comment=payload.comment)


@router.post("/points/declarations/{int:declaration_id}/objection", response=PublicityOut, summary="对公示提出异议",
             description="本村村民或管辖范围内的工作人员,在公示期内;有异议的申报暂不入账,由村(社区)处理")
def object_to_declaration(request, declaration_id: int, payload: ObjectionIn):
    _points_user(request)
    d = _declaration_for_objection(request.auth, declaration_id)
    with _refusals():
        declarations.object_to(actor=request.auth, declaration=d, text=payload.text)
    return Declaration.objects.select_related("account__household", "rule").get(pk=d.pk)


@router.get("/points/publicity", response=list[PublicityOut], summary="申报公示",
            description="一个村(社区)正在公示和有异议待处理的申报;division_code 缺省为调用者账户所在的村(社区)")
@paginate(PagePagination)
def list_publicity(request, division_code: str | None = Query(None, min_length=1, max_length=15)):
    _points_user(request)
    user = request.auth
    villages = _my_villages(user)
    if division_code is None:
        if len(villages) != 1:
            raise ValidationError({"division_code": "请指定村(社区)区划代码"})
        path = villages[0]
    else:
        division = Division.objects.filter(code=division_code).first()
        if division is None or not (division.path in villages or is_visible(division, user)):
            raise ValidationError({"division_code": "村(社区)不存在或不在管辖范围内"})
        path = division.path
    return selectors.publicity_list(division_path=path).select_related("account__household")


# --- boards -------------------------------------------------------------------------------------------

@router.get("/points/boards/members", response=BoardOut, summary="党员积分榜",
            description="组织(含下级)党员账户在一个月或一年的加分、扣分和净得分排名,并列同名次")
def members_board(request, organisation_id: OrgFilter = None, period: Period = None,
                  limit: int = Query(100, ge=1, le=BOARD_LIMIT, description="前多少名")):
    require_module(request, roles.M_POINTS)
    organisation = _organisation(request, organisation_id)
    period = _period(period)
    with _refusals():
        rows = selectors.members_board(organisation=organisation, period=period, limit=limit)
    return {"organisation_id": organisation.pk, "organisation_name": organisation.name, "period": period,
            "rows": _board_rows(rows)}


@router.get("/points/boards/red-black", response=RedBlackOut, summary="红黑榜",
            description="组织(含下级)农户账户在一个月或一年的红榜(净得分前十)和黑榜(有扣分),户主姓名脱敏")
def red_black_board(request, organisation_id: OrgFilter = None, period: Period = None):
    require_module(request, roles.M_POINTS)
    organisation = _organisation(request, organisation_id)
    period = _period(period)
    with _refusals():
        red, black = selectors.red_black(organisation=organisation, period=period)
    return {"organisation_id": organisation.pk, "organisation_name": organisation.name, "period": period,
            "red": _board_rows(red), "black": _board_rows(black)}


# --- the shop -----------------------------------------------------------------------------------------

@router.get("/points/shops", response=list[ShopOut], summary="积分超市",
            description="管辖范围内的积分超市;村民看到本村的积分超市,管理员看到自己管理的超市")
@paginate(PagePagination)
def list_shops(request):
    _points_user(request)
    return _shops(request.auth)


@router.get("/points/shops/{int:shop_id}/items", response=list[ItemOut], summary="兑换商品",
            description="上架的商品;超市管理员和积分管理员可用 include_inactive=true 同时看到已下架的")
@paginate(PagePagination)
def list_items(request, shop_id: int, include_inactive: bool = False):
    _points_user(request)
    user = request.auth
    s = _shop_or_404(user, shop_id)
    active_only = not (include_inactive and (shop.is_keeper(user, s) or ledger.may_manage(user, s)))
    return selectors.shop_items(shop=s, active_only=active_only).order_by("price", "pk")


@router.post("/points/orders", response={201: OrderPlacedOut, 200: OrderPlacedOut}, summary="积分兑换下单",
             description="为本人账户(或超市管理员、积分管理员代为)兑换本村积分超市的商品,扣减积分和库存,"
                         "返回6位取货码。同一 client_key 只下单一次,重复的请求状态码 200、created=false;"
                         "余额或库存不足时拒绝,什么也不改变。")
def place_order(request, payload: OrderIn):
    _require_any(request, roles.M_POINTS_MY, roles.M_POINTS_MANAGE)
    user = request.auth
    account = _account_ref(user, payload.account_id)
    item = Item.objects.filter(pk=payload.item_id, shop__in=_shops(user)).first()
    if item is None:
        raise ValidationError({"item_id": "商品不存在或不在本村积分超市"})
    existed = Order.objects.filter(client_key=payload.client_key.strip()).exists()
    with _refusals(amount="quantity"):
        order = shop.place(actor=user, account=account, item=item, quantity=payload.quantity,
                           client_key=payload.client_key)
    order = Order.objects.select_related("account", "item", "placed_by").get(pk=order.pk)
    order.created = not existed
    return Status(200 if existed else 201, order)


@router.get("/points/orders", response=list[OrderOut], summary="兑换订单",
            description="本人账户的订单、管辖范围内的订单和本人管理的超市的订单;status:placed 待领取 / "
                        "fulfilled 已领取 / cancelled 已取消")
@paginate(PagePagination)
def list_orders(request, status: OrderStatus | None = None,
                shop_id: int | None = Query(None, ge=1, le=ID_MAX, description="只看一个超市的订单")):
    _points_user(request)
    qs = _orders(request.auth, status=status)
    return qs.filter(item__shop_id=shop_id) if shop_id else qs


@router.post("/points/orders/{int:order_id}/cancel", response=OrderOut, summary="取消兑换",
             description="领取前可取消:积分以一条退还流水返回账户,库存恢复")
def cancel_order(request, order_id: int):
    _points_user(request)
    order = _orders(request.auth).filter(pk=order_id).first()
    if order is None:
        raise Http404(NOT_FOUND)
    with _refusals():
        shop.cancel(actor=request.auth, order=order)
    return Order.objects.select_related("account", "item", "placed_by").get(pk=order.pk)


@router.post("/points/shops/{int:shop_id}/pickup", response=OrderOut, summary="核销取货码(超市管理员)",
             description="村民出示取货码,超市管理员核对后交付商品,订单变为已领取")
def pickup(request, shop_id: int, payload: PickupIn):
    _points_user(request)
    s = _shop_or_404(request.auth, shop_id)
    with _refusals():
        order = shop.fulfil(actor=request.auth, shop=s, pickup_code=payload.pickup_code)
    return Order.objects.select_related("account", "item", "placed_by").get(pk=order.pk)
