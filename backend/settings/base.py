"""Settings shared by every environment. One place reads the environment: here, through django-environ.

local.py, test.py and production.py refine this module; production.py refuses to start without secrets.
"""

import ipaddress
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from .beat import CELERY_BEAT_SCHEDULE as BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A developer's .env, if any; real deployments pass the environment directly.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[".localhost", "localhost", "127.0.0.1"])

# --- Platform ------------------------------------------------------------------------------------
# Companies live at <slug>.<PLATFORM_DOMAIN>; the platform site (sign-up, operators) at PLATFORM_DOMAIN.
PLATFORM_DOMAIN = env("PLATFORM_DOMAIN", default="localhost")
# How URLs to a company portal are built: scheme and an optional ":port" suffix for development.
PLATFORM_URL_SCHEME = env("PLATFORM_URL_SCHEME", default="http")
PLATFORM_URL_PORT = env("PLATFORM_URL_PORT", default="")
# The privacy policy's version (隐私政策版本): every consent at sign-up records it; change it with the text.
PRIVACY_POLICY_VERSION = env("PRIVACY_POLICY_VERSION", default="2026-12")
PLATFORM_NAME = env("PLATFORM_NAME", default="物业云")
# Subdomains nobody may take at sign-up.
RESERVED_SUBDOMAINS = env.list(
    "RESERVED_SUBDOMAINS",
    default=[
        "www",
        "api",
        "admin",
        "static",
        "media",
        "public",
        "template",
        "mail",
        "smtp",
        "ftp",
        "app",
        "apps",
        "platform",
        "ws",
        "wss",
        "assets",
        "cdn",
        "help",
        "support",
        "status",
        "docs",
        "blog",
        "dev",
        "test",
        "demo-template",
        "root",
        "system",
        "login",
        "signup",
    ],
)

# --- Applications --------------------------------------------------------------------------------
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "backend.accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_htmx",
    "backend.gateway",
    "portal",
    "marketplace",
    # The marketplace search's PostgreSQL backend: one denormalised row per listing (public schema).
    "marketplace.search",
    # Shop orders' per-merchant index (company, order, status, totals; no personal data).
    "marketplace.orders_index",
    # Settlement statements' per-merchant index (company, statement, month, status, totals).
    "marketplace.settlement_index",
    # Shop after-sale's per-merchant index (refund requests, reviews and their stars; no personal data).
    "marketplace.aftersale_index",
    # No models: the seed_demo command and the demo companies' seeders.
    "backend.demo",
    # No models: company export/restore/deletion, the operator console, support access.
    "backend.operations",
    # No models: whole responses cached per user and invalidated by the tables they read.
    "backend.response_cache",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "tenants.company",
    "backend.access",
    "backend.audit",
    "backend.notifications",
    "backend.properties",
    "backend.billing",
    "backend.payments",
    "backend.club",
    "backend.desk",
    "backend.gate",
    "backend.renovation",
    # Personal information (PIPL): erasure requests, the data download's collectors.
    "backend.privacy",
    "marketplace.company",
    "marketplace.orders",
    "marketplace.settlement",
    # Group-buy (团购) deals and their participants' orders.
    "marketplace.groupbuy",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New companies are cloned from this schema (kept migrated by migrate_schemas like any tenant).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Host → company: each process keeps what it read from the shared cache for this long (tenants/host_cache.py);
# a change is seen at once by the process that made it and by every other within this many seconds. 0: off.
HOST_CACHE_LOCAL_SECONDS = env.float("HOST_CACHE_LOCAL_SECONDS", default=1.0)
# Spare schemas cloned ahead of time, so onboarding is a rename (tenants/spares.py). 0 disables the pool.
TENANT_SPARE_SCHEMAS = env.int("TENANT_SPARE_SCHEMAS", default=2)
PUBLIC_SCHEMA_URLCONF = "backend.urls_public"
ROOT_URLCONF = "backend.urls_tenant"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
# SET search_path once per schema change instead of before every query (django-tenants resets the flag
# whenever the tenant changes): one round trip less per query.
TENANT_LIMIT_SET_CALLS = True

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/wuye")}
# django-tenants' backend, remembering each pooled connection's search_path (tenants/postgresql_backend).
DATABASES["default"]["ENGINE"] = "tenants.postgresql_backend"
# Connections come from a pool per process (psycopg_pool through Django 5.2). Under ASGI every request runs
# in a thread of its own: a persistent connection per thread opened one PostgreSQL session per request (10 ms
# here) and kept them until the server refused more ("too many clients"). A pooled connection is handed back
# when the request ends; a burst beyond DB_POOL_MAX_SIZE waits up to DB_POOL_TIMEOUT seconds for one
# instead of failing. The most a deployment opens is (web workers + Celery processes) × DB_POOL_MAX_SIZE.
# DB_POOL=0 goes back to one connection per thread, kept DB_CONN_MAX_AGE seconds (e.g. behind PgBouncer in
# transaction mode, which pools on its side).
DB_POOL = env.bool("DB_POOL", default=True)
if DB_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
        "timeout": env.float("DB_POOL_TIMEOUT", default=30.0),
        # Idle connections above min_size close after this long, so a quiet server holds few sessions.
        "max_idle": env.float("DB_POOL_MAX_IDLE", default=120.0),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
# Shown in pg_stat_activity: which process holds which connection.
DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = env("DB_APPLICATION_NAME", default="wuye")
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

# --- Client IP -----------------------------------------------------------------------------------
# The reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs, comma-separated), e.g. nginx's
# address in docker-compose or the ingress controllers' pod network in k8s. Empty: nobody's, and the TCP
# peer is the client (backend/client_ip.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy.strip(), strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is neither an IP address nor a CIDR.") from _exc

# The security headers' middlewares come before the tenant middleware, so that the answers it gives by
# itself (/healthz, unknown company, suspended) carry them too; none of them touches the database.
MIDDLEWARE = [
    # First: the request id and the latency of everything below, and /metrics (backend/observability).
    "backend.observability.middleware.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "backend.security_headers.SecurityHeadersMiddleware",
    "tenants.middleware.TenantMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tenants.middleware.TenantLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "backend.accounts.middleware.MembershipMiddleware",
    "portal.middleware.PortalAccessMiddleware",
    "backend.audit.middleware.RequestActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
            "builtins": ["portal.templatetags.portal_extras"],
        },
    }
]

# Django's renderer, with <select> and <input> built in Python instead of a template per option (same markup).
FORM_RENDERER = "portal.common.form_renderer.PortalFormRenderer"

WSGI_APPLICATION = "backend.wsgi.application"
ASGI_APPLICATION = "backend.asgi.application"

# --- Accounts ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["backend.accounts.backends.EmailOrPhoneBackend"]
PASSWORD_HASHERS = [
    "backend.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "backend.accounts.validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
# Failed sign-ins allowed per account and per IP within the window before sign-in is refused.
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Per client IP, for what anyone may do without signing in ("<count>/<period>", period s, m, h or d, e.g.
# "20/hour" or "5/15m"). THROTTLE_RATES=token=100/minute,company_signup=50/hour overrides some of them.
THROTTLE_RATES = {
    "company_signup": "10/hour",  # each one clones a schema
    "resident_signup": "20/hour",
    "merchant_signup": "10/hour",
    "token": "30/minute",
    "password_reset": "10/hour",  # each one may send an e-mail
    "invitation": "30/hour",
    "handoff": "60/hour",
    "operator_login": "20/hour",
    **env.dict("THROTTLE_RATES", default={}),
}

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# Sessions read from Redis first, keyed by company schema (backend/accounts/sessions.py).
SESSION_ENGINE = "backend.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# --- Security headers ----------------------------------------------------------------------------
# The Content-Security-Policy of every response (backend/security_headers.py), in the shape of Django 6.0's
# setting of the same name. No inline scripts and no eval anywhere; a page that loads Stripe.js adds its
# origins for itself (csp_extend). Styles may be inline: templates still carry style attributes and a few
# <style> blocks, and swagger-ui's page has one; injected CSS cannot run code.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],  # data: for the WeChat Pay QR code and swagger-ui's icons
    "font-src": ["'self'"],
    "connect-src": ["'self'"],  # 'self' covers the notification websocket (ws/wss on the same host)
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Powerful browser features our pages may use (Permissions-Policy, backend/security_headers.py): the camera for
# our own pages only (a QR code scanned on a phone, js/qr-scan.js), never for a frame of another origin;
# microphone and location for nobody. A feature left out keeps the browser's default.
PERMISSIONS_POLICY = {"camera": ["self"], "microphone": [], "geolocation": []}
# Other sites (Stripe, the banks of 3-D Secure) see our origin, never our paths and query strings.
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

# --- I18n, time ----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static --------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".data" / "media")
MEDIA_URL = "/media/"

# --- Uploads (backend/uploads/kinds.py: which use takes which limit) -----------------------------
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)  # photos and documents
UPLOAD_IMPORT_MAX_BYTES = env.int("UPLOAD_IMPORT_MAX_BYTES", default=30 * 1024 * 1024)  # registry .xlsx
# Meter readings are imported inside the request: a smaller file keeps it to a few seconds.
UPLOAD_READINGS_IMPORT_MAX_BYTES = env.int("UPLOAD_READINGS_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
# Images are scaled down to fit this many pixels on their longest side; documents keep more to stay legible.
UPLOAD_IMAGE_MAX_SIDE = env.int("UPLOAD_IMAGE_MAX_SIDE", default=2560)
UPLOAD_DOCUMENT_MAX_SIDE = env.int("UPLOAD_DOCUMENT_MAX_SIDE", default=4096)
# An image whose header claims more pixels is refused before it is decoded (a 48-megapixel phone photo fits).
UPLOAD_IMAGE_MAX_PIXELS = env.int("UPLOAD_IMAGE_MAX_PIXELS", default=50_000_000)

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backend.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: a view opens up only by naming the roles it needs (or AllowAny, explicitly).
    "DEFAULT_PERMISSION_CLASSES": ["backend.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "backend.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "backend.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "backend.api.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "物业云 Property Platform API",
    "DESCRIPTION": "Per-company API. Authenticate with `Authorization: Bearer <token>` from /api/v1/auth/token/.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models share field names with different choices; name their enums instead of hashing them.
    "ENUM_NAME_OVERRIDES": {
        "OnlinePaymentStatusEnum": "backend.payments.models.OnlinePayment.Status",
        "OnlinePaymentMethodTypeEnum": "backend.payments.models.OnlinePayment.MethodType",
        "ReceiptStatusEnum": "backend.payments.models.Receipt.Status",
        "RefundStatusEnum": "backend.payments.models.Refund.Status",
        "RefundKindEnum": "backend.payments.models.Refund.Kind",
        "BookingStatusEnum": "backend.club.models.BookingStatus",
        "BookingRefundStatusEnum": "backend.club.models.RefundStatus",
        "BookingSourceEnum": "backend.club.models.BookingSource",
        "FacilityKindEnum": "backend.club.models.FacilityKind",
        "BookingModeEnum": "backend.club.models.BookingMode",
        "PriceModeEnum": "backend.club.models.PriceMode",
        "ClosureKindEnum": "backend.club.models.Closure.Kind",
        "ListingKindEnum": "marketplace.models.catalogue.ListingKind",
        "RenovationStatusEnum": "backend.renovation.models.Status",
        "RenovationDecisionEnum": "backend.renovation.models.Decision",
        "TicketPriorityEnum": "backend.desk.models.Priority",
        "TicketChannelEnum": "backend.desk.models.Channel",
        "TicketStatusEnum": "backend.desk.models.Status",
        "VisitorPassStatusEnum": "backend.gate.models.PassStatus",
        "ParcelStatusEnum": "backend.gate.models.ParcelStatus",
        "GateDirectionEnum": "backend.gate.models.Direction",
        "ComplaintStatusEnum": "backend.desk.complaint_models.ComplaintStatus",
        "ComplaintChannelEnum": "backend.desk.complaint_models.ComplaintChannel",
        "ComplaintSeverityEnum": "backend.desk.complaint_models.Severity",
        "ComplaintCauseEnum": "backend.desk.complaint_models.Cause",
        "ComplaintToldViaEnum": "backend.desk.complaint_models.ToldVia",
        "SurveyStatusEnum": "backend.desk.survey_models.SurveyStatus",
        "SurveyQuestionKindEnum": "backend.desk.survey_models.QuestionKind",
        "OrderStatusEnum": "marketplace.orders.models.OrderStatus",
        "SettlementStatementStatusEnum": "marketplace.settlement.models.StatementStatus",
        "SettlementPayoutMethodEnum": "marketplace.settlement.models.PayoutMethod",
        "SettlementPayoutStatusEnum": "marketplace.settlement.models.PayoutStatus",
        "PayableEntryKindEnum": "marketplace.settlement.models.EntryKind",
        "ShopRefundStatusEnum": "marketplace.orders.aftersale_models.RefundStatus",
        "ShopComplaintStatusEnum": "marketplace.orders.aftersale_models.ComplaintStatus",
        "GroupbuyDealStateEnum": "marketplace.groupbuy.models.DealState",
        "GroupbuyJoinStateEnum": "marketplace.groupbuy.models.JoinState",
        "WaitlistStatusEnum": "backend.club.models.WaitlistEntry.Status",
        "SeriesStatusEnum": "backend.club.models.BookingSeries.Status",
        "ClassStatusEnum": "backend.club.models.ClassStatus",
        "EnrolmentStatusEnum": "backend.club.models.EnrolmentStatus",
        "ClassSessionStatusEnum": "backend.club.models.ClassSession.Status",
        "AttendanceStatusEnum": "backend.club.models.Attendance.Status",
        "FeeCategoryEnum": "backend.billing.models.FeeCategory",
        "ChargeMethodEnum": "backend.billing.models.ChargeMethod",
        "MeterKindEnum": "backend.billing.models.MeterKind",
        "PaymentMethodEnum": "backend.billing.models.Payment.Method",
        "PaymentChannelEnum": "backend.billing.models.Payment.Channel",
        "BillLineKindEnum": "backend.billing.models.BillLine.Kind",
        "LedgerEntryKindEnum": "backend.billing.models.LedgerEntry.Kind",
        "WaiverKindEnum": "backend.billing.models.LedgerEntry.WaiverKind",
        "BillRunStatusEnum": "backend.billing.models.BillRun.Status",
        "WaiverStatusEnum": "backend.billing.models.WaiverRequest.Status",
        "MeterReadingStatusEnum": "backend.billing.models.MeterReading.Status",
        "DunningChannelEnum": "backend.billing.models.DunningContact.Channel",
        "DunningCategoryEnum": "backend.billing.models.DunningContact.Category",
        "RoleEnum": "backend.accounts.roles.Role",
        "OccupancyRoleEnum": "backend.properties.models.OccupancyRole",
        "UnitStatusEnum": "backend.properties.models.UnitStatus",
        "ParkingKindEnum": "backend.properties.models.ParkingSpace.Kind",
    },
}

# --- Realtime and tasks --------------------------------------------------------------------------
CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
    "default": {
        # The pub/sub layer: the list-based core layer can lose a group message to a socket that connects in a
        # process where another socket has just disconnected (a cancelled BZPOPMIN takes the message with it;
        # django/channels#1683). Seen as a missing toast after a page navigation. Pub/sub has no such queue,
        # and at 1,000 sockets delivers faster (p95 13.5 ms against 19.6 ms here).
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            # redis-py's async pool refuses (rather than waits) past max_connections, which defaults to 100:
            # a burst of sockets joining their groups needs more.
            # redis-py 8 reads with a 5 s socket timeout by default, the same 5 s that channels-redis blocks in
            # BZPOPMIN: under load the empty reply lands just after the timeout and the socket's consumer
            # dies. Reads get 15 s.
            "hosts": [
                {
                    "address": REDIS_URL,
                    "max_connections": env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=2000),
                    "socket_timeout": 15,
                }
            ],
            "prefix": env("CHANNEL_LAYER_PREFIX", default="asgi"),
        },
    }
}
CACHES: dict[str, dict[str, Any]] = {
    "default": {
        # Django's Redis cache with one connection pool per process (backend/redis_cache.py).
        "BACKEND": "backend.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="wuye"),
    }
}
# Whole GET responses kept per user in Redis and served before Django runs, invalidated by any committed write
# to a table they read (backend/response_cache). What no table says (the time of day, the search index) is
# at most RESPONSE_CACHE_SECONDS old. RESPONSE_CACHE=0 turns the lookup off (the clocks move either way).
RESPONSE_CACHE = env.bool("RESPONSE_CACHE", default=True)
RESPONSE_CACHE_SECONDS = env.int("RESPONSE_CACHE_SECONDS", default=30)
RESPONSE_CACHE_MAX_BYTES = env.int("RESPONSE_CACHE_MAX_BYTES", default=512 * 1024)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
# The broker's keys (queues, bindings, control channels) and the results carry the key prefix, so the demo,
# test runs and benchmarks sharing one Redis (database) never consume each other's tasks.
CELERY_KEY_PREFIX = env("CELERY_KEY_PREFIX", default=f"{CACHES['default']['KEY_PREFIX']}:celery:")
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": CELERY_KEY_PREFIX}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": CELERY_KEY_PREFIX}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "backend.celery_beat.CompanyScheduler"
# The periodic jobs (backend/settings/beat.py).
CELERY_BEAT_SCHEDULE: dict[str, dict] = BEAT_SCHEDULE

# --- Payments: Stripe (the platform's account; a company may set its own in its payment settings) -----
# No keys: online payment is off, unless `make demo` started localstripe (a local test gateway) and set
# these to point at it. STRIPE_API_BASE blank means https://api.stripe.com; STRIPE_JS_URL blank means
# Stripe.js from js.stripe.com, or localstripe's fake Stripe.js when the API base is not Stripe's.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
STRIPE_JS_URL = env("STRIPE_JS_URL", default="")
STRIPE_TIMEOUT = env.int("STRIPE_TIMEOUT", default=20)

# --- E-mail --------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="物业云 <noreply@localhost>")

# --- Logging: every record carries the company schema, the user and the request id ------------------------
# LOG_FORMAT=json: one JSON object per line (production's default, for a log collector); plain: one readable
# line (a developer's terminal). backend/observability/logs.py.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "backend.observability.logs.RequestContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(schema)s %(user)s %(request_id)s] %(name)s: %(message)s"},
        "json": {"()": "backend.observability.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Company deletion (backend/operations/deletion.py) ---------------------------------------------------------------
# Days between a company's deletion request (it is suspended at once) and the deletion of its data.
COMPANY_DELETE_GRACE_DAYS = env.int("COMPANY_DELETE_GRACE_DAYS", default=30)

# --- Metrics (GET /metrics, Prometheus; backend/observability/metrics.py) ---------------------------------------
# With METRICS_TOKEN set, a scrape must send "Authorization: Bearer <token>"; without it, only a peer in
# METRICS_ALLOWED_NETWORKS (CIDRs; default this host) is answered. The web workers share their values through
# PROMETHEUS_MULTIPROC_DIR (set by infra/web.sh).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])

# --- SMS (短信平台) -----------------------------------------------------------------------------
SMS_BACKEND = env("SMS_BACKEND", default="backend.notifications.sms.LoggingSmsBackend")
ALIYUN_SMS_ENDPOINT = env("ALIYUN_SMS_ENDPOINT", default="https://dysmsapi.aliyuncs.com")
ALIYUN_SMS_ACCESS_KEY_ID = env("ALIYUN_SMS_ACCESS_KEY_ID", default="")
ALIYUN_SMS_ACCESS_KEY_SECRET = env("ALIYUN_SMS_ACCESS_KEY_SECRET", default="")
ALIYUN_SMS_SIGN_NAME = env("ALIYUN_SMS_SIGN_NAME", default="")
ALIYUN_SMS_TEMPLATE_CODE = env("ALIYUN_SMS_TEMPLATE_CODE", default="")
# How many times an e-mail or SMS is tried before it is marked failed and company admins are told.
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=5)

# --- Shop orders (marketplace/orders) --------------------------------------------------------------------------
# Minutes an order's stock and slot places stay reserved for its payment; days after delivery it completes.
SHOP_ORDER_PAY_MINUTES = env.int("SHOP_ORDER_PAY_MINUTES", default=15)
SHOP_ORDER_AUTO_COMPLETE_DAYS = env.int("SHOP_ORDER_AUTO_COMPLETE_DAYS", default=7)
# Days after an order closed that its merchant sees the resident's name, phone and home masked (and the stored
# copies are masked by the nightly task).
SHOP_PERSONAL_DATA_DAYS = env.int("SHOP_PERSONAL_DATA_DAYS", default=30)

# --- Marketplace search (marketplace/search) ------------------------------------------------------
# "postgres" (default: the denormalised table in this database, no extra server) or "elasticsearch".
SEARCH_BACKEND = env("SEARCH_BACKEND", default="postgres")
ELASTICSEARCH_URL = env("ELASTICSEARCH_URL", default="http://127.0.0.1:9200")
ELASTICSEARCH_TIMEOUT = env.float("ELASTICSEARCH_TIMEOUT", default=10.0)
# Index names start with this ("<prefix>listings"), so deployments, test runs and helpers sharing one
# Elasticsearch never collide.
SEARCH_INDEX_PREFIX = env("SEARCH_INDEX_PREFIX", default="wuye_")
# Where jieba keeps its prepared dictionary (built once, then loaded from here by every process).
SEARCH_SEGMENT_CACHE_DIR = env.path("SEARCH_SEGMENT_CACHE_DIR", default=BASE_DIR / ".data" / "jieba")
# The Celery queue of the indexing tasks; empty: the default queue.
SEARCH_INDEX_QUEUE = env("SEARCH_INDEX_QUEUE", default="")
