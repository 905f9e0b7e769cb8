"""Two people acting on the same case at the same moment: one succeeds, the other gets a clear message."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from ningju.cases import services
from ningju.cases.models import CaseEvent

from .conftest import file_grievance


def _race(n, fn):
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = ("ok", fn(i))
        except ValidationError as exc:
            results[i] = ("refused", " ".join(exc.messages))
        except Exception as exc:
            results[i] = ("error", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL only")
def test_simultaneous_accepts_apply_once(routed):
    w = routed
    case = file_grievance(w).case
    version = case.version
    results = _race(6, lambda i: services.case_accept(actor=w.user["transport"], case=case.pk, version=version))
    assert [r[0] for r in results].count("ok") == 1, results
    assert all(r[0] == "refused" and "他人" in r[1] for r in results if r[0] != "ok"), results
    assert CaseEvent.objects.filter(case=case, action="accept").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL only")
def test_accept_and_return_at_once_one_wins(routed):
    w = routed
    case = file_grievance(w).case

    def act(i):
        if i % 2:
            return services.case_accept(actor=w.user["transport"], case=case.pk)
        return services.case_return(actor=w.user["transport"], case=case.pk, reason="不属本单位")

    results = _race(4, act)
    assert [r[0] for r in results].count("ok") == 1, results
    assert CaseEvent.objects.filter(case=case, action__in=["accept", "return"]).count() == 1
