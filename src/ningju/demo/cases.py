"""The case engine's part of the demo city: 沁阳市's seminars and grievances, and riders as 移动探头.

The source article: two city-level seminars (外卖行业、新媒体行业青年座谈会) and one in each of 11 towns
collected 52 grievances, all of them resolved; riders, couriers and drivers serve in the "1+3+N" grid as
移动探头 and report 社情民意, 异常情况预警 and 突发事件. Here every step goes through
:mod:`ningju.cases.services` with an explicit time on a working day (routing or dispatch, returns, transfers,
acceptance — a few late, with the 督办 notice the deadline job raised —, an extension, handling, reply,
call-back or the filer's own rating, one re-opening), so every event, deadline and rate the pages show is
computed from these records. A few cases stay open at the load time: one in the queue, one awaiting
acceptance, one close to its deadline and one overdue with its notice.

Called by ``load_demo`` (:func:`load`) once the divisions, organisations and logins exist.
"""

from __future__ import annotations

import datetime as dt
import random
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from ningju.accounts import services as account_services
from ningju.accounts.models import User
from ningju.cases import services
from ningju.cases.models import Category, Notification
from ningju.cases.states import CaseKind, Rating, Status
from ningju.core import roles, uploads
from ningju.demo.case_texts import (
    CALLBACK,
    CITY_SEMINARS,
    INCIDENTS,
    INCIDENTS_OPEN,
    ONLINE,
    RATE_COMMENT,
    REOPEN_RESULT,
    RETURN_REASON,
    TOWN_SEMINARS,
    TRANSFER_REASON,
)
from ningju.demo.clock import WorkdayClock
from ningju.demo.names import GIVEN, SURNAMES
from ningju.geo.selectors import county_code_at
from ningju.people.models import PARTY_STATUSES, Person

QINYANG = "410882000000"
DEMO = "demo"

# Logins printed by load_demo beside its own (phone, name, role, organisation key, note).
LOGINS = [
    ("13800000011", "范文博", "district_org", "qy_org", "沁阳市委组织部副部长,值班领导(接收突发事件)"),
    ("13800000012", "吕晓红", "industry_dept", "hr", "沁阳市人社局(承办权益保障类诉求)"),
]
# Further handlers, so that every organisation receiving cases has a login (not printed).
HANDLERS = [
    ("13800000020", "宋雅琴", "industry_dept", "market"),
    ("13800000021", "韩立伟", "industry_dept", "police"),
]
# Town secretaries of the towns that held seminars (太行街道's is a printed login already).
TOWN_SECRETARIES = {
    "410882001000": ("13800000022", "王建军"), "410882002000": ("13800000023", "刘海燕"),
    "410882004000": ("13800000024", "张志刚"), "410882100000": ("13800000025", "杨丽萍"),
    "410882101000": ("13800000026", "赵永红"), "410882102000": ("13800000027", "陈光明"),
    "410882103000": ("13800000028", "吴秀兰"), "410882104000": ("13800000029", "黄建平"),
    "410882105000": ("13800000030", "周红霞"), "410882201000": ("13800000031", "徐国强"),
}
# "1+3+N": the printed worker login and three colleagues serve as 移动探头 (scouts) in 太行街道's grids;
# the secretary of 罗庄社区 leads the grid the printed worker serves in. (phone or None for the printed
# worker, station, grid code)
SCOUTS = [
    (None, "美团外卖太行站", "410882003002001"),
    ("13800000040", "饿了么太行站", "410882003001002"),
    ("13800000041", "韵达太行网点", "410882003005001"),
    ("13800000042", "滴滴司机之家(沁阳)", "410882003009003"),
]
GRID_LEADER_GRID = "410882003002001"

# Routing in 沁阳市 (category code, organisation key or "local", note); party activities go to each town's
# Party committee (one rule per town); "other" has no rule and waits in the queue.
ROUTING = [
    ("traffic", "transport", "道路通行、停车充电等交通事项由市交通运输局牵头办理"),
    ("traffic-enforcement", "police", "处罚、扣车等交通执法事项由交警大队办理"),
    ("rights", "hr", "劳动报酬、社会保险、劳动合同、职业伤害保障由市人社局办理"),
    ("platform", "market", "派单规则、罚款申诉由市场监管局督促平台企业办理"),
    ("life", "local", "驿站、就餐、住房、子女教育由属地村(社区)办理"),
    ("community", "local", "小区、园区通行由属地社区协调物业办理"),
    ("party", "qy_org", "组织关系转接等由市委组织部办理"),
    ("opinion", "local", "社情民意由属地村(社区)核实办理"),
    ("warning", "local", "异常情况由属地村(社区)先期处置"),
    ("emergency", "local", "突发事件由属地先期处置,同时即时通知值班领导"),
    ("emergency-traffic", "police", "交通事故由交警大队立即出警处置"),
]

PHOTO_COLOURS = [(120, 126, 134), (96, 104, 92), (140, 132, 118), (84, 92, 108)]


def load(progress, *, div: dict, orgs: dict, users: dict, password: str, seed: int) -> None:
    """Write the case engine's story for 沁阳市 (see the module docstring)."""
    _Story(progress, div=div, orgs=orgs, users=users, password=password, rng=random.Random(seed)).run()


class _Story(WorkdayClock):
    def __init__(self, progress, *, div, orgs, users, password, rng):
        super().__init__()
        self.progress, self.div, self.orgs, self.users, self.rng = progress, div, orgs, dict(users), rng
        self.password = password
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.dispatcher = users["district_org"]  # 沁阳市委组织部
        self.cat = {c.code: c for c in Category.objects.all()}
        self.handler_of: dict[int, User] = {}
        self.org_by_pk = {o.pk: o for o in orgs.values()}

    def run(self) -> None:
        self._accounts()
        self._rules()
        self._seminars()
        self._grid()
        self._online()
        self._incidents()
        self._open_work()
        services.tick(now=self.now)  # the deadline job: reminders and the overdue notice
        self._read_old_notifications()

    # ------------------------------------------------------------------ time on working days
    def office(self, t: dt.datetime) -> dt.datetime:
        """``t``, or the next office hour (08:30–18:00 on a working day) when it falls outside."""
        local = timezone.localtime(t, self.tz)
        if self.cal.is_workday(local.date()) and dt.time(8, 30) <= local.time() < dt.time(18, 0):
            return t
        day = local.date() if local.time() < dt.time(8, 30) and self.cal.is_workday(local.date()) \
            else self.cal.next_workday(local.date())
        return self.at(day, 8, 30 + self.rng.randint(0, 50))

    def later(self, t: dt.datetime, low: int, high: int) -> dt.datetime:
        """Some minutes after ``t``, within office hours."""
        return self.office(t + dt.timedelta(minutes=self.rng.randint(low, high)))

    def next_day(self, t: dt.datetime, n: int = 1, hours=(9, 17)) -> dt.datetime:
        """A time on the ``n``-th working day after ``t``."""
        day = timezone.localtime(t, self.tz).date()
        for _ in range(n):
            day = self.cal.next_workday(day)
        return self.at(day, self.rng.randint(hours[0], hours[1] - 1), self.rng.randint(0, 59))

    def before(self, t: dt.datetime, due: dt.datetime, floor: dt.datetime) -> dt.datetime:
        """``t`` if it is before ``due``, else a moment shortly before ``due`` (and after ``floor``)."""
        if t < due:
            return t
        return max(floor + dt.timedelta(minutes=5), due - dt.timedelta(minutes=self.rng.randint(10, 60)))

    # ------------------------------------------------------------------ people
    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))

    def _phone(self) -> str:
        return "1" + self.rng.choice("3578") + "".join(str(self.rng.randint(0, 9)) for _ in range(9))

    def _account(self, phone, name, role, org_key=None, person=None) -> User:
        return account_services.user_create(actor=None, phone=phone, name=name, password=self.password, role=role,
                                            organisation=self.orgs[org_key] if org_key else None, person=person,
                                            source=DEMO)

    def _accounts(self) -> None:
        t = self.progress.add_task("诉求办理账号", total=len(LOGINS) + len(HANDLERS) + len(TOWN_SECRETARIES))
        for phone, name, role, org_key, *_ in LOGINS + HANDLERS:
            self.users[f"cases:{org_key}"] = self._account(phone, name, role, org_key)
            self.progress.advance(t)
        for town, (phone, name) in TOWN_SECRETARIES.items():
            self.users[f"town:{town}"] = self._account(phone, name, "town_secretary", f"town:{town}")
            self.progress.advance(t)
        self.users["town:410882003000"] = self.users["town_secretary"]
        self.duty_leader = self.users["cases:qy_org"]
        for user in self.users.values():
            if user.organisation_id and user.can(roles.M_CASES_HANDLE):
                self.handler_of.setdefault(user.organisation_id, user)

    def handler(self, org) -> User:
        """The login that acts for ``org``: its own, or that of the nearest organisation above."""
        pk = org.pk
        while pk is not None:
            if pk in self.handler_of:
                return self.handler_of[pk]
            pk = self.org_by_pk[pk].parent_id if pk in self.org_by_pk else None
        raise LookupError(f"no handler login for {org}")

    # ------------------------------------------------------------------ rules, seminars, grievances
    def _rules(self) -> None:
        qinyang = self.div[QINYANG]
        towns = sorted((d for d in self.div.values() if d.parent_id == qinyang.pk), key=lambda d: d.code)
        t = self.progress.add_task("诉求分派规则", total=len(ROUTING) + len(towns))
        for code, target, note in ROUTING:
            services.routing_rule_save(actor=self.dispatcher, category=self.cat[code], division=qinyang,
                                       target="local" if target == "local" else "org",
                                       organisation=None if target == "local" else self.orgs[target], note=note)
            self.progress.advance(t)
        for town in towns:
            services.routing_rule_save(actor=self.dispatcher, category=self.cat["party-activity"], division=town,
                                       organisation=self.orgs[f"town:{town.code}"],
                                       note=f"党员学习与活动由{town.name}党(工)委组织")
            self.progress.advance(t)
        first = self.workday(self.today - dt.timedelta(days=CITY_SEMINARS[0][1] + 7))
        services.duty_shift_create(actor=self.dispatcher, organisation=self.orgs["qy"], user=self.duty_leader,
                                   starts_on=first, ends_on=self.today + dt.timedelta(days=30))

    def _village(self, code: str):
        division = self.div[code]
        if not code.endswith("000"):
            return division
        villages = sorted((d for d in self.div.values() if d.parent_id == division.pk), key=lambda d: d.code)
        return self.rng.choice(villages)

    def target(self, key: str, case):
        """The organisation a plan names: a key of the demo's organisations, "local" or "town"."""
        codes = [p for p in case.division_path.split("/") if p]
        if key == "local":
            return self.orgs[f"village:{codes[3]}"]
        if key == "town":
            return self.orgs[f"town:{codes[2]}"]
        return self.orgs[key]

    def _seminars(self) -> None:
        total = sum(len(s[4]) for s in CITY_SEMINARS) + sum(len(s[3]) for s in TOWN_SEMINARS)
        t = self.progress.add_task("座谈会与诉求", total=total)
        plan = [(title, days, place, who, items, "city", self.dispatcher, self.orgs["qy_org"], QINYANG)
                for title, days, place, who, items in CITY_SEMINARS]
        for town, days, place, items in TOWN_SEMINARS:
            name = self.div[town].name
            plan.append((f"{name}新就业群体青年座谈会", days, place,
                         f"辖区外卖骑手、快递员、货车司机代表,{name}党(工)委、派出所、社区负责同志", items, "town",
                         self.users[f"town:{town}"], self.orgs[f"town:{town}"], town))
        for title, days, place, who, items, level, recorder, organiser, division in plan:
            held = self.workday(self.today - dt.timedelta(days=days))
            seminar = services.seminar_create(
                actor=recorder, level=level, title=title, held_on=held, place=place, division=self.div[division],
                organiser=organiser, attendee_count=self.rng.randint(36, 58) if level == "city"
                else self.rng.randint(16, 32), attendees=who)
            for n, item in enumerate(items):
                filed = self.at(held, 16, 40) + dt.timedelta(minutes=4 * n + self.rng.randint(0, 3))
                case = services.case_file(
                    actor=recorder, kind=CaseKind.GRIEVANCE, category=self.cat[item.code], text=item.text,
                    division=self._village(item.where), filer_name=self._name(), filer_phone=self._phone(),
                    seminar=seminar, at=filed, audit_source=DEMO).case
                self._course(case, filed, item.plan, item.result, callback_by=recorder, seminar=seminar)
                self.progress.advance(t)

    # ------------------------------------------------------------------ one case, from filing to closing
    def _course(self, case, t, plan: str, result: str, *, callback_by=None, rate_by=None, seminar=None):
        opt = dict(tag.partition(":")[::2] for tag in plan.split())
        if case.status == Status.SUBMITTED:  # no rule: the dispatcher takes it from the queue
            t = self.next_day(t, hours=(9, 11))
            case = services.case_dispatch(actor=self.dispatcher, case=case, version=case.version, at=t, source=DEMO,
                                          organisation=self.target(opt["queue"], case), comment="请按时限办理并答复")
        if "return" in opt:
            t = self.later(t, 60, 300)
            case = services.case_return(actor=self.handler(case.organisation), case=case, version=case.version,
                                        reason=RETURN_REASON[opt["return"]], at=t, source=DEMO)
            t = self.later(t, 30, 120)
            case = services.case_dispatch(actor=self.dispatcher, case=case, version=case.version, at=t, source=DEMO,
                                          organisation=self.target(opt["return"], case), comment="重新分派,请办理")
        case, t = self._accept(case, t, late="late" in opt)
        if "transfer" in opt:
            t = self.next_day(t, hours=(9, 12))
            case = services.case_transfer(actor=self.dispatcher, case=case, version=case.version, at=t, source=DEMO,
                                          organisation=self.target(opt["transfer"], case),
                                          reason=TRANSFER_REASON[opt["transfer"]])
            case, t = self._accept(case, t)
        rating = Rating.UNSATISFIED if {"unsat", "reopen"} & opt.keys() else \
            Rating.BASIC if "basic" in opt else Rating.SATISFIED
        case, t = self._answer(case, t, result, seminar=seminar, extend="extend" in opt, late="late-reply" in opt)
        case, t = self._rate(case, t, rating, callback_by=callback_by, rate_by=rate_by)
        if "reopen" in opt:
            t = self.next_day(t, hours=(9, 11))
            case = services.case_reopen(actor=callback_by, case=case, version=case.version, at=t, source=DEMO,
                                        reason="回访时诉求人反映新承包商仅口头承诺,工龄仍未写入合同,申请重新办理。")
            case, t = self._accept(case, t)
            case, t = self._answer(case, t, REOPEN_RESULT, seminar=seminar)
            case, t = self._rate(case, t, Rating.BASIC, callback_by=callback_by, rate_by=rate_by)
        return case

    def _accept(self, case, t, *, late=False, hurry=False):
        due = case.accept_due
        if late:  # the deadline passes: the job raises a 督办 notice, the organisation accepts the day after
            notice = due + dt.timedelta(minutes=self.rng.randint(15, 80))
            services.tick(now=notice)
            t = self.office(notice + dt.timedelta(hours=self.rng.randint(14, 22)))
        elif hurry:
            t = t + dt.timedelta(minutes=self.rng.randint(6, 25))
        else:
            t = self.before(self.later(t, 20, 240), due, t)
        comment = self.rng.choice(("", "已受理,正在核实情况", "已受理,已联系诉求人了解详情"))
        case = services.case_accept(actor=self.handler(case.organisation), case=case, version=case.version,
                                    comment=comment, at=t, source=DEMO)
        return case, t

    def _answer(self, case, t, result, *, seminar=None, extend=False, late=False, hurry=False, evidence=()):
        handler = self.handler(case.organisation)
        if extend:
            t = self.next_day(t, n=2)
            case = services.case_request_extension(actor=handler, case=case, version=case.version, days=5, at=t,
                                                   reason="需约谈企业并组织双方协商,申请延期5个工作日。", source=DEMO)
            t = self.later(t, 60, 240)
            case = services.case_decide_extension(actor=self.dispatcher, case=case, version=case.version, approve=True,
                                                  comment="同意延期,请抓紧协调", at=t, source=DEMO)
            handled = self.next_day(t, n=4)
        elif late:  # the reply deadline passes first: the job raises a notice
            notice = case.reply_due + dt.timedelta(minutes=self.rng.randint(15, 80))
            services.tick(now=notice)
            handled = self.later(notice, 120, 300)
        elif hurry:
            handled = t + dt.timedelta(minutes=self.rng.randint(40, 110))
        else:
            handled = self.next_day(t, n=self.rng.choice((1, 1, 2)))
        replied = handled + dt.timedelta(minutes=self.rng.randint(20, 90)) if hurry else self.later(handled, 30, 150)
        if not late:
            replied = self.before(replied, case.reply_due, t)
            handled = min(handled, replied - dt.timedelta(minutes=15))
        handled = max(handled, t + dt.timedelta(minutes=5))
        case = services.case_handle(actor=handler, case=case, version=case.version, result=result, at=handled,
                                    attachments=evidence, source=DEMO)
        if seminar is not None:
            reply = f"您在{seminar.title}上反映的问题已办理:{result}如有新的情况,欢迎继续反映。"
        elif case.kind == CaseKind.INCIDENT:
            reply = f"感谢您及时上报。{result}"
        else:
            reply = f"您好,您反映的问题已办理:{result}感谢您的反映。"
        case = services.case_reply(actor=handler, case=case, version=case.version, reply=reply, at=replied,
                                   source=DEMO)
        return case, replied

    def _rate(self, case, t, rating, *, callback_by=None, rate_by=None):
        if callback_by is not None:  # filed at a seminar, without a login: rated on a call-back
            t = self.next_day(t, n=self.rng.choice((1, 2, 3)), hours=(9, 18))
            case = services.case_callback(actor=callback_by, case=case, version=case.version, rating=rating,
                                          comment=self.rng.choice(CALLBACK[rating]), at=t, source=DEMO)
        else:
            t = self.later(t, 60, 60 * 20)
            comment = RATE_COMMENT.get(rating, "")
            case = services.case_rate(actor=rate_by, case=case, version=case.version, rating=rating, comment=comment,
                                      at=t, source=DEMO)
        return case, t

    # ------------------------------------------------------------------ the grid and the workers online
    def _grid(self) -> None:
        t = self.progress.add_task("网格员(移动探头)", total=len(SCOUTS) + 1)
        self.scouts = []
        for phone, station, grid in SCOUTS:
            if phone is None:
                user = self.users["worker"]
            else:
                person = (Person.objects.filter(employer=self.orgs[f"station:{station}"],
                                                political_status__in=PARTY_STATUSES).order_by("pk").first()
                          or Person.objects.filter(employer=self.orgs[f"station:{station}"]).order_by("pk").first())
                user = self._account(phone, person.name, "worker", person=person)
            services.grid_member_set(actor=self.dispatcher, user=user, division=self.div[grid], role="scout")
            self.scouts.append((user, self.div[grid]))
            self.progress.advance(t)
        services.grid_member_set(actor=self.dispatcher, user=self.users["village_secretary"],
                                 division=self.div[GRID_LEADER_GRID], role="leader")
        self.progress.advance(t)

    def _online(self) -> None:
        t = self.progress.add_task("在线诉求", total=len(ONLINE))
        for scout, days, code, where, text, result, rating in ONLINE:
            user = self.scouts[scout][0]
            filed = self.at(self.workday(self.today - dt.timedelta(days=days)), self.rng.randint(12, 21),
                            self.rng.randint(0, 59))
            case = services.case_file(actor=user, kind=CaseKind.GRIEVANCE, category=self.cat[code], text=text,
                                      division=self.div[where], at=filed, audit_source=DEMO).case
            self._course(case, filed, {Rating.BASIC: "basic"}.get(rating, ""), result, rate_by=user)
            self.progress.advance(t)

    def _point(self, grid) -> tuple[float, float]:
        """A point inside 沁阳市 near the city centre (the grids' own shapes are not in the demo data)."""
        rng = random.Random(grid.code)
        base = (35.082 + rng.uniform(0, 0.016), 112.925 + rng.uniform(0, 0.03))
        while True:
            lat = round(base[0] + self.rng.uniform(-0.003, 0.003), 6)
            lng = round(base[1] + self.rng.uniform(-0.003, 0.003), 6)
            if county_code_at(lat, lng) == QINYANG:
                return lat, lng

    def _photo(self, title: str) -> uploads.CleanFile:
        """A small street-scene JPEG, cleaned like any upload."""
        img = Image.new("RGB", (640, 480), self.rng.choice(PHOTO_COLOURS))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, 0, 640, 170), fill=(170 + self.rng.randint(0, 40), 190, 210))
        draw.polygon([(0, 480), (640, 480), (420, 190), (220, 190)], fill=(70, 72, 76))
        draw.line([(320, 480), (320, 200)], fill=(230, 210, 90), width=6)
        for _ in range(4):
            x, y = self.rng.randint(40, 560), self.rng.randint(200, 420)
            draw.ellipse((x, y, x + self.rng.randint(30, 80), y + self.rng.randint(20, 50)),
                         fill=tuple(self.rng.randint(20, 200) for _ in range(3)))
        buf = BytesIO()
        img.save(buf, "JPEG", quality=80)
        return uploads.clean_upload(SimpleUploadedFile(f"{title}.jpg", buf.getvalue(), "image/jpeg"), label="照片")

    def _report(self, scout, day, hour, code, text, address, photo):
        user, grid = self.scouts[scout]
        lat, lng = self._point(grid)
        filed = self.at(day, hour, self.rng.randint(0, 59))
        attachments = [self._photo(address)] if photo else []
        case = services.case_file(actor=user, kind=CaseKind.INCIDENT, category=self.cat[code], text=text,
                                  division=grid, lat=lat, lng=lng, address=f"沁阳市太行街道{address}",
                                  attachments=attachments, at=filed, audit_source=DEMO).case
        return user, case, filed

    def _incidents(self) -> None:
        t = self.progress.add_task("网格事件上报", total=len(INCIDENTS))
        for scout, days, hour, code, text, address, photo, result, rating in INCIDENTS:
            emergency = self.cat[code].is_emergency
            day = self.today - dt.timedelta(days=days)
            user, case, filed = self._report(scout, day if emergency else self.workday(day), hour, code, text,
                                             address, photo)
            case, at = self._accept(case, filed, hurry=emergency)
            evidence = [self._photo(f"{address}处置后")] if photo and not emergency else []
            case, at = self._answer(case, at, result, hurry=emergency, evidence=evidence)
            self._rate(case, at, rating, rate_by=user)
            self.progress.advance(t)

    # ------------------------------------------------------------------ live work at the load time
    def _open_work(self) -> None:
        t = self.progress.add_task("待办事项", total=len(INCIDENTS_OPEN) + 4)
        for scout, days, hour, code, text, address, photo, result in INCIDENTS_OPEN:
            _user, case, filed = self._report(scout, self.back(self.today, days), hour, code, text, address, photo)
            case, at = self._accept(case, filed)
            if result:
                self._answer(case, at, result)
            self.progress.advance(t)
        hjj, rider, courier, driver = (s[0] for s in self.scouts)

        # In the queue: no rule covers "other".
        services.case_file(actor=hjj, kind=CaseKind.GRIEVANCE, category=self.cat["other"], division=self.div[
            "410882003002"], at=self.now - dt.timedelta(hours=3), audit_source=DEMO,
            text="想报名参加今年的“最美新就业群体”评选,不知道在哪里报名、需要什么条件。")
        self.progress.advance(t)
        # Waiting for acceptance at 人社局.
        services.case_file(actor=courier, kind=CaseKind.GRIEVANCE, category=self.cat["rights-pay"],
                           division=self.div["410882003005"], at=self.now - dt.timedelta(hours=2), audit_source=DEMO,
                           text="网点以“包裹破损”为由每月扣派费200多元,没有任何凭证,找网点负责人也不给说法。")
        self.progress.advance(t)
        # Accepted by 交通运输局, the reply due within hours: the dispatch time whose 5-working-day deadline
        # falls soonest after now (at least an hour ahead).
        candidates = [self.at(self.back(self.today, n), h, 30) for n in range(3, 9) for h in range(8, 20)]
        dispatched = min((c for c in candidates if self.cal.add_workdays(c, 5) > self.now + dt.timedelta(hours=1)),
                         key=lambda c: self.cal.add_workdays(c, 5))
        case = services.case_file(actor=driver, kind=CaseKind.GRIEVANCE, category=self.cat["traffic-parking"],
                                  division=self.div["410882003009"], at=dispatched, audit_source=DEMO,
                                  text="怀府音乐广场周边没有网约车临时上下客点,停车接人经常被拍违停。").case
        self._accept(case, dispatched)
        self.progress.advance(t)
        # Accepted by 罗庄社区 eight working days ago and not answered: overdue, 督办 by 太行街道党工委.
        filed = self.at(self.back(self.today, 8), 10, 15)
        case = services.case_file(actor=rider, kind=CaseKind.GRIEVANCE, category=self.cat["community-access"],
                                  division=self.div["410882003002"], at=filed, audit_source=DEMO,
                                  text="罗庄社区锦华苑小区物业不让骑手进门,只能把餐放在门口,顾客投诉餐凉了还给差评。").case
        self._accept(case, filed)
        self.progress.advance(t)

    def _read_old_notifications(self) -> None:
        """Messages older than two days have been read by their users."""
        cutoff = self.now - dt.timedelta(days=2)
        old: dict[int, list[int]] = {}
        for user_id, pk in Notification.objects.filter(created_at__lt=cutoff).values_list("user_id", "pk"):
            old.setdefault(user_id, []).append(pk)
        for user in User.objects.filter(pk__in=old):
            services.mark_read(user=user, ids=old[user.pk], at=cutoff)

