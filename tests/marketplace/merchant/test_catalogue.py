"""The catalogue services: goods and services, variants, photos, slots and specials; every change tells the
search (listings_changed), and nothing of another merchant's is reachable."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from backend.errors import ApplicationError
from marketplace import catalogue, catalogue_slots
from marketplace.models import Listing, ListingPhoto, ServiceSlot, Special
from marketplace.models.catalogue import SPECIALS_PER_MONTH

from .conftest import accepted_photo, signup_fields

GOOD = {
    "title": "新鲜苹果",
    "category_code": "fruit",
    "price_fen": 1280,
    "unit": "斤",
    "per_order_limit": 5,
    "stock": 30,
}
SERVICE = {"title": "上门家政保洁", "category_code": "housekeeping", "price_fen": 8800, "duration_minutes": 120}


@pytest.fixture
def changed(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """What the catalogue told the search (the hook is the search work's; here we only listen to the calls)."""
    calls: list[list[int]] = []
    for module in (catalogue, catalogue_slots):
        monkeypatch.setattr(module, "listings_changed", lambda ids: calls.append(list(ids)))
    return calls


@pytest.mark.django_db
def test_a_good_with_stock_limit_and_unit(owner: Any, changed: list) -> None:
    member = owner()
    listing = catalogue.listing_create(member=member, kind="good", **GOOD)
    assert (listing.price_fen, listing.stock, listing.unit, listing.per_order_limit) == (1280, 30, "斤", 5)
    assert changed == [[listing.pk]]
    unlimited = catalogue.listing_create(member=member, kind="good", **{**GOOD, "stock": None})
    assert unlimited.unlimited


@pytest.mark.django_db
def test_a_service_needs_a_duration_and_takes_no_stock(owner: Any) -> None:
    member = owner(category_codes=["housekeeping"])
    with pytest.raises(ApplicationError) as caught:
        catalogue.listing_create(member=member, kind="service", **{**SERVICE, "duration_minutes": None, "stock": 3})
    assert set(caught.value.fields) == {"duration_minutes", "stock"}
    listing = catalogue.listing_create(member=member, kind="service", **SERVICE)
    assert listing.duration_minutes == 120


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"price_fen": 0}, "price_fen"),
        ({"price_fen": "12.5"}, "price_fen"),
        ({"title": ""}, "title"),
        ({"category_code": "housekeeping"}, "category_code"),  # a services category for goods
        ({"category_code": "nope"}, "category_code"),
        ({"stock": -1}, "stock"),
        ({"per_order_limit": 0}, "per_order_limit"),
        ({"duration_minutes": 30}, "duration_minutes"),
    ],
)
@pytest.mark.django_db
def test_wrong_goods_fields_are_named(owner: Any, data: dict, field: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        catalogue.listing_create(member=owner(), kind="good", **{**GOOD, **data})
    assert field in caught.value.fields
    assert not Listing.objects.exists()


@pytest.mark.django_db
def test_update_and_deactivate_are_audited_and_reindexed(owner: Any, changed: list) -> None:
    member = owner()
    listing = catalogue.listing_create(member=member, kind="good", **GOOD)
    catalogue.listing_update(member=member, listing_id=listing.pk, **{**GOOD, "price_fen": 990})
    catalogue.listing_set_active(member=member, listing_id=listing.pk, active=False)
    listing.refresh_from_db()
    assert (listing.price_fen, listing.is_active) == (990, False)
    assert changed == [[listing.pk]] * 3
    actions = list(member.merchant.audit_entries.values_list("action", flat=True))
    assert {"listing.update", "listing.deactivate"} <= set(actions)


@pytest.mark.django_db
def test_another_merchants_listing_photo_variant_slot_and_special_are_not_found(owner: Any, changed: list) -> None:
    mine, theirs = owner(), owner(category_codes=["housekeeping"])
    their_good = catalogue.listing_create(member=theirs, kind="good", **GOOD)
    their_service = catalogue.listing_create(member=theirs, kind="service", **SERVICE)
    photo = catalogue.photo_add(member=theirs, listing_id=their_good.pk, photo=accepted_photo())
    variant = catalogue.variant_add(member=theirs, listing_id=their_good.pk, name="5斤装", price_fen=5000)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    [slot] = catalogue_slots.slot_series_create(
        member=theirs,
        listing_id=their_service.pk,
        first_date=tomorrow,
        last_date=tomorrow,
        weekdays=[tomorrow.weekday()],
        start_times=[dt.time(9)],
        capacity=2,
    )
    special = catalogue_slots.special_create(
        member=theirs, listing_id=their_good.pk, month=timezone.localdate(), price_fen=999
    )
    calls_before = len(changed)
    attempts = [
        lambda: catalogue.listing_update(member=mine, listing_id=their_good.pk, **GOOD),
        lambda: catalogue.listing_set_active(member=mine, listing_id=their_good.pk, active=False),
        lambda: catalogue.photo_add(member=mine, listing_id=their_good.pk, photo=accepted_photo()),
        lambda: catalogue.photo_remove(member=mine, photo_id=photo.pk),
        lambda: catalogue.photo_reorder(member=mine, listing_id=their_good.pk, photo_ids=[photo.pk]),
        lambda: catalogue.variant_add(member=mine, listing_id=their_good.pk, name="x", price_fen=1),
        lambda: catalogue.variant_update(member=mine, variant_id=variant.pk, name="x", price_fen=1),
        lambda: catalogue.variant_remove(member=mine, variant_id=variant.pk),
        lambda: catalogue_slots.slot_capacity_set(member=mine, slot_id=slot.pk, capacity=9),
        lambda: catalogue_slots.slot_set_active(member=mine, slot_id=slot.pk, active=False),
        lambda: catalogue_slots.special_create(
            member=mine, listing_id=their_good.pk, month=timezone.localdate(), price_fen=1
        ),
        lambda: catalogue_slots.special_remove(member=mine, special_id=special.pk),
    ]
    for attempt in attempts:
        with pytest.raises(ApplicationError) as caught:
            attempt()
        assert caught.value.status == 404
    assert len(changed) == calls_before
    assert ListingPhoto.objects.filter(pk=photo.pk).exists() and Special.objects.filter(pk=special.pk).exists()
    slot.refresh_from_db()
    assert (slot.capacity, slot.is_active) == (2, True)


@pytest.mark.django_db
def test_variants_have_their_own_price_and_stock(owner: Any) -> None:
    member = owner()
    listing = catalogue.listing_create(member=member, kind="good", **GOOD)
    small = catalogue.variant_add(member=member, listing_id=listing.pk, name="500g", price_fen=1280, stock=10)
    big = catalogue.variant_add(member=member, listing_id=listing.pk, name="5斤装", price_fen=5800)
    assert (small.stock, big.stock, big.position) == (10, None, 2)
    with pytest.raises(ApplicationError) as caught:
        catalogue.variant_add(member=member, listing_id=listing.pk, name="500g", price_fen=1)
    assert "name" in caught.value.fields
    catalogue.variant_update(member=member, variant_id=big.pk, name="5斤装", price_fen=5500, stock=3, is_active=False)
    big.refresh_from_db()
    assert (big.price_fen, big.stock, big.is_active) == (5500, 3, False)


@pytest.mark.django_db
def test_photos_are_kept_in_order_at_most_nine(owner: Any) -> None:
    member = owner()
    listing = catalogue.listing_create(member=member, kind="good", **GOOD)
    photos = [catalogue.photo_add(member=member, listing_id=listing.pk, photo=accepted_photo()) for _ in range(9)]
    assert [p.position for p in photos] == list(range(1, 10))
    assert photos[0].image.name.startswith("merchants/") and photos[0].image.name.endswith(".png")
    with pytest.raises(ApplicationError) as caught:
        catalogue.photo_add(member=member, listing_id=listing.pk, photo=accepted_photo())
    assert "photo" in caught.value.fields
    order = [p.pk for p in reversed(photos)]
    catalogue.photo_reorder(member=member, listing_id=listing.pk, photo_ids=order)
    assert list(listing.photos.values_list("pk", flat=True)) == order
    with pytest.raises(ApplicationError):
        catalogue.photo_reorder(member=member, listing_id=listing.pk, photo_ids=order[:3])


@pytest.mark.django_db
def test_removing_a_photo_removes_its_file_after_commit(owner: Any, django_capture_on_commit_callbacks: Any) -> None:
    member = owner()
    listing = catalogue.listing_create(member=member, kind="good", **GOOD)
    photo = catalogue.photo_add(member=member, listing_id=listing.pk, photo=accepted_photo())
    name, storage = photo.image.name, photo.image.storage
    with django_capture_on_commit_callbacks(execute=True):
        catalogue.photo_remove(member=member, photo_id=photo.pk)
    assert not storage.exists(name) and not ListingPhoto.objects.filter(pk=photo.pk).exists()


@pytest.mark.django_db
def test_a_slot_series_and_its_capacity_never_below_bookings(owner: Any) -> None:
    member = owner(category_codes=["housekeeping"])
    listing = catalogue.listing_create(member=member, kind="service", **SERVICE)
    start = timezone.localdate() + dt.timedelta(days=1)
    end = start + dt.timedelta(days=13)
    slots = catalogue_slots.slot_series_create(
        member=member,
        listing_id=listing.pk,
        first_date=start,
        last_date=end,
        weekdays=[0, 2],
        start_times=[dt.time(9), dt.time(14)],
        capacity=3,
    )
    assert len(slots) == 8  # two Mondays and two Wednesdays in two weeks, twice a day
    first = slots[0]
    assert first.ends_at - first.starts_at == dt.timedelta(minutes=120)
    assert timezone.localtime(first.starts_at).hour == 9 and first.starts_at.weekday() in (0, 2)
    # Again over the same span: nothing new, nothing doubled.
    again = catalogue_slots.slot_series_create(
        member=member, listing_id=listing.pk, first_date=start, last_date=end, weekdays=[0, 2],
        start_times=[dt.time(9), dt.time(14)], capacity=3,
    )  # fmt: skip
    assert again == [] and ServiceSlot.objects.filter(listing=listing).count() == 8
    ServiceSlot.objects.filter(pk=first.pk).update(booked=2)  # two bookings (part 2 makes them)
    with pytest.raises(ApplicationError) as caught:
        catalogue_slots.slot_capacity_set(member=member, slot_id=first.pk, capacity=1)
    assert "capacity" in caught.value.fields
    assert catalogue_slots.slot_capacity_set(member=member, slot_id=first.pk, capacity=2).capacity == 2


@pytest.mark.django_db
def test_goods_have_no_slots_and_slots_start_from_today(owner: Any) -> None:
    member = owner()
    good = catalogue.listing_create(member=member, kind="good", **GOOD)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ApplicationError) as caught:
        catalogue_slots.slot_series_create(
            member=member, listing_id=good.pk, first_date=tomorrow, last_date=tomorrow,
            weekdays=[tomorrow.weekday()], start_times=[dt.time(9)], capacity=1,
        )  # fmt: skip
    assert "listing" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:
        catalogue_slots.slot_series_create(
            member=member, listing_id=good.pk, first_date=tomorrow - dt.timedelta(days=3), last_date=tomorrow,
            weekdays=[], start_times=[], capacity=0,
        )  # fmt: skip
    assert set(caught.value.fields) == {"first_date", "weekdays", "start_times", "capacity"}


@pytest.mark.django_db
def test_at_most_ten_specials_a_month_each_cheaper_than_its_listing(owner: Any) -> None:
    member = owner()
    listings = [
        catalogue.listing_create(member=member, kind="good", **{**GOOD, "title": f"苹果{i}"}) for i in range(11)
    ]
    month = timezone.localdate()
    with pytest.raises(ApplicationError) as caught:
        catalogue_slots.special_create(member=member, listing_id=listings[0].pk, month=month, price_fen=1280)
    assert "price_fen" in caught.value.fields
    for listing in listings[:SPECIALS_PER_MONTH]:
        catalogue_slots.special_create(member=member, listing_id=listing.pk, month=month, price_fen=999)
    with pytest.raises(ApplicationError) as caught:
        catalogue_slots.special_create(member=member, listing_id=listings[10].pk, month=month, price_fen=999)
    assert caught.value.status == 409 and "month" in caught.value.fields
    # Next month has its own ten.
    next_month = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    special = catalogue_slots.special_create(member=member, listing_id=listings[10].pk, month=next_month, price_fen=999)
    assert special.month == next_month
    with pytest.raises(ApplicationError) as caught:
        catalogue_slots.special_create(member=member, listing_id=listings[10].pk, month=next_month, price_fen=998)
    assert "listing" in caught.value.fields  # once a month per listing


def test_specials_taken_at_the_same_moment_never_pass_ten(django_db_setup: None, django_db_blocker: Any) -> None:
    """Thirteen requests race for the last three places, on committed data (each thread on its own connection):
    the merchant's row lock lets exactly three in; the others are told the month is full."""
    from marketplace.merchants import merchant_sign_up

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        member = merchant_sign_up(**signup_fields())
        try:
            listings = [
                catalogue.listing_create(member=member, kind="good", **{**GOOD, "title": f"梨{i}"}) for i in range(20)
            ]
            month = timezone.localdate()
            for listing in listings[:7]:
                catalogue_slots.special_create(member=member, listing_id=listing.pk, month=month, price_fen=500)
            barrier = threading.Barrier(13)
            outcomes: list[str] = []

            def take(listing_id: int) -> None:
                try:
                    barrier.wait()
                    catalogue_slots.special_create(member=member, listing_id=listing_id, month=month, price_fen=500)
                    outcomes.append("ok")
                except ApplicationError as error:
                    outcomes.append(error.code)
                finally:
                    connections.close_all()

            threads = [threading.Thread(target=take, args=(listing.pk,)) for listing in listings[7:]]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert outcomes.count("ok") == 3 and outcomes.count("specials_full") == 10, outcomes
            specials = Special.objects.filter(merchant=member.merchant, month=month.replace(day=1))
            assert specials.count() == SPECIALS_PER_MONTH
        finally:
            connection.set_schema_to_public()
            user = member.user
            member.merchant.delete()
            user.delete()
