"""Fast inserts of many new rows of one model, inside the caller's transaction.

``QuerySet.bulk_create`` compiles every value through the ORM's SQL compiler; for a 100,000-row roster
that cost more than the database's own work (about 150 µs a row: see docs/performance.md). Here the
values are turned into database form once per field kind (dates, timestamps, JSON, encrypted text)
and sent with PostgreSQL's COPY, or ``executemany`` on SQLite, through Django's own connection.

Only inserts: nothing here updates or deletes. Every concrete field of the model is written; fields
the caller does not give get the model's default (``auto_now``/``auto_now_add`` fields: ``now``), so a
column added to the model later with a default keeps working.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable

from django.db import connection, models

from ningju.core import crypto

BATCH = 2000


def _converter(field: models.Field) -> Callable | None:
    """How a Python value of ``field`` becomes its database value (None: as it is)."""
    ops = connection.ops
    if isinstance(field, crypto.EncryptedTextField):
        return lambda v: crypto.encrypt(v) if v else v
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.JSONField):
        return lambda v, encoder=field.encoder: ops.adapt_json_value(v, encoder)
    if isinstance(field, models.CharField | models.TextField | models.IntegerField | models.BooleanField
                  | models.ForeignKey):
        return None
    return lambda v, f=field: f.get_db_prep_save(v, connection)


class Inserter:
    """Rows of ``model`` given as dicts of attnames; the others get their defaults."""

    def __init__(self, model: type[models.Model], given: Iterable[str], *, now):
        given = set(given)
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
        self.columns = [f.column for f in self.fields]
        self.plan: list[tuple[str | None, Callable | None, object]] = []
        self.defaults: dict[str, object] = {}
        for f in self.fields:
            convert = _converter(f)
            if f.attname in given:
                self.plan.append((f.attname, convert, None))
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()
            self.defaults[f.attname] = value
            self.plan.append((None, None, convert(value) if convert else value))

    def row(self, values: dict) -> tuple:
        out = []
        for name, convert, constant in self.plan:
            if name is None:
                out.append(constant)
            elif convert is None:
                out.append(values[name])
            else:
                out.append(convert(values[name]))
        return tuple(out)

    def insert(self, rows: list[tuple]) -> None:
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor, connection.wrap_database_errors:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from the model
                for start in range(0, len(rows), BATCH):
                    cursor.executemany(sql, rows[start:start + BATCH])


class Updater:
    """``UPDATE ... FROM (VALUES ...)`` of some fields of many rows, one statement per batch.

    ``QuerySet.bulk_update`` builds a ``CASE WHEN pk = ...`` expression per row and field (about 1.5 ms
    a row here); this sends the new values as a VALUES list joined on the primary key (PostgreSQL, and
    SQLite since 3.33). Values are converted like :class:`Inserter`'s.
    """

    def __init__(self, model: type[models.Model], attnames: list[str]):
        self.model = model
        self.fields = [model._meta.get_field(a) if a != "pk" else model._meta.pk for a in attnames]
        self.converters = [_converter(f) for f in self.fields]

    def update(self, rows: list[tuple]) -> None:
        """``rows``: (pk, value of each field in order), values in Python form."""
        if not rows:
            return
        if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 33):  # no UPDATE ... FROM
            objs = [self.model(pk=row[0], **{f.attname: v for f, v in zip(self.fields, row[1:], strict=True)})
                    for row in rows]
            self.model.objects.bulk_update(objs, [f.name for f in self.fields], batch_size=500)
            return
        ops = connection.ops
        table = ops.quote_name(self.model._meta.db_table)
        pk = ops.quote_name(self.model._meta.pk.column)
        postgres = connection.vendor == "postgresql"
        sets = []
        for i, f in enumerate(self.fields, start=2):
            value = f"v.column{i}"
            if postgres:  # VALUES columns of untyped literals are text: cast them to the column's type
                value = f"CAST({value} AS {f.db_type(connection)})"
            sets.append(f"{ops.quote_name(f.column)} = {value}")
        marks = "(" + ", ".join(["%s"] * (len(self.fields) + 1)) + ")"
        per = max(1, min(1000, 30000 // (len(self.fields) + 1)))
        with connection.cursor() as cursor:
            for start in range(0, len(rows), per):
                chunk = rows[start:start + per]
                params = []
                for row in chunk:
                    params.append(row[0])
                    for value, convert in zip(row[1:], self.converters, strict=True):
                        params.append(value if convert is None else convert(value))
                sql = (f"UPDATE {table} SET {', '.join(sets)} FROM (VALUES {', '.join([marks] * len(chunk))}) AS v "  # noqa: S608
                       f"WHERE {table}.{pk} = v.column1")
                cursor.execute(sql, params)
