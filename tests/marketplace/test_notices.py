"""A merchant notice is kept and pushed to the merchant's group only once its transaction commits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from marketplace.models import Merchant, MerchantNotice
from marketplace.notices import merchant_group, notify_merchant


def _merchant(licence: str) -> Merchant:
    return Merchant.objects.create(
        name="鲜果坊",
        licence_number=licence,
        licence="merchants/2026/12/licence.png",
        contact_name="王",
        contact_phone="13800000000",
        address="阳光路1号",
    )


def _heard(groups: list[str], action: Callable[[], None]) -> dict[str, list[dict[str, Any]]]:
    """Listen on these groups, run `action` (sync, in the test's thread), and return what each group got."""

    async def run() -> dict[str, list[dict[str, Any]]]:
        layer = get_channel_layer()
        channels = {}
        for group in groups:
            channels[group] = await layer.new_channel()
            await layer.group_add(group, channels[group])
        await sync_to_async(action)()
        heard: dict[str, list[dict[str, Any]]] = {}
        for group, channel in channels.items():
            heard[group] = []
            try:
                while True:
                    heard[group].append(await asyncio.wait_for(layer.receive(channel), timeout=0.5))
            except TimeoutError:
                pass
            await layer.group_discard(group, channel)
        return heard

    return async_to_sync(run)()


def test_a_committed_notice_reaches_its_merchant_only(tenant_a: Any, django_capture_on_commit_callbacks: Any) -> None:
    mine, other = _merchant("91310000MA1FL0001X"), _merchant("91310000MA1FL0002X")

    def decide() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            notify_merchant(
                merchant_id=mine.pk,
                kind="application.approved",
                title="示范物业 approved you",
                tenant_id=tenant_a.pk,
                data={"application": 1},
            )

    heard = _heard([merchant_group(mine.pk), merchant_group(other.pk)], decide)

    [event] = heard[merchant_group(mine.pk)]
    assert event["message"]["kind"] == "application.approved"
    assert event["message"]["tenant"] == tenant_a.pk
    assert event["message"]["data"] == {"application": 1}
    assert heard[merchant_group(other.pk)] == []
    assert MerchantNotice.objects.filter(merchant=mine).count() == 1


@pytest.mark.django_db
def test_a_rolled_back_notice_tells_nobody(django_capture_on_commit_callbacks: Any) -> None:
    mine = _merchant("91310000MA1FL0003X")

    def fail() -> None:
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            notify_merchant(merchant_id=mine.pk, kind="application.rejected", title="rejected")
            raise RuntimeError("the decision failed")
        assert callbacks == []

    assert _heard([merchant_group(mine.pk)], fail) == {merchant_group(mine.pk): []}
    assert not MerchantNotice.objects.filter(merchant=mine).exists()


def test_the_merchant_group_cannot_be_a_company_group() -> None:
    # Company groups start with the company's schema name, and no company schema is named "public".
    assert merchant_group(7).startswith("public.")


@pytest.mark.django_db
def test_the_factories_make_a_visible_approved_listing(tenant_a: Any) -> None:
    from tests.marketplace.factories import make_application, make_listing, make_merchant

    merchant = make_merchant(owner=True)
    application = make_application(merchant, tenant_a, status="approved", estates={1: "阳光花园"})
    listing = make_listing(merchant, kind="service", category="housekeeping", title="上门家政保洁")
    assert application.approved_estate_ids == [1]
    assert listing.duration_minutes == 120
    assert merchant.members.get().role == "owner"
