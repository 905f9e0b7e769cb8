from ninja import NinjaAPI

from ningju.cases.api import router as cases_router
from ningju.coverage.api import router as coverage_router
from ningju.geo.api import router as geo_router
from ningju.instructors.api import router as instructors_router
from ningju.orgs.api import router as orgs_router
from ningju.people.api import router as people_router
from ningju.points.api import router as points_router
from ningju.rosters.api import router as rosters_router
from ningju.stars.api import router as stars_router
from ningju.workdays.api import router as workdays_router

from . import errors, openapi
from .auth import SessionAuth, TokenAuth
from .core import router as core_router

api = NinjaAPI(
    title="凝聚 Ningju API",
    version="1",
    description="基层党建工作平台接口。认证:Authorization: Bearer <令牌>(在“我的”页面创建,或 POST /auth/token),"
                "或浏览器会话(需 CSRF)。所有数据均按账号的组织范围过滤。",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
errors.install(api)
openapi.install()
api.add_router("/", core_router)
api.add_router("/", geo_router)
api.add_router("/", orgs_router)
api.add_router("/", people_router)
api.add_router("/", rosters_router)
api.add_router("/", coverage_router)
api.add_router("/", instructors_router)
api.add_router("/", workdays_router)
api.add_router("/", cases_router)
api.add_router("/", stars_router)
api.add_router("/", points_router)

urlpatterns = api.urls
