"""One object of every kind the API and the portal look up by id, in places that tell scopes apart:

    mine       a home in office A where "the resident" lives
    neighbour  the next home in office A (another resident lives there)
    office_b   a home in office B of the same company
    (company)  the same set in company beta, built by build_company(second_office=False)

Built once per test module inside a transaction that is rolled back at its end (module_world()), so the
walks over every URL reuse it instead of building it per test; each test still runs in its own savepoint."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Membership
from backend.billing import ledger, meter_readings, meters, services
from backend.billing.models import BillLine, FeeItem
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.notifications.announcements import announcement_create
from backend.notifications.models import Announcement, Notification
from backend.payments.bank_collection import template_csv
from backend.payments.models import BankCollection, OnlinePayment, Receipt
from backend.properties import services as registry
from backend.properties.models import BindingRequest, ImportJob, Occupancy, Person, Unit
from backend.properties.scope import Scope
from tenants.db import connection
from tests.backend.billing.conftest import make_item
from tests.factories import MemberFactory

EVERYTHING = Scope.everything()
JAN = dt.date(2026, 1, 1)
READING_MONTH = dt.date(2026, 10, 1)
# Binding documents and announcement images name this file (below MEDIA_ROOT); write_files() makes it.
DOCUMENT = "scoped-world/document.png"
STAFF_ROLES = ["company_admin", "finance", "customer_service", "engineer", "security"]


@dataclass
class Place:
    """A home and the objects that hang off it (ids)."""

    ids: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> int:
        return self.ids[key]


@dataclass
class Company:
    tenant: Any
    name_marker: str  # a string in the company's estate names: must never show on another company's domain
    places: dict[str, Place]
    users: dict[str, Any]  # "resident", "neighbour", "admin" (every staff role, company-wide), ...
    office_a: int
    office_b: int | None


def _user(tenant: Any, roles: list[str], **membership: Any) -> Any:
    user = MemberFactory(tenant=tenant, roles=roles, **membership).user
    connection.set_tenant(tenant)
    return user


def _move_in(unit: Unit, user: Any, name: str) -> Occupancy:
    person = registry.person_create(name=name, phone=f"139{user.pk % 100000000:08d}")
    Person.objects.filter(pk=person.pk).update(user=user)
    person.refresh_from_db()
    return registry.occupancy_move_in(
        unit_id=unit.pk, person=person, role="owner", start_date=dt.date(2025, 1, 1), scope=EVERYTHING
    )


def _facility(estate: Any, label: str) -> tuple[Any, int]:
    """The estate's gym (open all day, 10 places an hour, free) and a closure of it far ahead (no bookings)."""
    from backend.club import services as club
    from backend.club.closures import closure_create

    gym = club.facility_create(
        estate_id=estate.pk,
        scope=EVERYTHING,
        name=f"{label}健身房",
        kind="gym",
        capacity=10,
        hours=[(d, 0, 24 * 60) for d in range(7)],
    )
    far = timezone.now() + dt.timedelta(days=300)
    closure, _cancelled = closure_create(
        facility=gym, by=None, kind="one_off", reason="检修", starts_at=far, ends_at=far + dt.timedelta(hours=2)
    )
    return gym, closure.pk


def _training_class(gym: Any) -> tuple[Any, int]:
    """A free class on the estate's gym with one session far ahead (after the closure), published."""
    from backend.club import classes
    from tenants.db import company_time_zone

    teacher = classes.teacher_create(by=None, name=f"老师{gym.pk}", share_percent=60)
    klass = classes.class_create(facility=gym, by=None, teacher=teacher, title=f"瑜伽{gym.pk}", seats=10, price_fen=0)

    # 10:00 company time, so the hour-long session never crosses midnight (it did when built after 23:00).
    day = timezone.localdate(timezone=company_time_zone()) + dt.timedelta(days=310)
    start = dt.datetime.combine(day, dt.time(10), tzinfo=company_time_zone())
    session = classes.session_add(training_class=klass, by=None, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    classes.class_publish(training_class=klass, by=None)
    return klass, session.pk


def _enrolment(klass: Any, unit: Unit, user: Any) -> int:
    from backend.club.classes_money import enrolment_create

    return enrolment_create(training_class=klass, user=user, unit=unit).pk


def _booking(facility: Any, unit: Unit, user: Any) -> int:
    """A booking of the home's resident tomorrow at 10:00 (company time)."""
    from backend.club.booking import booking_create
    from tenants.db import company_time_zone

    tomorrow = timezone.localdate(timezone=company_time_zone()) + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time(10), tzinfo=company_time_zone())
    return booking_create(
        facility=facility, user=user, unit=unit, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    ).pk


def _photo(facility: Any) -> int:
    """A photo of the facility (the world's 1×1 PNG, see write_files)."""
    from backend.club.models import FacilityPhoto

    return FacilityPhoto.objects.create(facility=facility, image=DOCUMENT).pk


def _waitlist_entry(facility: Any, unit: Unit, user: Any) -> int:
    """The resident's place in the line of tomorrow 15:00 at the gym."""
    from backend.club.models import WaitlistEntry
    from tenants.db import company_time_zone

    tomorrow = timezone.localdate(timezone=company_time_zone()) + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time(15), tzinfo=company_time_zone())
    return WaitlistEntry.objects.create(
        facility=facility, unit=unit, user=user, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    ).pk


def _series(facility: Any, unit: Unit, user: Any) -> int:
    """A weekly series of the home (no bookings of its own: the lookup is what is asked)."""
    from backend.club.models import BookingSeries

    first = timezone.localdate() + dt.timedelta(days=2)
    return BookingSeries.objects.create(
        facility=facility,
        unit=unit,
        user=user,
        weekday=first.weekday(),
        start_minute=600,
        minutes=60,
        first_date=first,
    ).pk


def _suspension(unit: Unit) -> int:
    """The home may not book for a week (as after no-shows): what lifting one is asked about."""
    from backend.club.models import BookingSuspension

    return BookingSuspension.objects.create(
        unit=unit, until=timezone.now() + dt.timedelta(days=7), reason="3 次未到场"
    ).pk


def _ticket(unit: Unit, user: Any) -> int:
    """A repair the home's resident reported (the service desk)."""
    from backend.desk import services as desk

    category = desk.category_save(code="plumbing", name="水管")
    ticket = desk.ticket_report(
        user=user,
        unit_id=unit.pk,
        category=category,
        description="水管漏水",
        contact_name="业主",
        contact_phone="13900000000",
    )
    return ticket.pk


def _complaint(unit: Unit, user: Any) -> int:
    """A complaint the home's resident filed (the service desk)."""
    from backend.desk import complaints

    return complaints.complaint_file(
        user=user, unit_id=unit.pk, cause="noise", description="楼上装修太吵", contact_phone="13900000000"
    ).pk


def _survey(estate_id: int, admin: Any) -> int:
    """An open satisfaction survey to the estate (its homes share it)."""
    from backend.desk import surveys

    survey = surveys.survey_create(
        by=admin,
        scope=EVERYTHING,
        title="年度满意度调查",
        estate_ids=[estate_id],
        questions=[{"text": "服务态度", "kind": "rating"}],
    )
    return surveys.survey_open(survey=survey, by=admin, scope=EVERYTHING).pk


def _ticket_photo(ticket_id: int) -> int:
    from backend.desk.models import TicketPhoto

    return TicketPhoto.objects.create(ticket_id=ticket_id, stage="intake", image=DOCUMENT).pk


def _gate(unit: Unit, user: Any, admin: Any) -> dict[str, int]:
    """The home's visitor pass (issued by its resident), a parcel waiting for it and one picked up with its
    signature (the gate)."""
    from backend.gate import services as gate
    from backend.gate.models import Parcel, ParcelStatus

    now = timezone.now()
    visitor_pass = gate.pass_issue(
        user=user, unit_id=unit.pk, visitor_name="访客", valid_from=now, valid_until=now + dt.timedelta(hours=4)
    )
    waiting = gate.parcel_log(
        by=admin, scope=EVERYTHING, unit_id=unit.pk, carrier="sf", tracking_number=f"SF{unit.pk:08d}", shelf="A-1"
    )
    collected = gate.parcel_log(
        by=admin, scope=EVERYTHING, unit_id=unit.pk, carrier="jd", tracking_number=f"JD{unit.pk:08d}", shelf="B-2"
    )
    Parcel.objects.filter(pk=collected.pk).update(
        status=ParcelStatus.COLLECTED, collected_at=now, collected_name="业主", signature=DOCUMENT
    )
    return {"visitor_pass": visitor_pass.pk, "parcel": waiting.pk, "parcel_collected": collected.pk}


def _renovation(unit: Unit, user: Any) -> dict[str, int]:
    """The home owner's renovation application (waiting for approval) with its plan, and an inspection photo."""
    from backend.renovation.models import Application, Document, Inspection, InspectionPhoto

    application = Application.objects.create(
        code=f"ZX{unit.pk:08d}",
        unit=unit,
        estate_id=unit.estate_id,
        office_id=unit.office_id,
        applicant=user,
        applicant_name="业主",
        applicant_phone="13900000000",
        scope="厨房翻新",
        starts_on=dt.date(2030, 1, 1),
        ends_on=dt.date(2030, 2, 1),
        contractor_company="美家装饰",
        contractor_contact="张工",
        contractor_phone="13800000001",
        workers=[{"name": "李师傅", "phone": ""}],
        created_at=timezone.now(),
    )
    document = Document.objects.create(application=application, kind="plan", file=DOCUMENT, uploaded_by=user)
    inspection = Inspection.objects.create(
        application=application, kind="patrol", passed=True, by=user, at=timezone.now()
    )
    photo = InspectionPhoto.objects.create(inspection=inspection, image=DOCUMENT)
    return {"renovation": application.pk, "renovation_document": document.pk, "renovation_photo": photo.pk}


def _office(marker: str, label: str) -> tuple[Any, Any, Any, list[Unit]]:
    office = registry.office_create(name=f"{marker}{label}管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name=f"{marker}{label}小区", scope=EVERYTHING)
    # Two buildings of one home each: an announcement to one building does not reach the other home.
    for name in ("1栋", "2栋"):
        building = registry.building_create(estate_id=estate.pk, name=f"{label}{name}", scope=EVERYTHING)
        registry.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="90", scope=EVERYTHING
        )
    item = make_item(office, "mgmt", "area", "2.00")
    services.fee_assign(item=item, scope=EVERYTHING, start_date=JAN, estate_id=estate.pk)
    run = bill_run_execute(bill_run_create(period=JAN, scope=EVERYTHING, by=None, office_ids=[office.pk]).pk)
    units = list(Unit.objects.filter(estate=estate).order_by("building__name"))
    return office, run, item, units


def _shop(estate_id: int, number: str) -> dict[str, int]:
    """A merchant approved by this company for the estate, with a listing and its photo (the estate's homes
    share them)."""
    from marketplace.models import ListingPhoto
    from tests.marketplace.factories import make_application, make_listing, make_merchant

    merchant = make_merchant(f"商家{number}")
    make_application(merchant, connection.tenant, status="approved", estates={estate_id: "小区"}, categories=["fruit"])
    listing = make_listing(merchant, title=f"苹果{number}")
    photo = ListingPhoto.objects.create(listing=listing, image=DOCUMENT)
    return {"shop_merchant": merchant.pk, "listing": listing.pk, "shop_photo": photo.pk, **_shop_deal(listing)}


def _shop_deal(listing: Any) -> dict[str, int]:
    """A group-buy deal on the estate's listing."""
    from marketplace.groupbuy.services import deal_create

    deadline = timezone.now() + dt.timedelta(days=1)
    deal = deal_create(
        merchant_id=listing.merchant_id,
        listing_id=listing.pk,
        group_price_fen=listing.price_fen - 1,
        min_participants=1,
        max_participants=5,
        deadline=deadline,
    )
    return {"shop_deal": deal.pk}


def _shop_order(unit: Unit, user: Any, listing_id: int) -> dict[str, int]:
    """The home's resident's order of the estate's listing (awaiting payment) and a line in their cart."""
    from marketplace.orders import cart as carts
    from marketplace.orders import flow

    (order,) = flow.checkout(user=user, unit=unit, items=[carts.Item(listing_id, 1)])
    return {"shop_order": order.pk, "cart_item": carts.cart_add(user=user, item=carts.Item(listing_id, 1)).pk}


def _shop_aftersale(unit: Unit, user: Any, listing_id: int) -> dict[str, int]:
    """A delivered and reviewed order of the home's resident, a refund request on its line escalated to the
    company, and a complaint about its merchant; the states set directly (the services have their own tests)."""
    from marketplace.orders import cart as carts
    from marketplace.orders import flow
    from marketplace.orders.models import Complaint, Order, RefundRequest, Review

    (order,) = flow.checkout(user=user, unit=unit, items=[carts.Item(listing_id, 1)])
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(status="reviewed", delivered_at=now, completed_at=now, expires_at=now)
    Review.objects.create(order=order, user=user, merchant_id=order.merchant_id, stars=5, text="好")
    line = order.lines.get()
    refund = RefundRequest.objects.create(
        order=order,
        line=line,
        user=user,
        unit=unit,
        merchant_id=order.merchant_id,
        status="escalated",
        amount_fen=1,
        reason="坏了",
        escalated_at=timezone.now(),
    )
    complaint = Complaint.objects.create(
        user=user, unit=unit, merchant_id=order.merchant_id, merchant_name="商家", subject="投诉", text="慢"
    )
    from marketplace.orders.models import AftersalePhoto

    photo = AftersalePhoto.objects.create(refund=refund, image=DOCUMENT)
    return {
        "shop_delivered": order.pk,
        "shop_refund": refund.pk,
        "shop_complaint": complaint.pk,
        "shop_aftersale_photo": photo.pk,
    }


def _place(
    unit: Unit, user: Any, admin: Any, clerk: Any, *, item: FeeItem, run: Any, number: str, club: dict[Any, Any]
) -> Place:
    """Every object of one home: occupancy, binding request, bill line, waiver, deposit, meter and reading,
    a counter payment with its receipt, an online payment, an announcement to its building; the estate's gym
    with a closure, and the resident's booking of it."""
    occupancy = _move_in(unit, user, name=f"业主{number}")
    gym, closure = _facility(unit.estate, number) if not club.get(unit.estate_id) else club[unit.estate_id]
    club[unit.estate_id] = (gym, closure)
    klass, session = club.get(("class", unit.estate_id)) or _training_class(gym)
    club[("class", unit.estate_id)] = (klass, session)
    shop = club.get(("shop", unit.estate_id)) or _shop(unit.estate_id, number)
    club[("shop", unit.estate_id)] = shop
    survey = club.get(("survey", unit.estate_id)) or _survey(unit.estate_id, admin)
    club[("survey", unit.estate_id)] = survey
    line = BillLine.objects.filter(unit=unit).first()
    assert line is not None
    meter = meters.meter_create(scope=EVERYTHING, kind="water", number=f"W{number}", unit_id=unit.pk)
    reading = meter_readings.reading_record(meter=meter, period=READING_MONTH, reading="12.5", by=admin)
    payment = ledger.payment_record(unit=unit, amount=500, method="cash", recorded_by=admin).payment
    online = OnlinePayment.objects.create(
        unit=unit, user=user, amount=300, status=OnlinePayment.Status.FAILED, line_ids=[line.pk]
    )
    announcement = announcement_create(
        title=f"停水通知{number}", body="明天停水", by=admin, scope=EVERYTHING, building_ids=[unit.building_id]
    )
    binding = BindingRequest.objects.create(user=user, unit=unit, relation="owner", document=DOCUMENT)
    Announcement.objects.filter(pk=announcement.pk).update(image=DOCUMENT)
    return Place(
        {
            "office": unit.office_id,
            "estate": unit.estate_id,
            "building": unit.building_id,
            "unit": unit.pk,
            "person": occupancy.person_id,
            "occupancy": occupancy.pk,
            "binding": binding.pk,
            "fee_item": item.pk,
            "bill_run": run.pk,
            "bill_line": line.pk,
            # asked for by a clerk, so that the admin and scoped staff may decide it (four eyes)
            "waiver": ledger.waiver_request(line=line, amount=100, reason="维修", by=clerk).pk,
            "deposit": ledger.deposit_hold(unit=unit, amount=1000, purpose="装修押金", method="cash", by=admin).pk,
            "meter": meter.pk,
            "reading": reading.pk,
            "payment": payment.pk,
            "receipt": Receipt.objects.get(payment=payment).pk,
            "online_payment": online.pk,
            "announcement": announcement.pk,
            "notification": Notification.objects.create(recipient=user, kind="announcement", title="你好").pk,
            "membership": Membership.objects.get(user=user, tenant=connection.tenant).pk,
            "bank_collection": _bank_collection(admin),
            "facility": gym.pk,
            "closure": closure,
            "booking": _booking(gym, unit, user),
            "photo": _photo(gym),
            **shop,
            "class": klass.pk,
            "session": session,
            "enrolment": _enrolment(klass, unit, user),
            "teacher": klass.teacher_id,
            "waitlist_entry": _waitlist_entry(gym, unit, user),
            "series": _series(gym, unit, user),
            "suspension": _suspension(unit),
            **_shop_order(unit, user, shop["listing"]),
            **_shop_aftersale(unit, user, shop["listing"]),
            "ticket": (ticket := _ticket(unit, user)),
            "ticket_photo": _ticket_photo(ticket),
            **_gate(unit, user, admin),
            **_renovation(unit, user),
            "complaint": _complaint(unit, user),
            "survey": survey,
        }
    )


def _bank_collection(user: Any) -> int:
    """A pending 银行托收 import uploaded by `user` (the template's example row: not a unit of this world)."""
    return BankCollection.objects.create(
        sha256=uuid.uuid4().hex * 2, file_name="托收结果.csv", data=template_csv(), uploaded_by=user
    ).pk


def build_company(tenant: Any, marker: str, *, second_office: bool) -> Company:
    connection.set_tenant(tenant)
    admin, clerk = _user(tenant, STAFF_ROLES), _user(tenant, ["finance"])
    office, run, item, units = _office(marker, "甲")
    resident, neighbour = _user(tenant, ["resident"]), _user(tenant, ["resident"])
    # estate id → (its gym, a closure of it); ("class", estate id) → (its class, a session): homes of one estate
    # share them
    club: dict[Any, Any] = {}
    places = {
        "mine": _place(units[0], resident, admin, clerk, item=item, run=run, number="1", club=club),
        "neighbour": _place(units[1], neighbour, admin, clerk, item=item, run=run, number="2", club=club),
    }
    users = {"admin": admin, "clerk": clerk, "resident": resident, "neighbour": neighbour}
    office_b = None
    if second_office:
        office_b, run_b, item_b, units_b = _office(marker, "乙")
        users["resident_b"] = _user(tenant, ["resident"])
        places["office_b"] = _place(
            units_b[0], users["resident_b"], admin, clerk, item=item_b, run=run_b, number="3", club=club
        )
    # Company-level objects (not an office's): an invitation and a member.
    from backend.access.services import invitation_create

    invitation, _link = invitation_create(
        email=f"invitee-{tenant.slug}@example.test",
        name="新同事",
        roles=["finance"],
        invited_by=admin,
        portal_base_url="http://example.test",
    )
    for place in places.values():
        place.ids["invitation"] = invitation.pk
    # The marketplace: a merchant that applied to this company for its first estate (its licence is the world's
    # PNG), with a listing this company hid.
    for key, value in _marketplace(tenant, marker, units[0].estate).items():
        for place in places.values():
            place.ids[key] = value
    return Company(
        tenant, marker, places, users, office_a=office.pk, office_b=office_b.pk if office_b is not None else None
    )


def _marketplace(tenant: Any, marker: str, estate: Any) -> dict[str, int]:
    from marketplace.company.models import ListingHide
    from tests.marketplace.factories import make_application, make_listing, make_merchant

    merchant = make_merchant(f"{marker}鲜果坊", licence=DOCUMENT)
    application = make_application(merchant, tenant, estates={estate.pk: estate.name}, categories=["fruit"])
    listing = make_listing(merchant, title=f"{marker}苹果")
    hide = ListingHide.objects.create(listing_id=listing.pk, reason="图片不符")
    from django.utils import timezone

    from marketplace.settlement.models import Statement

    statement = Statement.objects.create(
        code=f"JS202601-{merchant.pk:05d}",
        merchant_id=merchant.pk,
        merchant_name=merchant.name,
        month=dt.date(2026, 1, 1),
        issued_at=timezone.now(),
    )
    return {
        "merchant_application": application.pk,
        "merchant_listing": listing.pk,
        "listing_hide": hide.pk,
        "statement": statement.pk,
        "merchant": merchant.pk,
    }


def write_files(media_root: Path) -> None:
    """The file every binding document and announcement image of the world names: a real 1×1 PNG."""
    from PIL import Image

    path = media_root / DOCUMENT
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (1, 1), "white").save(path, format="PNG")


def personal_objects(company: Company, users: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per caller, objects only they may open: a notification, an import job, and an announcement sent to
    everyone (made after the callers exist, so it reaches them)."""
    to_all = announcement_create(
        title="全体通知", body="x", by=company.users["admin"], scope=EVERYTHING, target_all=True
    )
    Announcement.objects.filter(pk=to_all.pk).update(image=DOCUMENT)
    return {
        caller: {
            "notification": Notification.objects.create(recipient=user, kind="announcement", title="你好").pk,
            "import_job": ImportJob.objects.create(
                kind="units", file="import.xlsx", file_sha256="0" * 64, created_by=user
            ).pk,
            "announcement_to_all": to_all.pk,
            "bank_collection": _bank_collection(user),
        }
        for caller, user in users.items()
    }


def scoped_staff(tenant: Any, office_id: int, roles: list[str] | None = None) -> Any:
    """A member with every staff role whose data scope is one office."""
    return _user(tenant, roles or STAFF_ROLES, scope_all=False, scope_office_ids=[office_id])


def ids_beyond(tenant: Any, floor: int) -> None:
    """Move every id sequence of the company's schema to at least `floor`, so its objects' ids do not exist in
    another company (a 404 on the other domain then proves the lookup is filtered, not a lucky miss)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(format('%%I.%%I', schemaname, sequencename), GREATEST(COALESCE(last_value, 0), %s)) "
            "FROM pg_sequences WHERE schemaname = %s",
            [floor, tenant.schema_name],
        )


@contextlib.contextmanager
def module_world(django_db_blocker: Any) -> Iterator[None]:
    """Open the database and a transaction for a whole test module; roll it back at the end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            connection.set_schema_to_public()
