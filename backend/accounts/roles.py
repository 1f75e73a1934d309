"""The roles a membership can carry. Function permissions are checked against these codes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COMPANY_ADMIN = "company_admin", _("Company admin")
    FINANCE = "finance", _("Finance")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    ENGINEER = "engineer", _("Engineer")
    SECURITY = "security", _("Security")
    RESIDENT = "resident", _("Resident")


STAFF_ROLES = frozenset({Role.COMPANY_ADMIN, Role.FINANCE, Role.CUSTOMER_SERVICE, Role.ENGINEER, Role.SECURITY})
ALL_ROLES = frozenset(Role.values)
