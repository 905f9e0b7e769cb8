"""Context shared by one request or one command run (request id and channel for audit records)."""

from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("ningju_request_id", default="")

# Where a change came from when the service does not say: "api" for /api/ and /open311/ requests, else "web".
channel: ContextVar[str] = ContextVar("ningju_channel", default="web")

API_PREFIXES = ("/api/", "/open311/")
