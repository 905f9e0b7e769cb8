"""Django settings for Ningju.

Everything that differs between a developer machine and production comes from the
environment: DATABASE_URL (SQLite file by default), NINGJU_SECRET_KEY, NINGJU_FIELD_KEYS,
NINGJU_HASH_KEY, NINGJU_DEBUG, NINGJU_ALLOWED_HOSTS.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("NINGJU_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite file and uploads live here

DEBUG = os.environ.get("NINGJU_DEBUG", "1") == "1"
_DEV_SECRET = "dev-only-secret-key-change-me-in-production-0123456789abcdef"
SECRET_KEY = os.environ.get("NINGJU_SECRET_KEY", _DEV_SECRET)
ALLOWED_HOSTS = os.environ.get("NINGJU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "axes",
    "csp",
    "ningju.core",
    "ningju.geo",
    "ningju.orgs",
    "ningju.people",
    "ningju.accounts",
    "ningju.rosters",
    "ningju.instructors",
    "ningju.coverage",
    "ningju.workdays",
    "ningju.cases",
    "ningju.stars",
    "ningju.points",
    "ningju.open311",
    "ningju.web",
    "ningju.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ningju.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes must be last: it turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ningju.urls"
WSGI_APPLICATION = "ningju.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ningju.web.context_processors.navigation",
                "ningju.cases.context_processors.unread",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'ningju.sqlite3'}",
        conn_max_age=int(os.environ.get("NINGJU_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("phone", "name")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "ningju.accounts.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
]

# Sessions: idle timeout of two hours (renewed on every request), gone when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("NINGJU_SESSION_SECONDS", str(2 * 3600)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = os.environ.get("NINGJU_SECURE_COOKIES", "0") == "1"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Login lockout (django-axes): 5 failures within 15 minutes lock the account, and separately
# the address, for 15 minutes. A successful login clears the account's failures.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "ningju.accounts.lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("NINGJU_PROXY_COUNT", "0")) or None

# Content Security Policy (django-csp): everything from our own origin, nothing inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "ningju",
    }
}
if os.environ.get("NINGJU_REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["NINGJU_REDIS_URL"],
    }

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Sensitive personal data (PIPL): field encryption keys (Fernet, newest first, comma separated)
# and the key for the searchable keyed hash. Production sets both from the environment.
NINGJU_FIELD_KEYS = [
    k for k in os.environ.get("NINGJU_FIELD_KEYS", "").split(",") if k
] or ["T9-HYAyeYMk0VciKvvqIfo49KaSzmoFUBp-0ixqsZcg="]
NINGJU_HASH_KEY = os.environ.get("NINGJU_HASH_KEY", "dev-only-hash-key")

# Public case pages (django-ratelimit, per address): anonymous filings, and failed number + query code look-ups.
NINGJU_ANON_CASE_RATE = os.environ.get("NINGJU_ANON_CASE_RATE", "5/h")
NINGJU_CASE_TRACK_RATE = os.environ.get("NINGJU_CASE_TRACK_RATE", "10/h")

# Open311 GeoReport v2 (/open311/v2/): our jurisdiction_id, POSTs per api_key, GETs without api_key per address.
NINGJU_OPEN311_JURISDICTION = os.environ.get("NINGJU_OPEN311_JURISDICTION", "jiaozuo.gov.cn")
NINGJU_OPEN311_POST_RATE = os.environ.get("NINGJU_OPEN311_POST_RATE", "300/h")
NINGJU_OPEN311_READ_RATE = os.environ.get("NINGJU_OPEN311_READ_RATE", "600/h")

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 200

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "axes": {"handlers": ["console"], "level": "WARNING"},
        "ningju": {"handlers": ["console"], "level": "INFO"},
    },
}
