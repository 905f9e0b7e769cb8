from django.shortcuts import render


def forbidden(request, exception=None):
    return render(request, "web/error.html", {"code": 403, "message": "当前角色无权使用该功能。"}, status=403)


def not_found(request, exception=None):
    return render(request, "web/error.html", {"code": 404, "message": "页面或对象不存在,或不在您的管辖范围内。"},
                  status=404)
