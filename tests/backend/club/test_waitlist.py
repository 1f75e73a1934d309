"""The waitlist: joining a full slot (and the refusals), promotion when a place frees up (cancel, decline,
an offer that expires → the next in line), accepting a free and a paid offer, the sweep, and two frees at
once offering an entry once without leaking places (those on committed data, outside a test transaction)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.accounts.models import User
from backend.club import booking as engine
from backend.club import waitlist
from backend.club.models import Booking, BookingStatus, BookingSuspension, SlotCell, WaitlistEntry
from backend.errors import ApplicationError
from backend.notifications.models import Delivery, Notification
from tenants.db import connection

from .committed import committed_club
from .conftest import NOW, Club, at, move_in
from .test_races import run_together

Entry = WaitlistEntry.Status


def book(world: Club, user: Any, unit: Any, start: dt.datetime, party: int = 1, facility: Any = None) -> Booking:
    return engine.booking_create(
        facility=facility or world.gym,
        user=user,
        unit=unit,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        party_size=party,
        now=NOW,
    )


def join(world: Club, user: Any, unit: Any, start: dt.datetime, party: int = 1, facility: Any = None) -> WaitlistEntry:
    return waitlist.waitlist_join(
        facility=facility or world.gym,
        user=user,
        unit=unit,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        party_size=party,
        now=NOW,
    )


@pytest.fixture
def third(world: Club, member: Any, in_tenant_a: Any) -> Any:
    user = member(in_tenant_a, ["resident"])
    connection.set_tenant(in_tenant_a)
    move_in(world.units[2], user, "张三楼")
    return user


def offer_of(entry: WaitlistEntry) -> Booking:
    assert entry.booking_id is not None
    return Booking.objects.get(pk=entry.booking_id)


def taken(world: Club, start: dt.datetime, facility: Any = None) -> int:
    return SlotCell.objects.get(facility=facility or world.gym, starts_at=start).taken


# --- joining ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_joining_needs_a_full_slot_and_happens_once_per_person(world: Club):
    slot = at(1, "10:00")
    with pytest.raises(ApplicationError) as caught:
        join(world, world.neighbour, world.units[1], slot)
    assert caught.value.code == "not_full"
    book(world, world.resident, world.home, slot, party=2)
    entry = join(world, world.neighbour, world.units[1], slot)
    assert entry.status == Entry.WAITING
    with pytest.raises(ApplicationError) as caught:
        join(world, world.neighbour, world.units[1], slot)
    assert caught.value.code == "already_waiting" and caught.value.status == 409
    with pytest.raises(ApplicationError) as caught:  # the one who holds the places needs no line
        join(world, world.resident, world.home, slot)
    assert caught.value.code == "booked"


@pytest.mark.django_db
def test_joining_passes_the_booking_checks(world: Club):
    slot = at(1, "10:00")
    book(world, world.resident, world.home, slot, party=2)
    with pytest.raises(ApplicationError) as caught:  # a home of another estate may not book the gym
        join(world, world.other_resident, world.other_units[0], slot)
    assert "unit" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:  # beyond the horizon
        join(world, world.neighbour, world.units[1], at(30, "10:00"))
    assert "starts_at" in caught.value.fields
    BookingSuspension.objects.create(unit=world.units[1], until=NOW + dt.timedelta(days=3), reason="测试")
    with pytest.raises(ApplicationError) as caught:
        join(world, world.neighbour, world.units[1], slot)
    assert caught.value.code == "suspended"


# --- promotion -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_cancellation_offers_the_place_to_the_first_in_line_that_fits(
    world: Club, third: Any, django_capture_on_commit_callbacks: Any
):
    slot = at(1, "10:00")
    User.objects.filter(pk=world.neighbour.pk).update(phone="13900001111")
    mine = book(world, world.resident, world.home, slot, party=2)
    first = join(world, world.neighbour, world.units[1], slot, party=2)
    second = join(world, third, world.units[2], slot, party=1)
    with django_capture_on_commit_callbacks(execute=True):
        engine.booking_cancel(booking=mine, by=world.resident, now=NOW)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Entry.OFFERED and second.status == Entry.WAITING
    offer = offer_of(first)
    assert offer.status == BookingStatus.OFFERED and offer.source == "waitlist" and offer.user_id == world.neighbour.pk
    assert offer.hold_expires_at == NOW + dt.timedelta(minutes=world.gym.offer_minutes) == first.offered_until
    assert taken(world, slot) == 2  # the offer holds both places
    note = Notification.objects.get(recipient=world.neighbour, kind="club.waitlist_offer")
    assert note.payload["booking"] == offer.pk
    assert Delivery.objects.get(notification=note, channel="sms").address == "13900001111"  # and an SMS
    # declining hands the places on: the next in line (party of one) gets one of them
    with django_capture_on_commit_callbacks(execute=True):
        waitlist.waitlist_decline(entry=first, by=world.neighbour, now=NOW)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Entry.CANCELLED and second.status == Entry.OFFERED
    assert Booking.objects.get(pk=offer.pk).status == BookingStatus.CANCELLED
    assert taken(world, slot) == 1


@pytest.mark.django_db
def test_an_offer_not_taken_expires_and_goes_to_the_next_in_line(
    world: Club, third: Any, django_capture_on_commit_callbacks: Any
):
    slot = at(1, "10:00")
    mine = book(world, world.resident, world.home, slot, party=2)
    first = join(world, world.neighbour, world.units[1], slot, party=2)
    second = join(world, third, world.units[2], slot, party=2)
    with django_capture_on_commit_callbacks(execute=True):
        engine.booking_cancel(booking=mine, by=world.resident, now=NOW)
    later = NOW + dt.timedelta(minutes=world.gym.offer_minutes, seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.holds_expire(now=later) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Entry.EXPIRED
    assert offer_of(first).status == BookingStatus.EXPIRED
    assert second.status == Entry.OFFERED
    assert offer_of(second).hold_expires_at == later + dt.timedelta(minutes=30)
    assert taken(world, slot) == 2
    with pytest.raises(ApplicationError) as caught:  # the expired offer cannot be accepted any more
        waitlist.waitlist_accept(entry=first, by=world.neighbour, now=later)
    assert caught.value.status == 409


@pytest.mark.django_db
def test_accepting_a_free_offer_confirms_it(world: Club, django_capture_on_commit_callbacks: Any):
    slot = at(1, "10:00")
    mine = book(world, world.resident, world.home, slot, party=2)
    entry = join(world, world.neighbour, world.units[1], slot)
    with django_capture_on_commit_callbacks(execute=True):
        engine.booking_cancel(booking=mine, by=world.resident, now=NOW)
    entry.refresh_from_db()
    booking = waitlist.waitlist_accept(entry=entry, by=world.neighbour, now=NOW + dt.timedelta(minutes=5))
    entry.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.hold_expires_at is None
    assert entry.status == Entry.ACCEPTED
    assert Notification.objects.filter(recipient=world.neighbour, kind="club.booking_confirmed").exists()
    with pytest.raises(ApplicationError):  # accepting twice
        waitlist.waitlist_accept(entry=entry, by=world.neighbour, now=NOW + dt.timedelta(minutes=6))


@pytest.mark.django_db
def test_accepting_a_paid_offer_holds_it_for_payment(world: Club, django_capture_on_commit_callbacks: Any):
    court, slot = world.court, at(1, "10:00")
    mine = book(world, world.resident, world.home, slot, facility=court)
    assert mine.status == BookingStatus.HELD
    entry = join(world, world.neighbour, world.units[1], slot, facility=court)
    with django_capture_on_commit_callbacks(execute=True):
        engine.booking_cancel(booking=mine, by=world.resident, now=NOW)
    entry.refresh_from_db()
    offer = offer_of(entry)
    assert (offer.status, offer.price_fen, offer.deposit_fen) == (BookingStatus.OFFERED, 4000, 10000)
    accepted_at = NOW + dt.timedelta(minutes=10)
    booking = waitlist.waitlist_accept(entry=entry, by=world.neighbour, now=accepted_at)
    assert booking.status == BookingStatus.HELD
    assert booking.hold_expires_at == accepted_at + dt.timedelta(minutes=court.hold_minutes)


@pytest.mark.django_db
def test_leaving_the_line_and_the_sweep(world: Club, third: Any, django_capture_on_commit_callbacks: Any):
    slot = at(1, "10:00")
    book(world, world.resident, world.home, slot, party=2)
    first = join(world, world.neighbour, world.units[1], slot)
    second = join(world, third, world.units[2], slot)
    waitlist.waitlist_leave(entry=first, by=world.neighbour, now=NOW)
    first.refresh_from_db()
    assert first.status == Entry.CANCELLED
    # a place freed without a promotion (a process died after the commit): the sweep offers it
    SlotCell.objects.filter(facility=world.gym, starts_at=slot).update(taken=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert waitlist.waitlist_sweep(now=NOW) == 1
    second.refresh_from_db()
    assert second.status == Entry.OFFERED
    # entries whose start has come expire
    WaitlistEntry.objects.filter(pk=second.pk).update(status=Entry.WAITING)
    waitlist.waitlist_sweep(now=slot + dt.timedelta(minutes=1))
    second.refresh_from_db()
    assert second.status == Entry.EXPIRED


# --- the live toast ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_offer_arrives_as_a_toast_on_the_residents_socket_and_nowhere_else(
    world: Club,
    tenant_a: Any,
    tenant_b: Any,
    member: Any,
    client_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
):
    import channels.db
    from asgiref.sync import async_to_sync
    from channels.db import database_sync_to_async

    from .test_realtime import cookie_of, opened

    monkeypatch.setattr(channels.db, "close_old_connections", lambda: None)  # share the test's connection
    slot = at(1, "10:00")
    mine = book(world, world.resident, world.home, slot, party=2)
    join(world, world.neighbour, world.units[1], slot)
    waiting = cookie_of(client_for, tenant_a, world.neighbour)
    stranger = cookie_of(client_for, tenant_b, member(tenant_b, ["resident"]))
    connection.set_tenant(tenant_a)

    def cancel() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            engine.booking_cancel(booking=mine, by=world.resident, now=NOW)

    async def scenario() -> None:
        ws = await opened("alpha.localhost", waiting)
        other = await opened("beta.localhost", stranger)
        await database_sync_to_async(cancel)()
        message = await ws.receive_json_from(timeout=5)
        assert (message["type"], message["kind"]) == ("notification", "club.waitlist_offer")
        assert message["title"].startswith("A place is free for you")
        assert await other.receive_nothing(timeout=0.5)
        await ws.disconnect()
        await other.disconnect()

    async_to_sync(scenario)()


# --- races -----------------------------------------------------------------------------------------------------


def test_two_frees_at_once_offer_the_entry_once_and_leak_no_place(django_db_setup: None, django_db_blocker: Any):
    with django_db_blocker.unblock(), committed_club(capacity=2) as world:
        slot = at(1, "10:00")
        mine = [
            engine.booking_create(
                facility=world.facility,
                user=world.user,
                unit=world.unit,
                starts_at=slot,
                ends_at=slot + dt.timedelta(hours=1),
                now=NOW,
            )
            for _ in range(2)
        ]
        entry = WaitlistEntry.objects.create(
            facility=world.facility,
            starts_at=slot,
            ends_at=slot + dt.timedelta(hours=1),
            unit=world.unit,
            user=world.user,
        )

        def cancel(booking: Booking) -> Any:
            return lambda: engine.booking_cancel(booking=booking, by=world.user, now=NOW)

        results = run_together(world.tenant, [cancel(b) for b in mine])
        assert all(isinstance(r, Booking) for r in results), results
        entry.refresh_from_db()
        offers = Booking.objects.filter(facility=world.facility, status=BookingStatus.OFFERED)
        assert entry.status == Entry.OFFERED and [o.pk for o in offers] == [entry.booking_id]
        assert SlotCell.objects.get(facility=world.facility, starts_at=slot).taken == 1


def test_many_promotions_at_once_offer_one_place_once(django_db_setup: None, django_db_blocker: Any):
    with django_db_blocker.unblock(), committed_club(capacity=1) as world:
        slot = at(1, "10:00")
        entry = WaitlistEntry.objects.create(
            facility=world.facility,
            starts_at=slot,
            ends_at=slot + dt.timedelta(hours=1),
            unit=world.unit,
            user=world.user,
        )

        def promote() -> Any:
            return waitlist.waitlist_promote(
                facility_id=world.facility.pk, starts_from=slot, starts_before=slot + dt.timedelta(hours=1), now=NOW
            )

        results = run_together(world.tenant, [promote for _ in range(8)])
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sum(len(r) for r in results) == 1
        entry.refresh_from_db()
        assert entry.status == Entry.OFFERED
        assert Booking.objects.filter(facility=world.facility).count() == 1
        assert SlotCell.objects.get(facility=world.facility, starts_at=slot).taken == 1


def test_accepting_while_the_offer_expires_ends_one_way_only(django_db_setup: None, django_db_blocker: Any):
    with django_db_blocker.unblock(), committed_club(capacity=1) as world:
        slot = at(1, "10:00")
        entry = WaitlistEntry.objects.create(
            facility=world.facility,
            starts_at=slot,
            ends_at=slot + dt.timedelta(hours=1),
            unit=world.unit,
            user=world.user,
        )
        [offer] = waitlist.waitlist_promote(
            facility_id=world.facility.pk, starts_from=slot, starts_before=slot + dt.timedelta(hours=1), now=NOW
        )
        assert offer.hold_expires_at is not None
        edge = offer.hold_expires_at - dt.timedelta(seconds=1)  # the accept is still in time; the sweep is not

        def accept() -> Any:
            return waitlist.waitlist_accept(entry=entry, by=world.user, now=edge)

        def expire() -> Any:
            return engine.holds_expire(now=offer.hold_expires_at)

        results = run_together(world.tenant, [accept, expire] * 3)
        unexpected = [r for r in results if isinstance(r, Exception) and getattr(r, "status", None) != 409]
        assert not unexpected, results
        offer.refresh_from_db()
        entry.refresh_from_db()
        cell = SlotCell.objects.get(facility=world.facility, starts_at=slot)
        if offer.status == BookingStatus.CONFIRMED:
            assert entry.status == Entry.ACCEPTED and cell.taken == 1
        else:
            assert offer.status == BookingStatus.EXPIRED and entry.status == Entry.EXPIRED and cell.taken == 0
