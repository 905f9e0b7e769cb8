"""Every instructors page renders for the roles that use it, under the strict CSP, with nothing from outside
hosts and no inline script or style."""

import datetime as dt

import pytest

from ningju.instructors import services
from ningju.web.tests.test_no_cdn import UrlCollector, check_page

from .helpers import PASSWORD, assign, instructor_login, png, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def serve_static(settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


def _no_inline(html: str, url: str):
    parser = UrlCollector()
    parser.feed(html)
    assert not parser.inline_css, (url, parser.inline_css)
    assert all(parser.scripts), f"{url}: inline <script>"


def test_pages_of_staff_and_instructor(world, login, serve_static):
    account = instructor_login(world)
    instructor = register(world, user=account, phone="13988889999")
    assignment = assign(world, instructor, "s2", assigned_on=dt.date(2026, 1, 5))
    visit = services.visit_create(actor=account, instructor=instructor, organisation=world.org["s2"],
                                  visited_on=dt.date(2026, 1, 9), notes="走访\n第二行", photo=png())
    served: dict[str, str] = {}
    staff_pages = ["/instructors/", "/instructors/?q=王", "/instructors/new/", f"/instructors/{instructor.pk}/",
                   f"/instructors/{instructor.pk}/edit/", f"/instructors/{instructor.pk}/assign/",
                   f"/instructors/{instructor.pk}/deactivate/", f"/instructors/assignments/{assignment.pk}/end/",
                   f"/instructors/assignments/{assignment.pk}/visit/"]
    problems = []
    for client, urls in ((login(world.user["qy_org"]), staff_pages),
                         (login(account, PASSWORD), ["/instructors/", f"/instructors/{instructor.pk}/",
                                                     f"/instructors/assignments/{assignment.pk}/visit/"]),
                         (login(world.user["town"]), ["/instructors/"])):
        for url in urls:
            problems += check_page(client, url, 200, served)
            _no_inline(client.get(url).content.decode(), url)
    assert not problems, "\n".join(problems)
    # The detail page shows the photo through the scoped view and keeps the notes' line breaks.
    detail = login(world.user["qy_org"]).get(f"/instructors/{instructor.pk}/").content.decode()
    assert f'src="/instructors/visits/{visit.pk}/photo/"' in detail and "走访<br>第二行" in detail
    assert "/media/" not in detail
