"""Settings for Open Day, read from the environment.

Every setting has a safe default for local use; production sets DEBUG=false, SECRET_KEY,
ALLOWED_HOSTS and DATABASE_URL at least. `.env.example` lists them all.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Published in the source, so accepted only with DEBUG on.
DEVELOPMENT_SECRET_KEY = "insecure-local-development-key-change-me"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip() or DEVELOPMENT_SECRET_KEY
if not DEBUG and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50):
    # Sessions, CSRF tokens and signed check-in codes all rest on this key: a production
    # site must not start with a key that is published in the source code.
    raise ImproperlyConfigured(
        "Set SECRET_KEY to a long random value (50+ characters) when DEBUG is off: "
        'python -c "import secrets; print(secrets.token_urlsafe(50))"'
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "openday.staff.admin_site.OpenDayAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "ninja",
    "django_tasks",
    # Named in the admin's language (openday/staff/vendor_apps.py).
    "openday.staff.vendor_apps.BackgroundTasksConfig",
    "csp",
    "openday.staff.vendor_apps.LoginProtectionConfig",
    "django_otp",
    "openday.staff.vendor_apps.AuthenticatorAppsConfig",
    "openday.privacy",
    "openday.notifications",
    "openday.events",
    "openday.registrations",
    "openday.feedback",
    "openday.api",
    "openday.staff",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "openday.core.i18n.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "openday.privacy.middleware.PermissionsPolicyMiddleware",
    # A view that loses the database answers 503, not 500 (openday.core.outage).
    "openday.core.outage.DatabaseOutageMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "openday.urls"
WSGI_APPLICATION = "openday.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "openday.core.i18n.language_links",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock when their transaction begins (IMMEDIATE) and wait up to
    # `timeout` seconds for it, so concurrent bookings queue instead of failing with
    # "database is locked"; WAL lets readers go on while one writer works.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (Index.include) serve PostgreSQL; SQLite builds them on the key columns
# alone, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Cache ----------------------------------------------------------------------------
CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL") or "locmem://"


# Redis answers in well under a millisecond on a LAN: a call that takes longer than this
# (seconds) is treated as Redis failing, and the process leaves Redis alone for
# OPENDAY_CACHE_RETRY_SECONDS, answering from the database (openday.core.cache).
OPENDAY_CACHE_TIMEOUT = float(os.environ.get("OPENDAY_CACHE_TIMEOUT", "0.25"))
OPENDAY_CACHE_RETRY_SECONDS = float(os.environ.get("OPENDAY_CACHE_RETRY_SECONDS", "5"))


def cache_config(url: str) -> dict:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "BACKEND": "openday.core.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "socket_timeout": OPENDAY_CACHE_TIMEOUT,
                "socket_connect_timeout": OPENDAY_CACHE_TIMEOUT,
                "RETRY_SECONDS": OPENDAY_CACHE_RETRY_SECONDS,
            },
        }
    if url.startswith("dummy://"):
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "openday"}


CACHES = {"default": cache_config(CACHE_URL)}
CACHE_IS_SHARED = CACHES["default"]["BACKEND"].endswith("RedisCache")

# --- Sessions -------------------------------------------------------------------------
# Sessions live in the database, which every app server shares, and nowhere else: a
# session cached in Redis would be lost with Redis, or, after an outage during which a
# logout could not reach the cache, come back to life from it.
SESSION_ENGINE = os.environ.get("SESSION_ENGINE", "django.contrib.sessions.backends.db")

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))


def media_storage(kind: str) -> dict:
    """Where uploaded photos go. `local` (default): files under MEDIA_ROOT, which several
    app servers must share (NFS) or replace with `s3`: any S3-compatible object store
    through django-storages (`pip install django-storages[s3]`; see docs/deploy.md)."""
    if kind == "s3":
        options = {
            "bucket_name": os.environ.get("S3_BUCKET", ""),
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("S3_SECRET_KEY") or None,
            "custom_domain": os.environ.get("S3_CUSTOM_DOMAIN") or None,
            "location": os.environ.get("S3_LOCATION", "media"),
            "querystring_auth": env_bool("S3_QUERYSTRING_AUTH", False),
            "file_overwrite": False,
        }
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
    return {"BACKEND": "django.core.files.storage.FileSystemStorage"}


STORAGES = {
    "default": media_storage(os.environ.get("MEDIA_STORAGE", "local").strip().lower()),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# A request body above this, files aside, is refused (400). Uploaded files above the second
# are spooled to a temporary file; photos have their own limit, OPENDAY_PHOTO_MAX_BYTES.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_SSL_CERTFILE = os.environ.get("EMAIL_SSL_CERTFILE") or None
EMAIL_SSL_KEYFILE = os.environ.get("EMAIL_SSL_KEYFILE") or None
# Seconds a mail server may take to answer before the message is tried again later: a
# hanging server then holds a worker this long per message, not for ever.
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
# For EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend.
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", BASE_DIR / "sent-mail"))
EMAIL_SUBJECT_PREFIX = os.environ.get("EMAIL_SUBJECT_PREFIX", "[Open Day] ")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "公众开放日 <noreply@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# The first wait before a message (text or e-mail) that could not be sent is tried again;
# each next wait is four times longer (openday.notifications.delivery). The older name
# OPENDAY_MAIL_RETRY_SECONDS is still read.
OPENDAY_MESSAGE_RETRY_SECONDS = int(
    os.environ.get(
        "OPENDAY_MESSAGE_RETRY_SECONDS", os.environ.get("OPENDAY_MAIL_RETRY_SECONDS", "30")
    )
)

# --- Background tasks -----------------------------------------------------------------
# "immediate" runs a task inside the request (local use, tests); "database" queues it for
# `manage.py db_worker`, which production runs beside the app servers.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate")
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if TASKS_BACKEND == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

# A task RUNNING for longer than this is taken to be abandoned by a worker that died, and
# run again (`manage.py task_worker`, openday.core.worker); far above any task's length.
OPENDAY_TASK_LEASE_SECONDS = int(os.environ.get("OPENDAY_TASK_LEASE_SECONDS", "900"))

# --- Security -------------------------------------------------------------------------
# Production (DEBUG off) is safe by default: HTTPS only, HSTS, secure cookies. `.env.example`
# is the documented production environment; `manage.py check --deploy` is clean under it.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe the app servers over plain HTTP; a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# Nothing in the browser reads the CSRF cookie: pages carry the token in the form.
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin", not "no-referrer": with no referrer at all browsers send `Origin: null` on
# form posts and Django's CSRF check refuses them.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Behind a load balancer or reverse proxy, OPENDAY_TRUSTED_PROXY_COUNT is the number of
# proxies in front of the app servers that each append to X-Forwarded-For. The client
# address is then read by `openday.core.network.client_ip` (rate limits and login lockout
# count it through `client_network`, IPv6 per /64);
# with 0 (the default) X-Forwarded-For is ignored, since a client can write anything there.
OPENDAY_TRUSTED_PROXY_COUNT = int(os.environ.get("OPENDAY_TRUSTED_PROXY_COUNT", "0"))
if OPENDAY_TRUSTED_PROXY_COUNT > 0:
    # The proxy terminates TLS and says so; without this every request looks like plain
    # HTTP and the HTTPS redirect loops.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): no inline script or style anywhere, every asset
# from this site. Bootstrap's CSS draws some icons as data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "upgrade-insecure-requests": not DEBUG,
    }
}
# Browser features the site never uses are switched off; the camera is allowed only on
# the pages listed here (the QR scanner at the check-in desk).
OPENDAY_CAMERA_PATHS = env_list("OPENDAY_CAMERA_PATHS", "/staff/checkin/")

# Staff login: django-axes locks a username, and separately an address, after
# OPENDAY_LOGIN_FAILURE_LIMIT failed logins in a row, for OPENDAY_LOGIN_LOCKOUT_MINUTES.
AUTHENTICATION_BACKENDS = [
    "openday.privacy.backends.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("OPENDAY_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("OPENDAY_LOGIN_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "openday.core.network.client_network"
AXES_USERNAME_CALLABLE = "openday.privacy.backends.login_username"
AXES_LOCKOUT_CALLABLE = "openday.privacy.views.login_locked_out"
AXES_VERBOSE = False
# The admin lives at /admin/ unless the operator moves it, e.g. OPENDAY_ADMIN_URL=staff-7f3k/.
OPENDAY_ADMIN_URL = os.environ.get("OPENDAY_ADMIN_URL", "admin/").strip("/") + "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Forms ----------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Open Day -------------------------------------------------------------------------
OPENDAY_SITE_NAME = os.environ.get("OPENDAY_SITE_NAME", _("Open Day"))
OPENDAY_RATELIMIT = env_bool("OPENDAY_RATELIMIT", True)
# django-ratelimit, called by openday.core.ratelimit with its own keys: off with the
# switch above, and a cache that fails lets people through rather than locking them out.
RATELIMIT_ENABLE = OPENDAY_RATELIMIT
RATELIMIT_FAIL_OPEN = True
RATELIMIT_CACHE_PREFIX = "openday:rl:"
OPENDAY_PHONE_VERIFICATION = env_bool("OPENDAY_PHONE_VERIFICATION", False)
# The version of the consent statement shown on the registration form; stored with each
# registration so that what a person agreed to can be shown later.
OPENDAY_CONSENT_VERSION = os.environ.get("OPENDAY_CONSENT_VERSION", "2026-1")
OPENDAY_RETENTION_DAYS = int(os.environ.get("OPENDAY_RETENTION_DAYS", "180"))
# The sheet name of XLSX exports of registrations; empty: "报名" (or its translation in the
# language of the staff member who exports).
OPENDAY_EXPORT_SHEET_NAME = os.environ.get("OPENDAY_EXPORT_SHEET_NAME", "")
# Text messages (openday.notifications.sms, SPEC §3): "console" (default), "file", "locmem",
# "tencent", "aliyun" or the dotted path of a backend class. docs/sms.md says how to set up
# each provider.
OPENDAY_SMS_BACKEND = os.environ.get("OPENDAY_SMS_BACKEND", "console")
OPENDAY_SMS_FILE_PATH = Path(os.environ.get("OPENDAY_SMS_FILE_PATH", BASE_DIR / "sms-messages"))
OPENDAY_SMS_KEY_ID = os.environ.get("OPENDAY_SMS_KEY_ID", "")
OPENDAY_SMS_KEY_SECRET = os.environ.get("OPENDAY_SMS_KEY_SECRET", "")
OPENDAY_SMS_SIGN_NAME = os.environ.get("OPENDAY_SMS_SIGN_NAME", "")
OPENDAY_SMS_APP_ID = os.environ.get("OPENDAY_SMS_APP_ID", "")  # Tencent's SdkAppId
OPENDAY_SMS_REGION = os.environ.get("OPENDAY_SMS_REGION", "")  # empty: the provider's default
OPENDAY_SMS_ENDPOINT = os.environ.get("OPENDAY_SMS_ENDPOINT", "")  # full URL; empty: provider's
# Seconds to wait for a gateway: a slow one delays a message (it is retried), not a worker.
OPENDAY_SMS_TIMEOUT = float(os.environ.get("OPENDAY_SMS_TIMEOUT", "5"))


def _sms_templates(raw: str) -> dict[str, str]:
    try:
        value = json.loads(raw or "{}")
    except ValueError as exc:
        raise ImproperlyConfigured(f"OPENDAY_SMS_TEMPLATES is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(
            'OPENDAY_SMS_TEMPLATES must be a JSON object, e.g. {"reminder": "1234567"}'
        )
    return {str(kind): str(template) for kind, template in value.items() if template}


# Message kind -> the provider's template ID; a kind without one is not sent by SMS.
OPENDAY_SMS_TEMPLATES = _sms_templates(os.environ.get("OPENDAY_SMS_TEMPLATES", ""))
# Messages to registrants (openday.notifications): reminders this many hours before an
# activity starts (0: none), survey invitations this many hours after a checked-in visit.
OPENDAY_REMINDER_HOURS = int(os.environ.get("OPENDAY_REMINDER_HOURS", "24"))
OPENDAY_SURVEY_DELAY_HOURS = int(os.environ.get("OPENDAY_SURVEY_DELAY_HOURS", "3"))
# Quiet hours, local time (TIME_ZONE): a message that is not urgent (reminders, surveys,
# replies, staff messages) waits from START o'clock until END o'clock.
OPENDAY_QUIET_HOURS_START = int(os.environ.get("OPENDAY_QUIET_HOURS_START", "22"))
OPENDAY_QUIET_HOURS_END = int(os.environ.get("OPENDAY_QUIET_HOURS_END", "8"))
# Cost guard: text messages the site may send per hour and per day (0: no limit). Past
# either, messages that are not urgent wait for the next hour and staff see a warning.
# The defaults hold a small city's reminder wave; `check --deploy` warns when both are 0.
OPENDAY_SMS_BUDGET_HOUR = int(os.environ.get("OPENDAY_SMS_BUDGET_HOUR", "2000"))
OPENDAY_SMS_BUDGET_DAY = int(os.environ.get("OPENDAY_SMS_BUDGET_DAY", "20000"))
# The task worker sends what is due (send_due_notifications' work) this often; 0: cron does.
OPENDAY_SEND_DUE_SECONDS = int(os.environ.get("OPENDAY_SEND_DUE_SECONDS", "60"))
OPENDAY_VERIFICATION_CODE_MINUTES = int(os.environ.get("OPENDAY_VERIFICATION_CODE_MINUTES", "5"))
OPENDAY_VERIFICATION_MAX_ATTEMPTS = int(os.environ.get("OPENDAY_VERIFICATION_MAX_ATTEMPTS", "5"))
# Seconds an anonymous visitor may see a cached programme or activity page (and so a
# places-left figure that old); 0 turns the page cache off. See openday/events/pages.py.
OPENDAY_PAGE_CACHE_SECONDS = int(os.environ.get("OPENDAY_PAGE_CACHE_SECONDS", "5"))
# Activities per page of the public programme (`/` and an open day's page): a city-wide
# programme of hundreds of activities on one page is too heavy for a phone.
OPENDAY_PROGRAMME_PAGE_SIZE = max(1, int(os.environ.get("OPENDAY_PROGRAMME_PAGE_SIZE", "40")))
# No-show rule: a phone number that missed OPENDAY_NOSHOW_LIMIT activities (confirmed, not
# checked in, not cancelled before the start) within OPENDAY_NOSHOW_MONTHS may not register
# for OPENDAY_NOSHOW_BAN_DAYS after the last one. A limit of 0 turns the rule off.
OPENDAY_NOSHOW_LIMIT = int(os.environ.get("OPENDAY_NOSHOW_LIMIT", "2"))
OPENDAY_NOSHOW_MONTHS = int(os.environ.get("OPENDAY_NOSHOW_MONTHS", "12"))
OPENDAY_NOSHOW_BAN_DAYS = int(os.environ.get("OPENDAY_NOSHOW_BAN_DAYS", "90"))
# One phone number holds at most one place at a time: a booking for an activity whose
# time overlaps one the number already holds (confirmed or waiting) is refused. `false`
# turns the rule off; staff booking on someone's behalf may override it case by case.
OPENDAY_REFUSE_OVERLAPPING = env_bool("OPENDAY_REFUSE_OVERLAPPING", True)
# A group (a class, a delegation) booked with an invitation code or by staff may be larger
# than an activity's party size, up to this many people, each named.
OPENDAY_GROUP_MAX_SIZE = int(os.environ.get("OPENDAY_GROUP_MAX_SIZE", "60"))
# Once a booking finds an activity without places or waiting list, later attempts are
# refused from the cache for this many whole seconds (0: never); anything that frees a
# place ends it at once in every process that shares the cache (openday.registrations.sold_out).
OPENDAY_SOLD_OUT_SECONDS = int(os.environ.get("OPENDAY_SOLD_OUT_SECONDS", "2"))
# Booking attempts allowed per client address and per phone number from one address, each
# within its window (seconds). The address limit is generous: many people share one address
# behind a carrier-grade NAT. The address is read by openday.core.network.client_network
# (IPv6 per /64).
OPENDAY_RATELIMIT_ADDRESS = os.environ.get("OPENDAY_RATELIMIT_ADDRESS", "300/60")
OPENDAY_RATELIMIT_PHONE = os.environ.get("OPENDAY_RATELIMIT_PHONE", "10/600")
# The pages behind a manage link (/r/<token>/...), per address: against guessing tokens.
OPENDAY_RATELIMIT_MANAGE = os.environ.get("OPENDAY_RATELIMIT_MANAGE", "60/60")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Log lines never carry a phone number or a manage token (request paths under /r/).
    "filters": {"personal_data": {"()": "openday.privacy.logs.RedactPersonalData"}},
    "handlers": {
        # The level on the handler too: Django's own loggers pass their records up to it
        # whatever the root logger's level.
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["personal_data"],
            "level": os.environ.get("LOG_LEVEL", "INFO"),
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# Absolute links in e-mails and calendar files start with this.
OPENDAY_BASE_URL = os.environ.get("OPENDAY_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Photos and every other public image (openday.core.images) --------------------------
OPENDAY_PHOTO_MAX_BYTES = int(os.environ.get("OPENDAY_PHOTO_MAX_BYTES", 10 * 1024 * 1024))
OPENDAY_PHOTO_MAX_PIXELS = int(os.environ.get("OPENDAY_PHOTO_MAX_PIXELS", 50_000_000))
OPENDAY_PHOTO_MIN_SIDE = 200
