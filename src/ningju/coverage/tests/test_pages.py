"""Every coverage page for every role that may see it: renders, no inline style or script (strict CSP), no
outside host; htmx requests get the partial."""

import re

import pytest
from django.test import Client

from ningju.core import roles
from ningju.coverage import services
from ningju.coverage.models import CampaignUnit, Finding

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
OUTSIDE = re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//(?!testserver)""", re.I)


def assert_clean(html: str, url: str):
    assert not INLINE_SCRIPT.search(html), f"{url}: inline <script>"
    assert not STYLE_ATTR.search(html), f"{url}: style attribute"
    assert "<style" not in html, f"{url}: <style> element"
    assert not OUTSIDE.search(html), f"{url}: outside host"


def test_pages_per_role(world, login, campaign):
    unit = CampaignUnit.objects.get(campaign=campaign, organisation=world.org["s1"])
    finding = services.referral_create(actor=None, unit=unit, name="线索", phone="13700001234")
    pages = [
        ("/coverage/", roles.M_COVERAGE),
        (f"/coverage/campaigns/{campaign.pk}/", roles.M_COVERAGE),
        ("/coverage/findings/", roles.M_COVERAGE),
        (f"/coverage/findings/{finding.pk}/", roles.M_COVERAGE),
        ("/coverage/build/", roles.M_COVERAGE),
        ("/coverage/figures/", roles.M_COVERAGE),
        ("/coverage/figures/410882003000/", roles.M_COVERAGE),
        ("/coverage/campaigns/new/", roles.M_COVERAGE_MANAGE),
        ("/coverage/members/", roles.M_COVERAGE_MANAGE),
        ("/coverage/members/import/", roles.M_COVERAGE_MANAGE),
        (f"/coverage/build/{world.org['s1'].pk}/joint-branch/", roles.M_COVERAGE_MANAGE),
        (f"/coverage/campaigns/{campaign.pk}/referral/", roles.M_COVERAGE_MANAGE),
    ]
    checked = 0
    for key in ("qy_org", "city_org", "town", "transport", "instructor", "station", "worker", "admin"):
        user = world.user[key]
        client = login(user)
        for url, module in pages:
            response = client.get(url)
            if not user.can(module):
                assert response.status_code == 403, (key, url)
                continue
            assert response.status_code == 200, (key, url, response.status_code)
            assert_clean(response.content.decode(), url)
            checked += 1
    assert checked > 40
    # The instructor's finding page offers verification (their unit); the town secretary's does not.
    assert "核实属实" in login(world.user["instructor"]).get(f"/coverage/findings/{finding.pk}/").content.decode()
    assert "核实属实" not in login(world.user["town"]).get(f"/coverage/findings/{finding.pk}/").content.decode()
    assert Finding.objects.count() == 1


def test_public_pages_are_clean_and_htmx_gets_partials(world, login, campaign):
    join = Client().get(f"/coverage/join/{campaign.public_token}/")
    assert join.status_code == 200
    assert_clean(join.content.decode(), "join")
    client = login(world.user["qy_org"])
    for url in ["/coverage/findings/?q=x", f"/coverage/campaigns/{campaign.pk}/?q=外卖", "/coverage/build/?q=外卖",
                "/coverage/members/?q=x"]:
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<html" not in html, url
        assert_clean(html, url)
    home = login(world.user["qy_org"]).get("/").content.decode()
    assert 'href="/coverage/"' in home  # the navigation entry
