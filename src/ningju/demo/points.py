"""The points part of the demo city: 中马村's "乡村积分管理" with its points shop, and 中马村党支部's 党员积分榜.

The source article: 中马村 (山阳区) keeps points for every household under a rulebook — study, activities,
volunteering, a tidy courtyard, care for the elderly, new customs, with deductions for litter and for burning
straw — and villagers exchange points for daily goods in the village points shop (积分超市); the red/black
board is published every month, and the 督导组 ask "党员积分榜更新了吗". Everything here goes through
:mod:`ningju.points.services` with explicit times over the year before the load date: the secretary's awards
after each night-school session, activity and monthly inspection; declarations by villagers (申报 → 审核 →
公示 → 入账, two rejected, one objected to and resolved); two reversals; orders in the shop picked up with the
pickup code, two cancelled and refunded, a few still waiting at the load time; a board published on the first
day of every month. The Party members of 中马村党支部 have their own accounts, rulebook and monthly board.

Called by ``load_demo`` (:func:`load`) once the divisions, organisations and the registry exist.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from ningju.accounts import services as account_services
from ningju.accounts.models import User
from ningju.core import idcard
from ningju.core.crypto import keyed_hash
from ningju.demo.names import GIVEN, SURNAMES
from ningju.geo.models import Division, Level
from ningju.people import services as people_services
from ningju.people.models import Occupation, Person, PoliticalStatus
from ningju.points.models import Account, BoardPublication, Declaration, Entry, Order
from ningju.points.services import boards, declarations, ledger, setup, shop

SHANYANG = "410811000000"
VILLAGE = "中马村"
DEMO = "demo"

SECRETARY = ("13800000300", "马德胜")
KEEPER = ("13800000301", "马桂兰")  # 村委委员, keeps the shop
VILLAGER_PHONE = "13800000310"  # the printed villager login; household ZM001
VILLAGER_NAME = "马春生"
VILLAGER_LOGINS = 5  # households ZM001–ZM005 open 我的积分 on their phones (13800000310–314)
HOUSEHOLDS = 52
NEW_MEMBERS = 12  # Party members of 中马村党支部 added to the registry (besides any already living there)

# Logins printed by load_demo beside its own (phone, name, role, organisation key, note).
LOGINS = [
    (VILLAGER_PHONE, VILLAGER_NAME, "villager", None, "中马村村民(我的积分、申报、积分超市兑换)"),
]

# (category, name, points, cap, cap period, declarable)
HOUSEHOLD_RULES = [
    ("study", "参加农民夜校学习", 2, 4, "month", False),
    ("activity", "参加村集体活动", 3, 6, "month", False),
    ("volunteer", "参加志愿服务", 5, 20, "month", True),
    ("sanitation", "庭院整洁(月度评比)", 5, 5, "month", False),
    ("sanitation", "乱堆乱放", -5, None, "month", False),
    ("filial", "孝老爱亲事迹", 10, 20, "quarter", True),
    ("civility", "红白事简办", 10, 10, "year", True),
    ("civility", "邻里互助、参与调解", 5, 10, "month", True),
    ("civility", "焚烧秸秆、垃圾", -10, None, "month", False),
]
MEMBER_RULES = [
    ("study", "参加“三会一课”", 5, 10, "month", False),
    ("activity", "参加主题党日活动", 5, 5, "month", False),
    ("volunteer", "党员志愿服务", 5, 20, "month", True),
    ("activity", "无故缺席组织生活", -5, None, "month", False),
]
# (name, price, stock, unit)
ITEMS = [
    ("食用油(5升)", 60, 30, "桶"), ("大米(10公斤)", 50, 40, "袋"), ("面粉(5公斤)", 25, 40, "袋"),
    ("洗衣粉(2公斤)", 15, 60, "袋"), ("洗洁精", 8, 60, "瓶"), ("毛巾", 6, 80, "条"), ("香皂", 4, 80, "块"),
    ("牙膏", 6, 60, "支"), ("酱油", 5, 60, "瓶"), ("卫生纸(10卷)", 12, 50, "提"), ("暖水瓶", 30, 15, "个"),
]
ACTIVITIES = ["义务植树", "重阳敬老宴", "广场舞展演", "村容村貌清洁日", "文明家庭评选大会", "春节联欢会",
              "消防安全演练", "防溺水宣传", "夏季纳凉晚会", "丰收节", "法律知识讲座", "健康义诊"]
NOTES = {
    "参加志愿服务": ["参加村里组织的清扫主干道志愿服务半天", "在村口疫苗接种点维持秩序", "帮助村小学门口护学岗值守",
                 "参加河道垃圾清理", "到孤寡老人家中打扫卫生"],
    "孝老爱亲事迹": ["常年照顾瘫痪在床的婆婆,经邻居推荐申报", "赡养两位老人,老人生病住院期间全程陪护",
                 "照顾独居的叔叔日常起居"],
    "红白事简办": ["儿子婚事简办,未摆流水席,节省彩礼", "老人丧事简办,不请响器班,不大操大办"],
    "邻里互助、参与调解": ["帮邻居抢收玉米", "协助村调解委员会调解宅基地纠纷", "雨天帮邻居疏通排水沟"],
}


def load(progress, *, div: dict, orgs: dict, users: dict, password: str, seed: int) -> None:
    """Write the points story of 中马村 (see the module docstring)."""
    _Story(progress, div=div, orgs=orgs, users=users, password=password, rng=random.Random(seed)).run()


def zhongma() -> Division:
    """中马村 in 山阳区, found by name in the divisions."""
    county = Division.objects.get(code=SHANYANG)
    return Division.objects.get(name=VILLAGE, level=Level.VILLAGE, path__startswith=county.path)


class _Story:
    def __init__(self, progress, *, div, orgs, users, password, rng):
        self.progress, self.div, self.orgs, self.users, self.rng = progress, div, orgs, users, rng
        self.password = password
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.start = self.today - dt.timedelta(days=365)
        self.tz = timezone.get_default_timezone()
        self.village = zhongma()
        self.branch = orgs[f"village:{self.village.code}"]
        self.balance: dict[int, int] = {}
        self.used: dict[tuple, int] = {}  # (account, rule, period start) -> points declared or awarded
        self.keys = 0
        self.fulfil_on: dict[dt.date, list[Order]] = {}
        self.rejected = 0

    def run(self) -> None:
        t = self.progress.add_task("乡村积分(中马村)", total=6)
        self._staff()
        self.progress.advance(t)
        self._households()
        self._members()
        self.progress.advance(t)
        self._rulebooks()
        self._shop()
        self.progress.advance(t)
        self._year()
        self.progress.advance(t)
        declarations.post_due(now=self.now)  # the daily job has run today
        self.progress.advance(t)
        self.progress.advance(t)

    # ------------------------------------------------------------------ helpers
    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=self.tz) + dt.timedelta(minutes=minute)

    def key(self, prefix: str) -> str:
        self.keys += 1
        return f"demo:zhongma:{prefix}:{self.keys}"

    def _name(self, surname: str | None = None) -> str:
        surname = surname or ("马" if self.rng.random() < .45 else self.rng.choice(SURNAMES))
        return surname + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))

    def _user(self, phone: str, name: str, role: str, organisation=None) -> User:
        return account_services.user_create(actor=None, phone=phone, name=name, password=self.password, role=role,
                                            organisation=organisation, source=DEMO)

    def _cap_key(self, account, rule, day: dt.date):
        return account.pk, rule.pk, ledger.period_range(day, rule.cap_period)[0]

    def _fits(self, account, rule, day: dt.date, amount: int) -> bool:
        if rule.cap is None:
            return True
        return abs(self.used.get(self._cap_key(account, rule, day), 0) + amount) <= rule.cap

    def _count(self, entry: Entry) -> None:
        self.balance[entry.account_id] = self.balance.get(entry.account_id, 0) + entry.amount

    # ------------------------------------------------------------------ people, rules, shop
    def _staff(self) -> None:
        """The secretary who keeps the points: one already created for 中马村党支部 (the stars story), or ours."""
        found = User.objects.filter(role="village_secretary", organisation=self.branch, is_active=True).order_by("pk")
        self.sec = found.first() or self._user(*SECRETARY, "village_secretary", self.branch)
        self.keeper = self._user(*KEEPER, "village_secretary", self.branch)

    def _households(self) -> None:
        residents = list(Person.objects.filter(home_division=self.village).order_by("pk"))
        heads = [p for p in residents if not p.is_party_member]
        self.households = []
        for n in range(1, HOUSEHOLDS + 1):
            head = heads.pop(0) if n > 1 and heads else None
            name = VILLAGER_NAME if n == 1 else (head.name if head else self._name())
            h = setup.household_create(actor=self.sec, village=self.village, number=f"ZM{n:03d}", head_name=name,
                                       members=self.rng.randint(1, 6), head=head,
                                       address=f"中马村{(n - 1) // 10 + 1}组{n:02d}号")
            user = None
            if n <= VILLAGER_LOGINS:
                user = self._user(VILLAGER_PHONE if n == 1 else f"138000003{10 + n - 1:02d}", name, "villager")
            acc = setup.account_open(actor=self.sec, organisation=self.branch, household=h, user=user)
            # How keen each household is: the printed villager takes part in most things.
            acc.keen = .85 if n == 1 else self.rng.uniform(.15, .75)
            self.households.append(acc)
        self.logins = [a for a in self.households if a.user_id]

    def _members(self) -> None:
        """中马村党支部's members: those of the registry living in 中马村, and those added here."""
        used = set(Person.objects.values_list("id_hash", flat=True))
        for _ in range(NEW_MEMBERS):
            while True:
                birth = dt.date(self.rng.randint(1950, 1995), self.rng.randint(1, 12), self.rng.randint(1, 28))
                number = idcard.make("410811", birth, self.rng.randint(1, 999))
                if keyed_hash(number) not in used:
                    used.add(keyed_hash(number))
                    break
            phone = "1" + self.rng.choice("3578") + "".join(str(self.rng.randint(0, 9)) for _ in range(9))
            status = PoliticalStatus.PROBATIONARY if self.rng.random() < .1 else PoliticalStatus.MEMBER
            people_services.person_create(actor=self.sec, source=DEMO, name=self._name(), id_number=number,
                                          phone=phone, political_status=status, occupation=Occupation.OTHER,
                                          home_division=self.village, party_org=self.branch)
        people = [p for p in Person.objects.filter(home_division=self.village).order_by("pk") if p.is_party_member]
        self.members = []
        for p in people:
            acc = setup.account_open(actor=self.sec, organisation=self.branch, person=p)
            acc.keen = self.rng.uniform(.6, .95)
            self.members.append(acc)

    def _rulebooks(self) -> None:
        self.rule, self.mrule = {}, {}
        for applies_to, name, rules, out in (
                ("household", "中马村乡村积分管理办法", HOUSEHOLD_RULES, self.rule),
                ("member", "中马村党支部党员积分管理办法", MEMBER_RULES, self.mrule)):
            book = setup.rulebook_save(actor=self.sec, organisation=self.branch, name=name, applies_to=applies_to,
                                       publicity_workdays=3)
            for category, rule_name, points, cap, period, declarable in rules:
                out[rule_name] = setup.rule_save(actor=self.sec, rulebook=book, category=category, name=rule_name,
                                                 points=points, cap=cap, cap_period=period, declarable=declarable)

    def _shop(self) -> None:
        self.shop = setup.shop_create(actor=self.sec, organisation=self.branch, name="中马村积分超市",
                                      keepers=[self.sec, self.keeper], address="中马村党群服务中心一楼",
                                      hours="每周五 9:00–11:30")
        self.items = [shop.item_save(actor=self.keeper, shop=self.shop, name=name, price=price, stock=stock,
                                     unit=unit) for name, price, stock, unit in ITEMS]
        self.stock = {i.pk: i.stock for i in self.items}

    # ------------------------------------------------------------------ the year, day by day
    def _year(self) -> None:
        day, self.month_no = self.start + dt.timedelta(days=1), 0
        t = self.progress.add_task("积分流水(一年)", total=(self.today - day).days)
        while day < self.today:
            declarations.post_due(now=self.at(day, 6))  # the daily job (points_tick)
            if day.day == 1:
                self.month_no += 1
                self._publish(day)
            if day.day == 8:
                self._night_school(day)
            if day.day == 5:
                self._party_day(day)
            if day.day == 12:
                self._party_meeting(day)
            if day.day == 15:
                self._activity(day)
            if day.day == 27:
                self._inspection(day)
            if day.day in (3, 11):
                self._declarations(day)
            if day.weekday() == 4 and self.month_no >= 2:
                self._orders(day)
            if day.day == 20 and day.month in (6, 10):
                self._burning(day)
            for order in self.fulfil_on.pop(day, []):
                self._pickup(order, day)
            day += dt.timedelta(days=1)
            self.progress.advance(t)
        self._recent_work()

    def award(self, account, rule, day: dt.date, at: dt.datetime, reason: str = "", times: int = 1):
        amount = rule.points * times
        if not self._fits(account, rule, day, amount) or (amount < 0 and self.balance.get(account.pk, 0) < -amount):
            return None
        entry = ledger.award(actor=self.sec, account=account, rule=rule, occurred_on=day, times=times, reason=reason,
                             idempotency_key=self.key("award"), at=at)
        k = self._cap_key(account, rule, day)
        self.used[k] = self.used.get(k, 0) + amount
        self._count(entry)
        return entry

    def _night_school(self, day: dt.date) -> None:
        rule = self.rule["参加农民夜校学习"]
        topic = self.rng.choice(["种植技术", "电商直播", "法律常识", "党的惠农政策", "防范电信诈骗", "健康知识"])
        for acc in self.households:
            if self.rng.random() < acc.keen * .5:
                self.award(acc, rule, day, self.at(day, 21, self.rng.randint(0, 30)), f"农民夜校:{topic}")

    def _activity(self, day: dt.date) -> None:
        rule = self.rule["参加村集体活动"]
        name = ACTIVITIES[(day.month - 1) % len(ACTIVITIES)]
        attended = [a for a in self.households if self.rng.random() < a.keen * .6]
        for acc in attended:
            self.award(acc, rule, day, self.at(day, 17, self.rng.randint(0, 50)), name)
        if self.month_no == 4 and len(attended) > 2:
            # Points recorded for the wrong household: reversed the next morning and given to the right one.
            wrong = next(a for a in self.households if a not in attended and self.balance.get(a.pk, 0) >= 3)
            right = next(a for a in self.households if a not in attended and a is not wrong)
            entry = self.award(wrong, rule, day, self.at(day, 18), name)
            if entry is not None:
                rev = ledger.reverse(actor=self.sec, entry=entry, at=self.at(day + dt.timedelta(days=1), 9),
                                     reason=f"户号记错,实为{right.household.number}户参加")
                self._count(rev)
                k = self._cap_key(wrong, rule, day)
                self.used[k] -= rule.points
                self.award(right, rule, day, self.at(day + dt.timedelta(days=1), 9, 5), name)

    def _inspection(self, day: dt.date) -> None:
        """The monthly courtyard inspection by the village's 环境卫生 team."""
        tidy, litter = self.rule["庭院整洁(月度评比)"], self.rule["乱堆乱放"]
        for acc in self.households:
            r = self.rng.random()
            if r < acc.keen:
                self.award(acc, tidy, day, self.at(day, 10, self.rng.randint(0, 59)))
            elif r > .95:
                entry = self.award(acc, litter, day, self.at(day, 11, self.rng.randint(0, 59)),
                                   "门前柴草、建筑材料乱堆乱放")
                if entry is not None and self.month_no == 7 and not getattr(self, "reversed_deduction", False):
                    rev = ledger.reverse(actor=self.sec, entry=entry, at=self.at(day + dt.timedelta(days=2), 10),
                                         reason="经核实为邻户施工临时堆放,非本户所为")
                    self._count(rev)
                    self.reversed_deduction = True

    def _burning(self, day: dt.date) -> None:
        rule = self.rule["焚烧秸秆、垃圾"]
        for acc in self.rng.sample(self.households, 2):
            self.award(acc, rule, day, self.at(day, 16), "收获季节在田间焚烧秸秆,经网格员劝阻")

    def _party_day(self, day: dt.date) -> None:
        good, absent = self.mrule["参加主题党日活动"], self.mrule["无故缺席组织生活"]
        for acc in self.members:
            if self.rng.random() < acc.keen:
                self.award(acc, good, day, self.at(day, 16), f"{day.month}月主题党日")
            elif self.rng.random() < .5:
                self.award(acc, absent, day, self.at(day, 17), f"{day.month}月主题党日无故缺席")
        volunteer = self.mrule["党员志愿服务"]
        for acc in self.members:
            if self.rng.random() < acc.keen * .4:
                self.award(acc, volunteer, day, self.at(day, 17, 30), "党员先锋岗:村口执勤、帮扶困难群众",
                           times=self.rng.randint(1, 3))

    def _party_meeting(self, day: dt.date) -> None:
        rule = self.mrule["参加“三会一课”"]
        label = "支部党员大会、党课" if day.month % 3 == 0 else "支部委员会、党小组会"
        for acc in self.members:
            if self.rng.random() < acc.keen:
                self.award(acc, rule, day, self.at(day, 19), label)

    # ------------------------------------------------------------------ declarations
    def _declarations(self, day: dt.date) -> None:
        rules = [self.rule[n] for n in ("参加志愿服务", "参加志愿服务", "孝老爱亲事迹", "邻里互助、参与调解",
                                        "红白事简办")]
        for _ in range(3):
            acc = self.rng.choice(self.logins if self.rng.random() < .6 else self.households)
            rule = self.rng.choice(rules)
            times = self.rng.randint(1, 2) if rule.points == 5 else 1
            # within the month, so that a month's board is complete when it is published on the 1st
            occurred = max(day - dt.timedelta(days=self.rng.randint(0, 3)), day.replace(day=1))
            if occurred <= self.start or not self._fits(acc, rule, occurred, rule.points * times):
                continue
            k = self._cap_key(acc, rule, occurred)
            self.used[k] = self.used.get(k, 0) + rule.points * times
            by = acc.user if acc.user_id else self.sec  # without a login the secretary enters it for them
            d = declarations.submit(actor=by, account=acc, rule=rule, occurred_on=occurred, times=times,
                                    note=self.rng.choice(NOTES[rule.name]),
                                    at=self.at(day, 20, self.rng.randint(0, 50)))
            self._review(d, day)

    def _review(self, d: Declaration, day: dt.date) -> None:
        at = self.at(day + dt.timedelta(days=1), 9, self.rng.randint(0, 50))
        if at > self.now:
            return  # waits for the secretary
        reject = self.month_no in (3, 9) and self.rejected < (1 if self.month_no == 3 else 2)
        self.rejected += reject
        comment = "未附佐证材料,请补充照片或证明人后重新申报" if reject else "情况属实,同意公示"
        d = declarations.review(actor=self.sec, declaration=d, approve=not reject, at=at, comment=comment)
        if reject:
            k = self._cap_key(d.account, d.rule, d.occurred_on)
            self.used[k] -= d.rule.points * d.times
        elif self.month_no == 6 and not getattr(self, "objected", False) and d.account.user_id:
            self.objected = True
            neighbour = next(a for a in self.logins if a.pk != d.account_id)
            d = declarations.object_to(actor=neighbour.user, declaration=d, at=at + dt.timedelta(hours=26),
                                       text="那天我也在场,他只干了一会儿就走了,分值是不是多了?")
            declarations.resolve(actor=self.sec, declaration=d, post=True, at=at + dt.timedelta(days=2, hours=1),
                                 comment="经向活动组织人和三名在场村民核实,该户参加服务满半天,按规则计分")
            self._count(Declaration.objects.get(pk=d.pk).entry)

    # ------------------------------------------------------------------ the shop
    def _orders(self, day: dt.date) -> None:
        self._sync_balances()
        first = self.households[0]  # the printed villager shops once a month and keeps half the balance
        for acc in self.rng.sample(self.households[1:], 2) + ([first] if day.day <= 7 else []):
            budget = self.balance.get(acc.pk, 0) // (2 if acc is first else 1)
            affordable = sorted((i for i in self.items if i.price <= budget and self.stock[i.pk] >= 1),
                                key=lambda i: i.price)
            if not affordable:
                continue
            item = affordable[-1] if self.rng.random() < .4 else self.rng.choice(affordable)
            q = min(budget // item.price, self.stock[item.pk], self.rng.randint(1, 2))
            by = acc.user if acc.user_id else self.keeper  # at the counter the keeper orders for them
            at = self.at(day, 9, self.rng.randint(0, 150))
            order = shop.place(actor=by, account=acc, item=item, quantity=q, client_key=self.key("order"), at=at)
            self.balance[acc.pk] -= order.points
            self.stock[item.pk] -= q
            cancelled = Order.objects.filter(status=Order.Status.CANCELLED, item__shop=self.shop).count()
            if self.month_no in (5, 10) and cancelled < self.month_no // 5 and acc.user_id:
                shop.cancel(actor=by, order=order, at=at + dt.timedelta(hours=3))
                self.balance[acc.pk] += order.points
                self.stock[item.pk] += q
                continue
            pickup = day + dt.timedelta(days=self.rng.choice((1, 3, 3, 4)))
            self.fulfil_on.setdefault(pickup, []).append(order)

    def _pickup(self, order: Order, day: dt.date) -> None:
        at = self.at(day, 10, self.rng.randint(0, 59))
        if at > self.now:
            return
        shop.fulfil(actor=self.keeper, shop=self.shop, pickup_code=order.pickup_code, at=at)

    def _sync_balances(self) -> None:
        for acc_id, balance in Account.objects.filter(
                organisation=self.branch).values_list("pk", "balance"):
            self.balance[acc_id] = balance

    # ------------------------------------------------------------------ boards and the load day
    def _publish(self, day: dt.date) -> None:
        """On the first of every month the branch publishes last month's red/black board and members' board."""
        period = f"{day - dt.timedelta(days=1):%Y-%m}"
        at = self.at(day, 9, 30)
        if at > self.now:
            at = self.now - dt.timedelta(minutes=5)
        for kind in (BoardPublication.Kind.RED_BLACK, BoardPublication.Kind.MEMBERS):
            boards.publish(actor=self.sec, organisation=self.branch, kind=kind, period=period, at=at)

    def _recent_work(self) -> None:
        """At the load time: orders not yet picked up stay 待领取; a declaration waits for review."""
        last = self.today - dt.timedelta(days=1)
        if not Declaration.objects.filter(account__organisation=self.branch,
                                          status=Declaration.Status.SUBMITTED).exists():
            rule = self.rule["邻里互助、参与调解"]
            acc = next((a for a in self.logins[1:] if self._fits(a, rule, last, rule.points)), None)
            if acc is not None:
                declarations.submit(actor=acc.user, account=acc, rule=rule, occurred_on=last,
                                    note=NOTES[rule.name][0], at=self.at(last, 20))
        if not Order.objects.filter(account=self.households[0], status=Order.Status.PLACED).exists():
            self._sync_balances()
            acc = self.households[0]
            item = min((i for i in self.items if self.stock[i.pk] >= 1), key=lambda i: i.price)
            if self.balance.get(acc.pk, 0) >= item.price:
                shop.place(actor=acc.user, account=acc, item=item, quantity=1, client_key=self.key("order"),
                           at=self.at(last, 19))
        published = {p.period for p in BoardPublication.objects.filter(organisation=self.branch)}
        if f"{self.today.replace(day=1) - dt.timedelta(days=1):%Y-%m}" not in published:
            self._publish(self.today.replace(day=1))

