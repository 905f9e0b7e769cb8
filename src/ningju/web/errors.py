from django.http import JsonResponse
from django.shortcuts import render


def forbidden(request, exception=None):
    return render(request, "web/error.html", {"code": 403, "message": "当前角色无权使用该功能。"}, status=403)


def not_found(request, exception=None):
    if request.path.startswith("/api/"):  # an unknown API path answers in the API's one error shape
        body = {"error": {"code": "not_found", "message": "对象不存在或无权查看", "fields": []}}
        return JsonResponse(body, status=404)
    return render(request, "web/error.html", {"code": 404, "message": "页面或对象不存在,或不在您的管辖范围内。"},
                  status=404)
