"""Benchmark: the case engine (诉求/事件/整改) at 1,000,000 cases and 10,000,000 events on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/cases_scale.py
    (options: --cases 1000000 --events-per-case 10 --runs 50 --baseline-runs 10 --check-sample 20000
     --db ningju_cbench --keep --explain --before 0003_reviewer_org)

It never touches the project's database: it (re)creates the database ``--db`` (default ``ningju_cbench``) on the
server of DATABASE_URL, migrates it and builds 焦作市: the shipped divisions (``geo.services.divisions_import``;
沁阳市 and 山阳区 with their real towns and villages) plus 8 towns and 176 villages for each of the other nine
counties, a handling organisation per village (村/居民委员会) and per town (党(工)委), four county departments
(人社局, 交通运输局, 市场监管局, 交警大队) and the organisation department of every county, a login per
organisation, 5,000 worker logins (1,000 of them grid scouts), a seminar per county and month, and the routing
rules of every county (``cases.services.routing_rule_save``).

Then it writes ``--cases`` cases over the last two years with COPY (psycopg's ``cursor.copy``) straight into
``cases_case``, ``cases_caseevent`` and ``cases_supervision``, bypassing the services but following them step by
step: each case is planned as the services would run it (routing by the rules, dispatch from the queue, returns,
transfers, acceptance on time or late, the reminders and 督办 notices ``cases_tick`` raises, extensions, progress
notes, handling, reply, the filer's rating or a call-back, re-opening, merging of duplicates), deadlines from the
deadline rules and the working-day calendar; events after the moment of generation are cut off (so the recent
cases are still open) and the case's columns are replayed from its events with the services' rules. Events are
written in time order (ids grow with time, as in production). Secondary indexes are dropped during the load and
built afterwards, then VACUUM ANALYZE.

A sample of the cases is checked with ``cases.derive`` (what ``manage.py check_cases`` runs), and then, over
``--runs`` runs with varied parameters (different organisations, districts and months), it times

  (a) the handler inbox as the page runs it: ``selectors.inbox`` — page 1 through the Paginator (count + 30 rows)
      and the tab counts — for logins of villages, towns, county departments and county organisation departments,
      and the whole page /cases/inbox/ through Django's test client;
  (b) ``selectors.rates`` for a county and a month as the county organisation department, and the whole figures
      page for it (which adds the groupings by division, category, organisation and month);

against, in the same run, (c) the same queries with the case indexes of ``Case.Meta.indexes`` dropped inside a
transaction that is rolled back, and (d) the three rates derived from ``cases_caseevent`` instead of the columns
the services maintain (checked to give the same numbers). ``--before MIGRATION`` also times the queries with the
case indexes as they were at that migration of the cases app (swapped in inside a rolled-back transaction).
``--keep`` keeps the database and reuses its data on the next run (same --cases and --events-per-case).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import gc
import heapq
import json
import os
import random
import secrets
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from benchdb import (  # noqa: E402
    drop_database,
    machine_line,
    prepare_database,
    raw_connection,
    server_version,
    setup_django,
)

DIVISIONS_CSV = ROOT / "src" / "ningju" / "geo" / "data" / "jiaozuo.csv"
CITY_CODE = "410800000000"
YEARS = 2
TOWNS_SYNTH = 8            # towns made up for the counties the shipped file lists without towns
VILLAGES_SYNTH = 22        # villages per made-up town
WORKERS = 5_000
SCOUTS = 1_000
TZ_OFFSET = 8 * 3600       # Asia/Shanghai, no daylight saving
TICK = 600                 # cases_tick runs every 10 minutes
OUR_INDEXES = None         # filled from Case._meta.indexes


# --- database --------------------------------------------------------------------------------------------









# --- time on the working-day calendar, in epoch seconds --------------------------------------------------

class Clock:
    """Epoch-second versions of ``workdays`` arithmetic, checked against ``Calendar.add_workdays``."""

    def __init__(self, cal, first_day: int, last_day: int):
        self.cal = cal
        self.first = first_day
        n = last_day - first_day + 1
        epoch = dt.date(1970, 1, 1)
        self.is_work = [cal.is_workday(epoch + dt.timedelta(days=first_day + i)) for i in range(n)]
        self.next_work = [0] * n
        nxt = None
        for i in range(n - 1, -1, -1):
            self.next_work[i] = nxt if nxt is not None else i + 1
            if self.is_work[i]:
                nxt = i
        self._iso_days: dict[int, str] = {}
        self._hms = [f"T{h:02d}:{m:02d}:{s:02d}+08:00" for h in range(24) for m in range(60) for s in range(60)]
        self._utc_days: dict[int, str] = {}

    def add_workdays(self, ts: int, n: int) -> int:
        local = ts + TZ_OFFSET
        day, secs = divmod(local, 86400)
        i = day - self.first
        if not self.is_work[i]:
            i, secs = self.next_work[i], 0
        for _ in range(n):
            i = self.next_work[i]
        return (i + self.first) * 86400 + secs - TZ_OFFSET

    def add(self, ts: int, amount: int, unit: str) -> int:
        return ts + amount * 3600 if unit == "hour" else self.add_workdays(ts, amount)

    def iso(self, ts: int) -> str:
        """ISO 8601 in Beijing time, as ``datetime.isoformat()`` writes it for the services' deadlines."""
        day, secs = divmod(ts + TZ_OFFSET, 86400)
        d = self._iso_days.get(day)
        if d is None:
            d = self._iso_days[day] = (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()
        return d + self._hms[secs]

    def utc_ymd(self, ts: int) -> str:
        day = ts // 86400
        d = self._utc_days.get(day)
        if d is None:
            d = self._utc_days[day] = f"{dt.date(1970, 1, 1) + dt.timedelta(days=day):%Y%m%d}"
        return d

    def check(self, rng: random.Random, lo: int, hi: int) -> None:
        from django.utils import timezone

        tz = timezone.get_default_timezone()
        for _ in range(3000):
            ts = rng.randrange(lo, hi)
            n = rng.choice((0, 1, 2, 5, 10, 20))
            want = self.cal.add_workdays(dt.datetime.fromtimestamp(ts, tz), n)
            got = self.add_workdays(ts, n)
            assert int(want.timestamp()) == got, (ts, n, want, got)
            assert want.isoformat() == self.iso(got), (want.isoformat(), self.iso(got))


# --- the city ---------------------------------------------------------------------------------------------

DEPTS = [  # key, name suffix, kind, industry
    ("hr", "人力资源和社会保障局", "gov_department", ""),
    ("transport", "交通运输局", "industry_department", "ride_hailing"),
    ("market", "市场监督管理局", "industry_department", "food_delivery"),
    ("police", "公安局交通警察大队", "gov_department", ""),
]
ROUTING = [  # category code, target: a department key, "org_dept" or "local"
    ("rights", "hr"), ("traffic", "transport"), ("traffic-enforcement", "police"), ("platform", "market"),
    ("life", "local"), ("community", "local"), ("party", "org_dept"), ("opinion", "local"), ("warning", "local"),
    ("emergency", "local"), ("emergency-traffic", "police"),
]
TOWN_PREFIXES = ["城关", "新华", "东城", "西城", "南关", "北关", "青龙", "白马", "金城", "安阳", "清河", "石桥"]
VILLAGE_WORDS = ["东", "西", "南", "北", "前", "后", "上", "下", "大", "小", "新", "老"]
VILLAGE_NAMES = ["王庄", "李村", "张营", "赵寨", "刘庄", "陈沟", "杨楼", "周庄", "吴湾", "孙庄", "马营", "郭村",
                 "何寨", "高庄", "罗村", "宋庄", "韩营", "唐村", "冯庄", "董寨", "程村", "许庄"]


def synthetic_divisions(existing_rows: list[dict]) -> list[dict]:
    """Towns and villages for the counties the shipped file lists without any (valid codes, unique names)."""
    with_towns = {r["parent_code"] for r in existing_rows if r["level"] == "town"}
    rows = []
    for county in [r for r in existing_rows if r["level"] == "county" and r["code"] not in with_towns]:
        c6 = county["code"][:6]
        for t in range(TOWNS_SYNTH):
            street = t < TOWNS_SYNTH // 2
            town_code = f"{c6}{(t + 1) if street else (100 + t):03d}000"
            prefix = TOWN_PREFIXES[t % len(TOWN_PREFIXES)]
            rows.append({"code": town_code, "name": f"{prefix}{'街道' if street else '镇'}", "level": "town",
                         "parent_code": county["code"]})
            for v in range(VILLAGES_SYNTH):
                if street:
                    code, name = f"{town_code[:9]}{v + 1:03d}", f"{prefix}{VILLAGE_WORDS[v % 12]}{v // 12 + 1}社区"
                else:
                    code = f"{town_code[:9]}{200 + v + 1:03d}"
                    name = f"{VILLAGE_WORDS[v % 12]}{VILLAGE_NAMES[v]}村"
                rows.append({"code": code, "name": name, "level": "village", "parent_code": town_code})
    return rows


def b36(n: int) -> str:
    chars, out = "0123456789abcdefghijklmnopqrstuvwxyz", ""
    while True:
        n, r = divmod(n, 36)
        out = chars[r] + out
        if n == 0:
            return out


def build_city(progress, start: dt.date, months: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from ningju.accounts.models import User
    from ningju.cases import services
    from ningju.cases.models import Category, GridMember, Seminar
    from ningju.demo.names import GIVEN, SURNAMES
    from ningju.geo.models import Division, Level
    from ningju.geo.services import divisions_import, read_rows
    from ningju.orgs.models import Organisation

    rng = random.Random(7)
    with transaction.atomic():
        rows = read_rows(DIVISIONS_CSV.read_text(encoding="utf-8"))
        rows += synthetic_divisions(rows)
        t = progress.add_task("行政区划 (divisions_import)", total=len(rows))
        divisions_import(actor=None, rows=rows, source="command", progress=lambda n: progress.update(t, completed=n))
        div = {d.code: d for d in Division.objects.all()}

        # Organisations with explicit ids, paths of base-36 ids as orgs.services writes them.
        orgs: list[Organisation] = []

        def org(name, kind, division, parent=None, industry=""):
            pk = len(orgs) + 1
            o = Organisation(id=pk, name=name, kind=kind, industry=industry, parent=parent, division=division,
                             path=(parent.path if parent else "") + b36(pk) + "/")
            orgs.append(o)
            return o

        city = div[CITY_CODE]
        city_committee = org("中共焦作市委员会", "party_committee", city)
        city_dept = org("中共焦作市委组织部", "org_department", city, city_committee)
        handlers: list[tuple[Organisation, str]] = [(city_dept, "city_org")]
        for county in sorted((d for d in div.values() if d.level == Level.COUNTY), key=lambda d: d.code):
            committee = org(f"中共{county.name}委员会", "party_committee", county, city_committee)
            handlers.append((org(f"中共{county.name}委组织部", "org_department", county, committee), "district_org"))
            for _key, suffix, kind, industry in DEPTS:
                handlers.append((org(f"{county.name}{suffix}", kind, county, committee, industry), "industry_dept"))
            for town in sorted((d for d in div.values() if d.parent_id == county.pk), key=lambda d: d.code):
                suffix = "党工委" if town.name.endswith("街道") else "党委"
                town_org = org(f"中共{town.name}{suffix}", "party_committee", town, committee)
                handlers.append((town_org, "town_secretary"))
                for village in sorted((d for d in div.values() if d.parent_id == town.pk), key=lambda d: d.code):
                    community = village.name.endswith("社区")
                    handlers.append((org(f"{village.name}{'居民委员会' if community else '村民委员会'}",
                                         "community_committee" if community else "village_committee", village,
                                         town_org), "village_secretary"))
        t = progress.add_task("组织", total=len(orgs))
        Organisation.objects.bulk_create(orgs, batch_size=2000)
        progress.update(t, completed=len(orgs))

        # Logins: one per handling organisation, and workers (no password: they are not used to log in here).
        password = make_password(None)

        def name():
            return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

        users = [User(phone=f"139{n:08d}", name=name(), role=role, organisation=o, password=password)
                 for n, (o, role) in enumerate(handlers)]
        users += [User(phone=f"158{n:08d}", name=name(), role="worker", password=password) for n in range(WORKERS)]
        t = progress.add_task("账号", total=len(users))
        User.objects.bulk_create(users, batch_size=2000)
        progress.update(t, completed=len(users))
        villages = [d for d in div.values() if d.level == Level.VILLAGE]
        workers = list(User.objects.filter(role="worker").order_by("pk")[:SCOUTS])
        GridMember.objects.bulk_create([GridMember(user=w, division=rng.choice(villages), role="scout")
                                        for w in workers])

        # Routing rules of every county, and party activities to each town's Party committee (through the service).
        city_user = User.objects.get(role="city_org")
        cats = {c.code: c for c in Category.objects.all()}
        by_key = {}
        for o in orgs:
            if o.kind in ("org_department", "gov_department", "industry_department") and o.division.level == 2:
                key = "org_dept" if o.kind == "org_department" else next(k for k, s, _, _ in DEPTS if
                                                                         o.name.endswith(s))
                by_key[(o.division_id, key)] = o
        town_orgs = {o.division_id: o for o in orgs if o.kind == "party_committee" and o.division.level == 3}
        counties = [d for d in div.values() if d.level == Level.COUNTY]
        towns = [d for d in div.values() if d.level == Level.TOWN]
        t = progress.add_task("分派规则 (routing_rule_save)", total=len(counties) * len(ROUTING) + len(towns))
        for county in counties:
            for code, target in ROUTING:
                services.routing_rule_save(actor=city_user, category=cats[code], division=county,
                                           target="local" if target == "local" else "org",
                                           organisation=None if target == "local" else by_key[(county.pk, target)])
                progress.advance(t)
        for town in towns:
            services.routing_rule_save(actor=city_user, category=cats["party-activity"], division=town,
                                       organisation=town_orgs[town.pk])
            progress.advance(t)

        # A seminar (座谈会) per county and month, organised by the county's organisation department.
        seminars = []
        for county in counties:
            for m in range(months):
                held = _add_months(start, m)
                seminars.append(Seminar(level="county", title=f"{county.name}新就业群体座谈会({held:%Y年%m月})",
                                        held_on=held, place=f"{county.name}党群服务中心", division=county,
                                        organiser=by_key[(county.pk, "org_dept")], attendee_count=30,
                                        attendees="外卖骑手、快递员、网约车司机代表"))
        Seminar.objects.bulk_create(seminars)
        with connection.cursor() as cur:
            cur.execute("SELECT setval(pg_get_serial_sequence('orgs_organisation', 'id'), %s)", [len(orgs)])


def _add_months(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


@dataclass
class Village:
    id: int
    path: str
    name: str
    town_id: int
    committee: int          # organisation id of the village's committee


@dataclass
class County:
    id: int
    code: str
    name: str
    path: str
    villages: list[Village] = field(default_factory=list)
    depts: dict = field(default_factory=dict)         # key → organisation id
    town_orgs: dict = field(default_factory=dict)     # town division id → organisation id
    dispatcher: tuple = ()                            # (user id, audit label) of the organisation department
    seminars: dict = field(default_factory=dict)      # (year, month) → seminar id


@dataclass
class Category_:
    id: int
    code: str
    path: str
    kind: str
    root: str
    emergency: bool
    priority: str


class City:
    """What the generator and the timings need to know about the city, read back from the database."""

    def __init__(self):
        from ningju.accounts.models import User
        from ningju.cases.models import Category, GridMember, RoutingRule, Seminar
        from ningju.cases.services import rules
        from ningju.geo.models import Division, Level
        from ningju.orgs.models import Organisation

        divs = {d.pk: d for d in Division.objects.all()}
        orgs = {o.pk: o for o in Organisation.objects.all()}
        self.org_path = {pk: o.path for pk, o in orgs.items()}
        self.org_name = {pk: o.name for pk, o in orgs.items()}
        self.org_kind = {pk: o.kind for pk, o in orgs.items()}
        self.org_parent = {pk: (o.parent_id or pk) for pk, o in orgs.items()}
        self.handler: dict[int, tuple[int, str]] = {}
        self.users_by_role: dict[str, list[int]] = {}
        workers = []
        for u in User.objects.order_by("pk"):
            self.users_by_role.setdefault(u.role, []).append(u.pk)
            if u.role == "worker":
                workers.append((u.pk, u.audit_label))
            elif u.organisation_id:
                self.handler.setdefault(u.organisation_id, (u.pk, u.audit_label))
        scouts = {g.user_id for g in GridMember.objects.all()}
        self.scouts = [w for w in workers if w[0] in scouts]
        self.workers = [w for w in workers if w[0] not in scouts]

        committees = {o.division_id: pk for pk, o in orgs.items()
                      if o.kind in ("village_committee", "community_committee")}
        self.counties: list[County] = []
        by_id = {}
        for d in sorted((d for d in divs.values() if d.level == Level.COUNTY), key=lambda d: d.code):
            c = County(id=d.pk, code=d.code, name=d.name, path=d.path)
            self.counties.append(c)
            by_id[d.pk] = c
        for pk, o in orgs.items():
            c = by_id.get(o.division_id)
            if c is not None:
                key = "org_dept" if o.kind == "org_department" else next(
                    (k for k, s, _, _ in DEPTS if o.name.endswith(s)), None)
                if key:
                    c.depts[key] = pk
        for pk, o in orgs.items():
            d = divs[o.division_id]
            if o.kind == "party_committee" and d.level == Level.TOWN:
                by_id[d.parent_id].town_orgs[d.pk] = pk
        self.town_paths = {}
        for d in sorted(divs.values(), key=lambda d: d.code):
            if d.level == Level.VILLAGE:
                town = divs[d.parent_id]
                by_id[town.parent_id].villages.append(
                    Village(id=d.pk, path=d.path, name=d.name, town_id=town.pk, committee=committees[d.pk]))
            elif d.level == Level.TOWN:
                self.town_paths[d.pk] = d.path
        for c in self.counties:
            c.dispatcher = self.handler[c.depts["org_dept"]]
        for s in Seminar.objects.all():
            by_id[s.division_id].seminars[(s.held_on.year, s.held_on.month)] = s.pk

        # Categories, deadline rules and routing, computed with the engine's own rule functions.
        self.cats: dict[str, list[Category_]] = {}
        cat_objs = list(Category.objects.select_related("parent"))
        leaves = [c for c in cat_objs if not any(x.parent_id == c.pk for x in cat_objs)]
        self.deadline = {}
        for c in leaves:
            root = c.parent.code if c.parent_id else c.code
            self.cats.setdefault(c.kind, []).append(Category_(id=c.pk, code=c.code, path=c.path, kind=c.kind,
                                                              root=root, emergency=c.is_emergency,
                                                              priority=c.default_priority))
            for priority in ("normal", "urgent", "emergency"):
                r = rules.deadline_rule(c, priority) or rules.deadline_rule(c, "normal")
                self.deadline[(c.pk, priority)] = (r.accept_amount, r.accept_unit, r.reply_amount, r.reply_unit)
        from ningju.cases.models import Case

        self.route: dict[tuple[int, int], tuple[int | None, int]] = {}  # (category, town) → (org or None=local, rule)
        for c in leaves:
            if c.kind == "rectification":
                continue
            for town_id, town_path in self.town_paths.items():
                probe = Case(category_path=c.path, division_path=town_path)
                rule = rules.matching_rule(probe)
                if rule is not None:
                    self.route[(c.pk, town_id)] = (
                        None if rule.target == RoutingRule.Target.LOCAL else rule.organisation_id, rule.pk)


# --- planning one case as the services would run it ----------------------------------------------------

GRIEVANCE_MIX = {"rights": 30, "traffic": 20, "life": 15, "platform": 15, "community": 5, "party": 5, "other": 10}
INCIDENT_MIX = {"opinion": 30, "warning": 55, "emergency": 15}
ISSUES = {
    "rights": ["配送费结算连续两个月少算,站点说是系统问题,一直没有补发", "入职时没有签订任何合同,想了解自己的用工关系",
               "送餐途中摔伤,平台意外险理赔材料交了一个月还没有结果", "站点拖欠上月工资,负责人电话联系不上"],
    "traffic": ["路口信号灯时间太短,电动车高峰期通行很危险", "商圈附近没有电动车临时停放点,停路边经常被贴条",
                "小区门口换电柜经常坏,骑手换不上电影响跑单", "夜间路灯不亮,送餐路线上有坑洼看不清"],
    "life": ["附近没有能歇脚喝水的地方,夏天中午特别难熬", "想给孩子在这边上学,不清楚需要准备哪些材料",
             "租的宿舍电线老化,担心充电有安全隐患", "希望暖心驿站延长开放时间,晚上也能进去歇歇"],
    "platform": ["恶劣天气派单量不减,配送时限也不延长", "顾客恶意差评被扣款,申诉渠道不畅",
                 "系统超时判定不考虑商家出餐慢", "同一站点派单规则不公开,老骑手新骑手单量差距很大"],
    "community": ["小区不让外卖电动车进门,只能步行很远送到楼下", "园区门禁要求每次登记,耽误配送时间"],
    "party": ["流动党员想把组织关系转到现在工作的地方", "希望站点能组织党员学习活动,找不到组织"],
    "other": ["有些问题不知道该找哪个部门反映,希望有人指导"],
    "opinion": ["居民反映菜市场周边早高峰拥堵,建议错时管理", "两户邻居因停车位发生纠纷,需要调解",
                "群众建议在公交站旁增设遮阳棚"],
    "warning": ["路边井盖缺失,夜间有车辆行人掉落风险", "护栏被撞坏,部分倒在机动车道上", "垃圾堆放多日没有清运,气味很大",
                "有可疑人员在小区周边反复徘徊", "人行道地砖塌陷出现一个大坑"],
    "emergency": ["十字路口两车相撞,有人员受伤,道路部分阻断", "沿街商铺冒烟,疑似起火",
                  "暴雨后道路积水严重,车辆熄火被困", "大风刮倒行道树,压住一辆电动车"],
    "star": ["支部创建档案资料不全,会议记录缺失", "阵地宣传氛围不浓,标识标牌不规范", "党员学习培训不经常,没有计划"],
}
RESULTS = ["已与相关单位核实情况并协调解决,后续将持续跟踪", "已现场处置完毕,并安排专人定期巡查",
           "经协调,平台和站点已按规定整改,相关款项已补发", "已纳入近期工作计划,先行采取临时措施"]
REPLIES = ["您反映的问题已办理完毕,处理结果已通过电话告知,感谢您的监督", "经核实,问题已解决,如仍有问题请随时反映",
           "已按照相关规定处理,具体情况已向您说明"]
NOTES = ["已联系诉求人了解详细情况", "已会同相关单位现场查看", "已约谈站点负责人,要求限期整改",
         "正在协调相关部门共同处理", "已安排工作人员跟进办理", "诉求人补充了相关照片和情况说明"]
FILER_NOTES = ["补充一下,这个问题这几天更严重了", "附近还有其他骑手遇到同样的问题", "希望尽快处理,谢谢"]
UNSAT = ["问题没有真正解决,只是口头答复", "处理时间太长,效果不明显"]
ACCEPT, RETURN, TRANSFER, HANDLE, REPLY = "accept", "return", "transfer", "handle", "reply"
ASSIGNING = ("route", "dispatch", "transfer", "reopen")
LOCKED = {"dispatch", "accept", "return", "transfer", "handle", "reply", "rate", "callback", "reopen", "merge",
          "extend_request", "extend_approve", "extend_reject", "comment"}
NO_LOCK = 1  # flag: written while filing (no optimistic lock, the version stays)
SYSTEM = (None, "系统")
NULL = "\\N"  # COPY's NULL


def tick_after(ts: float) -> int:
    return int(-(-ts // TICK) * TICK)


class Generator:
    def __init__(self, city: City, clock: Clock, rng: random.Random, now: int, epc: float, keyed_hash, encrypt):
        self.city, self.clock, self.rng, self.now, self.epc = city, clock, rng, now, epc
        self.R = rng.random
        self.keyed_hash = keyed_hash
        self.phones = [encrypt("1" + rng.choice("3578") + f"{rng.randrange(10**9):09d}") for _ in range(200)]
        from ningju.demo.names import GIVEN, SURNAMES

        self.names = [rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
                      for _ in range(500)]
        self.mix = {}
        for kind, weights in (("grievance", GRIEVANCE_MIX), ("incident", INCIDENT_MIX), ("rectification", None)):
            cats = city.cats[kind]
            if weights:
                per_root: dict[str, list] = {}
                for c in cats:
                    per_root.setdefault(c.root, []).append(c)
                items = [(c, weights[root] / len(cs)) for root, cs in per_root.items() for c in cs]
            else:
                items = [(c, 1.0) for c in cats]
            acc, cum = 0.0, []
            for _, w in items:
                acc += w
                cum.append(acc)
            self.mix[kind] = ([c for c, _ in items], [x / acc for x in cum])
        self.heap: list = []
        self.seq = 0
        self.event_id = 0
        self.supervision_id = 0
        self.events_written = 0
        self.events_planned = 0
        self.last_case: dict = {}   # (county id, kind) → (case id, number, [(at, status after)])
        self.supervisions: list[str] = []
        self.stats = {"open": 0, "merged": 0, "reopened": 0}

    # helpers ------------------------------------------------------------------------------------------
    def pick(self, kind: str) -> Category_:
        cats, cum = self.mix[kind]
        return cats[bisect.bisect_left(cum, self.R())]

    def uni(self, a: float, b: float) -> int:
        return int(a + (b - a) * self.R())

    def dues(self, cat: Category_, priority: str, at: int) -> tuple[int, int]:
        aa, au, ra, ru = self.city.deadline[(cat.id, priority)]
        return self.clock.add(at, aa, au), self.clock.add(at, ra, ru)

    def due_json(self, acc: int, rep: int, rule: int | None = None) -> str:
        iso = self.clock.iso
        extra = f', "rule": {rule}' if rule else ""
        return f'{{"accept_due": "{iso(acc)}", "reply_due": "{iso(rep)}"{extra}}}'

    def add(self, at, action, actor, org=None, comment="", data="{}", flags=0, extra=None):
        self.ev.append((int(at), len(self.ev), action, actor[0], actor[1], org, comment, data, flags, extra))

    def watch(self, start: int, due: int, until: int, which: str, org: int, after: int = 0) -> None:
        """The reminder and the 督办 notice cases_tick raises while a deadline is pending until ``until``
        (``start``: when the case was given to ``org``; ``after``: when the deadline was set, if later)."""
        lead = min(86400, max(3600, (due - start) / 5))
        remind = tick_after(max(due - lead, start, after))
        if remind < due and remind < until:
            self.add(remind, "remind", SYSTEM, comment=f"距{'受理' if which == 'accept' else '答复'}期限不足"
                     f"{max(1, (due - remind) // 3600 + 1)}小时", data=f'{{"which": "{which}"}}')
        raised = tick_after(due + 1)
        if raised < until:
            over = self.city.org_parent[org]
            self.supervision_id += 1
            sid = self.supervision_id
            reason = "accept" if which == "accept" else "reply"
            label = "超期未受理" if reason == "accept" else "超期未答复"
            self.add(raised, "supervise", SYSTEM, over, comment=f"{label},已向{self.city.org_name[over]}发出督办",
                     data=f'{{"reason": "{reason}", "supervision": {sid}}}',
                     extra=(sid, reason, due, org, over, until))

    # one case ------------------------------------------------------------------------------------------
    def plan(self, cid: int, t0: int) -> tuple[str, list]:
        R, city = self.R, self.city
        self.ev = []
        c = city.counties[int(R() * len(city.counties))]
        v = c.villages[int(R() * len(c.villages))]
        x = R()
        kind = "grievance" if x < 0.65 else "incident" if x < 0.95 else "rectification"
        cat = self.pick(kind)
        filer = None
        anonymous, filer_name, phone, qhash, token, seminar = False, "", "", "", "", None
        submit_actor = SYSTEM
        if kind == "grievance":
            y = R()
            if y < 0.45:
                source, filer = "online", self.city.workers[int(R() * len(self.city.workers))]
                submit_actor = filer
            elif y < 0.55:
                source, anonymous = "anonymous", True
                qhash = self.keyed_hash(secrets.token_hex(5))
                if R() < 0.5:
                    filer_name, phone = self.names[int(R() * 500)], self.phones[int(R() * 200)]
            elif y < 0.70:
                source, token = "open311", uuid.uuid4().hex
                qhash = self.keyed_hash(secrets.token_hex(5))
                filer_name, phone = self.names[int(R() * 500)], self.phones[int(R() * 200)]
            elif y < 0.80:
                source, submit_actor = "seminar", c.dispatcher
                local = time.gmtime(t0 + TZ_OFFSET)
                seminar = c.seminars.get((local.tm_year, local.tm_mon))
                if seminar is None:
                    source = "staff"
                filer_name, phone = self.names[int(R() * 500)], self.phones[int(R() * 200)]
            else:
                source, submit_actor = "staff", c.dispatcher
                filer_name, phone = self.names[int(R() * 500)], self.phones[int(R() * 200)]
        elif kind == "incident":
            source, filer = "grid", self.city.scouts[int(R() * len(self.city.scouts))]
            submit_actor = filer
        else:
            source, filer = "supervision", c.dispatcher
            submit_actor = filer
        staff_door = source in ("seminar", "staff", "supervision")
        priority = "emergency" if cat.emergency else ("urgent" if staff_door and R() < 0.1 else cat.priority)
        issue = ISSUES[cat.root][int(R() * len(ISSUES[cat.root]))]
        text = f"{v.name}:{issue}。"
        title = text[:30] + ("…" if len(text) > 30 else "")
        handler = city.handler
        dispatcher = c.dispatcher
        rate_actor = filer or SYSTEM

        # Filing and the first organisation.
        self.add(t0, "submit", submit_actor, data=f'{{"source": "{source}"}}', flags=NO_LOCK)
        org = None
        if kind == "rectification":
            org = v.committee if R() < 0.6 else c.town_orgs[v.town_id]
            acc_due = self.dues(cat, priority, t0)[0]
            rep_due = self.clock.add_workdays(t0, (10, 15, 20, 30)[int(R() * 4)])
            self.add(t0, "dispatch", submit_actor, org, data=self.due_json(acc_due, rep_due), flags=NO_LOCK,
                     extra=(acc_due, rep_due))
            t_assign = t0
        else:
            route = city.route.get((cat.id, v.town_id))
            if route is not None:
                org = route[0] or v.committee
                acc_due, rep_due = self.dues(cat, priority, t0)
                self.add(t0, "route", SYSTEM, org, data=self.due_json(acc_due, rep_due, route[1]),
                         extra=(acc_due, rep_due))
                t_assign = t0
        if priority == "emergency":
            self.add(t0, "comment", SYSTEM, comment="已即时通知分派人员(未安排值班领导)1人",
                     data='{"emergency_notified": 1, "on_duty": false}', flags=NO_LOCK)
        if org is None:  # the dispatchers' queue
            t_assign = t0 + self.uni(1800, 72000)
            org = c.depts["hr"] if R() < 0.5 else v.committee
            acc_due, rep_due = self.dues(cat, priority, t_assign)
            self.add(t_assign, "dispatch", dispatcher, org, comment="请按时限办理并答复诉求人",
                     data=self.due_json(acc_due, rep_due), extra=(acc_due, rep_due))

        done = False
        if kind != "rectification" and R() < 0.01 and acc_due - t_assign > 1200:
            tm = t_assign + self.uni(600, (acc_due - t_assign) / 2)
            target = self.merge_target(c.id, kind, tm)
            if target is not None:
                self.watch(t_assign, acc_due, tm, "accept", org)
                self.watch(t_assign, rep_due, tm, "reply", org)
                comment = "与此前反映的事项内容相同,合并办理"
                self.add(tm, "merge", dispatcher, comment=comment,
                         data=f'{{"into": {target[0]}, "into_number": "{target[1]}"}}', extra=(target, comment))
                done = True

        rounds, returned, transferred, rating = 0, False, False, ""
        while not done:
            # Accept (or return / transfer), round 0; round 1 after a re-opening.
            while True:
                if rounds == 0 and not returned and org != v.committee and R() < 0.03:
                    tr = t_assign + self.uni(0.1 * (acc_due - t_assign), 0.9 * (acc_due - t_assign))
                    self.watch(t_assign, acc_due, tr, "accept", org)
                    self.watch(t_assign, rep_due, tr, "reply", org)
                    self.add(tr, RETURN, handler[org], org, comment="该事项不属于本单位职责范围,请重新分派")
                    returned = True
                    t_assign = tr + self.uni(1800, 28800)
                    org = v.committee
                    acc_due, rep_due = self.dues(cat, priority, t_assign)
                    self.add(t_assign, "dispatch", dispatcher, org, comment="请按时限办理并答复诉求人",
                             data=self.due_json(acc_due, rep_due), extra=(acc_due, rep_due))
                    continue
                if rounds == 0 and R() < 0.08:
                    t_acc = acc_due + self.uni(600, 172800)
                else:
                    t_acc = t_assign + self.uni(max(60, 0.03 * (acc_due - t_assign)), 0.9 * (acc_due - t_assign))
                self.watch(t_assign, acc_due, t_acc, "accept", org)
                self.add(t_acc, ACCEPT, handler[org], org,
                         data='{"in_time": true}' if t_acc <= acc_due else '{"in_time": false}')
                if rounds == 0 and not transferred and R() < 0.02:
                    tt = t_acc + self.uni(3600, 86400)
                    self.watch(t_assign, rep_due, tt, "reply", org)
                    org = c.depts["hr"] if org == v.committee else v.committee
                    t_assign = tt
                    acc_due, rep_due = self.dues(cat, priority, tt)
                    self.add(tt, TRANSFER, dispatcher, org, comment="经核实,转由属地或主管部门办理",
                             data=self.due_json(acc_due, rep_due), extra=(acc_due, rep_due))
                    transferred = True
                    continue
                break

            # Extension, handling, reply.
            last = t_acc
            due = rep_due
            if rounds == 0 and R() < 0.04 and due - t_acc > 7200:
                t_req = t_acc + self.uni(0.1 * (due - t_acc), 0.4 * (due - t_acc))
                days = (3, 5, 10)[int(R() * 3)]
                self.add(t_req, "extend_request", handler[org], comment="需协调多个部门,申请延期办理",
                         data=f'{{"days": {days}}}', extra=days)
                t_dec = t_req + self.uni(3600, 72000)
                if R() < 0.8:
                    new_due = self.clock.add_workdays(due, days)
                    self.watch(t_assign, due, t_dec, "reply", org)
                    self.add(t_dec, "extend_approve", dispatcher,
                             data=f'{{"days": {days}, "reply_due": "{self.clock.iso(new_due)}"}}', extra=new_due)
                    due = new_due
                else:
                    self.add(t_dec, "extend_reject", dispatcher, comment="理由不充分,请按期答复",
                             data=f'{{"days": {days}}}')
                last = t_dec
            t_set = last if due != rep_due else 0
            if R() < 0.006:
                t_reply = due + self.uni(20 * 86400, 200 * 86400)      # stuck for weeks or months
            elif rounds == 0 and R() < 0.08:
                t_reply = due + self.uni(3600, 3 * 86400)
            else:
                t_reply = t_acc + self.uni(0.2 * (due - t_acc), 0.95 * (due - t_acc))
            t_reply = max(t_reply, last + 2400)
            t_handle = t_reply - self.uni(600, min(21600, (t_reply - last) / 2))
            self.watch(t_assign, due, t_reply, "reply", org, after=t_set)
            notes = round(self.extra_notes())
            if t_handle - t_acc > 600:
                for _ in range(notes):
                    at = self.uni(t_acc + 60, t_handle - 60)
                    if filer is not None and R() < 0.25:
                        self.add(at, "comment", filer, comment=FILER_NOTES[int(R() * 3)], data='{"by_filer": true}')
                    else:
                        self.add(at, "comment", handler[org], comment=NOTES[int(R() * 6)], data='{"by_filer": false}')
            self.add(t_handle, HANDLE, handler[org], comment=RESULTS[int(R() * 4)])
            self.add(t_reply, REPLY, handler[org], comment=REPLIES[int(R() * 3)],
                     data='{"in_time": true}' if t_reply <= due else '{"in_time": false}')

            # Rating by the filer (login or query code), or a call-back by the dispatcher.
            y = R()
            rating = "satisfied" if y < 0.80 else "basic" if y < 0.94 else "unsatisfied"
            if rounds == 1 and rating == "unsatisfied":
                rating = "basic"
            if filer is not None or (qhash and R() < 0.6):
                if R() < 0.04:
                    break  # never rated: stays 已答复待评价
                t_rate = t_reply + self.uni(3600, 5 * 86400)
                self.add(t_rate, "rate", rate_actor, comment=UNSAT[int(R() * 2)] if rating == "unsatisfied" else "",
                         data=f'{{"rating": "{rating}"}}', extra=rating)
            else:
                t_rate = t_reply + self.uni(86400, 4 * 86400)
                self.add(t_rate, "callback", dispatcher, comment="电话回访,已听取诉求人意见",
                         data=f'{{"rating": "{rating}"}}', extra=rating)
            if rating == "unsatisfied" and rounds == 0 and R() < 0.5:
                rounds = 1
                t_assign = t_rate + self.uni(3600, 10 * 86400)
                acc_due, rep_due = self.dues(cat, priority, t_assign)
                self.add(t_assign, "reopen", rate_actor, org, comment="问题没有解决,申请重新办理",
                         data=self.due_json(acc_due, rep_due), extra=(acc_due, rep_due))
                continue
            break

        # Cut at the moment of generation, then replay the kept events into the case's columns.
        ev = sorted(e for e in self.ev if e[0] <= self.now)
        self.events_planned += len(ev)
        return self.replay(cid, t0, c, v, kind, cat, priority, source, filer, anonymous, filer_name, phone, qhash,
                           token, seminar, text, title, ev)

    def extra_notes(self) -> float:
        """Progress notes: as many as keep the running average of events per case at --events-per-case."""
        deficit = self.epc * (self.cases_done + 1) - self.events_planned
        return min(12, max(0, deficit - 7 + 4 * (self.R() - 0.5)))

    def merge_target(self, county: int, kind: str, at: int):
        last = self.last_case.get((county, kind))
        if last is None:
            return None
        status = ""
        for t, s in last[2]:
            if t == at:
                return None
            if t < at:
                status = s
        if status in ("", "merged", "closed"):
            return None
        return last[0], last[1], status

    def replay(self, cid, t0, c, v, kind, cat, priority, source, filer, anonymous, filer_name, phone, qhash, token,
               seminar, text, title, ev) -> str:
        city, iso = self.city, self.clock.iso
        status, org, owner = "", None, None
        dispatched = acc_due = accepted = rep_due = handled = replied = rated = closed = None
        rating, reopen, result, reply, ext_days, ext_reason = "", 0, "", "", 0, ""
        ar = rr = False
        version, merged_into = 1, None
        history = []
        number = f"{'SQ' if kind == 'grievance' else 'SJ' if kind == 'incident' else 'ZG'}{self.clock.utc_ymd(t0)}" \
                 f"{cid:06d}"
        push, heap = heapq.heappush, self.heap
        for at, _seq, action, actor, label, eorg, comment, data, flags, extra in ev:
            frm = status
            if action in ASSIGNING:
                if action == "reopen":
                    reopen += 1
                    rating, rated, closed, replied = "", None, None, None
                elif action == "transfer":
                    owner = None
                org, status, dispatched = eorg, "dispatched", at
                acc_due, rep_due = extra
                accepted = handled = None
                ar = rr = False
                ext_days, ext_reason = 0, ""
            elif action == "accept":
                status, accepted = "accepted", at
                if owner is None:
                    owner = actor
            elif action == "return":
                status, org, owner = "submitted", None, None
                acc_due = rep_due = dispatched = None
            elif action == "handle":
                status, handled, result = "handled", at, comment
            elif action == "reply":
                status, replied, reply = "replied", at, comment
            elif action in ("rate", "callback"):
                rating, rated, closed, status = extra, at, at, "closed"
            elif action == "merge":
                (tid, _number, tstatus), mcomment = extra
                status, merged_into, closed = "merged", tid, at
                self.seq += 1
                push(heap, (at, self.seq, f"{tid}\tmerged_in\t{actor}\t{label}\t{iso(at)}\t{tstatus}\t{tstatus}\t"
                                          f"{NULL}\t{mcomment}\t"
                                          f"{{\"duplicate\": {cid}, \"duplicate_number\": \"{number}\"}}\n"))
                self.events_planned += 1
            elif action == "extend_request":
                ext_days, ext_reason = extra, comment[:300]
            elif action == "extend_approve":
                rep_due, rr, ext_days, ext_reason = extra, False, 0, ""
            elif action == "extend_reject":
                ext_days, ext_reason = 0, ""
            elif action == "remind":
                if '"accept"' in data:
                    ar = True
                else:
                    rr = True
            elif action == "submit":
                status = "submitted"
            elif action == "supervise":
                sid, reason, due, horg, over, until = extra
                self.supervisions.append(
                    f"{sid}\t{cid}\t{reason}\t{iso(due)}\t{horg}\t{over}\t{city.org_path[over]}\t{iso(at)}\t"
                    f"{iso(until) if until <= self.now else chr(92) + 'N'}\t\n")
            if action in LOCKED and not flags & NO_LOCK:
                version += 1
            history.append((at, status))
            self.seq += 1
            push(heap, (at, self.seq, f"{cid}\t{action}\t{NULL if actor is None else actor}\t{label}\t{iso(at)}\t"
                                      f"{frm}\t{status}\t{NULL if eorg is None else eorg}\t{comment}\t{data}\n"))
        self.last_case[(c.id, kind)] = (cid, number, history)
        st = self.stats
        if status in ("submitted", "dispatched", "accepted", "handled"):
            st["open"] += 1
        st["merged"] += status == "merged"
        st["reopened"] += reopen

        def ts(x):
            return "\\N" if x is None else iso(x)

        n = "\\N"
        address = f"{c.name}{v.name}" if kind == "incident" else ""
        lat = f"{35.05 + 0.4 * self.R():.6f}" if kind == "incident" else n
        lng = f"{112.6 + 0.9 * self.R():.6f}" if kind == "incident" else n
        return (f"{cid}\t{kind}\t{cat.id}\t{cat.path}\t{title}\t{text}\t{priority}\t{source}\t{status}\t{version}\t"
                f"{n if filer is None else filer[0]}\t{'t' if anonymous else 'f'}\t{filer_name}\t{phone}\t{qhash}\t\t"
                f"{n if seminar is None else seminar}\t{token}\t\t{v.id}\t{v.path}\t{address}\t{lat}\t{lng}\t"
                f"{n if org is None else org}\t{'' if org is None else city.org_path[org]}\t"
                f"{n if owner is None else owner}\t{n if merged_into is None else merged_into}\t{iso(t0)}\t"
                f"{ts(dispatched)}\t{ts(acc_due)}\t{ts(accepted)}\t{ts(rep_due)}\t{ts(handled)}\t{ts(replied)}\t"
                f"{ts(rated)}\t{ts(closed)}\t{rating}\t{reopen}\t{result}\t{reply}\t{ext_days}\t{ext_reason}\t"
                f"{'t' if ar else 'f'}\t{'t' if rr else 'f'}\n")

    def pop_until(self, ts: int, out: list) -> None:
        heap, pop = self.heap, heapq.heappop
        while heap and heap[0][0] <= ts:
            _, _, line = pop(heap)
            self.event_id += 1
            out.append(f"{self.event_id}\t{line}")
        self.events_written = self.event_id


CASE_COLUMNS = ("id, kind, category_id, category_path, title, text, priority, source, status, version, filer_id, "
                "anonymous, filer_name, filer_phone, query_code_hash, client_key, seminar_id, open311_token, "
                "source_ref, division_id, division_path, address, lat, lng, organisation_id, org_path, owner_id, "
                "merged_into_id, submitted_at, dispatched_at, accept_due, accepted_at, reply_due, handled_at, "
                "replied_at, rated_at, closed_at, rating, reopen_count, result, reply, extension_days, "
                "extension_reason, accept_reminded, reply_reminded")
EVENT_COLUMNS = "id, case_id, action, actor_id, actor_label, at, from_status, to_status, organisation_id, comment, data"
SUPERVISION_COLUMNS = ("id, case_id, reason, due_at, handling_org_id, organisation_id, org_path, raised_at, "
                       "resolved_at, note")
TABLES = ("cases_case", "cases_caseevent", "cases_supervision")


def generate(progress, city: City, n_cases: int, epc: float, now: int, seed: int) -> dict:
    """COPY the cases, their events and supervision notices; returns counts and timings."""
    from django.db import connection

    from ningju.cases.models import Case
    from ningju.core.crypto import keyed_hash
    from ningju.workdays import selectors as workdays

    encrypt = Case._meta.get_field("filer_phone").get_prep_value
    rng = random.Random(seed)
    start = now - YEARS * 365 * 86400
    cal = workdays.calendar()
    clock = Clock(cal, start // 86400 - 2, now // 86400 + 400)
    clock.check(random.Random(seed + 2), start, now)
    gen = Generator(city, clock, rng, now, epc, keyed_hash, encrypt)

    timings = {}
    t_start = time.perf_counter()
    with connection.cursor() as cur:  # secondary indexes: dropped for the load, built afterwards
        cur.execute("SELECT indexname, indexdef, tablename FROM pg_indexes WHERE tablename = ANY(%s) "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
                    [list(TABLES)])
        indexes = cur.fetchall()
        for name, _, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
    conn_cases, conn_events = raw_connection(), raw_connection()
    for conn in (conn_cases, conn_events):
        conn.execute("SET session_replication_role = replica")  # no FK triggers during the load (superuser)
    gc_was = gc.isenabled()
    gc.disable()
    task = progress.add_task("事项与流转记录 (COPY)", total=n_cases)
    try:
        with conn_cases.cursor().copy(f"COPY cases_case ({CASE_COLUMNS}) FROM STDIN") as copy_cases, \
                conn_events.cursor().copy(f"COPY cases_caseevent ({EVENT_COLUMNS}) FROM STDIN") as copy_events:
            cases_buf, events_buf = [], []
            step = (now - start) / n_cases
            for i in range(n_cases):
                gen.cases_done = i
                t0 = int(start + (i + rng.random()) * step)
                gen.pop_until(t0, events_buf)
                cases_buf.append(gen.plan(i + 1, t0))
                if len(cases_buf) >= 5000:
                    copy_cases.write("".join(cases_buf))
                    copy_events.write("".join(events_buf))
                    cases_buf.clear()
                    events_buf.clear()
                    progress.update(task, completed=i + 1)
            gen.pop_until(now, events_buf)
            copy_cases.write("".join(cases_buf))
            copy_events.write("".join(events_buf))
            progress.update(task, completed=n_cases)
        with conn_events.cursor().copy(f"COPY cases_supervision ({SUPERVISION_COLUMNS}) FROM STDIN") as copy_sup:
            copy_sup.write("".join(gen.supervisions))
        conn_cases.commit()
        conn_events.commit()
    finally:
        if gc_was:
            gc.enable()
        conn_cases.close()
        conn_events.close()
    timings["copy"] = time.perf_counter() - t_start

    t1 = time.perf_counter()
    task = progress.add_task("建索引", total=len(indexes))
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        for _, definition, _ in indexes:
            cur.execute(definition)
            progress.advance(task)
        for table in TABLES:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
    timings["indexes"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    with connection.cursor() as cur:
        for table in TABLES:
            cur.execute(f"VACUUM (ANALYZE) {table}")
    timings["vacuum"] = time.perf_counter() - t2
    return {"cases": n_cases, "events": gen.event_id, "supervisions": len(gen.supervisions), **gen.stats,
            "timings": timings}


# --- checks ----------------------------------------------------------------------------------------------

def check_sample(n: int, seed: int) -> tuple[int, int, float]:
    """Compare case columns with a re-derivation from their events (what check_cases does), on ``n`` cases
    in windows of 1,000 spread over the table. Returns (cases checked, differences, seconds)."""
    from ningju.cases.derive import CHECKED, derive
    from ningju.cases.models import Case, CaseEvent

    t0 = time.perf_counter()
    top = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rng = random.Random(seed)
    checked = bad = 0
    starts = sorted(rng.randrange(0, max(1, top - 1000)) for _ in range(max(1, n // 1000)))
    for first in starts:
        cases = list(Case.objects.filter(pk__gt=first, pk__lte=first + 1000).only("pk", *CHECKED))
        by_case = {c.pk: [] for c in cases}
        for e in CaseEvent.objects.filter(case_id__in=by_case.keys()).order_by("case_id", "at", "id"):
            by_case[e.case_id].append(e)
        for case in cases:
            derived = derive(by_case[case.pk])
            for f in CHECKED:
                a, b = getattr(case, f), derived[f]
                same = abs((a - b).total_seconds()) < 1e-3 if isinstance(a, dt.datetime) and \
                    isinstance(b, dt.datetime) else a == b
                if not same:
                    bad += 1
                    if bad <= 5:
                        print(f"    {case.number}: {f} = {a!r}, from events {b!r}")
            checked += 1
    return checked, bad, time.perf_counter() - t0


# --- the three rates from the events ---------------------------------------------------------------------

RATES_FROM_EVENTS = """
WITH c AS (
  SELECT id FROM cases_case
  WHERE submitted_at >= %(start)s AND submitted_at < %(end)s AND division_path LIKE %(div)s AND ({scope})
), e AS (
  SELECT ev.case_id, ev.id, ev.at, ev.action, ev.to_status, ev.data FROM cases_caseevent ev JOIN c ON c.id = ev.case_id
), st AS (   -- the state: the last event's target state
  SELECT DISTINCT ON (case_id) case_id, to_status FROM e WHERE to_status <> '' ORDER BY case_id, at DESC, id DESC
), asg AS (  -- the deadlines: the last event that set them (routing, dispatch, transfer, re-opening) or cleared them
  SELECT DISTINCT ON (case_id) case_id, at, id, (data->>'accept_due')::timestamptz AS accept_due FROM e
  WHERE (action IN ('route', 'dispatch', 'transfer', 'reopen') AND data ? 'accept_due') OR action = 'return'
  ORDER BY case_id, at DESC, id DESC
), acc AS (  -- accepted since then
  SELECT DISTINCT ON (e.case_id) e.case_id, e.at FROM e JOIN asg ON asg.case_id = e.case_id
  WHERE e.action = 'accept' AND (e.at, e.id) > (asg.at, asg.id) ORDER BY e.case_id, e.at DESC, e.id DESC
), rat AS (  -- the rating: the last rating or re-opening (which clears it)
  SELECT DISTINCT ON (case_id) case_id, action, data->>'rating' AS rating FROM e
  WHERE action IN ('rate', 'callback', 'reopen') ORDER BY case_id, at DESC, id DESC
)
SELECT count(*),
       count(*) FILTER (WHERE acc.at IS NOT NULL OR asg.accept_due < %(now)s),
       count(*) FILTER (WHERE acc.at <= asg.accept_due),
       count(*) FILTER (WHERE st.to_status IN ('replied', 'closed')),
       count(*) FILTER (WHERE rat.action IN ('rate', 'callback')),
       count(*) FILTER (WHERE rat.action IN ('rate', 'callback') AND rat.rating IN ('satisfied', 'basic'))
FROM st LEFT JOIN asg ON asg.case_id = st.case_id LEFT JOIN acc ON acc.case_id = st.case_id
LEFT JOIN rat ON rat.case_id = st.case_id
WHERE st.to_status <> 'merged'
"""


def rates_from_events(cursor, user, start, end, division_path, now) -> tuple:
    from ningju.core.scoping import scope_of

    scope = scope_of(user)
    conds, params = [], {"start": start, "end": end, "div": division_path + "%", "now": now}
    for i, p in enumerate(scope.division_paths):
        conds.append(f"division_path LIKE %(sd{i})s")
        params[f"sd{i}"] = p + "%"
    for i, p in enumerate(scope.org_paths):
        conds.append(f"org_path LIKE %(so{i})s")
        params[f"so{i}"] = p + "%"
    if scope.user_id:
        conds.append("filer_id = %(uid)s")
        params["uid"] = scope.user_id
    cursor.execute(RATES_FROM_EVENTS.format(scope=" OR ".join(conds) or "false"), params)
    return tuple(cursor.fetchone())


# --- timing ----------------------------------------------------------------------------------------------

def pcts(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples)
    return statistics.median(ms), ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]


def timed_runs(fn, params: list, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock times and this process's CPU times of ``runs`` calls, cycling through ``params``."""
    fn(params[0])  # warm up: templates, the Python side's first-use costs
    wall, cpu = [], []
    for i in range(runs):
        p = params[i % len(params)]
        c0, t0 = time.process_time(), time.perf_counter()
        fn(p)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def captured_sql(fn) -> list[tuple[str, object]]:
    from django.db import connection

    log = []

    def wrapper(execute, sql, params, many, context):
        log.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        fn()
    return log


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--events-per-case", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--baseline-runs", type=int, default=10)
    parser.add_argument("--check-sample", type=int, default=20_000, help="cases checked against their events")
    parser.add_argument("--db", default="ningju_cbench")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--keep", action="store_true", help="keep the database, and reuse its data next time")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the queries")
    parser.add_argument("--before", metavar="MIGRATION", help="also time the case indexes as they were at this "
                        "migration of the cases app (e.g. 0003_reviewer_org), swapped in inside a rolled-back "
                        "transaction")
    args = parser.parse_args()

    existed = prepare_database(args.db, args.keep)
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.core.paginator import Paginator
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from ningju.accounts.models import User
    from ningju.cases import selectors
    from ningju.cases.models import Case
    from ningju.cases.views.staff import PER_PAGE

    console = Console(width=150)
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    try:
        console.print(machine_line())
        version = server_version()
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        console.print(f"  migrate: {time.perf_counter() - t0:.1f} s")
        meta = None
        if existed:
            with connection.cursor() as cur:
                cur.execute("SELECT to_regclass('bench_meta')")
                if cur.fetchone()[0]:
                    cur.execute("SELECT cases, epc, info FROM bench_meta")
                    row = cur.fetchone()
                    if row and row[0] == args.cases and row[1] == args.events_per_case:
                        meta = json.loads(row[2]) if isinstance(row[2], str) else row[2]
            if meta is None:
                console.print("existing database holds other data: building afresh")
                connection.close()
                prepare_database(args.db, keep=False)
                call_command("migrate", verbosity=0)
        now_dt = timezone.now().replace(microsecond=0)
        if meta is None:
            now = int(now_dt.timestamp())
            first_month = _add_months(dt.date.fromtimestamp(now - YEARS * 365 * 86400), 0)
            with Progress(*columns, console=console) as progress:
                t0 = time.perf_counter()
                build_city(progress, first_month, YEARS * 12 + 2)
                city_s = time.perf_counter() - t0
                city = City()
                info = generate(progress, city, args.cases, args.events_per_case, now, args.seed)
            info["timings"]["city"] = city_s
            info["now"] = now
            with connection.cursor() as cur:
                cur.execute("CREATE TABLE bench_meta (cases int, epc float, info jsonb)")
                cur.execute("INSERT INTO bench_meta VALUES (%s, %s, %s)",
                            [args.cases, args.events_per_case, json.dumps(info)])
            meta = info
        else:
            console.print("reusing the data of an earlier run (--keep)")
            city = City()
        tm = meta["timings"]
        now_gen = dt.datetime.fromtimestamp(meta["now"], dt.UTC)
        with connection.cursor() as cur:
            cur.execute("SELECT pg_database_size(current_database()), pg_total_relation_size('cases_case'), "
                        "pg_total_relation_size('cases_caseevent'), pg_relation_size('cases_case'), "
                        "pg_relation_size('cases_caseevent')")
            db_size, case_size, event_size, case_heap, event_heap = cur.fetchone()
            cur.execute("SELECT status, count(*) FROM cases_case GROUP BY status ORDER BY 2 DESC")
            by_status = cur.fetchall()
        console.print(f"data: {meta['cases']:,} cases, {meta['events']:,} events "
                      f"({meta['events'] / meta['cases']:.2f} per case), {meta['supervisions']:,} 督办 notices; "
                      f"generated at {now_gen:%Y-%m-%d %H:%M} UTC over {YEARS} years; "
                      f"{len(city.counties)} counties, {sum(len(c.villages) for c in city.counties):,} villages, "
                      f"{len(city.org_path):,} organisations")
        console.print("  states: " + ", ".join(f"{s} {n:,}" for s, n in by_status))
        console.print(f"  generation: city {tm['city']:.0f} s, COPY {tm['copy']:.0f} s, indexes {tm['indexes']:.0f} s, "
                      f"VACUUM ANALYZE {tm['vacuum']:.0f} s; database {db_size / 2**30:.2f} GiB "
                      f"(cases_case {case_heap / 2**30:.2f} GiB + indexes {(case_size - case_heap) / 2**30:.2f} GiB, "
                      f"cases_caseevent {event_heap / 2**30:.2f} GiB + indexes "
                      f"{(event_size - event_heap) / 2**30:.2f} GiB)")
        if args.check_sample:
            checked, bad, secs = check_sample(args.check_sample, args.seed)
            console.print(f"  check against events (cases.derive, as check_cases): {checked:,} cases in {secs:.1f} s, "
                          f"{bad} differences — ≈ {secs * meta['cases'] / max(1, checked) / 60:.0f} min for all")
            if bad:
                sys.exit(1)

        # --- parameters: logins of each kind of organisation; counties × months --------------------------
        rng = random.Random(args.seed + 1)
        pools = {}
        for label, role in (("村(社区)", "village_secretary"), ("乡镇(街道)党(工)委", "town_secretary"),
                            ("县直部门", "industry_dept"), ("县委组织部", "district_org")):
            ids = city.users_by_role[role]
            pools[label] = rng.sample(ids, min(len(ids), 25))
        counties = city.counties
        gen_local = timezone.localtime(now_gen)
        months = [_add_months(gen_local.date().replace(day=1), -k) for k in range(1, YEARS * 12)]
        tz = timezone.get_current_timezone()
        rate_params = []
        for _ in range(max(args.runs, 50)):
            c = rng.choice(counties)
            m = rng.choice(months)
            start = dt.datetime.combine(m, dt.time.min, tzinfo=tz)
            end = dt.datetime.combine(_add_months(m, 1), dt.time.min, tzinfo=tz)
            rate_params.append((city.handler[c.depts["org_dept"]][0], c, start, end, m))

        def inbox_page_queries(uid):
            user = User.objects.get(pk=uid)  # fresh per run, as per request (the scope is not cached)
            page = Paginator(selectors.inbox(user=user), PER_PAGE).get_page(1)
            rows = list(page.object_list)
            counts = dict(selectors.inbox(user=user).order_by().values_list("status").annotate(n=Count("id")))
            return page.paginator.count, rows, counts

        def rates_selector(p):
            uid, c, start, end, _ = p
            return selectors.rates(user=User.objects.get(pk=uid), start=start, end=end, division_path=c.path)

        clients: dict[int, Client] = {}

        def client_for(uid):
            if uid not in clients:
                clients[uid] = Client()
                clients[uid].force_login(User.objects.get(pk=uid))
            return clients[uid]

        def inbox_page(uid):
            r = client_for(uid).get("/cases/inbox/")
            assert r.status_code == 200, r.status_code

        def figures_page(p):
            uid, c, _, _, m = p
            r = client_for(uid).get("/cases/figures/", {"period": "month", "year": m.year, "month": m.month,
                                                        "division": c.code})
            assert r.status_code == 200, r.status_code

        mixed = [uid for ids in zip(*pools.values(), strict=False) for uid in ids]
        for uid in mixed:
            client_for(uid)

        # Same numbers from the columns and from the events? (timed: the "derived from events" baseline)
        same, checked, ours_events = 0, rate_params[:max(1, args.baseline_runs)], []
        for p in checked:
            uid, c, start, end, _ = p
            now_check = timezone.now()
            user = User.objects.get(pk=uid)
            r = selectors.rates(user=user, start=start, end=end, division_path=c.path, now=now_check)
            t0 = time.perf_counter()
            user = User.objects.get(pk=uid)
            with connection.cursor() as cur:
                e = rates_from_events(cur, user, start, end, c.path, now_check)
            ours_events.append(time.perf_counter() - t0)
            cols = (r.total, r.due, r.accepted_in_time, r.resolved, r.rated, r.satisfied)
            if cols != e:
                console.print(f"  [red]rates differ for {c.name} {p[4]:%Y-%m}: columns {cols}, events {e}[/red]")
            else:
                same += 1
        r0 = rates_selector(rate_params[0])
        console.print(f"rates from the columns = rates from the events for {same}/{len(checked)} county-months "
                      f"(e.g. {rate_params[0][1].name} {rate_params[0][4]:%Y-%m}: {r0.total:,} cases, 响应率 "
                      f"{r0.response_rate} %, 解决率 {r0.resolution_rate} %, 满意率 {r0.satisfaction_rate} %)")
        if same != len(checked):
            sys.exit(1)
        sizes = {label: [inbox_page_queries(uid)[0] for uid in ids] for label, ids in pools.items()}
        console.print("inbox sizes (open cases per login): " + "; ".join(
            f"{label} median {statistics.median(v):,.0f}, max {max(v):,}" for label, v in sizes.items()))

        static = override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}})
        runs, base_runs = args.runs, args.baseline_runs
        console.print(f"timing: {runs} runs each, baselines {base_runs} runs; load average {os.getloadavg()[0]:.1f}")

        def measure_all(n, tag):
            out = {}
            load = os.getloadavg()[0]
            for label, ids in pools.items():
                out[f"inbox · {label}"] = timed_runs(inbox_page_queries, ids, n)
            with static:
                out["inbox page /cases/inbox/"] = timed_runs(inbox_page, mixed, n)
            out["rates · county × month"] = timed_runs(rates_selector, rate_params, n)
            with static:
                out["figures page · county × month"] = timed_runs(figures_page, rate_params, n)
            console.print(f"  {tag}: load average {load:.1f} → {os.getloadavg()[0]:.1f}")
            return out

        def explain_all(tag):
            uid = pools["县直部门"][0]
            calls = [("inbox (县直部门)", lambda: inbox_page_queries(uid)),
                     ("rates (county × month)", lambda: rates_selector(rate_params[0]))]
            for label, fn in calls:
                for sql, params in captured_sql(fn):
                    if "cases_case" not in sql:
                        continue
                    with connection.cursor() as cur:
                        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
                        plan = [r[0] for r in cur.fetchall()]
                    console.print(f"[bold]{tag} · {label}:[/bold] {sql[:90]}…", soft_wrap=True)
                    console.print("\n".join(plan), soft_wrap=True, highlight=False)

        ours = measure_all(runs, "ours")
        if args.explain:
            explain_all("ours")

        before = None
        if args.before:
            from django.db.migrations.loader import MigrationLoader

            state = MigrationLoader(connection).project_state(("cases", args.before))
            old = {ix.name: ix for ix in state.models["cases", "case"].options.get("indexes", [])}
            new = {ix.name: ix for ix in Case._meta.indexes}
            with transaction.atomic():
                t0 = time.perf_counter()
                with connection.schema_editor() as editor:
                    for name in new.keys() - old.keys():
                        editor.remove_index(Case, new[name])
                    for name in old.keys() - new.keys():
                        editor.add_index(Case, old[name])
                console.print(f"  indexes of {args.before}: dropped {', '.join(sorted(new.keys() - old.keys()))}; "
                              f"built {', '.join(sorted(old.keys() - new.keys()))} ({time.perf_counter() - t0:.0f} s)")
                before = measure_all(runs, f"indexes of {args.before}")
                if args.explain:
                    explain_all(f"indexes of {args.before}")
                transaction.set_rollback(True)

        dropped = [ix.name for ix in Case._meta.indexes]
        with transaction.atomic():
            with connection.cursor() as cur:
                for name in dropped:
                    cur.execute(f'DROP INDEX "{name}"')
            base = measure_all(base_runs, "baseline without the case indexes")
            if args.explain:
                explain_all("without the case indexes")
            transaction.set_rollback(True)

        table = Table(title=f"事项引擎 · {meta['cases']:,} cases / {meta['events']:,} events · PostgreSQL {version}")
        for col in ("query", "ours p50", "ours p95", "CPU p50", "baseline", "p50", "p95", "× (p50)"):
            table.add_column(col, justify="left" if col in ("query", "baseline") else "right")
        for key, (wall, cpu) in ours.items():
            p50, p95 = pcts(wall)
            b50, b95 = pcts(base[key][0])
            table.add_row(key, f"{p50:.1f} ms", f"{p95:.1f} ms", f"{pcts(cpu)[0]:.1f} ms", "no case indexes",
                          f"{b50:.1f} ms", f"{b95:.1f} ms", f"{b50 / p50:.1f}")
            if before is not None:
                o50, o95 = pcts(before[key][0])
                table.add_row("", "", "", "", f"indexes of {args.before[:4]}", f"{o50:.1f} ms", f"{o95:.1f} ms",
                              f"{o50 / p50:.1f}")
            if key.startswith("rates"):
                e50, e95 = pcts(ours_events)
                table.add_row("", "", "", "", "derived from events", f"{e50:.1f} ms", f"{e95:.1f} ms",
                              f"{e50 / p50:.1f}")
        console.print(table)
        console.print("CPU: this process (Python: ORM, templates); the database server's time is in the wall time. "
                      f"Dropped for the baseline (rolled back afterwards): {', '.join(dropped)}")
    finally:
        if args.keep:
            console.print(f"kept database {args.db}")
        else:
            drop_database(args.db)


if __name__ == "__main__":
    main()
