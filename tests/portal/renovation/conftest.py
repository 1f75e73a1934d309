"""Renovation's world (tests/backend/renovation/conftest.py), for the portal pages."""

from tests.backend.renovation.conftest import world  # noqa: F401
