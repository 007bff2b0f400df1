"""Settings for CPOR Claims.

Production differs from development only by environment variables. With no
DATABASE_URL the app runs on SQLite; with no REDIS_URL, Celery uses kombu's
filesystem transport (a broker that needs no server).
"""

import logging
import os
from datetime import date, timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from . import logs, storage_config
from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CPOR_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DJANGO_DEBUG", False)

# No default in production. Tooling that needs no secret (migrate, check, makemigrations)
# still runs; the web and Celery processes refuse to start without one (cpor/startup.py),
# and Django itself refuses an empty key wherever it would be used.
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or ("dev-only-insecure-key-never-used-in-production" if DEBUG else "")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Absolute base for links in emails (consent link, claim links).
SITE_URL = (env_str("CPOR_SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's list of security keys ("last used 2 days ago")
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "csp",
    # Structured logs: the request's log context and its hand-over to Celery tasks (cpor/logs.py).
    "django_structlog",
    "claims",
    "reviews",
    "integrations",
    "teams",
]

MIDDLEWARE = [
    # First: request counts and latencies (cpor.metrics) include every other middleware's answer.
    "cpor.metrics.RequestMetricsMiddleware",
    # A sane incoming X-Request-ID or a new one, on every response; django-structlog binds it
    # (with the user and the client address) for every log line of the request (cpor/logs.py).
    "cpor.logs.RequestIdMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cpor.middleware.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a signed-in user's saved language wins over the browser's;
    # the API follows Accept-Language only.
    "cpor.i18n.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A file store that does not answer: 503 storage_unavailable (page or API envelope).
    "cpor.middleware.StorageUnavailableMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # A user whom CPOR_MFA_REQUIRED_FOR names, without a second factor yet, sees only its set-up.
    "claims.mfa.MfaSetupRequiredMiddleware",
    # A double-submitted browser form stores once. After the middlewares that answer before the
    # view (MFA set-up, allauth): the view runs in its claim's transaction, and its exceptions
    # still reach every process_exception above (claims/form_once.py).
    "claims.form_once.FormOnceMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cpor.urls"
WSGI_APPLICATION = "cpor.wsgi.application"
ASGI_APPLICATION = "cpor.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "claims.form_once.form_token",
                "claims.inbox.unread_notifications",
                "reviews.outbox_views.failed_email_count",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default keeps its file under var/, which a fresh checkout lacks.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The web process and the Celery worker share one file. IMMEDIATE makes every
    # transaction take the write lock at BEGIN, so a read-then-write (the deadline
    # sweep, a transition) is serialized as select_for_update() would on PostgreSQL.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "claims.User"
# django-axes first: a locked-out username or address is refused even with a good password.
# Then allauth's backend (Django's ModelBackend, plus sign-in by email address).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "allauth.account.auth_backends.AuthenticationBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Accounts (django-allauth, claims/accounts.py; docs/operations.md, "Accounts"). One field
# takes a username or an email address. Nobody signs up (the adapter closes it): staff
# create accounts. An address staff entered counts as verified; an address a user adds is
# verified by a link before it replaces their primary one. Sign-in itself never waits for
# a verification (CHANGE_EMAIL keeps every primary address verified).
ACCOUNT_ADAPTER = "claims.accounts.AccountAdapter"
ACCOUNT_FORMS = {"login": "claims.accounts.LoginForm", "reset_password_from_key": "claims.accounts.ResetPasswordKeyForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
# "Forgot password" answers the same whether an address has an account or not, and writes
# only to addresses that have one.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = True  # sessions last SESSION_COOKIE_AGE, as before allauth
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "CPOR Claims: "
# Links in allauth's emails use the scheme of the site's address (SITE_URL).
ACCOUNT_DEFAULT_HTTP_PROTOCOL = SITE_URL.split(":", 1)[0]
# One rate-limit story: django-axes (below) is the only sign-in lockout, per username and
# address, with the progressive slowdown of an address (cpor.security); allauth's own
# sign-in limits are off so the two never disagree. allauth limits the rest: a reset may be
# requested 20 times a minute per address and 5 times a minute per email address; the
# link it sends may be opened 20 times a minute per address.
ACCOUNT_RATE_LIMITS = {
    "login": False,
    "login_failed": False,
    "reset_password": env_str("CPOR_RESET_PASSWORD_RATE_LIMIT", "20/m/ip,5/m/key"),
    "reset_password_from_key": "20/m/ip",
}

# Second factor (allauth.mfa, claims/mfa.py; docs/operations.md, "Second factor"): an
# authenticator app (TOTP) or a security key / passkey (WebAuthn), with single-use recovery
# codes, asked for after the password at every sign-in. CPOR_MFA_REQUIRED_FOR names the groups
# that must set one up before anything else: reviewers and Global admins unless set; empty
# turns the requirement off (`make run`'s demo and the tests do). The password token endpoint
# refuses users with a second factor or in these groups (`mfa_required`).
MFA_ADAPTER = "claims.mfa.MfaAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
# Security keys: the relying party is the host the site is opened on (WebAuthn needs https, or
# http://localhost for `make run`); the browser asks for the key's PIN or biometric if it has one.
MFA_WEBAUTHN_USER_VERIFICATION = "preferred"
# A key added as "passwordless" (a passkey: kept on the device, unlocked by PIN or biometric)
# also signs in on its own from the sign-in page, except into an "SSO only" company.
MFA_PASSKEY_LOGIN_ENABLED = env_bool("CPOR_PASSKEY_LOGIN", True)
# The authenticator app's secret and the recovery codes' seed are stored encrypted (Fernet):
# CPOR_MFA_ENCRYPTION_KEYS is a comma list of Fernet keys, the first encrypts and every one
# decrypts (put a new key first, run `manage.py mfa_encrypt_secrets`, then drop the old one).
# Unset, a key derived from DJANGO_SECRET_KEY (and its fallbacks) is used: set it in production
# so that rotating the secret key never touches the second factors.
CPOR_MFA_ENCRYPTION_KEYS = env_list("CPOR_MFA_ENCRYPTION_KEYS")
for _key in CPOR_MFA_ENCRYPTION_KEYS:
    try:
        from cryptography.fernet import Fernet

        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "CPOR_MFA_ENCRYPTION_KEYS: each key must be a Fernet key (32 url-safe base64-encoded bytes; "
            'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")'
        ) from None
MFA_TOTP_ISSUER = "CPOR Claims"
# A code of the 30-second step before or after is taken too (RFC 6238, 5.2: a phone's clock
# drifts and a code typed at the end of its step arrives in the next); each code works once.
MFA_TOTP_TOLERANCE = 1
CPOR_MFA_GROUPS = ("reviewers", "global_admins", "billing_admins", "incentives_admins", "staff")
CPOR_MFA_REQUIRED_FOR = env_list("CPOR_MFA_REQUIRED_FOR", "reviewers,global_admins")
if _unknown_groups := set(CPOR_MFA_REQUIRED_FOR) - set(CPOR_MFA_GROUPS):
    raise ImproperlyConfigured(
        f"CPOR_MFA_REQUIRED_FOR: unknown group(s) {sorted(_unknown_groups)}; use a comma list of {', '.join(CPOR_MFA_GROUPS)}"
    )

# Single sign-on over OpenID Connect (allauth.socialaccount's openid_connect provider, made
# stricter in claims/sso.py; README, "Single sign-on"). Partner companies sign in through the
# partner app (for Microsoft Entra ID: one multi-tenant app registration, server URL
# https://login.microsoftonline.com/organizations/v2.0); staff link each company to its issuer and
# tenant in the admin. Reviewers sign in through the operator's own identity provider. Either
# app is offered on the sign-in page once its client id is set; more apps may be added in the
# admin (Social applications, provider "OpenID Connect").
CPOR_OPERATOR_OIDC_PROVIDER_ID = "operator"
CPOR_PARTNER_OIDC_PROVIDER_ID = "partner"
# The value of the operator's roles or groups claim that makes a user a reviewer.
CPOR_OPERATOR_OIDC_REVIEWER_ROLE = env_str("CPOR_OPERATOR_OIDC_REVIEWER_ROLE", "Reviewer")


def _oidc_app(provider_id: str, name: str, *, server_url: str | None, client_id: str | None, secret: str | None) -> list[dict]:
    if not client_id:
        return []
    if not server_url:
        raise ImproperlyConfigured(
            f"single sign-on app {provider_id!r}: its SERVER_URL (the issuer) is needed with its CLIENT_ID"
        )
    return [
        {
            "provider_id": provider_id,
            "name": name,
            "client_id": client_id,
            "secret": secret or "",
            "settings": {"server_url": server_url, "fetch_userinfo": False, "oauth_pkce_enabled": True},
        }
    ]


_SSO_APPS = _oidc_app(
    CPOR_OPERATOR_OIDC_PROVIDER_ID,
    env_str("CPOR_OPERATOR_OIDC_NAME") or "CPOR operator",
    server_url=env_str("CPOR_OPERATOR_OIDC_SERVER_URL"),
    client_id=env_str("CPOR_OPERATOR_OIDC_CLIENT_ID"),
    secret=env_str("CPOR_OPERATOR_OIDC_SECRET"),
) + _oidc_app(
    CPOR_PARTNER_OIDC_PROVIDER_ID,
    env_str("CPOR_PARTNER_OIDC_NAME") or "Microsoft Entra ID",
    server_url=env_str("CPOR_PARTNER_OIDC_SERVER_URL"),
    client_id=env_str("CPOR_PARTNER_OIDC_CLIENT_ID"),
    secret=env_str("CPOR_PARTNER_OIDC_SECRET"),
)
SOCIALACCOUNT_ADAPTER = "claims.sso.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "provider_class": "claims.sso.StrictOpenIDConnectProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": _SSO_APPS,
    }
}
# Users are created just in time (claims/sso.py decides the company and role first); the
# company's directory vouches for the address it gives; tokens from the IdP are not kept.
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The languages of the source help pages (docs/rules.md, "Languages"). Catalogues live in
# locale/ (`make messages` refreshes them); the .mo files are compiled at install time.
LANGUAGES = [
    ("en", _("English")),
    ("pt-br", _("Portuguese (Brazil)")),
    ("it", _("Italian")),
    ("zh-hans", _("Simplified Chinese")),
    ("es", _("Spanish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Per-language date formats that name the time zone (cpor/formats/<locale>/formats.py).
FORMAT_MODULE_PATH = ["cpor.formats"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT") or VAR_DIR / "media")

# Where stored files live (PoE evidence, import files): CPOR_STORAGE=filesystem (MEDIA_ROOT, the
# default), s3 or azure, with their connection settings (cpor/storage_config.py, the README).
CPOR_STORAGE = (env_str("CPOR_STORAGE") or "filesystem").strip().lower()
STORAGES = {
    "default": storage_config.default_storage(os.environ),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Reverse proxies in front of the app (docker-compose: Caddy, which terminates TLS). With
# 0 (the default) nothing the client sends is trusted: X-Forwarded-For and
# X-Forwarded-Proto are ignored, so they cannot be spoofed. cpor/security.py.
CPOR_TRUSTED_PROXIES = env_int("CPOR_TRUSTED_PROXIES", 0)
if CPOR_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTPS only in production: redirect plain HTTP (except the container health check),
# and HSTS. CPOR_HSTS_SECONDS=0 turns HSTS off (e.g. while trying out a new domain).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("CPOR_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CPOR_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("CPOR_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every response (django-csp): no inline script or style, no
# plugin, nothing from another origin. PoE files opened inline get "sandbox" instead.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Counters shared by every web process (throttles): Redis in production, process memory
# only on the embedded default (one process). CPOR_CACHE_URL may point at another Redis.
_cache_url = env_str("CPOR_CACHE_URL") or env_str("REDIS_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url, "KEY_PREFIX": "cpor"}
    if _cache_url
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Sessions are read from the shared cache and written through to the database (Django's
# cached_db): every signed-in page saves a database query. Only with a cache every web
# process shares; process memory would keep a session another process ended.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if _cache_url else "django.contrib.sessions.backends.db"

# Sign-in brute force, one rule for the sign-in page, the admin and the API token
# (cpor.security): after CPOR_LOGIN_FAILURE_LIMIT failures for one username *from one
# address*, that pair is refused for CPOR_LOGIN_LOCKOUT_MINUTES (django-axes, database
# handler: attempts are kept and visible in the admin), so nobody elsewhere can lock a user
# out and one user's typos lock nobody else behind the same office address. An address
# that keeps failing, whatever the usernames, is slowed down instead: after
# CPOR_LOGIN_ADDRESS_FREE_FAILURES failures in an hour each further attempt waits twice as
# long as the one before, up to CPOR_LOGIN_ADDRESS_MAX_WAIT_SECONDS. A success resets the pair.
AXES_FAILURE_LIMIT = env_int("CPOR_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("CPOR_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
CPOR_LOGIN_ADDRESS_FREE_FAILURES = env_int("CPOR_LOGIN_ADDRESS_FREE_FAILURES", 10, minimum=1)
CPOR_LOGIN_ADDRESS_MAX_WAIT_SECONDS = env_int("CPOR_LOGIN_ADDRESS_MAX_WAIT_SECONDS", 60, minimum=1)
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "cpor.security.client_ip"
# A sign-in by email address counts against the account's username, so one account has one
# count per address whichever way it is typed (and a success or a reset clears it).
AXES_USERNAME_CALLABLE = "cpor.security.sign_in_username"
AXES_LOCKOUT_CALLABLE = "cpor.security.lockout_response"

# Email: SMTP in production (EMAIL_URL-style settings), a file per message in development.
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND") or (
    "cpor.dev_mail.EmlFileBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CPOR Claims <no-reply@cpor.example>")

# Celery: Redis when REDIS_URL is set, else a filesystem broker that needs no server.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    _queue_dir = VAR_DIR / "broker"
    # The transport lists these folders on start and fails if they are missing.
    for _folder in ("queue", "control"):
        (_queue_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "control_folder": str(_queue_dir / "control"),
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# A delivery attempt must not hang a request or a sweep when the broker is down:
# the outbox re-send job picks the message up later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False

# Domain clocks. Every length is a setting with the sources' values as defaults.
CPOR_REVIEW_PICKUP_BUSINESS_DAYS = env_int("CPOR_REVIEW_PICKUP_BUSINESS_DAYS", 5, minimum=1)
CPOR_REVIEW_DECISION_BUSINESS_DAYS = env_int("CPOR_REVIEW_DECISION_BUSINESS_DAYS", 5, minimum=1)
CPOR_PARTNER_ANSWER_BUSINESS_DAYS = env_int("CPOR_PARTNER_ANSWER_BUSINESS_DAYS", 5, minimum=1)
CPOR_DISPUTE_DECISION_BUSINESS_DAYS = env_int("CPOR_DISPUTE_DECISION_BUSINESS_DAYS", 5, minimum=1)
CPOR_CONSENT_WINDOW_DAYS = env_int("CPOR_CONSENT_WINDOW_DAYS", 7, minimum=1)
CPOR_DISPUTE_WINDOW_DAYS = env_int("CPOR_DISPUTE_WINDOW_DAYS", 30, minimum=1)
# Business-day calendar: Monday to Friday minus the public holidays of a country
# (python-holidays code, optional subdivision) plus any extra ISO dates.
CPOR_HOLIDAY_COUNTRY = env_str("CPOR_HOLIDAY_COUNTRY", "US")
CPOR_HOLIDAY_SUBDIVISION = env_str("CPOR_HOLIDAY_SUBDIVISION") or None
try:
    CPOR_EXTRA_HOLIDAYS = [date.fromisoformat(d) for d in env_list("CPOR_EXTRA_HOLIDAYS")]
except ValueError as exc:
    raise ImproperlyConfigured("CPOR_EXTRA_HOLIDAYS must be comma-separated YYYY-MM-DD dates") from exc
# The time zone in which a business day starts and ends.
CPOR_BUSINESS_TIME_ZONE = env_str("CPOR_BUSINESS_TIME_ZONE", "UTC")
CPOR_SWEEP_BATCH_SIZE = env_int("CPOR_SWEEP_BATCH_SIZE", 1000, minimum=1)
CPOR_SWEEP_INTERVAL_SECONDS = env_int("CPOR_SWEEP_INTERVAL_SECONDS", 120, minimum=1)
# Monitoring (docs/operations.md, "Monitoring"). /metrics answers only a scraper that sends
# "Authorization: Bearer <CPOR_METRICS_TOKEN>"; with no token set it does not exist (404).
CPOR_METRICS_TOKEN = env_str("CPOR_METRICS_TOKEN") or ""
# Beat schedules a heartbeat this often; /readyz fails "beat" when the last one is older than MAX_AGE.
CPOR_BEAT_HEARTBEAT_INTERVAL_SECONDS = env_int("CPOR_BEAT_HEARTBEAT_INTERVAL_SECONDS", 60, minimum=1)
CPOR_BEAT_HEARTBEAT_MAX_AGE_SECONDS = env_int("CPOR_BEAT_HEARTBEAT_MAX_AGE_SECONDS", 300, minimum=2)
# Email outbox (claims/outbox.py): drained by the delivery queue's worker after each
# commit and every CPOR_OUTBOX_DRAIN_INTERVAL_SECONDS. A failed attempt backs off
# exponentially from BASE to MAX seconds and is retried for RETRY_FOR seconds (3 days)
# before the email is marked failed, logged at ERROR and listed for staff to retry.
CPOR_OUTBOX_DRAIN_INTERVAL_SECONDS = env_int("CPOR_OUTBOX_DRAIN_INTERVAL_SECONDS", 30, minimum=1)
CPOR_OUTBOX_BATCH_SIZE = env_int("CPOR_OUTBOX_BATCH_SIZE", 200, minimum=1)
# Connections a drain opens to the mail server at once (each email still goes over one).
CPOR_OUTBOX_CONNECTIONS = env_int("CPOR_OUTBOX_CONNECTIONS", 4, minimum=1)
CPOR_OUTBOX_RETRY_BASE_SECONDS = env_int("CPOR_OUTBOX_RETRY_BASE_SECONDS", 60, minimum=1)
CPOR_OUTBOX_RETRY_MAX_SECONDS = env_int("CPOR_OUTBOX_RETRY_MAX_SECONDS", 3600, minimum=1)
CPOR_OUTBOX_RETRY_FOR_SECONDS = env_int("CPOR_OUTBOX_RETRY_FOR_SECONDS", 3 * 24 * 3600, minimum=1)
# How long a drain holds the emails it took; a drain killed mid-batch frees them after this.
CPOR_OUTBOX_LEASE_SECONDS = env_int("CPOR_OUTBOX_LEASE_SECONDS", 300, minimum=1)
CPOR_MAIL_ID_DOMAIN = env_str("CPOR_MAIL_ID_DOMAIN", "cpor.example")
# Every SMTP call gives up after this many seconds (a hung server must not hang a worker).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
# Celery: deadlines run on the default queue, email (and webhook) delivery on its own
# queue and worker, so nothing a mail server does can delay a deadline. Hard time
# limits end any task that still hangs.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "claims.tasks.drain_outbox": {"queue": "deliveries"},
    # Reading a PoE (OCR) takes seconds: its own queue, so deadlines and emails never wait behind it.
    "claims.tasks.precheck_evidence": {"queue": "precheck"},
}
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CPOR_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CPOR_TASK_TIME_LIMIT", 300, minimum=2)
# Where the PDF writer finds its fonts (claims/pdf.py): Debian's fonts-dejavu-core and fonts-noto-cjk.
CPOR_FONT_DIRS = env_list("CPOR_FONT_DIRS", "/usr/share/fonts,/usr/local/share/fonts")
# Malware scanning of every upload (claims/scanning.py; README, "Malware scanning"): clamd over
# its unix socket (CPOR_CLAMD_SOCKET) or TCP (CPOR_CLAMD_HOST, CPOR_CLAMD_PORT). With neither
# set, uploads are marked clean unscanned ("no scanner" mode) only when CPOR_SCAN_REQUIRED is
# off, as it is by default with DJANGO_DEBUG on (`make run`); with DEBUG off a scanner is
# required: uploads stay pending (never served) and /readyz fails "clamd" until one is set.
CPOR_CLAMD_SOCKET = env_str("CPOR_CLAMD_SOCKET") or ""
CPOR_CLAMD_HOST = env_str("CPOR_CLAMD_HOST") or ""
CPOR_CLAMD_PORT = env_int("CPOR_CLAMD_PORT", 3310, minimum=1)
CPOR_CLAMD_TIMEOUT_SECONDS = env_int("CPOR_CLAMD_TIMEOUT_SECONDS", 120, minimum=1)
CPOR_SCAN_REQUIRED = env_bool("CPOR_SCAN_REQUIRED", not DEBUG)
# Beat re-queues the scan of every file still pending this often (clamd was down, a message lost).
CPOR_SCAN_SWEEP_INTERVAL_SECONDS = env_int("CPOR_SCAN_SWEEP_INTERVAL_SECONDS", 60, minimum=1)
# Proof of execution uploads.
CPOR_EVIDENCE_MAX_BYTES = env_int("CPOR_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
# The PoE pre-check (claims/precheck): bounds of one file's reading, so a hostile file cannot
# hold the worker, and the Tesseract language packs it reads scans with.
CPOR_POE_MAX_PAGES = env_int("CPOR_POE_MAX_PAGES", 50, minimum=1)
CPOR_POE_MAX_OCR_PAGES = env_int("CPOR_POE_MAX_OCR_PAGES", 10, minimum=0)
CPOR_POE_MAX_CHARS = env_int("CPOR_POE_MAX_CHARS", 200_000, minimum=1000)
CPOR_POE_TIME_BUDGET = env_int("CPOR_POE_TIME_BUDGET", 60, minimum=1)
CPOR_POE_OCR_TIMEOUT = env_int("CPOR_POE_OCR_TIMEOUT", 20, minimum=1)
CPOR_POE_MAX_IMAGE_PIXELS = env_int("CPOR_POE_MAX_IMAGE_PIXELS", 40_000_000, minimum=1)
CPOR_POE_MAX_UNZIPPED_BYTES = env_int("CPOR_POE_MAX_UNZIPPED_BYTES", 100 * 1024 * 1024, minimum=1)
CPOR_POE_OCR_LANGUAGES = env_str("CPOR_POE_OCR_LANGUAGES", "eng+por+ita+spa+chi_sim")
# Request limits (cpor/middleware.py): a multipart body (several PoE files) and an address.
# Other bodies (JSON, forms) are limited by DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
CPOR_REQUEST_MAX_BYTES = env_int("CPOR_REQUEST_MAX_BYTES", 5 * CPOR_EVIDENCE_MAX_BYTES + 1024 * 1024, minimum=1)
CPOR_MAX_URI_LENGTH = env_int("CPOR_MAX_URI_LENGTH", 4096, minimum=256)
# JSON bodies nested deeper than this are refused (json_too_deep) instead of exhausting the stack.
CPOR_MAX_JSON_DEPTH = env_int("CPOR_MAX_JSON_DEPTH", 32, minimum=2)
# Webhooks (integrations/): seconds between attempts after each failure, exponential up to
# about 3 days in all; a delivery whose schedule is used up is marked failed (redeliver by hand).
try:
    CPOR_WEBHOOK_RETRY_SCHEDULE = [
        int(s) for s in env_list("CPOR_WEBHOOK_RETRY_SCHEDULE", "5,60,300,1800,7200,18000,36000,43200,43200,43200,43200,43200")
    ]
except ValueError as exc:
    raise ImproperlyConfigured("CPOR_WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds") from exc
# An endpoint with no successful delivery for this long is turned off and its Global admins emailed.
# Teams (issue 21, point 4): an invitation link works once, for this many days; a user without
# a claims role may ask their Global admins for one once per this many minutes.
CPOR_INVITATION_EXPIRY_DAYS = env_int("CPOR_INVITATION_EXPIRY_DAYS", 7, minimum=1)
CPOR_ROLE_REQUEST_INTERVAL_MINUTES = env_int("CPOR_ROLE_REQUEST_INTERVAL_MINUTES", 60, minimum=1)
CPOR_WEBHOOK_DISABLE_AFTER_SECONDS = env_int("CPOR_WEBHOOK_DISABLE_AFTER_SECONDS", 3 * 24 * 3600, minimum=60)
CPOR_WEBHOOK_TIMEOUT_SECONDS = env_int("CPOR_WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
# An attempt whose worker died is retried once this lease runs out (longer than any attempt).
CPOR_WEBHOOK_LEASE_SECONDS = env_int("CPOR_WEBHOOK_LEASE_SECONDS", 60, minimum=2)
CPOR_WEBHOOK_RETRY_INTERVAL_SECONDS = env_int("CPOR_WEBHOOK_RETRY_INTERVAL_SECONDS", 30, minimum=5)
# Certificates of receivers are checked against the system's CAs, or this PEM bundle if set.
CPOR_WEBHOOK_CA_BUNDLE = env_str("CPOR_WEBHOOK_CA_BUNDLE") or None
# Hours both the old and the new secret sign, after a rotation.
CPOR_WEBHOOK_SECRET_OVERLAP_HOURS = env_int("CPOR_WEBHOOK_SECRET_OVERLAP_HOURS", 24, minimum=0)
# Development and tests only: lets endpoints on the loopback (http://127.0.0.1:port) receive events.
CPOR_WEBHOOK_ALLOW_LOOPBACK = env_bool("CPOR_WEBHOOK_ALLOW_LOOPBACK", False)
# Tests and redeliveries people may send to one endpoint per minute (pages and API).
CPOR_WEBHOOK_ACTIONS_PER_MINUTE = env_int("CPOR_WEBHOOK_ACTIONS_PER_MINUTE", 5, minimum=1)
if CPOR_WEBHOOK_ALLOW_LOOPBACK and not DEBUG:
    raise ImproperlyConfigured("CPOR_WEBHOOK_ALLOW_LOOPBACK is for development and tests only (DJANGO_DEBUG=1)")
# Bulk claim imports.
CPOR_IMPORT_MAX_ROWS = env_int("CPOR_IMPORT_MAX_ROWS", 10_000, minimum=1)
CPOR_IMPORT_MAX_BYTES = env_int("CPOR_IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
# The ZIP of proof-of-execution files uploaded with a sheet (each file keeps CPOR_EVIDENCE_MAX_BYTES).
CPOR_IMPORT_MAX_ZIP_BYTES = env_int("CPOR_IMPORT_MAX_ZIP_BYTES", 200 * 1024 * 1024, minimum=1)
# An XLSX is a ZIP: refused before it is parsed when it unpacks to more than this, or when a
# member is compressed more than this many times (a "zip bomb"). Several times what a sheet of
# CPOR_IMPORT_MAX_ROWS claims unpacks to; what openpyxl then holds stays well under a worker's memory.
CPOR_IMPORT_MAX_UNZIPPED_BYTES = env_int("CPOR_IMPORT_MAX_UNZIPPED_BYTES", 32 * 1024 * 1024, minimum=1)
CPOR_IMPORT_MAX_COMPRESSION_RATIO = env_int("CPOR_IMPORT_MAX_COMPRESSION_RATIO", 200, minimum=2)
# Larger files are validated and imported by the worker, with a progress bar.
CPOR_IMPORT_INLINE_BYTES = env_int("CPOR_IMPORT_INLINE_BYTES", 20_000, minimum=0)
CPOR_IMPORT_INLINE_COMMIT_ROWS = env_int("CPOR_IMPORT_INLINE_COMMIT_ROWS", 50, minimum=0)

# Personal API tokens (/account/tokens/, claims/api/auth.py; issue 21, point 5). A user picks
# each token's lifetime up to CPOR_API_TOKEN_MAX_DAYS and holds at most CPOR_API_TOKENS_PER_USER
# tokens that still work. A token's "last used" is written at most once per
# CPOR_API_TOKEN_LAST_USE_SECONDS, not on every request.
CPOR_API_TOKEN_MAX_DAYS = env_int("CPOR_API_TOKEN_MAX_DAYS", 365, minimum=1)
CPOR_API_TOKENS_PER_USER = env_int("CPOR_API_TOKENS_PER_USER", 20, minimum=1)
CPOR_API_TOKEN_LAST_USE_SECONDS = env_int("CPOR_API_TOKEN_LAST_USE_SECONDS", 60, minimum=1)
# Sessions (allauth.usersessions, claims/sessions.py; issue 21, point 6): the user's sessions
# page (/accounts/sessions/) lists them from sign-in; tracking each request's address and
# time would write on every page view, so it stays off.
USERSESSIONS_TRACK_ACTIVITY = False

REST_FRAMEWORK = {
    # Token first, so an unauthenticated API call gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "claims.api.auth.FastTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "claims.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "claims.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {"auth": env_str("CPOR_AUTH_THROTTLE_RATE", "10/minute")},
    # For any DRF throttle not using cpor.security.ClientThrottle: the same proxy rule.
    "NUM_PROXIES": CPOR_TRUSTED_PROXIES,
    "DATETIME_FORMAT": "iso-8601",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CPOR Claims API",
    "DESCRIPTION": (
        "File and follow Claimed Partner of Record claims, and review them. The API calls the same "
        "services as the browser, so its rules and error codes are the same. Every error body is "
        '`{"errors": [{"code", "field", "message"}]}`. Times are ISO 8601 in UTC. The `Accept-Language` '
        "header (en, pt-BR, it, zh-Hans, es) picks the language of every `message`; the `code` stays English."
    ),
    "VERSION": "1.0.0",
    # OpenAPI 3.1: a nullable object is oneOf [$ref, null], which every generator reads the
    # same way (3.0's nullable beside allOf is ignored by some, e.g. openapi-python-client).
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "claims.api.schema.postprocess",
        "cpor.i18n.document_accept_language",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ClaimStatusEnum": "claims.choices.ClaimState",
        "InfoRequestReasonEnum": "claims.choices.InfoRequestReason",
        "RejectionReasonEnum": "claims.choices.RejectionReason",
        "WithdrawReasonEnum": "claims.choices.WithdrawReason",
        "ActivityEnum": "claims.choices.Activity",
        "SolutionAreaEnum": "claims.choices.SolutionArea",
        "ActorRoleEnum": "claims.choices.ActorRole",
        "DeadlineKindEnum": "claims.choices.DeadlineKind",
        "RoleEnum": "claims.choices.Role",
        "AccessActionEnum": "teams.models.AccessAction",
    },
}

# Logs (cpor/logs.py): readable text by default, JSON lines with CPOR_LOG_FORMAT=json; each line
# carries the request id of the request or task that wrote it (docs/operations.md, "Logs").
CPOR_LOG_FORMAT = (env_str("CPOR_LOG_FORMAT") or "console").strip().lower()
if CPOR_LOG_FORMAT not in logs.FORMATS:
    raise ImproperlyConfigured(f"CPOR_LOG_FORMAT must be one of {', '.join(logs.FORMATS)}, not {CPOR_LOG_FORMAT!r}.")
LOGGING = logs.logging_config(CPOR_LOG_FORMAT, env_str("DJANGO_LOG_LEVEL", "INFO"))
# The id comes from RequestIdMiddleware, which keeps a sane incoming X-Request-ID only.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
# The client address is bound by cpor.logs with the project's rule (CPOR_TRUSTED_PROXIES).
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
# One line per request (request_finished, with its status); none at its start.
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
# Tasks carry the request id in their headers; the worker binds it (cpor/celery.py).
DJANGO_STRUCTLOG_CELERY_ENABLED = True
