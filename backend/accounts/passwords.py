"""Setting a new password at the end of a password reset (the link sent by e-mail). The reset proves who
the person is, so it also lifts a sign-in lock their failed attempts caused."""

from __future__ import annotations

from django.db import transaction

from backend.audit.services import audit_record

from .models import User
from .throttling import login_failures_clear


def password_reset_complete(*, user: User, password: str) -> User:
    """Store the new password (already checked against the password validators by the form), clear the
    failed sign-ins counted against the e-mail address, and write the audit entry."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(action="password.reset", target=user, object_repr=str(user))
    if user.email:
        login_failures_clear(username=user.email)
    return user
