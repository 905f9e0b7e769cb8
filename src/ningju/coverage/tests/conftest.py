import datetime as dt

import pytest
from django.utils import timezone

from ningju.coverage import services


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def campaign(world, today):
    """沁阳市's two-month survey over all industries, running today (units: e1, s1, e2, s2)."""
    return services.campaign_create(actor=world.user["qy_org"], name="沁阳市新就业群体全覆盖排查",
                                    starts_on=today - dt.timedelta(days=7), ends_on=today + dt.timedelta(days=53),
                                    divisions=[world.div["qy"]], industries=[])
