"""Load the demo city (焦作市: 沁阳市 and 山阳区) deterministically.

Every figure later shown in the product is computed from these generated records. Running the
command again on a database that already holds the demo only prints the logins; ``--reset``
empties the database first.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ningju.accounts import services as account_services
from ningju.accounts.models import User
from ningju.core import idcard
from ningju.coverage import services as coverage_services
from ningju.coverage.models import Finding
from ningju.demo import cases as demo_cases
from ningju.demo import points as demo_points
from ningju.demo import stars as demo_stars
from ningju.demo.names import GIVEN, SURNAMES
from ningju.geo.models import Division, Level
from ningju.geo.services import divisions_import, read_rows
from ningju.instructors import services as instructor_services
from ningju.orgs import services as org_services
from ningju.orgs.models import Industry, Kind, Organisation
from ningju.people import services as people_services
from ningju.people.models import Occupation, Person, PoliticalStatus
from ningju.rosters.services import roster_import

DEMO_PASSWORD = "Ningju@2026"
SEED = 20231101
DIVISIONS_CSV = Path(__file__).resolve().parents[3] / "geo" / "data" / "jiaozuo.csv"

CITY, QINYANG, SHANYANG = "410800000000", "410882000000", "410811000000"

# Platform enterprises in 沁阳市: (name, industry, supervising department key, stations as (name, town code))
ENTERPRISES = [
    ("美团外卖沁阳配送服务部", Industry.FOOD_DELIVERY, "market", [
        ("美团外卖覃怀站", "410882001000"), ("美团外卖太行站", "410882003000"),
        ("美团外卖沁园站", "410882004000")]),
    ("饿了么沁阳配送服务部", Industry.FOOD_DELIVERY, "market", [
        ("饿了么怀庆站", "410882002000"), ("饿了么太行站", "410882003000")]),
    ("顺丰速运沁阳营业部", Industry.EXPRESS, "post", [("顺丰沁阳城区网点", "410882001000")]),
    ("中通快递沁阳分部", Industry.EXPRESS, "post", [
        ("中通沁园网点", "410882004000"), ("中通崇义网点", "410882100000")]),
    ("圆通速递沁阳分部", Industry.EXPRESS, "post", [("圆通怀庆网点", "410882002000")]),
    ("韵达快递沁阳分部", Industry.EXPRESS, "post", [("韵达太行网点", "410882003000")]),
    ("京东物流沁阳营业部", Industry.EXPRESS, "post", [("京东沁阳配送站", "410882004000")]),
    ("中国邮政沁阳市分公司揽投部", Industry.EXPRESS, "post", [("邮政城区揽投站", "410882001000")]),
    ("滴滴出行沁阳服务站", Industry.RIDE_HAILING, "transport", [("滴滴司机之家(沁阳)", "410882003000")]),
    ("沁阳市曹操出行服务点", Industry.RIDE_HAILING, "transport", [("曹操出行沁阳服务点", "410882002000")]),
    ("货拉拉沁阳服务点", Industry.FREIGHT, "transport", [("货拉拉沁阳司机服务站", "410882101000")]),
]

OCCUPATION_BY_INDUSTRY = {
    Industry.FOOD_DELIVERY: Occupation.RIDER,
    Industry.EXPRESS: Occupation.COURIER,
    Industry.RIDE_HAILING: Occupation.RIDE_HAILING,
    Industry.FREIGHT: Occupation.TRUCK,
}
# Workers per station (320 in all) and Party members among them (48: 41 formal, 7 probationary).
WORKERS_PER_STATION = [34, 30, 26, 28, 22, 20, 16, 18, 14, 16, 18, 12, 24, 22, 20]
MEMBERS_PER_STATION = [5, 4, 4, 4, 3, 3, 3, 3, 2, 3, 3, 2, 4, 3, 2]
VILLAGERS_SHANYANG = 108  # two per village/community of 山阳区
INSTRUCTORS = 22
HOME_AREAS = ["410882", "410882", "410882", "410811", "410883", "410823", "410825", "410822", "410821"]

LOGINS = [
    # phone, name, role, organisation key, note
    ("13800000001", "周建国", "city_org", "city_org", "焦作市委组织部"),
    ("13800000002", "李红梅", "district_org", "qy_org", "沁阳市委组织部"),
    ("13800000003", "王志强", "district_org", "sy_org", "山阳区委组织部"),
    ("13800000004", "赵国庆", "industry_dept", "transport", "沁阳市交通运输局"),
    ("13800000005", "孙晓峰", "town_secretary", "town:410882003000", "沁阳市太行街道党工委"),
    ("13800000006", "郭秀霞", "village_secretary", "village:410882003002", "罗庄社区党支部"),
    ("13800000007", "陈卫东", "station_manager", "station:美团外卖太行站", "美团外卖太行站站长"),
    ("13800000008", "马晓燕", "instructor", "qy_org", "党建指导员(指导3个站点)"),
    ("13800000009", "冯振华", "supervisor", "group:1", "山阳区督导第一组"),
    ("13800000010", "何俊杰", "worker", None, "外卖骑手(美团外卖太行站),罗庄社区网格“移动探头”"),
]


class Command(BaseCommand):
    help = "载入演示城市(焦作市:沁阳市、山阳区),并打印各角色的登录账号。"

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="先清空数据库再载入")

    def handle(self, *args, reset=False, **options):
        console = Console()
        if reset:
            # flush ends with post_migrate, which refills the data the migrations seed (core.reference)
            call_command("flush", interactive=False, verbosity=0)
        if User.objects.filter(phone=LOGINS[0][0]).exists():
            console.print("演示数据已存在(使用 --reset 重新载入)。")
        else:
            self._load(console)
        self._print_logins(console)

    # ------------------------------------------------------------------ loading
    def _load(self, console: Console) -> None:
        rng = random.Random(SEED)
        columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        with Progress(*columns, console=console) as progress, transaction.atomic():
            rows = read_rows(DIVISIONS_CSV.read_text(encoding="utf-8"))
            t = progress.add_task("行政区划", total=len(rows))
            divisions_import(actor=None, rows=rows, source="demo", progress=lambda n: progress.update(t, completed=n))
            self.div = {d.code: d for d in Division.objects.all()}
            self._grids(progress)
            self.orgs: dict[str, Organisation] = {}
            self._organisations(progress)
            self._users(progress)
            self._coverage(progress, rng)
            self._villagers(progress, rng)
            self._worker_login()
            demo_cases.load(progress, div=self.div, orgs=self.orgs, users=self.users, password=DEMO_PASSWORD,
                            seed=SEED + 2)
            demo_stars.load(progress, div=self.div, orgs=self.orgs, users=self.users, password=DEMO_PASSWORD,
                            seed=SEED + 3)
            demo_points.load(progress, div=self.div, orgs=self.orgs, users=self.users, password=DEMO_PASSWORD,
                             seed=SEED + 5)

    def _grids(self, progress) -> None:
        """Three grids in each community of 沁阳市太行街道 (grid codes: community code + 3 digits)."""
        communities = [d for d in self.div.values() if d.code.startswith("410882003") and d.level == Level.VILLAGE
                       and d.name.endswith("社区")]
        rows = [{"code": f"{c.code}{n:03d}", "name": f"{c.name}第{n}网格", "level": "grid", "parent_code": c.code}
                for c in sorted(communities, key=lambda d: d.code) for n in (1, 2, 3)]
        t = progress.add_task("网格", total=len(rows))
        divisions_import(actor=None, rows=rows, source="demo", progress=lambda n: progress.update(t, completed=n))
        self.div = {d.code: d for d in Division.objects.all()}

    def _org(self, key, name, kind, division_code, parent=None, industry="", **extra) -> Organisation:
        org = org_services.organisation_create(actor=None, source="demo", name=name, kind=kind, industry=industry,
                                               parent=parent, division=self.div[division_code], **extra)
        self.orgs[key] = org
        return org

    def _organisations(self, progress) -> None:
        towns = sorted((d for d in self.div.values() if d.level == Level.TOWN), key=lambda d: d.code)
        villages = sorted((d for d in self.div.values() if d.level == Level.VILLAGE
                           and (d.code.startswith("410882") or d.code.startswith("410811"))), key=lambda d: d.code)
        total = 16 + len(towns) + len(villages) + sum(1 + len(e[3]) for e in ENTERPRISES)
        t = progress.add_task("组织", total=total)
        step = lambda: progress.advance(t)  # noqa: E731

        city = self._org("city", "中共焦作市委员会", Kind.PARTY_COMMITTEE, CITY, address="焦作市山阳区")
        step()
        self._org("city_org", "中共焦作市委组织部", Kind.ORG_DEPARTMENT, CITY, city, contact_name="周建国")
        step()
        qy = self._org("qy", "中共沁阳市委员会", Kind.PARTY_COMMITTEE, QINYANG, city)
        step()
        self._org("qy_org", "中共沁阳市委组织部", Kind.ORG_DEPARTMENT, QINYANG, qy, contact_name="李红梅")
        step()
        sy = self._org("sy", "中共焦作市山阳区委员会", Kind.PARTY_COMMITTEE, SHANYANG, city)
        step()
        sy_org = self._org("sy_org", "中共山阳区委组织部", Kind.ORG_DEPARTMENT, SHANYANG, sy, contact_name="王志强")
        step()
        departments = [
            ("transport", "沁阳市交通运输局", Kind.INDUSTRY_DEPARTMENT, Industry.RIDE_HAILING),
            ("post", "沁阳市邮政管理局", Kind.INDUSTRY_DEPARTMENT, Industry.EXPRESS),
            ("market", "沁阳市市场监督管理局", Kind.INDUSTRY_DEPARTMENT, Industry.FOOD_DELIVERY),
            ("hr", "沁阳市人力资源和社会保障局", Kind.GOV_DEPARTMENT, ""),
            ("union", "沁阳市总工会", Kind.GOV_DEPARTMENT, ""),
            ("league", "共青团沁阳市委员会", Kind.GOV_DEPARTMENT, ""),
            ("police", "沁阳市公安局交通警察大队", Kind.GOV_DEPARTMENT, ""),
        ]
        for key, name, kind, industry in departments:
            self._org(key, name, kind, QINYANG, qy, industry=industry)
            step()
        for n, label in enumerate(("第一", "第二", "第三"), start=1):
            self._org(f"group:{n}", f"山阳区“五星”支部创建督导{label}组", Kind.SUPERVISION_GROUP, SHANYANG, sy_org)
            step()
        for town in towns:
            if not (town.code.startswith("410882") or town.code.startswith("410811")):
                step()
                continue
            parent = qy if town.code.startswith("410882") else sy
            suffix = "党工委" if town.name.endswith("街道") else "党委"
            self._org(f"town:{town.code}", f"中共{town.name}{suffix}", Kind.PARTY_COMMITTEE, town.code, parent)
            step()
        for village in villages:
            town_org = self.orgs[f"town:{village.parent.code}"]
            self._org(f"village:{village.code}", f"{village.name}党支部", Kind.BRANCH, village.code, town_org)
            step()
        for name, industry, dept_key, stations in ENTERPRISES:
            ent = self._org(f"ent:{name}", name, Kind.PLATFORM_ENTERPRISE, QINYANG, self.orgs[dept_key],
                            industry=industry)
            step()
            for station_name, town_code in stations:
                self._org(f"station:{station_name}", station_name, Kind.STATION, town_code, ent, industry=industry,
                          address=f"沁阳市{self.div[town_code].name}")
                step()

    def _person_fields(self, rng: random.Random, used: set[str], *, area: str, min_year: int, max_year: int) -> dict:
        while True:
            birth = dt.date(rng.randint(min_year, max_year), rng.randint(1, 12), rng.randint(1, 28))
            number = idcard.make(area, birth, rng.randint(1, 999))
            if number not in used:
                used.add(number)
                break
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        phone = "1" + rng.choice("35789") + "".join(str(rng.randint(0, 9)) for _ in range(9))
        return {"name": name, "id_number": number, "phone": phone}

    # ------------------------------------------------------------------ accounts
    def _users(self, progress) -> None:
        t = progress.add_task("账号", total=len(LOGINS))
        self.admin = account_services.user_create(actor=None, phone="13800000000", name="系统管理员",
                                                  password=DEMO_PASSWORD, is_superuser=True, source="demo")
        self.users = {}
        for phone, name, role, org_key, _note in LOGINS:
            if role == "worker":
                continue  # created once the rosters have registered the rider
            self.users[role if role not in self.users else f"{role}:{phone}"] = account_services.user_create(
                actor=None, phone=phone, name=name, password=DEMO_PASSWORD, role=role,
                organisation=self.orgs[org_key], source="demo")
            progress.advance(t)

    def _worker_login(self) -> None:
        phone, name, role, _org, _note = LOGINS[-1]
        person = Person.objects.get(name=name, employer=self.orgs["station:美团外卖太行站"])
        self.users["worker"] = account_services.user_create(
            actor=None, phone=phone, name=name, password=DEMO_PASSWORD, role=role, person=person, source="demo")

    # ------------------------------------------------------------------ the coverage survey (沁阳市)
    def _coverage(self, progress, rng: random.Random) -> None:
        """The two-month survey: rosters from every station, the member registry, members found
        through the three channels and verified, branches founded, a joint branch, 22 instructors."""
        actor = self.users["district_org"]  # 沁阳市委组织部
        today = dt.date.today()
        starts = today - dt.timedelta(days=55)
        campaign = coverage_services.campaign_create(
            actor=actor, name="沁阳市新业态新就业群体党建全覆盖排查", starts_on=starts,
            ends_on=starts + dt.timedelta(days=60), divisions=[self.div[QINYANG]], industries=[], source="demo")
        stations = [o for k, o in self.orgs.items() if k.startswith("station:")]
        assert len(stations) == len(WORKERS_PER_STATION), "station plan and worker plan differ"
        qinyang_villages = sorted((d for d in self.div.values() if d.level == Level.VILLAGE
                                   and d.code.startswith("410882")), key=lambda d: d.code)
        luozhuang = self.div["410882003002"]  # 罗庄社区, home of the demo village secretary
        used: set[str] = set()

        # Workers per station; the first n of each station are Party members.
        rosters: dict[int, list[dict]] = {}
        members: list[tuple[Organisation, dict]] = []
        for station, n_workers, n_members in zip(stations, WORKERS_PER_STATION, MEMBERS_PER_STATION, strict=True):
            occupation = OCCUPATION_BY_INDUSTRY[Industry(station.industry)]
            rows = []
            for i in range(n_workers):
                fields = self._person_fields(rng, used, area=rng.choice(HOME_AREAS), min_year=1972, max_year=2004)
                if station.name == "美团外卖太行站" and i == n_members:
                    fields["name"] = "何俊杰"
                home = ""
                if fields["id_number"].startswith("410882"):
                    home = (luozhuang if rng.random() < 0.1 else rng.choice(qinyang_villages)).code
                fields.update(occupation=Occupation.STAFF if i == n_workers - 1 else occupation, home=home,
                              status=rng.choices([PoliticalStatus.MASSES, PoliticalStatus.LEAGUE], weights=[4, 1])[0],
                              hired=starts - dt.timedelta(days=rng.randint(30, 1500)))
                if i < n_members:
                    fields["member_status"] = "probationary" if (i == 1 and rng.random() < .45) else "formal"
                    members.append((station, fields))
                rows.append(fields)
            rosters[station.pk] = rows

        # The member registry knows 40 of the 48; 8 are found only by self-declaration or referral.
        hidden = {id(f) for _, f in members[2::6]}
        branches = [o for k, o in self.orgs.items() if k.startswith("village:410882")]
        names = [b.name for b in branches]
        unique = sorted({n for n in names if names.count(n) == 1})
        registry = ["姓名,身份证号,党员类别,组织关系所在,入党日期"]
        for n, (_station, f) in enumerate(members):
            f["relation"] = rng.choice(unique) if n % 7 else "河南省温县祥云镇东关村党支部"
            if id(f) in hidden:
                continue
            label = "正式党员" if f["member_status"] == "formal" else "预备党员"
            joined = f["hired"] - dt.timedelta(days=rng.randint(200, 3000))
            registry.append(f"{f['name']},{f['id_number']},{label},{f['relation']},{joined.isoformat()}")
            f["status"] = (PoliticalStatus.MEMBER if f["member_status"] == "formal" else PoliticalStatus.PROBATIONARY)
        t = progress.add_task("党员信息库", total=1)
        result = coverage_services.member_records_import(
            actor=actor, division=self.div[QINYANG], file_name="党员信息库.csv",
            data="\n".join(registry).encode("utf-8"), source="demo")
        assert not result.errors, result.errors
        progress.advance(t)

        # Channel 1 (组织找党员): every station sends its roster; the import matches the registry.
        t = progress.add_task("花名册", total=len(stations))
        header = "姓名,身份证号,手机号,职业,政治面貌,入职日期,居住地区划代码"
        for station in stations:
            lines = [header] + [
                f"{f['name']},{f['id_number']},{f['phone']},{Occupation(f['occupation']).label},"
                f"{PoliticalStatus(f['status']).label},{f['hired'].isoformat()},{f['home']}"
                for f in rosters[station.pk]]
            record = roster_import(actor=actor, organisation=station, file_name=f"{station.name}花名册.csv",
                                   content="\n".join(lines).encode("utf-8"), source="demo")
            assert record.status == "succeeded", record.errors
            progress.advance(t)
        coverage_services.match_campaign(campaign, actor=actor, source="demo")

        # Channel 2 (党员找组织): hidden members declare themselves through the campaign link, as do
        # two registered members (found twice, counted once) and one worker who is not a member.
        by_name = {o.name: o for o in branches}
        declared = [f for _, f in members if id(f) in hidden][:5]
        registered = [f for _, f in members if id(f) not in hidden][:2]
        outsider = next(f for rows in rosters.values() for f in rows if "member_status" not in f
                        and f["occupation"] != Occupation.STAFF and f["name"] != "何俊杰")
        station_of = {id(f): st for st, rows in ((st, rosters[st.pk]) for st in stations) for f in rows}
        for f in [*declared, *registered, outsider]:
            relation = f.get("relation", unique[0])
            coverage_services.self_declare(
                campaign=campaign, name=f["name"], id_number=f["id_number"], phone=f["phone"],
                employer=station_of[id(f)], member_status=f.get("member_status", "formal"),
                relation_org=by_name.get(relation), relation_text="" if relation in by_name else relation,
                source="demo")

        # Channel 3 (党员找党员): members refer colleagues; one referral turns out not to be a member.
        units = {u.organisation_id: u for u in campaign.units.all()}
        referred = [f for _, f in members if id(f) in hidden][5:]
        for f in referred:
            station = station_of[id(f)]
            referrer = next(m for st, m in members if st == station and m is not f and id(m) not in hidden)
            coverage_services.referral_create(
                actor=actor, unit=units[station.pk], name=f["name"], phone=f["phone"],
                note="同站点党员推荐,经电话联系", source="demo",
                referrer=Person.objects.get(id_hash=self._hash(referrer["id_number"])))
        wrong = next(f for f in rosters[stations[1].pk] if "member_status" not in f)
        coverage_services.referral_create(actor=actor, unit=units[stations[1].pk], name=wrong["name"],
                                          phone=wrong["phone"], note="同事反映曾是党员", source="demo")

        # Verification: every lead is checked; the two that are not members are rejected.
        t = progress.add_task("核实党员线索", total=Finding.objects.filter(campaign=campaign).count())
        facts = {f["name"] + f["phone"]: f for _, f in members}
        for finding in Finding.objects.filter(campaign=campaign).select_related("person").order_by("id"):
            fact = facts.get(finding.declared_name + (finding.declared_phone or ""))
            if fact is None and finding.person_id:
                fact = next((f for _, f in members if self._hash(f["id_number"]) == finding.person.id_hash), None)
            if fact is None:
                coverage_services.finding_reject(actor=actor, finding=finding, source="demo",
                                                 reason="经查党员信息库并联系原籍党组织,本人非中共党员")
            else:
                relation = fact["relation"]
                coverage_services.finding_verify(
                    actor=actor, finding=finding, id_number=fact["id_number"], member_status=fact["member_status"],
                    relation_org=by_name.get(relation), relation_text="" if relation in by_name else relation,
                    reason="与党员信息库及组织关系所在党组织核对一致", source="demo")
            progress.advance(t)
        for unit in campaign.units.all():
            coverage_services.campaign_unit_check(actor=actor, unit=unit, source="demo")

        # 应建尽建: a branch where three or more formal members work, a joint branch for small express
        # stations, and 22 instructors covering every enterprise and the remaining stations.
        for station in stations:
            if coverage_services.formal_members(station) >= 3:
                coverage_services.branch_found(actor=actor, organisation=station, source="demo")
        for key, enterprise in self.orgs.items():
            covered = coverage_services.coverage_of(enterprise)
            if key.startswith("ent:") and covered.formal_members >= 3 and not covered.has_branch:
                coverage_services.branch_found(actor=actor, organisation=enterprise, source="demo")
        joint = None
        express_committee = self._org("express_committee", "中共沁阳市快递物流行业委员会", Kind.PARTY_COMMITTEE,
                                      QINYANG, self.orgs["post"])
        for station in stations:
            if station.industry == Industry.EXPRESS and coverage_services.formal_members(station) < 3:
                link = coverage_services.joint_branch_attach(
                    actor=actor, organisation=station, joint_branch=joint, source="demo",
                    new_name="" if joint else "沁阳市快递物流行业联合党支部",
                    new_parent=None if joint else express_committee)
                joint = link.joint_branch
        self._instructors(progress, actor, starts)

    def _instructors(self, progress, actor, starts: dt.date) -> None:
        units = [o for k, o in self.orgs.items() if k.startswith("ent:")]
        units += [o for k, o in self.orgs.items() if k.startswith("station:")]
        first = ["美团外卖覃怀站", "顺丰沁阳城区网点", "滴滴司机之家(沁阳)"]
        t = progress.add_task("党建指导员", total=INSTRUCTORS)
        rng = random.Random(SEED + 1)
        lead = instructor_services.instructor_create(
            actor=actor, name=self.users["instructor"].name, appointed_by=self.orgs["qy_org"],
            phone=self.users["instructor"].phone, title="市委组织部组织二科干部", user=self.users["instructor"],
            source="demo")
        plan = [(lead, self.orgs[f"station:{name}"]) for name in first]
        rest = [u for u in units if u.name not in first]
        titles = ["交通运输局机关党委委员", "邮政管理局党建联络员", "市场监管局机关支部书记", "街道党工委组织委员",
                  "社区党委副书记", "人社局机关党员"]
        instructors = [lead]
        progress.advance(t)
        for n in range(INSTRUCTORS - 1):
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(2))
            instructors.append(instructor_services.instructor_create(
                actor=actor, name=name, appointed_by=self.orgs["qy_org"], title=titles[n % len(titles)],
                phone="1" + rng.choice("3578") + "".join(str(rng.randint(0, 9)) for _ in range(9)), source="demo"))
            progress.advance(t)
        for n, unit in enumerate(rest):
            plan.append((instructors[1 + n % (INSTRUCTORS - 1)], unit))
        for n, (instructor, unit) in enumerate(plan):
            instructor_services.assignment_create(actor=actor, instructor=instructor, organisation=unit,
                                                  assigned_on=starts + dt.timedelta(days=20), source="demo")
            instructor_services.visit_create(
                actor=actor, instructor=instructor, organisation=unit,
                visited_on=starts + dt.timedelta(days=25 + n % 20), source="demo",
                notes=f"到{unit.name}走访,了解从业人员思想和工作情况,宣讲新就业群体党建政策,收集意见建议。")

    @staticmethod
    def _hash(number: str) -> str:
        from ningju.core.crypto import keyed_hash

        return keyed_hash(number)

    def _villagers(self, progress, rng: random.Random) -> None:
        """Residents of 山阳区's villages and communities (two each), some of them Party members."""
        villages_sy = sorted((d for d in self.div.values() if d.level == Level.VILLAGE and d.code.startswith("410811")),
                             key=lambda d: d.code)
        used = set(Person.objects.values_list("id_hash", flat=True))
        t = progress.add_task("村(社区)居民", total=VILLAGERS_SHANYANG)
        for n in range(VILLAGERS_SHANYANG):
            village = villages_sy[n % len(villages_sy)]
            while True:
                fields = self._person_fields(rng, set(), area="410811", min_year=1950, max_year=2000)
                if self._hash(fields["id_number"]) not in used:
                    used.add(self._hash(fields["id_number"]))
                    break
            status = PoliticalStatus.MEMBER if n % 4 == 0 else PoliticalStatus.MASSES
            people_services.person_create(actor=self.admin, source="demo", political_status=status,
                                          occupation=Occupation.OTHER, home_division=village, **fields)
            progress.advance(t)

    def _print_logins(self, console: Console) -> None:
        from rich.table import Table

        table = Table(title=f"演示账号(密码均为 {DEMO_PASSWORD})")
        table.add_column("手机号")
        table.add_column("姓名")
        table.add_column("角色")
        table.add_column("说明")
        table.add_row("13800000000", "系统管理员", "系统管理员", "全部数据,/admin/")
        for phone, name, role, _org, note in LOGINS + demo_cases.LOGINS + demo_stars.LOGINS + demo_points.LOGINS:
            user = User.objects.filter(phone=phone).first()
            table.add_row(phone, name, user.role_label if user else role, note)
        console.print(table)
