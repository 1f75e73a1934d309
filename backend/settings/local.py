"""Development: what `make demo` runs."""

from .base import *  # noqa: F403
from .base import STATIC_ROOT, env

DEBUG = env.bool("DEBUG", default=True)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
PLATFORM_URL_PORT = env("PLATFORM_URL_PORT", default=":8000")
# Serve static files straight from the apps (no collectstatic needed to run or test).
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
