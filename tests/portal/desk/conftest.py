"""The service desk's world (tests/backend/desk/conftest.py), for the portal pages."""

from tests.backend.desk.conftest import world  # noqa: F401
