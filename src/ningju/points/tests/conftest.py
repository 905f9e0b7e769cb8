import datetime as dt

import pytest
from django.utils import timezone

from ningju.points.services import setup
from ningju.testing.factories import UserFactory

DAY = dt.date(2026, 11, 2)
AT = timezone.make_aware(dt.datetime(2026, 11, 20, 10, 0))


@pytest.fixture
def zhongma(world):
    """中马村: a village secretary who keeps points, two households with logins, a rulebook and a shop."""
    w = world
    sec = UserFactory(phone="13720000001", role="village_secretary", organisation=w.org["zhongma"])
    keeper = UserFactory(phone="13720000002", role="village_secretary", organisation=w.org["zhongma"])
    w.user["sec"], w.user["keeper"] = sec, keeper
    book = setup.rulebook_save(actor=sec, organisation=w.org["zhongma"], name="中马村乡村积分管理办法",
                               applies_to="household")
    w.rule = {
        "clean": setup.rule_save(actor=sec, rulebook=book, category="sanitation", name="庭院整洁", points=5, cap=20),
        "filial": setup.rule_save(actor=sec, rulebook=book, category="filial", name="孝老爱亲事迹", points=10),
        "litter": setup.rule_save(actor=sec, rulebook=book, category="sanitation", name="乱堆乱放", points=-5,
                                  declarable=False),
    }
    w.acct = {}
    for n, name in enumerate(["马建国", "李秀英"], start=1):
        villager = UserFactory(phone=f"1372000001{n}", role="villager")
        h = setup.household_create(actor=sec, village=w.div["zhongma"], number=f"ZM{n:03d}", head_name=name)
        w.acct[n] = setup.account_open(actor=sec, organisation=w.org["zhongma"], household=h, user=villager)
        w.user[f"villager{n}"] = villager
    w.shop = setup.shop_create(actor=sec, organisation=w.org["zhongma"], name="中马村积分超市", keepers=[keeper])
    return w
