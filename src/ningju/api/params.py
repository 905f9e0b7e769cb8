from typing import Annotated

from ninja import Query

# Ids are BIGINT: a larger number in a filter would overflow the database driver (a 500 on SQLite).
ID_MAX = 2**63 - 1

# A query parameter that filters by an object id: ``employer_id: IdFilter = None``.
IdFilter = Annotated[int | None, Query(None, ge=1, le=ID_MAX)]
