"""Roles and what each may use.

A role is a registered code; its entry says which modules appear in the role's navigation and
may be reached by its pages and API, whether its scope follows the territory (division subtree of
its organisation) or only the organisation subtree, and whether it may see sensitive personal data
(ID number, phone) unmasked.
"""

from dataclasses import dataclass

# Module codes used for navigation and permission checks.
M_HOME = "home"
M_GEO = "geo"
M_ORGS = "orgs"
M_PEOPLE = "people"
M_PEOPLE_EDIT = "people.edit"
M_ORGS_EDIT = "orgs.edit"
M_AUDIT = "audit"
M_ACCOUNTS = "accounts"
M_PROFILE = "profile"
M_ROSTERS = "rosters"                # upload and read rosters (花名册)
M_COVERAGE = "coverage"              # campaigns, findings, 应建尽建, coverage figures (read)
M_COVERAGE_MANAGE = "coverage.manage"  # create campaigns, verify findings, found branches, attach joint branches
M_INSTRUCTORS = "instructors"        # instructors, assignments and visits (read; instructors record visits)
M_INSTRUCTORS_MANAGE = "instructors.manage"  # register instructors and assign them
M_REFER = "coverage.refer"           # a member refers a colleague (党员找党员)
M_CALENDAR = "calendar"              # holidays and adjusted working days (节假日安排), city administrators
M_CASES = "cases"                    # read cases within scope, the notification inbox
M_CASES_FILE = "cases.file"          # file a grievance and follow one's own cases (我的诉求)
M_CASES_REPORT = "cases.report"      # file incident reports (only active "1+3+N" grid members)
M_CASES_HANDLE = "cases.handle"      # the handler inbox: accept, return, handle, reply, ask for extension
M_CASES_DISPATCH = "cases.dispatch"  # the dispatcher queue, transfer, merge, extensions, routing rules, call-backs
M_CASES_SUPERVISE = "cases.supervise"  # overdue cases and supervision notices (督办)
M_CASES_FIGURES = "cases.figures"    # leaders' figures: the three rates
M_SEMINARS = "cases.seminars"        # seminars (座谈会) and the grievances collected there
M_STARS = "stars"                    # five-star branches: standards, plans, awards, findings, projects (read)
M_STARS_MANAGE = "stars.manage"      # standards, evaluation and awarding, supervision plans, post-evaluation, projects
M_STARS_REVIEW = "stars.review"      # the town reviews self-assessments
M_STARS_VISIT = "stars.visit"        # supervision group members record visits and verify rectification
M_POINTS = "points"                  # points accounts, ledgers and boards within scope (read)
M_POINTS_MANAGE = "points.manage"    # rulebooks, households, accounts, awarding, review, reversal, the shop
M_POINTS_MY = "points.my"            # one's own points account, declarations and the points shop
M_DUTY = "cases.duty"                # on-duty leaders (值班) and grid members


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    modules: frozenset[str]
    territorial: bool  # scope covers the division subtree of the role's organisation
    sees_sensitive: bool  # sees ID numbers and phones unmasked within scope
    staff: bool = True


ROLES: dict[str, Role] = {}


def _register(role: Role) -> Role:
    ROLES[role.code] = role
    return role


CITY_ORG = _register(Role(
    "city_org", "市委组织部", frozenset({M_HOME, M_GEO, M_ORGS, M_ORGS_EDIT, M_PEOPLE, M_PEOPLE_EDIT,
                                          M_AUDIT, M_ACCOUNTS, M_PROFILE, M_ROSTERS, M_COVERAGE,
                                          M_COVERAGE_MANAGE, M_INSTRUCTORS, M_INSTRUCTORS_MANAGE,
                                          M_CASES, M_CASES_HANDLE, M_CASES_DISPATCH, M_CASES_SUPERVISE,
                                          M_CASES_FIGURES, M_SEMINARS, M_DUTY, M_CALENDAR, M_STARS, M_STARS_MANAGE,
                                          M_POINTS}),
    territorial=True, sees_sensitive=True))
DISTRICT_ORG = _register(Role(
    "district_org", "县(市、区)委组织部", frozenset({M_HOME, M_GEO, M_ORGS, M_ORGS_EDIT, M_PEOPLE,
                                                    M_PEOPLE_EDIT, M_AUDIT, M_ACCOUNTS, M_PROFILE, M_ROSTERS,
                                                    M_COVERAGE, M_COVERAGE_MANAGE, M_INSTRUCTORS,
                                                    M_INSTRUCTORS_MANAGE, M_CASES, M_CASES_HANDLE,
                                                    M_CASES_DISPATCH, M_CASES_SUPERVISE, M_CASES_FIGURES,
                                                    M_SEMINARS, M_DUTY, M_STARS, M_STARS_MANAGE, M_POINTS}),
    territorial=True, sees_sensitive=True))
INDUSTRY_DEPT = _register(Role(
    "industry_dept", "行业主管部门", frozenset({M_HOME, M_ORGS, M_PEOPLE, M_PROFILE, M_ROSTERS, M_COVERAGE,
                                                M_INSTRUCTORS, M_CASES, M_CASES_HANDLE, M_CASES_SUPERVISE}),
    territorial=False, sees_sensitive=False))
TOWN_SECRETARY = _register(Role(
    "town_secretary", "乡镇(街道)党(工)委书记", frozenset({M_HOME, M_GEO, M_ORGS, M_PEOPLE, M_PEOPLE_EDIT,
                                                          M_PROFILE, M_COVERAGE, M_INSTRUCTORS, M_CASES,
                                                          M_CASES_HANDLE, M_CASES_DISPATCH, M_CASES_SUPERVISE,
                                                          M_CASES_FIGURES, M_SEMINARS, M_STARS, M_STARS_REVIEW,
                                                          M_POINTS}),
    territorial=True, sees_sensitive=False))
VILLAGE_SECRETARY = _register(Role(
    "village_secretary", "村(社区)党组织书记", frozenset({M_HOME, M_ORGS, M_PEOPLE, M_PEOPLE_EDIT, M_PROFILE,
                                                        M_CASES, M_CASES_HANDLE, M_STARS, M_POINTS, M_POINTS_MANAGE}),
    territorial=True, sees_sensitive=False))
STATION_MANAGER = _register(Role(
    "station_manager", "平台企业/站点负责人", frozenset({M_HOME, M_ORGS, M_PEOPLE, M_PEOPLE_EDIT, M_PROFILE,
                                                          M_ROSTERS, M_CASES, M_CASES_HANDLE}),
    territorial=False, sees_sensitive=True))
INSTRUCTOR = _register(Role(
    "instructor", "党建指导员", frozenset({M_HOME, M_ORGS, M_PEOPLE, M_PROFILE, M_COVERAGE, M_INSTRUCTORS,
                                                M_CASES}),
    territorial=False, sees_sensitive=False))
SUPERVISOR = _register(Role(
    "supervisor", "督导组成员", frozenset({M_HOME, M_GEO, M_ORGS, M_PROFILE, M_CASES, M_STARS, M_STARS_VISIT}),
    territorial=True, sees_sensitive=False))
WORKER = _register(Role(
    "worker", "新就业群体从业人员", frozenset({M_HOME, M_PROFILE, M_REFER, M_CASES, M_CASES_FILE,
                                                        M_CASES_REPORT, M_POINTS_MY}),
    territorial=False, sees_sensitive=False, staff=False))

VILLAGER = _register(Role(
    "villager", "村民", frozenset({M_HOME, M_PROFILE, M_POINTS_MY}),
    territorial=False, sees_sensitive=False, staff=False))

ROLE_CHOICES = [(r.code, r.label) for r in ROLES.values()]


def role(code: str) -> Role:
    return ROLES[code]


def require(user, module: str, message: str = "当前角色无权使用该功能") -> None:
    """Refuse (PermissionDenied) a user whose role may not use ``module``; pages, API and services alike."""
    from django.core.exceptions import PermissionDenied

    if not getattr(user, "can", lambda m: False)(module):
        raise PermissionDenied(message)
