"""Settings for PSA. Every deployment choice is read from a ``PSA_*`` environment variable (see README)."""

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

from credentials.keyfile import VAULT_KEY_FILENAME, local_vault_key
from psa.env import env_bool, env_int, env_list, env_str, local_secret, parse_keyring

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("PSA_DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("PSA_DEBUG", False)
SECRET_KEY = env_str("PSA_SECRET_KEY") or local_secret(DATA_DIR, "secret_key")
ALLOWED_HOSTS = env_list("PSA_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("PSA_CSRF_TRUSTED_ORIGINS", [])

# API keys are stored as HMAC-SHA256 digests keyed by a server-side pepper; the newest version signs new keys.
API_KEY_PEPPERS = parse_keyring(env_str("PSA_API_KEY_PEPPERS") or f"1:{local_secret(DATA_DIR, 'api_key_pepper')}")
API_KEY_MAX_LIFETIME_DAYS = 366
API_KEY_LAST_USED_INTERVAL = 60  # seconds between writes of last_used_at

# Mobile sign-in (seed 001): the browser handoff's one-time token, the session's access key and refresh token.
MOBILE_ENABLED = env_bool("PSA_MOBILE_ENABLED", True)
MOBILE_REDIRECT_SCHEMES = env_list("PSA_MOBILE_REDIRECT_SCHEMES", ["alga"])
MOBILE_OTT_TTL = env_int("PSA_MOBILE_OTT_TTL", 60)  # seconds
MOBILE_ACCESS_TTL = env_int("PSA_MOBILE_ACCESS_TTL", 3600)  # seconds
MOBILE_REFRESH_TTL_DAYS = env_int("PSA_MOBILE_REFRESH_TTL_DAYS", 30)
TENANT_ID = env_str("PSA_TENANT_ID", "default")  # what mobile sign-in reports as tenantId; x-tenant-id is ignored
MAX_THREAD_COMMENTS = env_int("PSA_MAX_THREAD_COMMENTS", 2000)  # comments returned when no page/limit is given
TICKET_PAGE_COMMENTS = env_int("PSA_TICKET_PAGE_COMMENTS", 50)  # the ticket page's latest comments; older on demand

# Two-factor sign-in (TOTP) for local accounts (accounts.two_factor): who must enrol (off, admins, all), how many
# recovery codes are issued, failed codes per user before a pause, and how long a signed-in-by-password browser
# may take to enter its code.
REQUIRE_2FA = env_str("PSA_REQUIRE_2FA", "off").strip().lower()
TWO_FACTOR_RECOVERY_CODES = env_int("PSA_2FA_RECOVERY_CODES", 10)
TWO_FACTOR_FAILURE_LIMIT = env_str("PSA_2FA_FAILURE_LIMIT", "5/15min")
TWO_FACTOR_PENDING_SECONDS = env_int("PSA_2FA_PENDING_SECONDS", 300)
# OpenID Connect single sign-on (accounts.sso): HTTP timeout to the provider, how long discovery documents and key
# sets are cached, clock skew allowed on ID tokens, how long a sign-in may take, and sign-in requests per address.
SSO_HTTP_TIMEOUT = env_int("PSA_SSO_HTTP_TIMEOUT", 10)  # seconds
SSO_METADATA_CACHE_SECONDS = env_int("PSA_SSO_METADATA_CACHE_SECONDS", 300)
SSO_CLOCK_SKEW = env_int("PSA_SSO_CLOCK_SKEW", 60)  # seconds
SSO_LOGIN_TTL = env_int("PSA_SSO_LOGIN_TTL", 600)  # seconds from the authorization URL to the redirect
SSO_RATE_LIMIT = env_str("PSA_SSO_RATE_LIMIT", "30/min")  # per address, on each single sign-on route
SSO_CONFIRM_ATTEMPTS = env_int("PSA_SSO_CONFIRM_ATTEMPTS", 5)  # wrong user codes before an API sign-in fails
if REQUIRE_2FA not in ("off", "admins", "all"):
    raise ImproperlyConfigured(f"PSA_REQUIRE_2FA={REQUIRE_2FA!r} is not one of off, admins, all")

# Vault master keys, a versioned keyring "1:<base64 32-byte key>,2:<...>": the newest version wraps new data keys,
# older ones still unwrap until `manage.py vault_rotate` rewraps them. The embedded default generates one key in
# DATA_DIR/vault_master_key on first start; back that file up apart from the database (without it no secret is readable).
VAULT_KEY_FILE = DATA_DIR / VAULT_KEY_FILENAME
VAULT_KEYS = parse_keyring(env_str("PSA_VAULT_KEYS") or f"1:{local_vault_key(DATA_DIR)}")
VAULT_REVEAL_LIMIT = env_int("PSA_VAULT_REVEAL_LIMIT", 30)  # reveals per minute, per user and per API key
# Refreshes of a one-time code within this many seconds of showing it are one audit event ("viewed TOTP codes").
VAULT_TOTP_VIEW_SECONDS = env_int("PSA_VAULT_TOTP_VIEW_SECONDS", 300)
VAULT_PURGE_AFTER_DAYS = env_int("PSA_VAULT_PURGE_AFTER_DAYS", 30)  # deleted credentials are restorable this long

# Rate limits (see psa/ratelimit.py and README "Limits"): "N/period", period s, min, hour or day.
# The embedded default counts rate-limit hits in a SQLite file of its own (psa.ratelimit.CounterFile), so that no
# request waits for the main database's write lock to be counted.
RATELIMIT_SQLITE_FILE = env_str("PSA_RATELIMIT_SQLITE_FILE", str(DATA_DIR / "ratelimit.sqlite3"))
API_RATE_LIMIT = env_str("PSA_API_RATE_LIMIT", "600/min")  # every /api/v1 request, per key, user or address
API_BAD_KEY_LIMIT = env_str("PSA_API_BAD_KEY_LIMIT", "20/min")  # failed API-key checks per address, then 429
# Seconds an API key's caller (owner, nodes, scope) stays cached per process; any change drops it at once everywhere.
CALLER_CACHE_SECONDS = env_int("PSA_CALLER_CACHE_SECONDS", 30)
# Seconds small lookup tables (boards, statuses, priorities) stay cached per process; any change drops them at once.
REFERENCE_CACHE_SECONDS = env_int("PSA_REFERENCE_CACHE_SECONDS", 300)
# Lists build their rows without DRF's per-row field machinery where the serializer allows (psa/api/lean.py).
LEAN_LISTS = env_bool("PSA_LEAN_LISTS", True)
# Retrieves whose view declares its columns read one row's tuples by statements compiled once (psa/api/lean_retrieve.py).
LEAN_RETRIEVE = env_bool("PSA_LEAN_RETRIEVE", True)
LOGIN_FAILURE_LIMIT = env_int("PSA_LOGIN_FAILURE_LIMIT", 5)  # failed sign-ins per user name and per address...
LOGIN_COOLOFF_MINUTES = env_int("PSA_LOGIN_COOLOFF_MINUTES", 15)  # ...within this long lock sign-in for this long
# Input bounds: request bodies (multipart uploads have their own), JSON depth, text fields, audit values.
MAX_REQUEST_BYTES = env_int("PSA_MAX_REQUEST_BYTES", 1024 * 1024)
MAX_UPLOAD_BYTES = env_int("PSA_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
MAX_JSON_DEPTH = env_int("PSA_MAX_JSON_DEPTH", 32)
MAX_QUERY_VALUE_LENGTH = env_int("PSA_MAX_QUERY_VALUE_LENGTH", 8192)
MAX_TEXT_LENGTH = env_int("PSA_MAX_TEXT_LENGTH", 64 * 1024)
AUDIT_VALUE_MAX_BYTES = env_int("PSA_AUDIT_VALUE_MAX_BYTES", 4096)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES

# Ticket numbers are this prefix followed by a per-prefix sequence (TIC1001, TIC1002, ...).
TICKET_NUMBER_PREFIX = env_str("PSA_TICKET_PREFIX", "TIC")

# Time entries: the day a piece of work counts for is taken in this time zone; one entry (and a stopped timer) may
# not exceed this many minutes.
WORK_TIME_ZONE = env_str("PSA_WORK_TIME_ZONE", "UTC")
try:
    ZoneInfo(WORK_TIME_ZONE)
except (ValueError, ZoneInfoNotFoundError) as _error:
    raise ImproperlyConfigured(f"PSA_WORK_TIME_ZONE={WORK_TIME_ZONE!r} is not an IANA time zone") from _error
TIME_ENTRY_MAX_MINUTES = env_int("PSA_TIME_ENTRY_MAX_MINUTES", 24 * 60)
TICKET_TIME_ENTRIES_MAX = env_int("PSA_TICKET_TIME_ENTRIES_MAX", 500)  # entries GET /tickets/{id}/time-entries lists
# Search (psa.search): results per type in the global search, and the index's share of a long ticket's comments.
SEARCH_PER_GROUP = env_int("PSA_SEARCH_PER_GROUP", 10)
SEARCH_MAX_LIMIT = env_int("PSA_SEARCH_MAX_LIMIT", 50)  # the largest `limit` of GET /search
SEARCH_MAX_PAGE = env_int("PSA_SEARCH_MAX_PAGE", 100)  # deeper pages of a search are refused (400)
SEARCH_COMMENT_CHARS = env_int("PSA_SEARCH_COMMENT_CHARS", 100_000)  # of a ticket's comments, newest first
# PostgreSQL: a type's newest entries searched first, newest first, before the GIN index is asked for older ones.
SEARCH_RECENT_WINDOW = env_int("PSA_SEARCH_RECENT_WINDOW", 2_000)
# PostgreSQL: a single word the planner expects in at most this many entries of a type is looked up in the GIN index
# directly, without first reading the newest PSA_SEARCH_RECENT_WINDOW entries.
SEARCH_RARE_ESTIMATE = env_int("PSA_SEARCH_RARE_ESTIMATE", 1_000)
# PostgreSQL: that estimate is worked out from the index table's statistics (pg_stats), read at most once per this
# many seconds per process, instead of an EXPLAIN per search; 0 asks the planner every time.
SEARCH_STATISTICS_SECONDS = env_int("PSA_SEARCH_STATISTICS_SECONDS", 300)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "psa",
    "clients",
    "accounts",
    "tickets",
    "assets",
    "credentials",
    "integrations",
    "integrations.hudu",
    "catalog",
    "sales",
    "integrations.unifi",
]

MIDDLEWARE = [
    "psa.middleware.RequestScopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "psa.middleware.PermissionsPolicyMiddleware",
    "psa.middleware.ContentSecurityPolicyMiddleware",  # django-csp's, with the settings' policy built once
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.TwoFactorEnrolmentMiddleware",
    "psa.middleware.SessionIdleMiddleware",
    "psa.middleware.UserTimeZoneMiddleware",
    "psa.middleware.ApiRateLimitMiddleware",
    "psa.middleware.RequestBoundsMiddleware",
    "psa.middleware.LazyMessageMiddleware",  # Django's, making the storage on first use
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "psa.middleware.ApiErrorMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "psa.urls"
WSGI_APPLICATION = "psa.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        # Django's backend, rendering every page through the caller's field gate (psa/ui_gate.py, issue 8 §2).
        "BACKEND": "psa.ui_gate.GatedTemplates",
        "NAME": "django",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "psa.context_processors.navigation",
            ],
        },
    },
]

# Django's form templates, a select's options written in one pass (psa/form_renderer.py).
FORM_RENDERER = "psa.form_renderer.FormRenderer"

# Database: SQLite in WAL mode by default, anything dj-database-url understands through PSA_DATABASE_URL.
DATABASE_URL = env_str("PSA_DATABASE_URL")
# Connections stay open between requests (opening one costs more than most queries). No health check query before
# each request's first query by default: a connection that broke fails that one request and is then replaced.
DB_CONN_MAX_AGE = env_int("PSA_DB_CONN_MAX_AGE", 600)
DB_CONN_HEALTH_CHECKS = env_bool("PSA_DB_CONN_HEALTH_CHECKS", False)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=DB_CONN_HEALTH_CHECKS
        )
    }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "psa.sqlite3",
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
                "transaction_mode": "IMMEDIATE",
            },
            # A file, not memory, so a real Celery worker started by the tests can share the test database.
            "TEST": {"NAME": DATA_DIR / "test.sqlite3"},
            "CONN_MAX_AGE": DB_CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": DB_CONN_HEALTH_CHECKS,
        }
    }
# A request the database refused for contention (deadlock, lock timeout, SQLite busy past busy_timeout) answers 503
# with this Retry-After, in seconds: nothing of it was stored.
DATABASE_BUSY_RETRY_AFTER = env_int("PSA_DATABASE_BUSY_RETRY_AFTER", 1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("PSA_REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A database cache is shared by the web server and the worker, which the embedded default needs.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "psa_cache"}}

# Sign-in throttling (django-axes): LOGIN_FAILURE_LIMIT failures per user name, and separately per address, lock
# that user name or address out for LOGIN_COOLOFF_MINUTES. Every password sign-in goes through authenticate(), so the
# UI, the admin and anything else that signs in with a password is covered. Audited by accounts.signals.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"  # the sign-in forms' field (the model's USERNAME_FIELD is "login")
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = True
# A one-time link an administrator issues to reset someone's password works this long (and only once).
PASSWORD_RESET_TIMEOUT = env_int("PSA_PASSWORD_RESET_HOURS", 24) * 60 * 60

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("PSA_TIME_ZONE", "UTC")  # the UI's default; each user may pick their own
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Transport. PSA_HTTPS=true: the site is served over HTTPS only (redirect, HSTS, secure cookies); behind a proxy
# that terminates TLS, PSA_TRUST_X_FORWARDED_PROTO=true lets Django see the original scheme.
HTTPS = env_bool("PSA_HTTPS", False)

# Documents attached to tickets, clients and assets: files under DATA_DIR/documents, or an S3-compatible bucket
# (django-storages) with PSA_STORAGE_BACKEND=s3. Uploads above PSA_MAX_UPLOAD_BYTES are refused with a 413.
DOCUMENTS_DIR = DATA_DIR / "documents"
STORAGE_BACKEND = env_str("PSA_STORAGE_BACKEND", "local")
if STORAGE_BACKEND == "s3":
    STORAGES["documents"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("PSA_STORAGE_BUCKET"),
            "endpoint_url": env_str("PSA_STORAGE_ENDPOINT_URL") or None,
            "region_name": env_str("PSA_STORAGE_REGION") or None,
            "access_key": env_str("PSA_STORAGE_ACCESS_KEY_ID") or None,
            "secret_key": env_str("PSA_STORAGE_SECRET_ACCESS_KEY") or None,
            "location": env_str("PSA_STORAGE_PREFIX", ""),
            "default_acl": None,
            "querystring_auth": True,  # files are only ever streamed through our permission-checking view
            "file_overwrite": False,
        },
    }
elif STORAGE_BACKEND == "local":
    STORAGES["documents"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DOCUMENTS_DIR), "file_permissions_mode": 0o640},
    }
else:
    raise ValueError("PSA_STORAGE_BACKEND must be 'local' or 's3'")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS or env_bool("PSA_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = env_int("PSA_HSTS_SECONDS", 365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("PSA_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("PSA_HSTS_PRELOAD", True)
if env_bool("PSA_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Sessions end after this much inactivity (psa.middleware.SessionIdleMiddleware renews the expiry while in use).
SESSION_IDLE_MINUTES = env_int("PSA_SESSION_IDLE_MINUTES", 60)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_RENEW_INTERVAL = min(60, SESSION_COOKIE_AGE // 2)  # seconds between expiry renewals of a busy session

# Content-Security-Policy (django-csp): only our own origin, no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF],
        "style-src": [csp_constants.SELF],
        "img-src": [csp_constants.SELF, "data:"],  # Swagger UI's icons are data: URLs
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    }
}
# Browser features the UI never uses are switched off (psa.middleware.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), midi=(), payment=(), usb=()"
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Nodes first (a missing node is named), then the client-scope ceiling on writes (see psa.access.is_scoped).
    "DEFAULT_PERMISSION_CLASSES": ["psa.api.permissions.NodePermission", "psa.api.permissions.ScopeCeilingPermission"],
    "DEFAULT_RENDERER_CLASSES": ["psa.api.renderers.EnvelopeRenderer"],
    "DEFAULT_PARSER_CLASSES": ["psa.api.parsers.BoundedJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "psa.api.pagination.EnvelopePagination",
    "DEFAULT_SCHEMA_CLASS": "psa.api.schema.EnvelopeAutoSchema",
    "EXCEPTION_HANDLER": "psa.api.exceptions.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # The OpenAPI schema documents every route; OPTIONS answers 405 rather than a second, partial description.
    "DEFAULT_METADATA_CLASS": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "PSA API",
    "DESCRIPTION": "Professional services automation for MSPs. Authenticate with `X-API-Key` or `Authorization: Bearer`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "type" or "status" choice field; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "ClientTypeEnum": "clients.models.Client.Type",
        "AssetTypeEnum": "assets.models.Asset.Type",
        "AssetStatusEnum": "assets.models.Asset.Status",
        "SoftwareTypeEnum": "assets.models.Software.Type",
        "JobRunStatusEnum": "psa.models.JobRun.Status",
        "SyncRunStatusEnum": "integrations.models.SyncRun.Status",
    },
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "BearerKey": {"type": "http", "scheme": "bearer"},
        }
    },
    "SECURITY": [{"ApiKeyHeader": []}, {"BearerKey": []}],
    "AUTHENTICATION_WHITELIST": [],
}

# Celery: Redis when PSA_REDIS_URL is set, otherwise kombu's filesystem transport, which needs no server.
BROKER_DIR = DATA_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    # kombu's filesystem transport expects its folders to exist (and puts "control" in the cwd by default).
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ALWAYS_EAGER = env_bool("PSA_CELERY_EAGER", False)
CELERY_WORKER_MAX_TASKS_PER_CHILD = 200
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
HEARTBEAT_INTERVAL = env_int("PSA_HEARTBEAT_INTERVAL", 60)
EXPIRATION_WINDOW_DAYS = env_int("PSA_EXPIRATION_WINDOW_DAYS", 90)
# Integrations (ConnectWise, Hudu, UniFi): HTTP behaviour, sync runs, the dispatcher and the demo source.
INTEGRATIONS_HTTP_TIMEOUT = env_int("PSA_INTEGRATIONS_HTTP_TIMEOUT", 30)  # seconds per read
INTEGRATIONS_HTTP_CONNECT_TIMEOUT = env_int("PSA_INTEGRATIONS_HTTP_CONNECT_TIMEOUT", 10)
INTEGRATIONS_HTTP_ATTEMPTS = env_int("PSA_INTEGRATIONS_HTTP_ATTEMPTS", 6)  # tries per request, the first included
INTEGRATIONS_HTTP_MAX_BACKOFF = env_int("PSA_INTEGRATIONS_HTTP_MAX_BACKOFF", 60)  # seconds
INTEGRATIONS_HTTP_MAX_RETRY_AFTER = env_int("PSA_INTEGRATIONS_HTTP_MAX_RETRY_AFTER", 120)  # longer: give up
INTEGRATIONS_CURSOR_OVERLAP = env_int("PSA_INTEGRATIONS_CURSOR_OVERLAP", 300)  # seconds re-read before the cursor
INTEGRATIONS_MAX_RUN_ERRORS = env_int("PSA_INTEGRATIONS_MAX_RUN_ERRORS", 50)  # errors kept per sync run
INTEGRATIONS_LOCK_TTL = env_int("PSA_INTEGRATIONS_LOCK_TTL", 900)  # seconds a silent run keeps its job locked
INTEGRATIONS_READ_AHEAD = env_int("PSA_INTEGRATIONS_READ_AHEAD", 2)  # pages fetched while one is written; 0: none
INTEGRATIONS_PARALLEL_REQUESTS = env_int("PSA_INTEGRATIONS_PARALLEL_REQUESTS", 4)  # lists per parent fetched at once
INTEGRATIONS_SQLITE_CHECKPOINT_PAGES = env_int("PSA_INTEGRATIONS_SQLITE_CHECKPOINT_PAGES", 10000)  # WAL pages; 0: 1000
INTEGRATIONS_SQLITE_CACHE_MB = env_int("PSA_INTEGRATIONS_SQLITE_CACHE_MB", 64)  # page cache during a sync job
# A batch the database refuses for contention (locked past its busy timeout, a deadlock) is sent again this many
# times, after 1, 2, 4... times the back-off in seconds (with jitter); then the job stops, its cursor not moved.
INTEGRATIONS_BUSY_RETRIES = env_int("PSA_INTEGRATIONS_BUSY_RETRIES", 3)
INTEGRATIONS_BUSY_BACKOFF = env_int("PSA_INTEGRATIONS_BUSY_BACKOFF", 2)
INTEGRATIONS_ASYNC_COMMIT = env_bool("PSA_INTEGRATIONS_ASYNC_COMMIT", True)  # PostgreSQL: batches skip the flush
INTEGRATIONS_DISPATCH_INTERVAL = env_int("PSA_INTEGRATIONS_DISPATCH_INTERVAL", 60)
INTEGRATIONS_LIVE_CACHE_SECONDS = env_int("PSA_INTEGRATIONS_LIVE_CACHE_SECONDS", 60)
INTEGRATIONS_LIVE_TIMEOUT = env_int("PSA_INTEGRATIONS_LIVE_TIMEOUT", 5)  # seconds a request waits on a live call
CONNECTWISE_STOCK_PER_RUN = env_int("PSA_CONNECTWISE_STOCK_PER_RUN", 500)  # on-hand reads per catalog sync run
DEMO_INTEGRATIONS = env_bool("PSA_DEMO_INTEGRATIONS", True)
DEMO_CONNECTWISE_PORT = env_int("PSA_DEMO_CONNECTWISE_PORT", 8011)
HUDU_REQUESTS_PER_MINUTE = env_int("PSA_HUDU_REQUESTS_PER_MINUTE", 280)  # client-side pacing; Hudu allows 300
DEMO_HUDU_PORT = env_int("PSA_DEMO_HUDU_PORT", 8012)
UNIFI_SSID_LIMIT = env_int("PSA_UNIFI_SSID_LIMIT", 8)  # SSIDs per access-point radio (a source's ssid_limit wins)
UNIFI_LIVE_TIMEOUT = env_int("PSA_UNIFI_LIVE_TIMEOUT", 10)  # seconds an API call waits for the controller
UNIFI_SESSION_CACHE_SECONDS = env_int("PSA_UNIFI_SESSION_CACHE_SECONDS", 3600)  # a source's controller session
DEMO_UNIFI_PORT = env_int("PSA_DEMO_UNIFI_PORT", 8013)
CELERY_BEAT_SCHEDULE = {
    "record-expirations": {
        "task": "assets.tasks.record_expirations",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 60 * 60},
    },
    "prune-rate-limit-counters": {
        "task": "psa.tasks.prune_rate_limit_counters",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 60 * 60},
    },
    "prune-sso-logins": {
        "task": "accounts.tasks.prune_sso_logins",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 60 * 60},
    },
    "heartbeat": {
        "task": "psa.tasks.heartbeat",
        "schedule": HEARTBEAT_INTERVAL,
        "options": {"expires": max(HEARTBEAT_INTERVAL - 5, 5)},
    },
    "credentials-purge-deleted": {
        "task": "credentials.tasks.purge_deleted_credentials",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 60 * 60},
    },
    "integrations-dispatch": {
        "task": "integrations.tasks.dispatch_due",
        "schedule": INTEGRATIONS_DISPATCH_INTERVAL,
        "options": {"expires": max(INTEGRATIONS_DISPATCH_INTERVAL - 5, 5)},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "psa.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env_str("PSA_LOG_LEVEL", "INFO")},
    # httpx logs every URL at INFO; the integrations' own client logs them redacted (integrations.http).
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
