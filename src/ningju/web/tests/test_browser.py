"""End-to-end checks in a real browser: Debian's Chromium driven by Playwright (sync API).

Run on a phone-sized viewport (375x812): login through the real form, the navigation and the
people list each role gets, 404 for typed URLs outside the scope, no horizontal overflow, the
htmx live search, and no console errors (CSP violations are reported there) or failed requests.
Screenshots go to test-artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

# The module is skipped (or, in CI, fails) when Debian's Chromium is absent: see ningju.testing.browser.
from ningju.testing.browser import (  # noqa: F401
    PHONE,
    assert_no_horizontal_overflow,
    browser,
    login,
    page,
    shot,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("role", ["qy_org", "station"])
def test_role_sees_its_navigation_people_and_no_more(page, live_server, role):
    from ningju.people.models import Person
    from ningju.testing.world import build_world
    from ningju.web.navigation import items_for

    world = build_world()
    user = world.user[role]

    login(page, user)
    assert page.url == live_server.url + "/", "login should land on the home page"
    expect(page.locator("h1")).to_have_text(f"{user.role_label}工作台")
    expect(page.locator(".who-name")).to_have_text(user.name)

    nav = page.locator("nav.mainnav a[data-module]")
    expected_modules = [i["module"] for i in items_for(user)]
    assert expected_modules == [m for m in (i["module"] for i in items_for(user)) if user.can(m)]
    assert [a.get_attribute("data-module") for a in nav.all()] == expected_modules
    assert [a.inner_text().strip() for a in nav.all()] == [f'{i["icon"]}{i["label"]}' for i in items_for(user)]
    expect(page.locator("nav.mainnav a.active")).to_have_attribute("data-module", "home")
    assert " object (" not in page.locator("main").inner_text(), "a record without a readable name"
    assert_no_horizontal_overflow(page, f"{role} home")
    shot(page, f"{role}-home")

    page.locator("nav.mainnav a[data-module=people]").click()
    page.wait_for_url("**/people/")
    visible = Person.objects.visible_to(user)
    shown = page.locator("#people-rows .cards-when-narrow li .title")  # the phone layout: cards
    expect(shown).to_have_count(visible.count())
    assert sorted(shown.all_inner_texts()) == sorted(visible.values_list("name", flat=True))
    assert page.locator("#people-rows table.grid").is_hidden(), "the wide table is for wider screens"
    assert_no_horizontal_overflow(page, f"{role} people list")
    shot(page, f"{role}-people")

    outside = Person.objects.exclude(pk__in=visible.values("pk")).order_by("pk")
    assert outside.exists()
    url = f"{live_server.url}/people/{outside.first().pk}/"
    page.watch.expected_errors.add(url)
    response = page.goto(url)
    assert response.status == 404
    expect(page.locator("main h1")).to_have_text("404")
    assert outside.first().name not in page.content()
    assert_no_horizontal_overflow(page, f"{role} 404 page")

    page.watch.assert_clean()


def test_wrong_password_is_refused_in_chinese(page, live_server):
    from ningju.testing.world import build_world

    user = build_world().user["qy_org"]
    login(page, user, password="Wrong#Pass2026")
    assert page.url.startswith(live_server.url + "/accounts/login/")
    expect(page.locator(".msg-error")).to_contain_text("手机号或密码不正确")
    expect(page.locator("nav.mainnav")).to_have_count(0)
    expect(page.locator(".who-name")).to_have_count(0)
    shot(page, "login-error")
    assert not [c for c in page.context.cookies() if c["name"] == "sessionid"]
    page.goto("/people/")
    assert page.url.startswith(live_server.url + "/accounts/login/"), "not logged in: back to the login page"
    assert_no_horizontal_overflow(page, "login page")
    page.watch.assert_clean()


def test_people_live_search_updates_list_without_reload(page, live_server):
    from ningju.testing.world import build_world

    world = build_world()
    login(page, world.user["qy_org"])
    page.goto("/people/")
    rows = page.locator("#people-rows .cards-when-narrow li .title")
    expect(rows).to_have_count(3)  # 司机甲, 骑手乙, 骑手丁

    page.evaluate("window.__samePage = true")  # survives only if the page is not reloaded
    loads = []  # full page loads; htmx's pushState is a same-document navigation and fires none
    page.on("load", lambda p: loads.append(p.url))
    with page.expect_response(lambda r: "/people/?" in r.url and r.request.headers.get("hx-request") == "true"):
        page.locator("input[name=q]").press_sequentially("骑手")
    expect(rows).to_have_count(2)
    assert sorted(rows.all_inner_texts()) == sorted([world.person["rider"].name, world.person["worker"].name])
    assert page.evaluate("window.__samePage === true"), "the search reloaded the page"
    assert not loads, f"the search reloaded the page: {loads}"
    expect(page).to_have_url(re.compile(r"[?&]q="))  # hx-push-url keeps the search in the address bar

    page.locator("input[name=q]").fill(world.person["driver"].name)
    expect(rows).to_have_count(1)
    expect(rows).to_have_text([world.person["driver"].name])
    assert page.evaluate("window.__samePage === true") and not loads
    shot(page, "people-search")
    page.watch.assert_clean()
