"""Benchmark: points (积分) at 100,000 accounts and 10,000,000 ledger entries in one county, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/points_scale.py
    (options: --accounts 100000 --entries 10000000 --runs 30 --workers 90 --orders 100 --stock 10
     --db ningju_pbench --keep)

It never touches the project's database: it (re)creates the database ``--db`` (default ``ningju_pbench``) on the
server of DATABASE_URL, migrates it, imports the shipped divisions and builds 山阳区's organisations (the county's
organisation department, a Party committee per town, a branch per village) through ``orgs.services``. Then it
writes ``--accounts`` household accounts spread over the county's villages (``points_household`` and
``points_account``) and ``--entries`` entries over the last two years with COPY (psycopg's ``cursor.copy``),
bypassing the services but following their rules: earnings and deductions under the village's rulebook, spending
(兑换) and refunds only while the balance allows, a few reversals; each account's ``balance`` is the sum of its
entries and ``points_periodtotal`` holds the per-month and per-year sums the ledger service keeps (what
``check_points`` compares). Secondary indexes are dropped during the load and built afterwards, then
VACUUM ANALYZE; the consistency of balances and period sums with the entries is then checked in SQL.

Measured, over ``--runs`` runs each (different months / years):

  (a) ``selectors.county_board`` (top 50) for the county and a month, and for a year — from the period sums;
  (b) in the same run, the same board as a plain ``SUM`` over ``points_entry`` grouped by account for the same
      county and period (checked to give the same rows);
  (c) concurrency: ``--orders`` simultaneous orders from ``--workers`` threads, each with its own database
      connection, through ``points.services.shop.place`` for one item with stock ``--stock``: exactly ``--stock``
      succeed, the stock ends at 0 and every balance equals its ledger.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from benchdb import admin_url, machine_line, prepare_database, raw_connection, setup_django  # noqa: E402

DIVISIONS_CSV = ROOT / "src" / "ningju" / "geo" / "data" / "jiaozuo.csv"
COUNTY = "410811000000"  # 山阳区
PASSWORD = "Bench@2026xyz"
YEARS = 2
# Household rulebook: (category, name, points); the kinds of entries per 100 and their amounts.
RULES = [("study", "参加农民夜校学习", 2), ("activity", "参加村集体活动", 3), ("volunteer", "参加志愿服务", 5),
         ("sanitation", "庭院整洁(月度评比)", 5), ("filial", "孝老爱亲事迹", 10), ("civility", "红白事简办", 10),
         ("sanitation", "乱堆乱放", -5), ("civility", "焚烧秸秆、垃圾", -10)]
ENTRY_COLUMNS = ("id, account_id, kind, amount, reason, rule_id, source_type, source_id, idempotency_key, "
                 "reverses_id, occurred_on, approved_by_id, created_by_id, created_at, division_path, org_path")








def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


# --- the county ------------------------------------------------------------------------------------------

def build_county(console):
    from ningju.accounts import services as account_services
    from ningju.geo.models import Division, Level
    from ningju.geo.services import divisions_import, read_rows
    from ningju.orgs import services as org_services
    from ningju.orgs.models import Kind
    from ningju.points.services import setup

    divisions_import(actor=None, rows=read_rows(DIVISIONS_CSV.read_text(encoding="utf-8")), source="bench")
    county = Division.objects.get(code=COUNTY)
    top = org_services.organisation_create(actor=None, source="bench", name="中共焦作市山阳区委员会",
                                           kind=Kind.PARTY_COMMITTEE, division=county)
    towns = {}
    for town in Division.objects.filter(parent=county, level=Level.TOWN).order_by("code"):
        towns[town.pk] = org_services.organisation_create(actor=None, source="bench", name=f"中共{town.name}委员会",
                                                          kind=Kind.PARTY_COMMITTEE, division=town, parent=top)
    branches = []
    for village in Division.objects.filter(path__startswith=county.path, level=Level.VILLAGE).order_by("code"):
        branches.append(org_services.organisation_create(actor=None, source="bench", name=f"{village.name}党支部",
                                                         kind=Kind.BRANCH, division=village,
                                                         parent=towns[village.parent_id]))
    first = branches[0]
    sec = account_services.user_create(actor=None, phone="13900000001", name="积分管理员", password=PASSWORD,
                                       role="village_secretary", organisation=first, source="bench")
    rules = {}
    for branch in branches:
        book = setup.rulebook_save(actor=_superuser(), organisation=branch, name=f"{branch.name}乡村积分管理办法",
                                   applies_to="household")
        rules[branch.pk] = [setup.rule_save(actor=_superuser(), rulebook=book, category=c, name=n, points=p)
                            for c, n, p in RULES]
    console.print(f"  county: {len(towns)} towns, {len(branches)} villages")
    return county, branches, rules, sec


_SU = None


def _superuser():
    global _SU
    if _SU is None:
        from ningju.accounts import services as account_services

        _SU = account_services.user_create(actor=None, phone="13900000000", name="管理员", password=PASSWORD,
                                           is_superuser=True, source="bench")
    return _SU


def load_ledger(console, args, county, branches, rules, today: dt.date) -> None:
    """COPY households, accounts, entries and period sums; the balance is the entries' sum."""
    from django.db import connection

    rng = random.Random(args.seed)
    per_account = args.entries // args.accounts
    first_day = today - dt.timedelta(days=365 * YEARS)
    span = (today - first_day).days
    base_ts = dt.datetime.combine(first_day, dt.time(8), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with connection.cursor() as cur:
        tables = "('points_entry', 'points_periodtotal', 'points_account', 'points_household')"
        cur.execute("SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
                    f"WHERE conrelid::regclass::text IN {tables} AND contype = 'u'")
        uniques = cur.fetchall()
        for name, table, _d in uniques:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        cur.execute(f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN {tables} "
                    "AND indexname NOT LIKE '%%_pkey'")
        indexes = cur.fetchall()
        for name, _d in indexes:
            cur.execute(f'DROP INDEX IF EXISTS "{name}"')
    connection.commit() if not connection.get_autocommit() else None

    t0 = time.perf_counter()
    conn_a, conn_e = raw_connection(), raw_connection()
    for c in (conn_a, conn_e):
        c.execute("SET session_replication_role = replica")  # bulk load: FK checks and triggers off
    entry_id = 0
    hh_cols = "id, village_id, number, head_name, members, address, division_path, head_id"
    acc_cols = ("id, kind, organisation_id, person_id, household_id, name, balance, active, user_id, "
                "division_path, org_path, created_at")
    tot_cols = "account_id, period, earned, deducted, org_id_copy, division_path"
    now_iso = dt.datetime.now(dt.UTC).isoformat()
    surnames, given = "王李张刘陈杨赵黄周吴马郭何高罗", "建国秀英春生桂兰志强海军红梅振华德胜玉芳"
    with conn_a.cursor().copy(f"COPY points_household ({hh_cols}) FROM STDIN") as cp:
        for a in range(1, args.accounts + 1):
            b = branches[a % len(branches)]
            name = surnames[a % 15] + given[(a * 7) % 20] + given[(a * 13) % 20]
            cp.write_row((a, b.division_id, f"B{a:07d}", name, 1 + a % 5, "", b.division.path, None))
    totals: dict = {}
    with conn_a.cursor().copy(f"COPY points_account ({acc_cols}) FROM STDIN") as cp_acc, \
            conn_e.cursor().copy(f"COPY points_entry ({ENTRY_COLUMNS}) FROM STDIN") as cp_e:
        for a in range(1, args.accounts + 1):
            b = branches[a % len(branches)]
            dpath, opath = b.division.path, b.path
            earn_rules = [r for r in rules[b.pk] if r.points > 0]
            deduct_rules = [r for r in rules[b.pk] if r.points < 0]
            days = sorted(rng.randrange(span) for _ in range(per_account))
            balance = 0
            last_earn = None
            tot = {}
            for d in days:
                entry_id += 1
                day = first_day + dt.timedelta(days=d)
                created = (base_ts + dt.timedelta(days=d, minutes=rng.randrange(600))).isoformat()
                r = rng.random()
                rule, reverses, kind = None, None, "earn"
                if r < .12 and balance >= 20:
                    amount, kind, reason = -rng.choice((5, 10, 20)), "redeem", "兑换"
                elif r < .16 and balance >= 10:
                    rule = rng.choice(deduct_rules)
                    amount, kind, reason = rule.points, "deduct", rule.name
                elif r < .165 and last_earn is not None and balance >= last_earn[1]:
                    amount, kind, reason, reverses = -last_earn[1], "reversal", "冲正:记错户号", last_earn[0]
                    day = last_earn[2]
                    last_earn = None
                else:
                    rule = rng.choice(earn_rules)
                    amount, reason = rule.points, rule.name
                balance += amount
                cp_e.write_row((entry_id, a, kind, amount, reason, rule.pk if rule else None, "bench", "",
                                f"bench:{entry_id}", reverses, day, None, None, created, dpath, opath))
                if kind == "earn":
                    last_earn = (entry_id, amount, day)
                if kind in ("earn", "deduct", "reversal"):
                    slot = 1 if kind == "deduct" else 0  # reversals here only undo earnings
                    for period in (f"{day:%Y-%m}", f"{day:%Y}"):
                        t = tot.setdefault(period, [0, 0])
                        t[slot] += amount
            cp_acc.write_row((a, "household", b.pk, None, a, f"户{a}", balance, True, None, dpath, opath, now_iso))
            totals[a] = (b.pk, dpath, tot)
            if a % 10000 == 0:
                console.print(f"    {a:,} accounts, {entry_id:,} entries, {time.perf_counter() - t0:.0f} s")
    with conn_a.cursor().copy(f"COPY points_periodtotal ({tot_cols}) FROM STDIN") as cp:
        for a, (org_id, dpath, tot) in totals.items():
            for period, (e, d) in tot.items():
                cp.write_row((a, period, e, d, org_id, dpath))
    conn_a.commit()
    conn_e.commit()
    for c in (conn_a, conn_e):
        c.close()
    console.print(f"  COPY: {args.accounts:,} accounts, {entry_id:,} entries in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        for name, table, definition in uniques:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in indexes:
            cur.execute(definition)
        for table in ("points_household", "points_account", "points_entry"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    connection.commit() if not connection.get_autocommit() else None
    with connection.cursor() as cur:
        for table in ("points_household", "points_account", "points_entry", "points_periodtotal"):
            cur.execute(f"VACUUM ANALYZE {table}")
    console.print(f"  indexes, constraints, VACUUM ANALYZE: {time.perf_counter() - t0:.0f} s")


def check_consistency(console) -> None:
    """What check_points proves, in SQL: balances = sums of entries; period sums = sums of entries."""
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM points_account a LEFT JOIN (SELECT account_id, sum(amount) s "
                    "FROM points_entry GROUP BY account_id) e ON e.account_id = a.id "
                    "WHERE a.balance <> coalesce(e.s, 0)")
        bad_balances = cur.fetchone()[0]
        cur.execute("""
            WITH e AS (
              SELECT x.account_id, p.period,
                     sum(CASE WHEN coalesce(r.kind, x.kind) = 'earn' THEN x.amount ELSE 0 END) earned,
                     sum(CASE WHEN coalesce(r.kind, x.kind) = 'deduct' THEN x.amount ELSE 0 END) deducted
              FROM points_entry x LEFT JOIN points_entry r ON r.id = x.reverses_id
              CROSS JOIN LATERAL (VALUES (to_char(x.occurred_on, 'YYYY-MM')), (to_char(x.occurred_on, 'YYYY')))
                   p(period)
              WHERE x.kind IN ('earn', 'deduct', 'reversal') GROUP BY 1, 2)
            SELECT count(*) FROM e FULL JOIN points_periodtotal t ON t.account_id = e.account_id
                   AND t.period = e.period
            WHERE coalesce(e.earned, 0) <> coalesce(t.earned, 0) OR coalesce(e.deducted, 0) <> coalesce(t.deducted, 0)
        """)
        bad_totals = cur.fetchone()[0]
    console.print(f"  consistency: {bad_balances} balances and {bad_totals} period sums differ from the entries "
                  f"({time.perf_counter() - t0:.0f} s)")
    assert bad_balances == 0 and bad_totals == 0


PLAIN_SUM = """
SELECT e.account_id, a.name,
       sum(CASE WHEN coalesce(r.kind, e.kind) = 'earn' THEN e.amount ELSE 0 END) AS earned,
       sum(CASE WHEN coalesce(r.kind, e.kind) = 'deduct' THEN e.amount ELSE 0 END) AS deducted
FROM points_entry e JOIN points_account a ON a.id = e.account_id
LEFT JOIN points_entry r ON r.id = e.reverses_id
WHERE e.division_path LIKE %s AND e.occurred_on BETWEEN %s AND %s AND e.kind IN ('earn', 'deduct', 'reversal')
GROUP BY e.account_id, a.name
ORDER BY sum(e.amount) DESC, e.account_id LIMIT 50
"""


def measure_boards(console, args, county, today: dt.date) -> list[tuple]:
    from django.db import connection

    from ningju.points import selectors

    months = []
    d = today.replace(day=1)
    for _ in range(23):
        d = (d - dt.timedelta(days=1)).replace(day=1)
        months.append(d)
    years = [today.year - 1, today.year]
    rows = []
    for label, periods in (("月榜", [(f"{m:%Y-%m}", m, (m + dt.timedelta(days=32)).replace(day=1)
                                      - dt.timedelta(days=1)) for m in months]),
                           ("年榜", [(str(y), dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in years])):
        board_t, plain_t = [], []
        for n in range(args.runs):
            period, start, end = periods[n % len(periods)]
            t0 = time.perf_counter()
            board = selectors.county_board(division_path=county.path, period=period, limit=50)
            board_t.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            with connection.cursor() as cur:
                cur.execute(PLAIN_SUM, [county.path + "%", start, end])
                plain = cur.fetchall()
            plain_t.append((time.perf_counter() - t0) * 1000)
            if n < len(periods):
                got = [(r.earned + r.deducted) for r in board]
                want = [e + dd for _a, _n, e, dd in plain]
                assert got == want, (period, got[:5], want[:5])
        rows.append((f"county_board {label} (PeriodTotal)", statistics.median(board_t), pct(board_t, 95)))
        rows.append((f"plain SUM over points_entry {label}", statistics.median(plain_t), pct(plain_t, 95)))
    return rows


def concurrency(console, args, branches, sec) -> dict:
    """``--orders`` orders at once from ``--workers`` threads (own connections) for an item with ``--stock``."""
    from django.core.exceptions import ValidationError
    from django.db import connection, connections

    from ningju.points.models import Account, Order
    from ningju.points.services import setup, shop

    village_org = sec.organisation
    s = setup.shop_create(actor=sec, organisation=village_org, name="积分超市", keepers=[sec])
    item = shop.item_save(actor=sec, shop=s, name="食用油(5升)", price=10, stock=args.stock, unit="桶")
    accounts = list(Account.objects.filter(organisation=village_org, balance__gte=10).order_by("pk")[:args.orders])
    assert len(accounts) == args.orders, "not enough accounts in the village"
    before = {a.pk: a.balance for a in accounts}
    connection.close()
    barrier = threading.Barrier(min(args.workers, args.orders))
    results = []

    def one(n: int):
        try:
            if n < args.workers:
                barrier.wait(timeout=60)
            try:
                shop.place(actor=sec, account=accounts[n], item=item, quantity=1, client_key=uuid.uuid4().hex)
                return "ok"
            except ValidationError:
                return "refused"
        finally:
            connections.close_all()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(one, range(args.orders)))
    elapsed = time.perf_counter() - t0
    ok = results.count("ok")
    item.refresh_from_db()
    orders = Order.objects.filter(item=item).count()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM points_account a JOIN (SELECT account_id, sum(amount) s FROM points_entry "
                    "WHERE account_id = ANY(%s) GROUP BY account_id) e ON e.account_id = a.id "
                    "WHERE a.balance <> e.s", [list(before)])
        bad = cur.fetchone()[0]
    spent = sum(before[a.pk] - a.balance for a in Account.objects.filter(pk__in=list(before)))
    console.print(f"  concurrency: {args.orders} orders from {args.workers} threads: {ok} placed, "
                  f"{results.count('refused')} refused (库存不足), {orders} orders, stock left {item.stock}, "
                  f"{spent} points spent, {bad} balances differ from the ledger ({elapsed:.1f} s)")
    assert ok == args.stock == orders and item.stock == 0 and bad == 0 and spent == 10 * args.stock
    return {"ok": ok, "refused": results.count("refused"), "stock": item.stock, "bad": bad, "seconds": elapsed}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--workers", type=int, default=90)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--stock", type=int, default=10)
    parser.add_argument("--db", default="ningju_pbench")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    prepare_database(args.db, keep=False)
    setup_django()
    from django.core.management import call_command
    from django.db import transaction
    from django.test.utils import override_settings
    from django.utils import timezone
    from rich.console import Console
    from rich.table import Table

    console = Console(width=150)
    console.print(machine_line())
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        with transaction.atomic():
            county, branches, rules, sec = build_county(console)
        load_ledger(console, args, county, branches, rules, today)
        check_consistency(console)
        board_rows = measure_boards(console, args, county, today)
        conc = concurrency(console, args, branches, sec)
    table = Table(title=f"{args.accounts:,} accounts, {args.entries:,} entries, {args.runs} runs each")
    for col in ("query", "p50 ms", "p95 ms"):
        table.add_column(col)
    for name, p50, p95 in board_rows:
        table.add_row(name, f"{p50:.1f}", f"{p95:.1f}")
    console.print(table)
    console.print(f"concurrency: {conc}")
    console.print(f"total {time.perf_counter() - started:.0f} s")
    if not args.keep:
        from django.db import connections

        connections.close_all()
        import psycopg

        with psycopg.connect(admin_url()[0], autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")


if __name__ == "__main__":
    main()
