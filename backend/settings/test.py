"""pytest: real PostgreSQL and Redis, their own database and key prefixes."""

from .base import *  # noqa: F403
from .base import CACHES, CHANNEL_LAYERS, STATIC_ROOT, env

DEBUG = False
# Argon2 is the production hasher (test_settings checks it); tests hash hundreds of passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="wuye-test")
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = env("CHANNEL_LAYER_PREFIX", default="asgi-test")
CELERY_KEY_PREFIX = env("CELERY_KEY_PREFIX", default=f"{CACHES['default']['KEY_PREFIX']}:celery:")
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": CELERY_KEY_PREFIX}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": CELERY_KEY_PREFIX}
PLATFORM_URL_PORT = env("PLATFORM_URL_PORT", default="")
ALLOWED_HOSTS = [".localhost", "localhost", "127.0.0.1", "testserver"]
# The test process itself does not pool: pytest-django manages its connections, and the many tests that
# start threads would each keep a pooled connection checked out. The servers and workers tests start run
# with the pool as deployed (tests/conftest.py subprocess_env sets DB_POOL=1).
if not env.bool("DB_POOL", default=False):
    DATABASES["default"]["OPTIONS"].pop("pool", None)  # type: ignore[index]  # noqa: F405
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)  # type: ignore[index]  # noqa: F405
# The test database gets its own name so a developer's demo database is never touched.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_wuye")}  # type: ignore[index]  # noqa: F405
# Serve static files straight from the apps (no collectstatic needed to run or test).
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploads made by tests (and by the worker processes they start) stay out of the developer's media folder.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".data" / "test-media")  # noqa: F405
# Search indexes of test runs stay apart from the developer's (and from other runs') on a shared Elasticsearch.
SEARCH_INDEX_PREFIX = env("SEARCH_INDEX_PREFIX", default="wuye_test_")
