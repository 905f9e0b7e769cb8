"""Helpers shared by the coverage tests."""

from ningju.core.crypto import keyed_hash
from ningju.coverage.models import MemberRecord


def add_member_record(person, *, division, status=MemberRecord.Status.FORMAL, relation_org=None,
                      relation_text="") -> MemberRecord:
    """A registry entry for ``person`` (the Party's member database, as if imported)."""
    return MemberRecord.objects.create(name=person.name, id_number=person.id_number,
                                       id_hash=keyed_hash(person.id_number), status=status, division=division,
                                       relation_org=relation_org, relation_text=relation_text)
