"""Property-based run of schemathesis against the app's own OpenAPI document, in-process over WSGI.

Every operation under /api/v1/ gets generated requests (valid and invalid), sent in turn by a superuser
and by a limited role (a town secretary: masked data, no audit, no organisation edits), so each operation
is tried by both; the only check is that none of them is answered with a server error. Every request
runs in a savepoint that is rolled back, so a DELETE or PATCH cannot change the data the following
requests see.
"""

import datetime as dt
import itertools
import zlib
from types import SimpleNamespace

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from ningju.accounts import services as account_services
from ningju.accounts.models import User
from ningju.core import idcard
from ningju.geo.models import Division
from ningju.orgs.models import Organisation
from ningju.people.models import Person
from ningju.testing.api_examples import existing_ids
from ningju.testing.factories import PASSWORD
from ningju.wsgi import application

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

# Loaded at collection, through the WSGI application; serving the schema touches no database.
# (The lazy loader, schemathesis.pytest.from_fixture, fails on pytest 9: it sets Node._nodeid.)
# A schema that cannot be served fails one test below instead of stopping the whole collection.
try:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    # Keep the run short: the coverage phase need not try every undeclared method on every path
    # (Django answers those 405 before any of our code runs).
    schema.config.phases.coverage.unexpected_methods = set()
    SCHEMA_ERROR = None
except Exception as exc:
    schema, SCHEMA_ERROR = None, exc


def test_openapi_schema_loads():
    assert SCHEMA_ERROR is None, f"/api/v1/openapi.json could not be loaded: {SCHEMA_ERROR}"


@pytest.fixture(scope="module")
def _same_db_connection():
    """Requests through WSGI must use the test's connection, inside its transaction.

    Django's handler closes "old" connections when a request starts and ends; its test client turns
    that off, and so must we (werkzeug's client calls the handler directly).
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def api_users(django_db_setup, django_db_blocker, _same_db_connection):
    """The test world and bearer headers of a superuser and of a town secretary (cases are sent by
    each in turn), built once for the module in a transaction that is rolled back at its end; each test
    runs in a savepoint inside it."""
    from ningju.testing.api_examples import build_api_examples
    from ningju.testing.world import build_world

    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        build_api_examples(world)
        headers = {}
        for key in ("admin", "town"):
            _, raw = account_services.token_create(user=world.user[key], name="schemathesis")
            # The role header only names the user in a failure's curl line (the token is filtered out).
            headers[key] = {"Authorization": f"Bearer {raw}", "X-Test-Role": key}
        yield SimpleNamespace(headers=headers, existing=_existing())
        transaction.set_rollback(True)


def _existing() -> dict[str, list]:
    people = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    orgs = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    codes = list(Division.objects.order_by("code").values_list("code", flat=True))
    return {
        # path parameters (cases, five-star and points objects from api_examples)
        **{name: ids for name, ids in existing_ids().items() if ids},
        "person_id": people, "org_id": orgs, "code": codes,
        # references in request bodies
        "parent_id": orgs, "employer_id": orgs, "organisation_id": orgs, "division_code": codes,
        "home_division_code": codes,
        "id_number": [idcard.make("410882", dt.date(1980 + i, 1 + i, 1 + i), i) for i in range(1, 10)],
        # a person's phone, and the credentials for /auth/token
        "phone": list(User.objects.order_by("pk").values_list("phone", flat=True)), "password": [PASSWORD],
    }


def _pick(choices: list, value):
    """One of ``choices``, picked deterministically from a generated value."""
    return choices[zlib.crc32(repr(value).encode()) % len(choices)]


# Whose turn it is: generated cases alternate between the two users (the order is fixed by derandomize).
_TURN = itertools.cycle(("admin", "town"))


def _call_and_check(case, headers):
    with transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    case.validate_response(response, checks=[not_a_server_error])


def _parametrize():
    return schema.parametrize() if schema is not None else pytest.mark.skip(reason="no OpenAPI schema")


@_parametrize()
@settings(max_examples=5, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_answers_no_server_error(case, api_users):
    headers = api_users.headers[next(_TURN)]
    _call_and_check(case, headers)
    # Generated ids, codes and ID numbers rarely exist or are valid, so the services behind them are
    # seldom reached: send the request again with them replaced by existing objects (in and out of the
    # users' scopes) and valid ID numbers, the rest of the generated data unchanged.
    existing = api_users.existing
    grounded = False
    for name, value in (case.path_parameters or {}).items():
        if name in existing:
            case.path_parameters[name] = _pick(existing[name], value)
            grounded = True
    if isinstance(case.body, dict):
        for name, value in case.body.items():
            if name in existing and value is not None:
                case.body[name] = _pick(existing[name], value)
                grounded = True
    if grounded:
        _call_and_check(case, headers)
