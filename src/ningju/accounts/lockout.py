"""The answer to a locked-out login (django-axes calls it): JSON for the API, a page otherwise."""

from django.http import JsonResponse
from django.shortcuts import render

MESSAGE = "登录失败次数过多,为保护账号安全,请15分钟后再试"


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "locked_out", "message": MESSAGE, "fields": []}}, status=429)
    return render(request, "accounts/locked_out.html", {"message": MESSAGE}, status=429)
