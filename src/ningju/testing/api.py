"""Helpers for tests of the JSON API under /api/v1/: a bearer-token client and the one error shape."""

from django.test import Client

from ningju.accounts import services as account_services

API = "/api/v1"
JSON = "application/json"


def bearer(user, **client_kwargs) -> Client:
    """A client that authenticates with a fresh bearer token of ``user`` (no session)."""
    _, raw = account_services.token_create(user=user, name="test")
    return Client(headers={"authorization": f"Bearer {raw}"}, **client_kwargs)


def post(client, path, data=None):
    return client.post(f"{API}{path}", data or {}, content_type=JSON)


def get(client, path, **params):
    return client.get(f"{API}{path}", params)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content[:800]
    return response.json()


def error(response, status: int) -> dict:
    """The body's error object, after checking the status and the error shape."""
    assert response.status_code == status, response.content[:800]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def fields(err) -> dict:
    return {f["field"]: f["message"] for f in err["fields"]}
