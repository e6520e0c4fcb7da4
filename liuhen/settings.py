"""Settings for Liuhen. Configured by environment variables with working defaults (12-factor).

- ``DATABASE_URL``: default SQLite (WAL) under the data folder; PostgreSQL via ``postgres://``.
- ``LIUHEN_DATA_DIR``: blobs, keys, logs; default ``./var``.
- ``LIUHEN_SECRET_KEY``: default generated once and kept in the data folder.
- ``LIUHEN_DEBUG``: ``1`` for development only.
- ``LIUHEN_REGULATIONS_DIR``: the regulation texts and the clause catalogue; default ``regulations/`` in the repo.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("LIUHEN_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
REGULATIONS_DIR = Path(os.environ.get("LIUHEN_REGULATIONS_DIR", BASE_DIR / "regulations")).resolve()
POLICY_DIR = Path(os.environ.get("LIUHEN_POLICY_DIR", BASE_DIR / "policies")).resolve()


def _secret_key() -> str:
    if key := os.environ.get("LIUHEN_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("LIUHEN_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("LIUHEN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "ninja",  # self-hosted Swagger UI at /api/docs (the CDN version breaks the CSP)
    "django_tasks",
    "django_tasks_db",
    "liuhen.core",
    "liuhen.ledger",
    "liuhen.ledger.blobstore",
    "liuhen.policy",
    "liuhen.org",
    "liuhen.cases",
    "liuhen.documents",
    "liuhen.devices",
    "liuhen.media",
    "liuhen.archive",
    "liuhen.portal",  # home, navigation, log-in and error pages, the demo: on top of every app
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
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "liuhen.portal.middleware.DomainErrorMiddleware",  # an uncaught refusal: its 403/404 page, never a 500
]

ROOT_URLCONF = "liuhen.urls"
WSGI_APPLICATION = "liuhen.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "liuhen" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "liuhen.portal.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'liuhen.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so that
    # two appends to the ledger never both read the same head (no "database is locked" upgrade).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock-out after repeated failures (django-axes): per user name and address.
AXES_FAILURE_LIMIT = int(os.environ.get("LIUHEN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LIUHEN_LOGIN_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Sessions expire after inactivity and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("LIUHEN_SESSION_SECONDS", str(8 * 3600)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HTTPS = os.environ.get("LIUHEN_HTTPS", "0") == "1"
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind HTTPS only: browsers then refuse plain HTTP to this host for a year.
SECURE_HSTS_SECONDS = 31536000 if SECURE_HTTPS else 0
# HTTPS mode: plain HTTP is redirected to https://. TLS ends at the reverse proxy, which must set
# X-Forwarded-Proto to the scheme the client used (nginx: proxy_set_header X-Forwarded-Proto $scheme,
# see docs/operator-guide.md) and be the only way in: the header is trusted as the proxy's word.
# /healthz stays plain so that the proxy's and a load balancer's checks need no certificate.
SECURE_SSL_REDIRECT = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_HTTPS else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy: nothing from any outside origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "liuhen" / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/tus", BASE_DIR / "node_modules" / "tus-js-client" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Blob store (liuhen.ledger.blobstore): "local" files under LIUHEN_BLOB_DIR (default DATA_DIR/blobs), or "s3"
# (any S3-compatible store; object-lock retention of LIUHEN_S3_OBJECT_LOCK_DAYS where the bucket has object lock).
LIUHEN_STORAGE = os.environ.get("LIUHEN_STORAGE", "local")
LIUHEN_BLOB_DIR = Path(os.environ.get("LIUHEN_BLOB_DIR", DATA_DIR / "blobs")).resolve()
LIUHEN_S3_ENDPOINT = os.environ.get("LIUHEN_S3_ENDPOINT", "")
LIUHEN_S3_BUCKET = os.environ.get("LIUHEN_S3_BUCKET", "")
LIUHEN_S3_ACCESS_KEY = os.environ.get("LIUHEN_S3_ACCESS_KEY", "")
LIUHEN_S3_SECRET_KEY = os.environ.get("LIUHEN_S3_SECRET_KEY", "")
LIUHEN_S3_REGION = os.environ.get("LIUHEN_S3_REGION", "us-east-1")
LIUHEN_S3_OBJECT_LOCK_DAYS = int(os.environ.get("LIUHEN_S3_OBJECT_LOCK_DAYS", "0"))
LIUHEN_S3_OBJECT_LOCK_MODE = os.environ.get("LIUHEN_S3_OBJECT_LOCK_MODE", "COMPLIANCE")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Ledger checkpoints (liuhen.ledger): signed every N events or T minutes after the first unsigned one;
# the origin line names this deployment's log (no spaces, no "+").
LIUHEN_CHECKPOINT_EVERY_EVENTS = int(os.environ.get("LIUHEN_CHECKPOINT_EVERY_EVENTS", "1000"))
LIUHEN_CHECKPOINT_EVERY_MINUTES = float(os.environ.get("LIUHEN_CHECKPOINT_EVERY_MINUTES", "10"))
LIUHEN_LEDGER_ORIGIN = os.environ.get("LIUHEN_LEDGER_ORIGIN", "liuhen.local/ledger")
# Witnesses (liuhen.ledger.cosigning, ADR 0013): outside bodies whose liuhen-witness co-signs checkpoints.
# LIUHEN_WITNESSES: their cosignature vkeys, comma- or whitespace-separated, each optionally "名称=vkey";
# LIUHEN_WITNESS_QUORUM: how many must co-sign a checkpoint (default: a majority of them; 0 without witnesses).
LIUHEN_WITNESSES = os.environ.get("LIUHEN_WITNESSES", "")
LIUHEN_WITNESS_QUORUM = os.environ.get("LIUHEN_WITNESS_QUORUM", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LIUHEN_LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every PDF at INFO ("Step 2 - Fetching and parsing CSS").
    "loggers": {n: {"level": "WARNING"} for n in ("axes", "weasyprint", "fontTools")},
}

# Audio-video ingest (liuhen.media): tus uploads in flight under LIUHEN_UPLOAD_DIR (default DATA_DIR/uploads);
# an upload untouched for LIUHEN_UPLOAD_EXPIRY_HOURS is cleaned up (its temporary file only, never a blob).
LIUHEN_UPLOAD_DIR = os.environ.get("LIUHEN_UPLOAD_DIR", "")
LIUHEN_UPLOAD_EXPIRY_HOURS = float(os.environ.get("LIUHEN_UPLOAD_EXPIRY_HOURS", "24"))
LIUHEN_UPLOAD_MAX_BYTES = int(os.environ.get("LIUHEN_UPLOAD_MAX_BYTES", str(64 * 1024**3)))
LIUHEN_MULTIPART_MAX_BYTES = int(os.environ.get("LIUHEN_MULTIPART_MAX_BYTES", str(50 * 1024**2)))
