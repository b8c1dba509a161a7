"""One env-driven configuration.

With no environment at all the portal runs on an SQLite file, runs Celery tasks in-process and
writes mail to a folder. DATABASE_URL switches to PostgreSQL, REDIS_URL to a Redis broker and
cache, SMTP_URL to a real mail server. See docs/configuration.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from rammeaftale.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY", "django-insecure-local-development-key-never-used-in-production"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = env_url("SITE_URL", schemes=("http", "https"), default="http://127.0.0.1:8000").rstrip(
    "/"
)
SITE_NAME = "Rammeaftaleportalen"
# The region whose secretariat runs this portal: its organisation diagram is the default one.
PORTAL_REGION_CODE = env_str("PORTAL_REGION_CODE", "1082")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_filters",
    "django_htmx",
    "simple_history",
    "core",
    "accounts",
    "notices",
    "organizations",
    "meetings",
    "rounds",
    "offers",
    "tariffs",
    # django-ninja as an app so its docs page serves Swagger UI from our static files, no CDN.
    "ninja",
    "api",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.SecretariatMFAMiddleware",
    # Records who made each change in django-simple-history (tariffs).
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "rammeaftale.urls"
WSGI_APPLICATION = "rammeaftale.wsgi.application"
ASGI_APPLICATION = "rammeaftale.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.portal",
            ],
        },
    }
]

# --- database ----------------------------------------------------------------------------------

DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"), default="")
if DATABASE_URL.startswith(("postgres://", "postgresql://")):
    _db: dict[str, Any] = dict(dj_database_url.parse(DATABASE_URL, conn_health_checks=True))
    _db["ENGINE"] = "django.db.backends.postgresql"
    # A pool of persistent connections: a new connection per request halves throughput.
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        "pool": {
            "min_size": env_int("DATABASE_POOL_MIN", 2, minimum=0),
            "max_size": env_int("DATABASE_POOL_MAX", 10, minimum=1),
            "timeout": 10,
        }
    }
    DATABASES = {"default": _db}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _sqlite_path = (
        unquote(urlparse(DATABASE_URL).path) if DATABASE_URL else str(VAR_DIR / "portal.sqlite3")
    )
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _sqlite_path,
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and background work -------------------------------------------------------------------

REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "rammeaftale",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without a broker tasks run in-process and their errors propagate to the caller.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Copenhagen"
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360, minimum=1)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_EXPIRES = 3600
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}

# --- mail (Django 6.1 MAILERS) -------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Sekretariat for rammeaftaler <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMTP_URL = env_url("SMTP_URL", schemes=("smtp", "smtps", "smtp+tls"))
MAIL_FILE_PATH = Path(env_str("MAIL_FILE_PATH", str(VAR_DIR / "mail")))


def _mailers() -> dict[str, dict[str, Any]]:
    if SMTP_URL:
        parsed = urlparse(SMTP_URL)
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {
                    "host": parsed.hostname or "127.0.0.1",
                    "port": parsed.port or (465 if parsed.scheme == "smtps" else 25),
                    "username": unquote(parsed.username or ""),
                    "password": unquote(parsed.password or ""),
                    "use_ssl": parsed.scheme == "smtps",
                    "use_tls": parsed.scheme == "smtp+tls",
                    "timeout": env_int("SMTP_TIMEOUT", 30, minimum=1),
                },
            }
        }
    if env_str("MAIL_BACKEND", "file") == "console":
        return {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    MAIL_FILE_PATH.mkdir(parents=True, exist_ok=True)
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(MAIL_FILE_PATH)},
        }
    }


MAILERS = _mailers()

# --- authentication (django-allauth) --------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "profile"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Rammeaftaleportalen] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "5/5m/ip,5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# Secretariat staff must have an authenticator app before they can do anything else.
SECRETARIAT_MFA_REQUIRED = env_bool("SECRETARIAT_MFA_REQUIRED", True)

# --- language and time ---------------------------------------------------------------------

LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Dansk")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "sprog"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- static and media -----------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("dkfds", BASE_DIR / "node_modules" / "dkfds" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
# Uploaded files are never served straight from MEDIA_ROOT: each app serves its files through a
# view that asks its permissions module first (closed items' attachments included).
MEETINGS_ATTACHMENT_MAX_BYTES = env_int(
    "MEETINGS_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024, minimum=1
)
MEETINGS_EXTRACTION_TIMEOUT = env_int("MEETINGS_EXTRACTION_TIMEOUT", 60, minimum=1)
MEETINGS_EXTRACTION_MEMORY_BYTES = env_int(
    "MEETINGS_EXTRACTION_MEMORY_BYTES", 512 * 1024 * 1024, minimum=16 * 1024 * 1024
)
# CSV imports are validated in memory before anything is written.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)

# --- security defaults that hold everywhere ------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- notices: subscriptions and e-mail deliveries (docs/notices.md) ----------------------------

# Mails sent over one SMTP connection by one task.
NOTICES_BATCH_SIZE = env_int("NOTICES_BATCH_SIZE", 200, minimum=1)
# A claim older than this belongs to a dead worker; longer than CELERY_TASK_TIME_LIMIT, so a
# live worker never has its batch taken from it (that would send twice).
NOTICES_CLAIM_TIMEOUT = env_int("NOTICES_CLAIM_TIMEOUT", 900, minimum=CELERY_TASK_TIME_LIMIT)
NOTICES_MAX_ATTEMPTS = env_int("NOTICES_MAX_ATTEMPTS", 8, minimum=1)
# Seconds before the first retry after a temporary SMTP error; doubled each time, at most 1 h.
NOTICES_RETRY_BACKOFF = env_int("NOTICES_RETRY_BACKOFF", 60, minimum=0)
# The sweep leaves notices and deliveries younger than this to the tasks started on commit.
NOTICES_SWEEP_GRACE = env_int("NOTICES_SWEEP_GRACE", 120, minimum=0)
NOTICES_SWEEP_LIMIT = env_int("NOTICES_SWEEP_LIMIT", 20000, minimum=1)
NOTICES_CONFIRM_MAX_AGE = env_int("NOTICES_CONFIRM_MAX_AGE", 7 * 24 * 3600, minimum=60)
NOTICES_MANAGE_MAX_AGE = env_int("NOTICES_MANAGE_MAX_AGE", 365 * 24 * 3600, minimum=60)
NOTICES_MESSAGE_ID_DOMAIN = env_str("NOTICES_MESSAGE_ID_DOMAIN", "")
NOTICES_CELERY_QUEUE = env_str("NOTICES_CELERY_QUEUE", "celery")

CELERY_BEAT_SCHEDULE["notices-sweep"] = {"task": "notices.sweep", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["notices-digest-daily"] = {
    "task": "notices.digests",
    "schedule": crontab(hour=6, minute=0),
    "args": ("daily",),
}
CELERY_BEAT_SCHEDULE["notices-digest-weekly"] = {
    "task": "notices.digests",
    "schedule": crontab(hour=6, minute=30, day_of_week="mon"),
    "args": ("weekly",),
}
# Minutes not published 3 and 7 days after a meeting: a reminder to the secretariat, once each.
CELERY_BEAT_SCHEDULE["meetings-minutes-reminders"] = {
    "task": "meetings.tasks.minutes_reminders",
    "schedule": crontab(minute=17),
}

# --- written rounds (skriftlig høring) -------------------------------------------------------

# Which of the `holidays` package's Danish categories are closed days: "public" or
# "public,optional" (adds Grundlovsdag, 1 May, 24 and 31 December).
WORKING_DAYS_HOLIDAY_CATEGORIES = env_list("WORKING_DAYS_HOLIDAY_CATEGORIES", ["public"])
if not WORKING_DAYS_HOLIDAY_CATEGORIES or not set(WORKING_DAYS_HOLIDAY_CATEGORIES) <= {
    "public",
    "optional",
}:
    raise ImproperlyConfigured(
        'WORKING_DAYS_HOLIDAY_CATEGORIES must be "public" or "public,optional"'
    )
# The default answer period of a written round, in working days, and the time of day it ends.
ROUNDS_DEFAULT_WORKING_DAYS = env_int("ROUNDS_DEFAULT_WORKING_DAYS", 10, minimum=1)
ROUNDS_DEADLINE_HOUR = env_int("ROUNDS_DEADLINE_HOUR", 12, minimum=0)
# The automatic reminder goes to respondents who have not answered this many hours before the
# deadline (once per round); 0 turns it off.
ROUNDS_REMINDER_HOURS = env_int("ROUNDS_REMINDER_HOURS", 48, minimum=0)
# Rounds past their deadline are resolved, and reminders sent, by this task every minute.
CELERY_BEAT_SCHEDULE["rounds-tick"] = {"task": "rounds.tasks.tick", "schedule": 60.0}

# --- offers --------------------------------------------------------------------------------------

# Confirmed openings, closures and takeovers change the offer's status/operator on their date.
CELERY_BEAT_SCHEDULE["offers-apply-due-events"] = {
    "task": "offers.tasks.apply_due_events",
    "schedule": crontab(hour=0, minute=20),
}

# --- tariffs -------------------------------------------------------------------------------------

# The body whose active members review tariffs with the secretariat (Takstgruppen).
TARIFFS_REVIEW_BODY_SLUG = env_str("TARIFFS_REVIEW_BODY_SLUG", "takstgruppen")
# Editors who have not submitted are reminded this many days before a year's deadline (once).
TARIFFS_REMINDER_DAYS = env_int("TARIFFS_REMINDER_DAYS", 7, minimum=1)
CELERY_BEAT_SCHEDULE["tariffs-reminders"] = {
    "task": "tariffs.tasks.reminders",
    "schedule": crontab(minute=37),
}

# --- open data API -------------------------------------------------------------------------------

# Anonymous clients: at most this many requests per IP address in a fixed window
# ("<n>/sec", "<n>/min", "<n>/hour" or "<n>/day"), counted in the default cache.
API_ANON_RATE = env_str("API_ANON_RATE", "120/min")
if not re.fullmatch(r"[1-9][0-9]*/(sec|min|hour|day)", API_ANON_RATE):
    raise ImproperlyConfigured('API_ANON_RATE must look like "120/min" (sec, min, hour or day)')
# Largest page a client may ask for with ?limit=.
API_MAX_PAGE_SIZE = 100
