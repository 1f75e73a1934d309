"""Production: no defaults for secrets. Missing SECRET_KEY, DATABASE_URL or ALLOWED_HOSTS stops start-up."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

for required in ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"):
    if not env(required, default=""):
        raise ImproperlyConfigured(f"Set the {required} environment variable; production has no default for it.")

SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DEBUG = False
# Logs as JSON lines for the collector (LOG_FORMAT=plain for a readable terminal).
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_FORMAT == "json" else "plain"  # type: ignore[index]  # noqa: F405
PLATFORM_URL_SCHEME = env("PLATFORM_URL_SCHEME", default="https")
# HTTPS only, by default (`manage.py check --deploy` passes; a test keeps it so). docker-compose serves plain
# HTTP on localhost and switches the cookies and the redirect off; anything reachable by others runs behind TLS.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
# The proxy terminates TLS and says so in X-Forwarded-Proto (infra/nginx, the k8s ingress).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Probes reach the pods over plain HTTP, without the proxy: /healthz answers them instead of redirecting.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Browsers keep to HTTPS for a year, on every company's subdomain too (they all live under the platform
# domain, behind one wildcard certificate).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Asking browsers to preload the domain is for its owner to decide (and hard to undo), so it stays off
# unless SECURE_HSTS_PRELOAD=true; the check that recommends it (security.W021) is silenced for that reason.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
