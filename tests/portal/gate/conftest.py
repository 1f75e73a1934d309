"""The gate's world (tests/backend/gate/conftest.py), for the portal pages."""

from tests.backend.gate.conftest import gate_world  # noqa: F401
