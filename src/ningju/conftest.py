import os

import pytest
from django.test import Client


@pytest.fixture
def world(db):
    from ningju.testing.world import build_world

    return build_world()


@pytest.fixture
def login():
    """``login(user)`` gives a test client logged in as ``user`` (through the real login form)."""

    def _login(user, password=None):
        from ningju.testing.factories import PASSWORD

        client = Client()
        response = client.post("/accounts/login/", {"username": user.phone, "password": password or PASSWORD})
        assert response.status_code == 302, "login failed"
        return client

    return _login


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # PBKDF2's production work factor is meant to be slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


def pytest_report_header(config):
    if not os.path.exists("/usr/bin/chromium"):
        return "NOTICE: /usr/bin/chromium not found: browser tests will be SKIPPED (apt-get install chromium)"
    return "browser tests: Debian Chromium at /usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """Transactional tests (live server, threads) flush the database afterwards, which would also remove the
    reference data seeded by data migrations (case categories, deadlines, holidays). They run with Django's
    serialized rollback, which restores that data."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
            name in getattr(item, "fixturenames", ()) for name in ("transactional_db", "live_server"))
        if transactional:
            kwargs = dict(marker.kwargs) if marker is not None else {}
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)
