"""Simultaneous orders: stock never below zero, points never below zero, balances equal the ledger."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Sum

from ningju.points.models import Account, Entry, Item, Order
from ningju.points.services import ledger, setup, shop

from .conftest import AT, DAY

THREADS = 50          # PostgreSQL's default max_connections is 100; each thread holds one
ORDERS_PER_THREAD = 2  # 100 orders in all, all threads released at once


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL only")
def test_hundred_simultaneous_orders_for_stock_ten(zhongma):
    w = zhongma
    # Twenty households with 30 points each; an item of 10 points with stock 10.
    accounts = []
    for n in range(20):
        h = setup.household_create(actor=w.user["sec"], village=w.div["zhongma"], number=f"C{n:03d}",
                                   head_name=f"测试户{n}")
        acc = setup.account_open(actor=w.user["sec"], organisation=w.org["zhongma"], household=h)
        ledger.award(actor=w.user["sec"], account=acc, rule=w.rule["filial"], occurred_on=DAY, times=3,
                     idempotency_key=f"seed-{n}", at=AT)
        accounts.append(acc)
    item = shop.item_save(actor=w.user["keeper"], shop=w.shop, name="食用油", price=10, stock=10, unit="桶")
    barrier = threading.Barrier(THREADS)
    results = []
    lock = threading.Lock()

    def run(t):
        try:
            barrier.wait()
            for k in range(ORDERS_PER_THREAD):
                acc = accounts[(t * ORDERS_PER_THREAD + k) % len(accounts)]
                try:
                    shop.place(actor=w.user["keeper"], account=acc, item=item, quantity=1, client_key=f"c-{t}-{k}")
                    outcome = "ok"
                except ValidationError as exc:
                    outcome = "refused:" + ";".join(exc.messages)
                with lock:
                    results.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(results) == THREADS * ORDERS_PER_THREAD
    assert results.count("ok") == 10, results
    assert all(r == "ok" or "库存不足" in r for r in results)
    assert Item.objects.get(pk=item.pk).stock == 0
    assert Order.objects.filter(item=item).count() == 10
    for acc in Account.objects.filter(pk__in=[a.pk for a in accounts]):
        assert acc.balance == Entry.objects.filter(account=acc).aggregate(s=Sum("amount"))["s"] >= 0
    assert sum(a.balance for a in Account.objects.filter(pk__in=[a.pk for a in accounts])) == 20 * 30 - 10 * 10
    call_command("check_points")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL only")
def test_one_account_spending_at_once_never_goes_below_zero(zhongma):
    w = zhongma
    acc = w.acct[1]
    ledger.award(actor=w.user["sec"], account=acc, rule=w.rule["filial"], occurred_on=DAY, times=3,
                 idempotency_key="seed", at=AT)  # 30 points
    item = shop.item_save(actor=w.user["keeper"], shop=w.shop, name="毛巾", price=7, stock=100, unit="条")
    barrier = threading.Barrier(20)
    ok = []

    def run(t):
        try:
            barrier.wait()
            shop.place(actor=w.user["keeper"], account=acc, item=item, quantity=1, client_key=f"s-{t}")
            ok.append(t)
        except ValidationError:
            pass
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(t,)) for t in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    acc.refresh_from_db()
    assert len(ok) == 4 and acc.balance == 2  # 4 × 7 = 28 of 30
    assert Item.objects.get(pk=item.pk).stock == 96
    call_command("check_points")
