"""The navigation: one entry per module, shown only to roles that may use it."""

from dataclasses import dataclass

from django.urls import reverse

from ningju.core import roles


@dataclass(frozen=True)
class NavItem:
    module: str
    label: str
    url_name: str
    icon: str


NAV = [
    NavItem(roles.M_HOME, "首页", "web:home", "⌂"),
    NavItem(roles.M_GEO, "行政区划", "geo:tree", "◫"),
    NavItem(roles.M_ORGS, "组织", "orgs:list", "⚑"),
    NavItem(roles.M_PEOPLE, "人员库", "people:list", "☺"),
    NavItem(roles.M_ROSTERS, "花名册", "rosters:list", "▤"),
    NavItem(roles.M_INSTRUCTORS, "指导员", "instructors:list", "✦"),
    NavItem(roles.M_COVERAGE, "组织覆盖", "coverage:home", "◎"),
    NavItem(roles.M_CASES_HANDLE, "待办事项", "cases:inbox", "☑"),
    NavItem(roles.M_CASES_DISPATCH, "分派", "cases:queue", "⇄"),
    NavItem(roles.M_CASES_SUPERVISE, "督办", "cases:supervision", "◷"),
    NavItem(roles.M_CASES_FIGURES, "诉求数据", "cases:figures", "▥"),
    NavItem(roles.M_SEMINARS, "座谈会", "cases:seminars", "☷"),
    NavItem(roles.M_STARS, "五星支部", "stars:home", "★"),
    NavItem(roles.M_POINTS, "积分管理", "points:home", "◈"),
    NavItem(roles.M_CALENDAR, "节假日", "workdays:calendar", "▦"),
    NavItem(roles.M_AUDIT, "审计日志", "web:audit", "✎"),
    NavItem(roles.M_CASES_FILE, "我的诉求", "cases:mine", "✉"),
    NavItem(roles.M_CASES_REPORT, "事件上报", "cases:report", "⚠"),
    NavItem(roles.M_REFER, "推荐党员", "coverage:refer", "✚"),
    NavItem(roles.M_POINTS_MY, "我的积分", "points:mine", "❖"),
    NavItem(roles.M_PROFILE, "我的", "accounts:profile", "☰"),
]


def items_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    return [
        {"label": i.label, "url": reverse(i.url_name), "icon": i.icon, "module": i.module}
        for i in NAV if user.can(i.module)
    ]
