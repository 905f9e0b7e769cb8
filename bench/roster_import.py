"""Benchmark: roster import (花名册导入) against the naive one-row-at-a-time import.

    .venv/bin/python bench/roster_import.py [--rows 100000] [--naive-rows 2000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/roster_import.py

It never touches the project's database: with a PostgreSQL DATABASE_URL it creates a fresh database
``ningju_bench`` on that server (and drops it at the end); otherwise it uses a temporary SQLite file.
It migrates it, builds a minimal division/organisation tree and a district organisation department
account, generates a roster .xlsx with valid ID numbers, then measures

  (a) naive: the rows parsed, then one ``people.services.person_create`` per row (each its own
      transaction with its audit entry and coverage refresh, as a row-by-row importer would do);
  (b) ours: ``rosters.services.roster_import`` on the whole file (parse, check, write);
  (c) ours again on the same file (every row unchanged),
  (d) ours on an updated file (every row's phone changed: 100,000 updates and audit entries),

and prints rows per second and the ratio (b)/(a).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

BENCH_DB = "ningju_bench"
PASSWORD = "Bench#Pass2026"


def _prepare_database() -> tuple[str, callable]:
    """Point DATABASE_URL at a throw-away database; returns its description and a clean-up function."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(scheme="postgresql"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + BENCH_DB))

        def drop():
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")

        return f"PostgreSQL ({parts.hostname}:{parts.port or 5432}/{BENCH_DB})", drop
    tmp = tempfile.TemporaryDirectory(prefix="ningju-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"

    def remove():
        from django.db import connections

        connections.close_all()
        tmp.cleanup()

    return "SQLite (temporary file, WAL)", remove


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ningju.settings")
    os.environ.setdefault("NINGJU_DEBUG", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _build_tree():
    from ningju.accounts import services as account_services
    from ningju.geo.models import Division, Level
    from ningju.orgs import services as org_services
    from ningju.orgs.models import Industry, Kind

    def division(code, name, level, parent=None):
        path = (parent.path if parent else "") + code + "/"
        return Division.objects.create(code=code, name=name, level=level, parent=parent, path=path)

    city = division("410800000000", "焦作市", Level.CITY)
    county = division("410882000000", "沁阳市", Level.COUNTY, city)
    town = division("410882001000", "覃怀街道", Level.TOWN, county)
    village = division("410882001001", "东关社区", Level.VILLAGE, town)

    def org(**kw):
        return org_services.organisation_create(actor=None, source="bench", **kw)

    committee = org(name="沁阳市委", kind=Kind.PARTY_COMMITTEE, division=county)
    department = org(name="沁阳市委组织部", kind=Kind.ORG_DEPARTMENT, division=county, parent=committee)
    market = org(name="沁阳市市场监管局", kind=Kind.INDUSTRY_DEPARTMENT, division=county, parent=committee)
    enterprise = org(name="外卖平台沁阳站", kind=Kind.PLATFORM_ENTERPRISE, industry=Industry.FOOD_DELIVERY,
                     division=county, parent=market)
    station = org(name="外卖覃怀站", kind=Kind.STATION, industry=Industry.FOOD_DELIVERY, division=town,
                  parent=enterprise)
    naive_station = org(name="外卖东关站", kind=Kind.STATION, industry=Industry.FOOD_DELIVERY, division=town,
                        parent=enterprise)
    user = account_services.user_create(actor=None, phone="13700009999", name="基准测试", password=PASSWORD,
                                        role="district_org", organisation=department, source="bench")
    return user, station, naive_station, village


def _rows(start: int, count: int, village_code: str):
    """Valid, distinct roster rows: ID numbers from (birth date, sequence), phones from the index."""
    from ningju.core import idcard
    from ningju.people.models import Occupation, PoliticalStatus

    occupations = [label for _, label in Occupation.choices]
    statuses = [label for _, label in PoliticalStatus.choices]
    base = dt.date(1970, 1, 1)
    for i in range(start, start + count):
        birth = base + dt.timedelta(days=i // 1000)
        yield [f"工人{i}", idcard.make("410882", birth, i % 1000), f"139{i:08d}", occupations[i % 4],
               statuses[(i // 7) % 4], 44927 + i % 700, village_code]


def _write_xlsx(rows, total: int, progress, task) -> bytes:
    import xlsxwriter

    from ningju.rosters.parsing import COLUMN_NAMES

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("花名册")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for c, name in enumerate(COLUMN_NAMES):
        sheet.write_string(0, c, name)
    for r, values in enumerate(rows, start=1):
        for c in range(5):
            sheet.write_string(r, c, values[c])
        sheet.write_number(r, 5, values[5], date)
        sheet.write_string(r, 6, values[6])
        if r % 5000 == 0:
            progress.update(task, completed=r)
    progress.update(task, completed=total)
    book.close()
    return buf.getvalue()


def _naive(content: bytes, *, actor, organisation) -> int:
    """The straightforward importer: parse, then one person_create per row, each in its own transaction."""
    from ningju.geo.models import Division
    from ningju.people import services as people_services
    from ningju.people.models import Occupation, PoliticalStatus
    from ningju.rosters.parsing import parse
    from ningju.rosters.validation import parse_date

    occupations = {label: value for value, label in Occupation.choices}
    statuses = {label: value for value, label in PoliticalStatus.choices}
    table = parse(content, "naive.xlsx")
    today = dt.date.today()
    for _, (name, id_number, phone, occupation, status, since, home) in table.rows:
        people_services.person_create(
            actor=actor, source="bench", name=name, id_number=id_number, phone=phone,
            occupation=occupations[occupation], political_status=statuses[status], employer=organisation,
            home_division=Division.objects.get(code=home), employed_since=parse_date(since, today=today))
    return len(table.rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the roster file (our import)")
    parser.add_argument("--naive-rows", type=int, default=2_000, help="rows imported one at a time (baseline)")
    parser.add_argument("--profile", metavar="FILE", help="write cProfile statistics of run (b) to FILE")
    args = parser.parse_args()

    database, cleanup = _prepare_database()
    try:
        return _run(args, database)
    finally:
        cleanup()


def _run(args, database: str) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console()
    console.print(f"[bold]花名册导入基准[/bold] · {database} · {args.rows:,} 行 / 逐行基线 {args.naive_rows:,} 行")
    _setup_django()
    from django.db import connection

    from ningju.people.models import Person
    from ningju.rosters import services
    from ningju.rosters.models import RosterImport

    user, station, naive_station, village = _build_tree()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("生成花名册 .xlsx", total=args.rows)
        content = _write_xlsx(_rows(0, args.rows, village.code), args.rows, progress, task)
        task = progress.add_task("生成更新版花名册(每人换手机号)", total=args.rows)
        changed = _write_xlsx(([*r[:2], "138" + r[2][3:], *r[3:]] for r in _rows(0, args.rows, village.code)),
                              args.rows, progress, task)
        task = progress.add_task("生成逐行基线文件", total=args.naive_rows)
        naive_content = _write_xlsx(_rows(10_000_000, args.naive_rows, village.code), args.naive_rows, progress,
                                    task)
    console.print(f"文件:{len(content) / 1024 / 1024:.1f} MB")

    console.print(f"(a) 逐行导入 {args.naive_rows:,} 行(person_create)……")
    t0 = time.perf_counter()
    naive_n = _naive(naive_content, actor=user, organisation=naive_station)
    naive_s = time.perf_counter() - t0

    names = {"read": "读取", "validate": "校验", "write": "写入"}

    def run_import(label: str, data: bytes):
        with Progress(*columns, console=console) as progress:
            tasks: dict[str, int] = {}

            def report(phase, done, total):
                if phase not in tasks:
                    tasks[phase] = progress.add_task(f"{label} · {names.get(phase, phase)}", total=max(total, 1))
                progress.update(tasks[phase], completed=done, total=max(total, 1))

            profiler = cProfile.Profile() if args.profile and label.startswith("(b)") else None
            t = time.perf_counter()
            if profiler:
                profiler.enable()
            record = services.roster_import(actor=user, organisation=station, file_name="bench.xlsx",
                                            content=data, source="bench", progress=report)
            elapsed = time.perf_counter() - t
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
            return record, elapsed

    ours, ours_s = run_import("(b) 本模块导入", content)
    assert ours.status == RosterImport.Status.SUCCEEDED, ours.errors[:5]
    assert ours.created_count == args.rows and Person.objects.filter(employer=station).count() == args.rows
    again, again_s = run_import("(c) 同一文件再次导入", content)
    assert again.status == RosterImport.Status.SUCCEEDED and again.unchanged_count == args.rows
    updated, updated_s = run_import("(d) 更新版导入", changed)
    assert updated.status == RosterImport.Status.SUCCEEDED and updated.updated_count == args.rows
    assert Person.objects.filter(employer=station).count() == args.rows

    naive_rate, ours_rate, again_rate = naive_n / naive_s, args.rows / ours_s, args.rows / again_s
    table = Table(title=f"花名册导入 · {connection.vendor} · {database}")
    for col in ("方式", "行数", "耗时(秒)", "行/秒"):
        table.add_column(col, justify="right" if col != "方式" else "left")
    table.add_row("(a) 逐行 person_create", f"{naive_n:,}", f"{naive_s:.2f}", f"{naive_rate:,.0f}")
    table.add_row("(b) roster_import(新增)", f"{args.rows:,}", f"{ours_s:.2f}", f"{ours_rate:,.0f}")
    table.add_row("(c) roster_import(同一文件,全部未变)", f"{args.rows:,}", f"{again_s:.2f}", f"{again_rate:,.0f}")
    table.add_row("(d) roster_import(每人手机号变更)", f"{args.rows:,}", f"{updated_s:.2f}",
                  f"{args.rows / updated_s:,.0f}")
    console.print(table)
    console.print(f"倍数 (b)/(a):[bold]{ours_rate / naive_rate:,.1f}×[/bold];"
                  f"{args.rows:,} 行用时 {ours_s:.1f} 秒")
    console.print(f"机器负载(1/5/15 分钟):{' / '.join(f'{x:.2f}' for x in os.getloadavg())},CPU {os.cpu_count()} 核")
    return 0


if __name__ == "__main__":
    sys.exit(main())
