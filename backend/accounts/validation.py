"""Normalising and checking what people type as identifiers: e-mail, Chinese mobile numbers, subdomains."""

from __future__ import annotations

import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def phone_normalize(raw: str) -> str:
    """'+86 138-0013-8000' -> '13800138000'. Raises ValidationError when it is no mainland mobile number."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not PHONE_RE.match(digits):
        raise ValidationError(_("Enter an 11-digit mainland mobile number, e.g. 13800138000."))
    return digits


def email_normalize(raw: str) -> str:
    email = (raw or "").strip().lower()
    validate_email(email)
    return email


def looks_like_email(username: str) -> bool:
    return "@" in username


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django 5.2 changed this message and its zh_Hans catalog has no translation for the new one yet."""

    def get_error_message(self) -> str:
        return _("This password is too short. It must contain at least %(min_length)d characters.") % {
            "min_length": self.min_length
        }
