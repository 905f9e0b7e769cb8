"""The map picker and the chart include in Debian's Chromium at 375 px, on a test-only page
(widget_urls.py): Leaflet and ECharts come from our static files, a click on the map fills the hidden
inputs and the server places the point in its county, 使用当前位置 uses the browser's position, the
read-only map shows its points, the chart draws (its tooltip too), and htmx-swapped content gets its own
map and chart. No request leaves the test server and no CSP violation or console error appears."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ningju.testing.browser import assert_no_horizontal_overflow, browser, page, shot  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def widgets(page, live_server, settings):
    settings.ROOT_URLCONF = "ningju.web.tests.widget_urls"
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto("/widgets/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    page.requests = requests
    return page


def click_at(page, map_id: str, lat: float, lng: float):
    """Click the map where (lat, lng) is drawn."""
    point = page.evaluate(
        """([id, lat, lng]) => {
            const state = NingjuMap.maps().find(s => s.el.id === id);
            const p = state.map.latLngToContainerPoint([lat, lng]);
            return {x: p.x, y: p.y};
        }""", [map_id, lat, lng])
    page.locator(f"#{map_id} [data-map-canvas]").click(position=point)


def test_picker_and_chart_work_from_local_files_only(widgets, live_server):
    page = widgets
    expect(page.locator("#picker[data-map-ready='1']")).to_have_count(1)
    expect(page.locator("#picker path.leaflet-interactive, #picker svg path")).not_to_have_count(0)
    expect(page.locator("#picker .map-label", has_text="沁阳市")).to_have_count(1)

    click_at(page, "picker", 35.09, 112.95)
    lat = float(page.locator("#picker input[name=lat]").input_value())
    lng = float(page.locator("#picker input[name=lng]").input_value())
    assert abs(lat - 35.09) < 0.01 and abs(lng - 112.95) < 0.01
    expect(page.locator("#picker [data-map-status]")).to_contain_text("已选位置：沁阳市")
    expect(page.locator("#picker .leaflet-marker-icon")).to_have_count(1)

    click_at(page, "picker", 35.40, 112.65)  # north-west of 沁阳, outside the city
    expect(page.locator("#picker [data-map-status]")).to_contain_text("不在焦作市范围内")
    click_at(page, "picker", 35.24, 113.22)
    expect(page.locator("#picker .leaflet-marker-icon")).to_have_count(1)  # one marker, moved

    expect(page.locator("#stations[data-map-points='2'] .leaflet-marker-icon")).to_have_count(2)
    expect(page.locator("#chart [data-echart-ready='1'] canvas")).to_have_count(1)
    page.locator("#chart canvas").scroll_into_view_if_needed()
    box = page.locator("#chart canvas").bounding_box()
    assert box["width"] > 200 and box["height"] > 200
    for dx in (60, 150, 250):  # over the bars: the axis tooltip, drawn on the canvas (an HTML one breaks the CSP)
        page.mouse.move(box["x"] + dx, box["y"] + box["height"] * 0.7)
        page.wait_for_timeout(150)

    assert_no_horizontal_overflow(page, "widgets")
    shot(page, "widgets-map-chart")

    with page.expect_navigation():
        page.click("#pick-form button[type=submit]")
    expect(page.locator("#county")).to_have_text("410802000000")  # 解放区, found by the server

    outside = [u for u in page.requests if not u.startswith(live_server.url)]
    assert not outside, outside
    assert any("/static/vendor/leaflet/leaflet.js" in u for u in page.requests)
    assert any("/static/vendor/echarts/echarts.min.js" in u for u in page.requests)
    page.watch.assert_clean()


def test_current_position_fills_the_inputs(widgets):
    page = widgets
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 35.0903, "longitude": 112.9501})
    expect(page.locator("#picker[data-map-ready='1']")).to_have_count(1)
    page.click("#picker [data-map-locate]")
    expect(page.locator("#picker [data-map-status]")).to_contain_text("沁阳市")
    assert page.locator("#picker input[name=lat]").input_value() == "35.090300"
    assert page.locator("#picker input[name=lng]").input_value() == "112.950100"
    page.watch.assert_clean()


def test_htmx_swapped_content_gets_its_map_and_chart(widgets, live_server):
    page = widgets
    expect(page.locator("#chart [data-echart-ready='1']")).to_have_count(1)
    for _ in range(2):  # the second swap replaces the first: the old map and chart are taken down
        page.click("#load-more")
        expect(page.locator("#picker2[data-map-ready='1']")).to_have_count(1)
        expect(page.locator("#chart2 [data-echart-ready='1'] canvas")).to_have_count(1)
        # Right after the click the old fragment may still be on the page (its chart already taken down, the
        # new one not yet made), so wait for the settled state instead of reading it once.
        page.wait_for_function("() => NingjuMap.maps().length === 3 && NingjuCharts.charts().length === 2",
                               timeout=10_000)
    # The fragment's picker starts at its initial position and fills its own inputs.
    expect(page.locator("#picker2 .leaflet-marker-icon")).to_have_count(1)
    assert page.locator("input[name=lat2]").input_value() == "35.2"
    click_at(page, "picker2", 35.21, 113.25)  # near its initial position, in view at zoom 13
    assert abs(float(page.locator("input[name=lat2]").input_value()) - 35.21) < 0.001
    assert abs(float(page.locator("input[name=lng2]").input_value()) - 113.25) < 0.001
    assert page.locator("#picker input[name=lat]").input_value() == ""
    outside = [u for u in page.requests if not u.startswith(live_server.url)]
    assert not outside, outside
    page.watch.assert_clean()
