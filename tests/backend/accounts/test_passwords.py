"""The end of a password reset: the new password works, the old one does not, a sign-in lock on the
address is lifted, and the reset is on the audit record."""

from __future__ import annotations

from typing import Any

import pytest

from backend.accounts.passwords import password_reset_complete
from backend.accounts.services import user_sign_in
from backend.accounts.throttling import login_failure_record, login_lock_remaining
from backend.audit.models import AuditEntry
from backend.errors import ApplicationError

pytestmark = pytest.mark.usefixtures("in_tenant_a")


def test_the_new_password_replaces_the_old_and_lifts_the_lock(in_tenant_a: Any, member: Any) -> None:
    user = member(in_tenant_a, ["finance"], email="reset-me@example.test")
    for _ in range(20):
        login_failure_record(username=user.email, ip="203.0.113.7")
    assert login_lock_remaining(username=user.email, ip=None) is not None
    password_reset_complete(user=user, password="Brand-new-2026!")
    assert login_lock_remaining(username=user.email, ip=None) is None
    assert user_sign_in(request=None, username=user.email, password="Brand-new-2026!", ip=None).pk == user.pk
    with pytest.raises(ApplicationError):
        user_sign_in(request=None, username=user.email, password="Test-pass-2026!", ip=None)
    [entry] = AuditEntry.objects.filter(action="password.reset")
    assert entry.object_id == str(user.pk)
