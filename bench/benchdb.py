"""The throw-away PostgreSQL database of a benchmark script (cases_scale, points_scale, stars_scale).

A script names its database (``--db``); :func:`prepare_database` points DATABASE_URL at it on the server of the
caller's DATABASE_URL, (re)creating it unless ``--keep`` finds it, before Django is set up.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit


def admin_url() -> tuple[str, object]:
    """The server's maintenance database URL (for CREATE/DROP DATABASE) and the parsed DATABASE_URL."""
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point at a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), parts


def prepare_database(name: str, keep: bool) -> bool:
    """Point DATABASE_URL at ``name``; create it afresh unless --keep finds it. True when it existed."""
    import psycopg

    admin, parts = admin_url()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if not (keep and exists):
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
            exists = False
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + name))
    return exists


def drop_database(name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(admin_url()[0], autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def raw_connection():
    """A psycopg connection of its own to the bench database (for COPY beside Django's connection)."""
    import psycopg
    from django.db import connection

    s = connection.settings_dict
    return psycopg.connect(dbname=s["NAME"], user=s["USER"] or None, password=s["PASSWORD"] or None,
                           host=s["HOST"] or None, port=s["PORT"] or None)


def setup_django() -> None:
    """Set Django up against the bench database (after :func:`prepare_database`), without debug."""
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic here
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ningju.settings")
    os.environ.setdefault("NINGJU_DEBUG", "0")
    import django

    django.setup()


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        return cur.fetchone()[0]


def machine_line() -> str:
    """The line each bench prints first: database, server version, cores, memory and load."""
    from django.db import connection

    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"database: {connection.settings_dict['NAME']} on PostgreSQL {server_version()}; {os.cpu_count()} cores, "
            f"{ram:.0f} GiB RAM; load average {os.getloadavg()[0]:.1f}")
