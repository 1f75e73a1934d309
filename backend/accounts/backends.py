from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from .models import User
from .signed_in import current_company_id, user_with_membership_here
from .validation import looks_like_email, phone_normalize


def user_find_by_login(username: str) -> User | None:
    """The account an e-mail address or a mobile number names, if any."""
    username = (username or "").strip()
    if not username:
        return None
    if looks_like_email(username):
        return User.objects.filter(email=username.lower()).first()
    try:
        return User.objects.filter(phone=phone_normalize(username)).first()
    except ValidationError:
        return None


class EmailOrPhoneBackend(ModelBackend):
    """Sign in with e-mail or mobile number and password."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get("email") or kwargs.get("phone")
        if not username or not password:
            return None
        user = user_find_by_login(username)
        if user is None:
            User().set_password(password)  # same work either way: no timing oracle for who has an account
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        """The session's user, as ModelBackend reads it, with their active membership in this company joined
        in (backend/accounts/signed_in.py): one query for both on every signed-in page."""
        company_id = current_company_id()
        if company_id is None:
            return super().get_user(user_id)  # type: ignore[return-value]
        user = user_with_membership_here(user_id, tenant_id=company_id)
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None
