"""Test factories. They write through the services, so tests see the same invariants
(materialised paths, encryption, audit records) as the product."""

from __future__ import annotations

import datetime as dt
import itertools

import factory

from ningju.accounts import services as account_services
from ningju.accounts.models import User
from ningju.core import idcard
from ningju.geo.models import Division, Level
from ningju.orgs import services as org_services
from ningju.orgs.models import Kind, Organisation
from ningju.people import services as people_services
from ningju.people.models import Occupation, Person, PoliticalStatus

PASSWORD = "Test#Pass2026"
_seq = itertools.count(1)


def make_id(area: str = "410882", year: int = 1990, seq: int | None = None) -> str:
    n = next(_seq) if seq is None else seq
    birth = dt.date(year, 1 + n % 12, 1 + n % 28)
    return idcard.make(area, birth, n % 1000)


def division(code: str, name: str, level: Level, parent: Division | None = None) -> Division:
    path = (parent.path if parent else "") + code + "/"
    return Division.objects.create(code=code, name=name, level=level, parent=parent, path=path)


class OrganisationFactory(factory.Factory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试组织{n}")
    kind = Kind.BRANCH
    industry = ""
    parent = None
    division = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return org_services.organisation_create(actor=None, source="test", **kwargs)


class PersonFactory(factory.Factory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"测试人员{n}")
    id_number = factory.LazyFunction(make_id)
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    political_status = PoliticalStatus.MASSES
    occupation = Occupation.RIDER
    employer = None
    home_division = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return people_services.person_create(actor=None, source="test", **kwargs)


class UserFactory(factory.Factory):
    class Meta:
        model = User

    phone = factory.Sequence(lambda n: f"137{n:08d}")
    name = factory.Sequence(lambda n: f"用户{n}")
    password = PASSWORD
    role = ""
    organisation = None
    person = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return account_services.user_create(actor=None, source="test", **kwargs)
