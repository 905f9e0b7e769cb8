"""The village points shop (积分超市): villagers order on the phone and get a pickup code; the keeper checks the
code and hands over the goods, keeps the items and their stock. Refusals (库存不足, 余额不足) are messages and change
nothing (the services take stock and points in one transaction)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ningju.core import roles
from ningju.geo.models import Level
from ningju.web.access import attach_errors, module_required, run_action

from .. import selectors
from ..forms import FulfilForm, ItemForm, OrderForm, ShopForm, new_key
from ..models import Item, Order, Shop
from ..services import setup
from ..services import shop as shop_services
from .common import (
    back,
    default_of,
    form_errors,
    keeping_orgs,
    keeps_a_shop,
    kept_shops,
    path_prefixes,
    staff_nav,
    visible_logins,
)

# --- villagers -----------------------------------------------------------------------------------------


def _shops_for(accounts) -> list[tuple[Shop, list]]:
    """The shops of the villages of the user's accounts, each with the accounts that may order there."""
    out: dict[int, tuple[Shop, list]] = {}
    for acc in accounts:
        for shop in Shop.objects.filter(division_path__in=path_prefixes(acc.division_path)).order_by("pk"):
            out.setdefault(shop.pk, (shop, []))[1].append(acc)
    return list(out.values())


@module_required(roles.M_POINTS_MY)
def shop(request):
    user = request.user
    accounts = list(selectors.my_accounts(user=user))
    shops = []
    for s, accs in _shops_for(accounts):
        items = list(selectors.shop_items(shop=s))
        richest = max((a.balance for a in accs), default=0)
        for item in items:
            item.key = new_key()  # one request key per order form: a double tap orders once
            item.affordable = item.price <= richest
        shops.append({"shop": s, "accounts": accs, "items": items})
    orders = selectors.orders(user=user).select_related("item__shop")[:30]
    return render(request, "points/shop.html", {
        "accounts": accounts, "shops": shops, "orders": orders, "keeper": keeps_a_shop(user)})


@module_required(roles.M_POINTS_MY)
@require_POST
def order(request):
    user = request.user
    form = OrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("points:shop")
    data = form.cleaned_data
    item = Item.objects.select_related("shop").filter(pk=data["item"]).first()
    accounts = [a for a in selectors.my_accounts(user=user)
                if item is not None and a.division_path.startswith(item.shop.division_path)]
    if not accounts:
        raise Http404("商品不存在")
    account = next((a for a in accounts if a.pk == data["account"]), accounts[0])
    again = Order.objects.filter(client_key=data["key"]).exists()
    try:
        placed = shop_services.place(actor=user, account=account, item=item, quantity=data["quantity"],
                                     client_key=data["key"])
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        if again:
            messages.info(request, f"该兑换已经提交过,没有重复兑换。取货码 {placed.pickup_code}")
        else:
            messages.success(request, f"兑换成功:{item.name}×{placed.quantity},扣{placed.points}分。"
                                      f"取货码 {placed.pickup_code},请到{item.shop.name}出示取货码领取。")
    return redirect(reverse("points:shop") + "#my-orders")


def _order_for(request, pk) -> Order:
    """An order the user may act on: their own, or one of a shop they keep or manage."""
    user = request.user
    q = Q(pk__in=Order.objects.visible_to(user).values("pk")) | Q(item__shop__keepers=user)
    found = Order.objects.filter(q, pk=pk).select_related("item__shop", "account").first()
    if found is None:
        raise Http404("订单不存在")
    return found


@login_required
@require_POST
def order_cancel(request, pk):
    user = request.user
    if not (user.can(roles.M_POINTS_MY) or user.can(roles.M_POINTS_MANAGE) or keeps_a_shop(user)):
        raise PermissionDenied("当前角色无权使用该功能")
    o = _order_for(request, pk)
    run_action(request, lambda: shop_services.cancel(actor=user, order=o),
               f"已取消兑换:{o.item.name}×{o.quantity},{o.points}分已退回,库存已恢复")
    return back(request, "points:shop")


# --- keepers -------------------------------------------------------------------------------------------

def _may_keep(user) -> bool:
    return user.can(roles.M_POINTS_MANAGE) or keeps_a_shop(user)


def _managed_shop(request, pk) -> Shop:
    if not _may_keep(request.user):
        raise PermissionDenied("当前角色无权使用该功能")
    found = kept_shops(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("积分超市不存在")
    return found


ORDER_TABS = [("placed", "待领取"), ("fulfilled", "已领取"), ("cancelled", "已取消"), ("all", "全部")]


@login_required
def shop_manage(request):
    user = request.user
    if not _may_keep(user):
        raise PermissionDenied("当前角色无权使用该功能")
    shops = list(kept_shops(user))
    current = next((s for s in shops if str(s.pk) == request.GET.get("shop", "")), shops[0] if shops else None)
    status = request.GET.get("status", "placed")
    status = status if status in dict(ORDER_TABS) else "placed"
    ctx = {"shops": shops, "current": current, "status": status, "tabs": ORDER_TABS,
           "staff_nav": staff_nav(user, "points:shop_manage") if user.can(roles.M_POINTS) else [],
           "can_create": user.can(roles.M_POINTS_MANAGE)}
    if current is not None:
        orders = Order.objects.filter(item__shop=current).select_related("account", "item")
        if status != "all":
            orders = orders.filter(status=status)
        ctx.update(items=selectors.shop_items(shop=current, active_only=False),
                   page=Paginator(orders, 30).get_page(request.GET.get("page")),
                   is_keeper=shop_services.is_keeper(user, current), fulfil_form=FulfilForm())
    return render(request, "points/shop_manage.html", ctx)


@login_required
@require_POST
def fulfil(request, pk):
    s = _managed_shop(request, pk)
    form = FulfilForm(request.POST)
    if form.is_valid():
        run_action(request, lambda: shop_services.fulfil(actor=request.user, shop=s,
                                                         pickup_code=form.cleaned_data["pickup_code"]),
                   lambda o: f"核销成功:请交付{o.item.name}×{o.quantity}{o.item.unit}给{o.account.name}")
    else:
        messages.error(request, form_errors(form))
    return redirect(f"{reverse('points:shop_manage')}?shop={s.pk}")


@login_required
def item_edit(request, shop_pk=None, pk=None):
    user = request.user
    if pk:
        item = Item.objects.select_related("shop").filter(pk=pk).first()
        if item is None:
            raise Http404("商品不存在")
        s = _managed_shop(request, item.shop_id)
    else:
        item, s = None, _managed_shop(request, shop_pk)
    initial = {f: getattr(item, f) for f in ("name", "price", "stock", "unit", "active")} if item else {}
    form = ItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = shop_services.item_save(actor=user, shop=s, item=item, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已保存商品“{saved.name}”,库存{saved.stock}{saved.unit}")
            return redirect(f"{reverse('points:shop_manage')}?shop={s.pk}")
    return render(request, "points/form.html", {
        "form": form, "title": f"修改商品:{item.name}" if item else f"上架商品:{s.name}",
        "back_href": f"{reverse('points:shop_manage')}?shop={s.pk}",
        "staff_nav": staff_nav(user, "points:shop_manage") if user.can(roles.M_POINTS) else []},
        status=400 if form.is_bound and form.errors else 200)


@module_required(roles.M_POINTS_MANAGE)
def shop_new(request):
    user = request.user
    orgs = keeping_orgs(user).filter(division__level=Level.VILLAGE)
    form = ShopForm(request.POST or None, organisations=orgs, users=visible_logins(user),
                    initial={"organisation": default_of(user, list(orgs[:200]))})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = setup.shop_create(actor=user, organisation=data["organisation"], name=data["name"],
                                        keepers=[data["keeper"]] if data["keeper"] else [],
                                        address=data["address"], hours=data["hours"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已设立{created.name}")
            return redirect(f"{reverse('points:shop_manage')}?shop={created.pk}")
    return render(request, "points/form.html", {
        "form": form, "title": "设立积分超市", "back_url": "points:shop_manage",
        "staff_nav": staff_nav(user, "points:shop_manage")}, status=400 if form.is_bound and form.errors else 200)
