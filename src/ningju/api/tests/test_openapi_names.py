"""The OpenAPI document names every choices enum after its app and class, so each endpoint's documented
values are its own (they used to be merged into one ``Status``/``Kind`` component, the last one winning)."""

import enum

from django.db import models
from django.test import Client

from ningju.api.openapi import enum_component_name
from ningju.cases.states import Status as CaseStatus
from ningju.rosters.models import RosterImport


def _document() -> dict:
    return Client().get("/api/v1/openapi.json").json()


def _project_choices() -> dict[str, type[enum.Enum]]:
    found, todo = {}, [models.Choices]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("ningju."):
                found[enum_component_name(sub)] = sub
    return found


def _param_schema(doc, path, name) -> dict:
    params = doc["paths"][path]["get"]["parameters"]
    return next(p["schema"] for p in params if p["name"] == name)


def test_every_enum_component_holds_the_values_of_its_own_class():
    doc, choices = _document(), _project_choices()
    enums = {name: s["enum"] for name, s in doc["components"]["schemas"].items() if "enum" in s}
    assert "Status" not in enums and "Kind" not in enums
    named = {name: values for name, values in enums.items() if name in choices}
    assert len(named) >= 8
    for name, values in named.items():
        assert values == [c.value for c in choices[name]], name


def test_endpoints_point_at_their_own_status_values():
    doc = _document()
    roster_status = _param_schema(doc, "/api/v1/rosters", "status")
    ref = roster_status.get("$ref") or next(x["$ref"] for x in roster_status.get("anyOf", []) if "$ref" in x)
    component = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert component["enum"] == [c.value for c in RosterImport.Status]
    case_status = doc["components"]["schemas"]["CaseOut"]["properties"]["status"]
    ref = case_status.get("$ref") or case_status["allOf"][0]["$ref"]
    assert doc["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"] == [c.value for c in CaseStatus]
