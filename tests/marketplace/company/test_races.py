"""Decisions racing on committed data, each thread on its own connection: colleagues approving and rejecting one
application at the same moment give exactly one decision (the row lock serialises them; the others find the
status changed and get 409), one notice to the merchant and one audit entry; colleagues hiding one listing at
once give exactly one hide."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from backend.audit.models import AuditEntry
from backend.errors import ApplicationError
from backend.properties import services as registry
from backend.properties.models import Estate, ManagementOffice
from backend.properties.scope import Scope
from marketplace import moderation, vetting
from marketplace.company.models import ListingHide
from marketplace.models import Listing, Merchant, MerchantApplication, MerchantNotice
from tenants.db import connection
from tests.backend.club.test_races import run_together
from tests.marketplace.factories import make_application, make_listing, make_merchant

THREADS = 8


@dataclass
class Committed:
    tenant: Any
    estate_id: int
    merchant: Merchant
    application: MerchantApplication
    listing: Listing


@contextlib.contextmanager
def committed_applicant() -> Iterator[Committed]:
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug="alpha")
    connection.set_tenant(tenant)
    office = registry.office_create(name=f"并发商城{uuid.uuid4().hex[:6]}", scope=Scope.everything())
    merchant = None
    try:
        estate = registry.estate_create(office_id=office.pk, name="并发花园", scope=Scope.everything())
        merchant = make_merchant(f"并发果园{uuid.uuid4().hex[:6]}")
        application = make_application(merchant, tenant, estates={estate.pk: estate.name}, categories=["fruit"])
        listing = make_listing(merchant, title="并发苹果")
        yield Committed(tenant, estate.pk, merchant, application, listing)
    finally:
        connection.set_tenant(tenant)
        if merchant is not None:
            AuditEntry.objects.filter(action__startswith="marketplace.", changes__merchant=merchant.pk).delete()
            ListingHide.objects.filter(listing_id__in=merchant.listings.values("pk")).delete()
            merchant.delete()  # applications, listings and notices go with it
        Estate.objects.filter(office=office).delete()
        ManagementOffice.objects.filter(pk=office.pk).delete()
        connection.set_schema_to_public()


def test_colleagues_deciding_one_application_at_once_give_one_decision(
    django_db_setup: None, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock(), committed_applicant() as world:

        def approve() -> Any:
            return vetting.approve(
                application=world.application.pk, by=None, estate_ids=[world.estate_id], category_codes=["fruit"]
            )

        def reject() -> Any:
            return vetting.reject(application=world.application.pk, by=None, reason="同时驳回")

        results = run_together(world.tenant, [approve if n % 2 else reject for n in range(THREADS)])
        decided = [r for r in results if isinstance(r, MerchantApplication)]
        refused = [r for r in results if isinstance(r, ApplicationError)]
        assert len(decided) == 1 and len(refused) == THREADS - 1, [repr(r) for r in results]
        assert {(r.status, r.code) for r in refused} == {(409, "invalid_status")}
        world.application.refresh_from_db()
        assert world.application.status == decided[0].status
        assert MerchantNotice.objects.filter(merchant=world.merchant).count() == 1
        assert (
            AuditEntry.objects.filter(action__startswith="marketplace.application_")
            .filter(object_id=str(world.application.pk))
            .count()
            == 1
        )


def test_colleagues_hiding_one_listing_at_once_give_one_hide(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), committed_applicant() as world:

        def hide() -> Any:
            return moderation.listing_hide(listing_id=world.listing.pk, by=None, reason="同时隐藏")

        results = run_together(world.tenant, [hide for _ in range(THREADS)])
        hides = [r for r in results if isinstance(r, ListingHide)]
        refused = [r for r in results if isinstance(r, ApplicationError)]
        assert len(hides) == 1 and len(refused) == THREADS - 1, [repr(r) for r in results]
        assert {r.code for r in refused} == {"already_hidden"}
        assert ListingHide.objects.filter(listing_id=world.listing.pk).count() == 1
        assert MerchantNotice.objects.filter(merchant=world.merchant).count() == 1
