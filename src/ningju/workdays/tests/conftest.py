import pytest


@pytest.fixture
def holidays(db):
    """The holiday table as the seed migration leaves it.

    The migration fills it when the test database is created; a transactional test elsewhere (the browser
    tests) flushes every table at its end, so refill it when that happened (the same bulk seed).
    """
    from ningju.workdays.models import Holiday, Revision, YearPlan
    from ningju.workdays.seed import seed_tables

    if not YearPlan.objects.exists():
        seed_tables(Holiday, YearPlan, Revision)
