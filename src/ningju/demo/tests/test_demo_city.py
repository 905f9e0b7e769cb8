"""The demo city tells the 沁阳市 story of the source article, and every figure the product shows
for it is computed from the generated records: the survey's 300+ workers, 48 verified members,
22 instructors and full coverage."""

import pytest
from django.core.management import call_command

from ningju.accounts.models import User
from ningju.core.roles import ROLES
from ningju.coverage import selectors as coverage_selectors
from ningju.coverage.models import Finding, UnitCoverage
from ningju.coverage.rollup import differences
from ningju.geo.models import Division, Level
from ningju.instructors.models import Assignment
from ningju.people.models import Person

pytestmark = pytest.mark.django_db


def test_demo_city_matches_the_article_and_the_figures_page(demo):
    org_dept = User.objects.get(phone="13800000002")  # 沁阳市委组织部
    qinyang = Division.objects.get(code="410882000000")
    fig = coverage_selectors.figures(user=org_dept, division=qinyang).totals

    workers = Person.objects.filter(employer__division__path__startswith=qinyang.path).count()
    verified = Finding.objects.filter(status="verified").values("person").distinct().count()
    instructors = (Assignment.objects.filter(ended_on__isnull=True, instructor__active=True)
                   .values("instructor").distinct().count())
    assert workers >= 300 and fig["workers"] == workers
    assert verified == 48
    assert fig["found_total"] == verified
    assert fig["found_org"] + fig["found_self"] + fig["found_referred"] >= verified
    assert instructors == 22 and fig["instructors"] == instructors
    assert fig["units"] == UnitCoverage.objects.count() and fig["covered"] == fig["units"]
    assert fig["rate"] == 100.0
    # Every channel found someone, and some leads were rejected after checking.
    channels = set(Finding.objects.filter(status="verified").values_list("channel", flat=True))
    assert channels == {"org_finds", "self_declared", "referred"}
    assert Finding.objects.filter(status="rejected").exclude(review_reason="").exists()
    assert differences() == []


def test_demo_city_has_the_divisions_and_a_login_per_role(demo):
    shanyang_villages = Division.objects.filter(path__startswith="410800000000/410811000000/", level=Level.VILLAGE)
    assert shanyang_villages.count() == 54
    roles = set(User.objects.exclude(role="").values_list("role", flat=True))
    assert roles == set(ROLES)  # every role of the product can be tried out


def test_loading_twice_changes_nothing(demo):
    before = (Person.objects.count(), Finding.objects.count(), Assignment.objects.count())
    call_command("load_demo", verbosity=0)
    assert (Person.objects.count(), Finding.objects.count(), Assignment.objects.count()) == before
