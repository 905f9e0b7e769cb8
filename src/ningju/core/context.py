"""Context shared by one request or one command run (request id for audit records)."""

from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("ningju_request_id", default="")
