from .navigation import items_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    current = request.path
    items = items_for(user)
    best = max((i for i in items if current.startswith(i["url"])), key=lambda i: len(i["url"]), default=None)
    for i in items:
        i["active"] = i is best
    return {"nav_items": items}
