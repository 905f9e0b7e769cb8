import datetime as dt

import pytest
from django.utils import timezone

from ningju.cases import services
from ningju.cases.models import Category
from ningju.cases.states import CaseKind

# A Wednesday in an ordinary week (no holiday near), 10:00 Beijing time.
WEDNESDAY = timezone.make_aware(dt.datetime(2026, 11, 18, 10, 0))


def category(code: str) -> Category:
    return Category.objects.get(code=code)


@pytest.fixture
def routed(world):
    """Traffic matters in 沁阳市 go to 交通运输局; village matters in 沁阳市 to the local branch."""
    services.routing_rule_save(actor=world.user["qy_org"], category=category("traffic"), division=world.div["qy"],
                               organisation=world.org["transport"])
    services.routing_rule_save(actor=world.user["qy_org"], category=category("community"), division=world.div["qy"],
                               target="local")
    return world


def file_grievance(world, *, code="traffic-road", division="luozhuang", actor="worker", at=WEDNESDAY, **kw):
    kw.setdefault("text", "太行路与建设路口信号灯故障,骑手通行危险")
    return services.case_file(actor=world.user[actor] if actor else None, kind=CaseKind.GRIEVANCE,
                              category=category(code), division=world.div[division], at=at, **kw)
