"""What a request carries on a company domain once the middleware has run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from backend.accounts.models import Membership, User

    from .models import Tenant


class CompanyRequest(HttpRequest):
    tenant: Tenant
    membership: Membership | None
    user: User  # type: ignore[assignment]
