"""A small city with two districts, used by tests that check who sees what.

    焦作市 ─ 沁阳市 ─ 太行街道 ─ 罗庄社区        station S1 (ride hailing, under 交通运输局)
           │        └ 覃怀街道 ─ 清真寺社区      station S2 (food delivery, under 市场监管局)
           └ 山阳区 ─ 中星街道 ─ 中马村
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ningju.accounts import services as account_services
from ningju.geo.models import Level
from ningju.orgs.models import Industry, Kind
from ningju.people.models import Occupation, PoliticalStatus

from .factories import PASSWORD, OrganisationFactory, PersonFactory, UserFactory, division, make_id


@dataclass
class World:
    div: dict = field(default_factory=dict)
    org: dict = field(default_factory=dict)
    person: dict = field(default_factory=dict)
    user: dict = field(default_factory=dict)
    password: str = PASSWORD


def build_world() -> World:
    w = World()
    d = w.div
    d["city"] = division("410800000000", "焦作市", Level.CITY)
    d["qy"] = division("410882000000", "沁阳市", Level.COUNTY, d["city"])
    d["sy"] = division("410811000000", "山阳区", Level.COUNTY, d["city"])
    d["taihang"] = division("410882003000", "太行街道", Level.TOWN, d["qy"])
    d["qinhuai"] = division("410882001000", "覃怀街道", Level.TOWN, d["qy"])
    d["luozhuang"] = division("410882003002", "罗庄社区", Level.VILLAGE, d["taihang"])
    d["qzs"] = division("410882001001", "清真寺社区", Level.VILLAGE, d["qinhuai"])
    d["zhongxing"] = division("410811008000", "中星街道", Level.TOWN, d["sy"])
    d["zhongma"] = division("410811008202", "中马村", Level.VILLAGE, d["zhongxing"])

    o, org = w.org, OrganisationFactory
    o["city"] = org(name="焦作市委", kind=Kind.PARTY_COMMITTEE, division=d["city"])
    o["city_org"] = org(name="焦作市委组织部", kind=Kind.ORG_DEPARTMENT, division=d["city"], parent=o["city"])
    o["qy"] = org(name="沁阳市委", kind=Kind.PARTY_COMMITTEE, division=d["qy"], parent=o["city"])
    o["qy_org"] = org(name="沁阳市委组织部", kind=Kind.ORG_DEPARTMENT, division=d["qy"], parent=o["qy"])
    o["sy"] = org(name="山阳区委", kind=Kind.PARTY_COMMITTEE, division=d["sy"], parent=o["city"])
    o["sy_org"] = org(name="山阳区委组织部", kind=Kind.ORG_DEPARTMENT, division=d["sy"], parent=o["sy"])
    o["group"] = org(name="督导第一组", kind=Kind.SUPERVISION_GROUP, division=d["sy"], parent=o["sy_org"])
    o["transport"] = org(name="沁阳市交通运输局", kind=Kind.INDUSTRY_DEPARTMENT, division=d["qy"], parent=o["qy"])
    o["market"] = org(name="沁阳市市场监管局", kind=Kind.INDUSTRY_DEPARTMENT, division=d["qy"], parent=o["qy"])
    o["e1"] = org(name="网约车平台沁阳站", kind=Kind.PLATFORM_ENTERPRISE, industry=Industry.RIDE_HAILING,
                division=d["qy"], parent=o["transport"])
    o["s1"] = org(name="网约车太行服务点", kind=Kind.STATION, industry=Industry.RIDE_HAILING,
                division=d["taihang"], parent=o["e1"])
    o["e2"] = org(name="外卖平台沁阳站", kind=Kind.PLATFORM_ENTERPRISE, industry=Industry.FOOD_DELIVERY,
                division=d["qy"], parent=o["market"])
    o["s2"] = org(name="外卖覃怀站", kind=Kind.STATION, industry=Industry.FOOD_DELIVERY, division=d["qinhuai"],
                parent=o["e2"])
    o["taihang"] = org(name="太行街道党工委", kind=Kind.PARTY_COMMITTEE, division=d["taihang"], parent=o["qy"])
    o["luozhuang"] = org(name="罗庄社区党支部", kind=Kind.BRANCH, division=d["luozhuang"], parent=o["taihang"])
    o["zhongxing"] = org(name="中星街道党工委", kind=Kind.PARTY_COMMITTEE, division=d["zhongxing"], parent=o["sy"])
    o["zhongma"] = org(name="中马村党支部", kind=Kind.BRANCH, division=d["zhongma"], parent=o["zhongxing"])

    p, P = w.person, PersonFactory
    p["driver"] = P(name="司机甲", occupation=Occupation.RIDE_HAILING, employer=o["s1"], home_division=d["luozhuang"],
                    political_status=PoliticalStatus.MEMBER)
    p["rider"] = P(name="骑手乙", occupation=Occupation.RIDER, employer=o["s2"], home_division=d["qzs"])
    p["villager"] = P(name="村民丙", occupation=Occupation.OTHER, home_division=d["zhongma"],
                      id_number=make_id("410811"))
    p["worker"] = P(name="骑手丁", occupation=Occupation.RIDER, employer=o["s2"], home_division=d["qzs"])

    u, U = w.user, UserFactory
    u["admin"] = U(phone="13700000000", name="管理员", is_superuser=True)
    u["city_org"] = U(phone="13700000001", role="city_org", organisation=o["city_org"])
    u["qy_org"] = U(phone="13700000002", role="district_org", organisation=o["qy_org"])
    u["sy_org"] = U(phone="13700000003", role="district_org", organisation=o["sy_org"])
    u["transport"] = U(phone="13700000004", role="industry_dept", organisation=o["transport"])
    u["town"] = U(phone="13700000005", role="town_secretary", organisation=o["taihang"])
    u["village"] = U(phone="13700000006", role="village_secretary", organisation=o["luozhuang"])
    u["station"] = U(phone="13700000007", role="station_manager", organisation=o["s2"])
    u["instructor"] = U(phone="13700000008", role="instructor", organisation=o["qy_org"])
    account_services.grant_create(actor=None, user=u["instructor"], organisation=o["s1"], source="test")
    u["supervisor"] = U(phone="13700000009", role="supervisor", organisation=o["group"])
    u["worker"] = U(phone="13700000010", role="worker", person=p["worker"])
    return w


# Who sees which person of the world (by key): the expectation the scoping tests check.
EXPECTED_PEOPLE = {
    "admin": {"driver", "rider", "villager", "worker"},
    "city_org": {"driver", "rider", "villager", "worker"},
    "qy_org": {"driver", "rider", "worker"},
    "sy_org": {"villager"},
    "transport": {"driver"},
    "town": {"driver"},
    "village": {"driver"},
    "station": {"rider", "worker"},
    "instructor": {"driver"},
    "worker": {"worker"},
}
