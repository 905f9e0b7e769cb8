import datetime as dt

import pytest
from django.utils import timezone

from ningju.geo.models import Level
from ningju.orgs.models import Kind
from ningju.testing.factories import OrganisationFactory, UserFactory, division

MONDAY = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))


@pytest.fixture
def shanyang(world):
    """山阳区 with two villages and a community, their secretaries, a town secretary and three groups."""
    w = world
    d, o, u = w.div, w.org, w.user
    d["baima"] = division("410811008203", "百间房村", Level.VILLAGE, d["zhongxing"])
    d["gongzilu"] = division("410811008001", "工字路社区", Level.VILLAGE, d["zhongxing"])
    o["baima"] = OrganisationFactory(name="百间房村党支部", kind=Kind.BRANCH, division=d["baima"],
                                     parent=o["zhongxing"])
    o["gongzilu"] = OrganisationFactory(name="工字路社区党支部", kind=Kind.BRANCH, division=d["gongzilu"],
                                        parent=o["zhongxing"])
    for n, key in enumerate(["zhongma", "baima", "gongzilu"]):
        u[f"sec_{key}"] = UserFactory(phone=f"1371000000{n}", role="village_secretary", organisation=o[key])
    u["zx_town"] = UserFactory(phone="13710000010", role="town_secretary", organisation=o["zhongxing"])
    for n in (2, 3):
        o[f"group{n}"] = OrganisationFactory(name=f"督导第{n}组", kind=Kind.SUPERVISION_GROUP, division=d["sy"],
                                             parent=o["sy_org"])
        u[f"supervisor{n}"] = UserFactory(phone=f"1371000002{n}", role="supervisor", organisation=o[f"group{n}"])
    return w
