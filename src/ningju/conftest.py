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

