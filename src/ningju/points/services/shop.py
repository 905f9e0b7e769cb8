"""The village points shop (积分超市): order → pickup code → the keeper hands over; cancelling refunds.

Stock and points are each taken in one guarded statement (``stock = stock - q WHERE stock >= q``, and the
ledger's balance guard), inside one transaction: an order that cannot have both has neither, and a hundred
simultaneous orders for an item with stock 10 give exactly 10 orders.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ningju.core import audit

from ..models import Account, EntryKind, Item, Order, Shop
from .ledger import append, may_manage

A_ORDERED = audit.register_action("points.order.placed", "积分兑换下单")
A_FULFILLED = audit.register_action("points.order.fulfilled", "积分兑换领取")
A_CANCELLED = audit.register_action("points.order.cancelled", "积分兑换取消")
A_ITEM = audit.register_action("points.item.saved", "保存兑换商品")

MAX_QUANTITY = 20


def is_keeper(user, shop: Shop) -> bool:
    return bool(getattr(user, "pk", None)) and shop.keepers.filter(pk=user.pk).exists()


def _may_order_for(actor, account: Account, shop: Shop) -> bool:
    return (getattr(actor, "pk", None) is not None and account.user_id == actor.pk) or is_keeper(actor, shop) \
        or may_manage(actor, account)


def place(*, actor, account: Account, item: Item, quantity: int, client_key: str,
          at: dt.datetime | None = None) -> Order:
    """Order ``quantity`` of ``item`` for ``account``; the same client key orders once."""
    client_key = (client_key or "").strip()[:64]
    if not client_key:
        raise ValidationError("缺少请求标识,请刷新页面后重试")
    found = Order.objects.filter(client_key=client_key).first()
    if found is not None:
        if found.account_id != account.pk:
            raise ValidationError("请求标识重复,请刷新页面后重试")
        return found
    try:
        with transaction.atomic():
            return _place(actor=actor, account=account, item=item, quantity=quantity, client_key=client_key,
                          at=at or timezone.now())
    except IntegrityError:
        found = Order.objects.filter(client_key=client_key, account=account).first()
        if found is None:
            raise
        return found


def _place(*, actor, account, item, quantity, client_key, at) -> Order:
    item = Item.objects.select_related("shop").get(pk=item.pk)
    shop = item.shop
    if not _may_order_for(actor, account, shop):
        raise PermissionDenied("只能为自己的积分账户兑换")
    if not account.division_path.startswith(shop.division_path):
        raise ValidationError({"item": "只能在本村(社区)的积分超市兑换"})
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError({"quantity": f"数量应为1至{MAX_QUANTITY}的整数"})
    if not item.active:
        raise ValidationError({"item": "该商品已下架"})
    if not Item.objects.filter(pk=item.pk, stock__gte=quantity).update(stock=F("stock") - quantity):
        left = Item.objects.filter(pk=item.pk).values_list("stock", flat=True).first()
        raise ValidationError({"quantity": f"库存不足:“{item.name}”剩余{left}{item.unit}"})
    cost = item.price * quantity
    entry, _ = append(account=account, kind=EntryKind.REDEEM, amount=-cost, reason=f"兑换{item.name}×{quantity}",
                      key=f"order:{client_key}", occurred_on=timezone.localtime(at).date(), actor=actor,
                      source_type="points.order", source_id=client_key, at=at)
    order = Order.objects.create(account=account, item=item, quantity=quantity, points=cost,
                                 pickup_code=f"{secrets.randbelow(10**6):06d}", client_key=client_key,
                                 redeem_entry=entry, placed_by=actor if getattr(actor, "pk", None) else None,
                                 placed_at=at, division_path=account.division_path, org_path=account.org_path)
    audit.record(actor=actor, action=A_ORDERED, obj=order, after=audit.snapshot(order))
    return order


@transaction.atomic
def fulfil(*, actor, shop: Shop, pickup_code: str, at: dt.datetime | None = None) -> Order:
    """The keeper checks the villager's pickup code and hands over the goods."""
    if not is_keeper(actor, shop):
        raise PermissionDenied("只有本超市的管理员可以核销")
    code = (pickup_code or "").strip()
    order = (Order.objects.select_for_update().filter(item__shop=shop, pickup_code=code, status=Order.Status.PLACED)
             .select_related("item", "account").first())
    if order is None:
        raise ValidationError({"pickup_code": "取货码不正确,或该订单已领取/已取消"})
    before = audit.snapshot(order)
    order.status, order.fulfilled_by, order.fulfilled_at = Order.Status.FULFILLED, actor, at or timezone.now()
    order.save(update_fields=["status", "fulfilled_by", "fulfilled_at"])
    audit.record(actor=actor, action=A_FULFILLED, obj=order, before=before, after=audit.snapshot(order))
    return order


@transaction.atomic
def cancel(*, actor, order: Order, at: dt.datetime | None = None) -> Order:
    """Cancel an order not yet picked up: the points come back (a refund entry) and so does the stock."""
    at = at or timezone.now()
    order = Order.objects.select_for_update().select_related("item__shop", "account").get(pk=order.pk)
    if not _may_order_for(actor, order.account, order.item.shop):
        raise PermissionDenied("无权取消该订单")
    if order.status != Order.Status.PLACED:
        raise ValidationError(f"订单{order.get_status_display()},不能取消")
    refund, _ = append(account=order.account, kind=EntryKind.REFUND, amount=order.points,
                       reason=f"取消兑换{order.item.name}×{order.quantity}", key=f"refund:{order.pk}",
                       occurred_on=timezone.localtime(at).date(), actor=actor, source_type="points.order",
                       source_id=str(order.pk), at=at)
    Item.objects.filter(pk=order.item_id).update(stock=F("stock") + order.quantity)
    before = audit.snapshot(order)
    order.status, order.cancelled_at, order.refund_entry = Order.Status.CANCELLED, at, refund
    order.save(update_fields=["status", "cancelled_at", "refund_entry"])
    audit.record(actor=actor, action=A_CANCELLED, obj=order, before=before, after=audit.snapshot(order))
    return order


@transaction.atomic
def item_save(*, actor, shop: Shop, name: str, price: int, stock: int, unit: str = "件", active: bool = True,
              item: Item | None = None) -> Item:
    if not (is_keeper(actor, shop) or may_manage(actor, shop)):
        raise PermissionDenied("只有本超市的管理员可以维护商品")
    for label, value, low in (("price", price, 1), ("stock", stock, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValidationError({label: "所需积分应为正整数" if label == "price" else "库存应为不小于0的整数"})
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationError({"name": "请填写商品名称(60字以内)"})
    before = audit.snapshot(item) if item else None
    if item is None:
        item = Item(shop=shop)
    elif item.shop_id != shop.pk:
        raise ValidationError("商品不属于该超市")
    item.name, item.price, item.stock, item.unit, item.active = name, price, stock, (unit or "件")[:10], active
    item.save()
    audit.record(actor=actor, action=A_ITEM, obj=item, before=before, after=audit.snapshot(item))
    return item
