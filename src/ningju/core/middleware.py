import uuid

from . import context


class RequestIdMiddleware:
    """Give every request an id, kept for audit records and echoed in the response, and note its channel."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        request.request_id = request_id[:64]
        token = context.request_id.set(request.request_id)
        channel = context.channel.set("api" if request.path.startswith(context.API_PREFIXES) else "web")
        try:
            response = self.get_response(request)
        finally:
            context.request_id.reset(token)
            context.channel.reset(channel)
        response["X-Request-ID"] = request.request_id
        return response
