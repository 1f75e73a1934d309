"""The data download (个人信息副本, PIPL art. 45): everything this company holds about one resident, as JSON.

One collector per section, each `(user, units) -> JSON-ready value`, listed in COLLECTORS under the key it
fills: the ones below, then every app part's (backend/privacy/parts.py; a new app adds its `privacy.PART`).
`units` are the resident's current homes: bills and payments are the home's account, so a home the
resident has left is no longer theirs to download. Runs in the company's schema (the request's); reads
only rows that name the user, their person record, or their current homes."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from backend.accounts.models import Membership, PrivacyConsent, User
from backend.billing.models import BillLine, Deposit, Payment
from backend.club.models import Booking, Enrolment
from backend.desk.complaint_models import Complaint
from backend.desk.models import Ticket
from backend.notifications.models import Notification
from backend.properties.models import BindingRequest, Occupancy, Person, Unit
from backend.properties.selectors import resident_units
from marketplace.orders.models import Order
from tenants.db import connection

from .parts import PARTS
from .registry import Collector
from .registry import when as _when


def profile_data(user: User, units: list[Unit]) -> dict[str, Any]:
    membership = Membership.objects.filter(user=user, tenant=connection.tenant).first()
    person = Person.objects.filter(user=user).first()
    return {
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "date_joined": _when(user.date_joined),
        "roles": list(membership.roles) if membership else [],
        "person": None
        if person is None
        else {
            "name": person.name,
            "phone": person.phone,
            "id_number": person.id_number,
            "birthday": _when(person.birthday),
        },
    }


def homes_data(user: User, units: list[Unit]) -> dict[str, Any]:
    occupancies = Occupancy.objects.filter(person__user=user).select_related("unit").order_by("start_date", "id")
    bindings = BindingRequest.objects.filter(user=user).select_related("unit").order_by("created_at", "id")
    return {
        "units": [{"id": u.pk, "label": str(u), "area_m2": str(u.area)} for u in units],
        "occupancies": [
            {
                "unit": str(o.unit),
                "role": o.role,
                "moved_in": _when(o.start_date),
                "moved_out": _when(o.end_date),
            }
            for o in occupancies
        ],
        "binding_requests": [
            {
                "unit": str(b.unit),
                "relation": b.relation,
                "status": b.status,
                "document_sent": bool(b.document),
                "requested_at": _when(b.created_at),
                "decided_at": _when(b.decided_at),
            }
            for b in bindings
        ],
    }


def billing_data(user: User, units: list[Unit]) -> dict[str, Any]:
    lines = (
        BillLine.objects.filter(unit__in=units)
        .select_related("fee_item", "unit")
        .order_by("unit_id", "period_start", "id")
    )
    payments = Payment.objects.filter(unit__in=units).select_related("unit").order_by("unit_id", "received_at", "id")
    deposits = Deposit.objects.filter(unit__in=units).select_related("unit").order_by("unit_id", "received_at", "id")
    return {
        "bills": [
            {
                "unit": str(line.unit),
                "item": line.fee_item.name,
                "kind": line.kind,
                "period_start": _when(line.period_start),
                "period_end": _when(line.period_end),
                "due_date": _when(line.due_date),
                "amount_fen": line.amount,
                "outstanding_fen": line.outstanding,
                "currency": line.currency,
            }
            for line in lines
        ],
        "payments": [
            {
                "unit": str(p.unit),
                "amount_fen": p.amount,
                "currency": p.currency,
                "method": p.method,
                "channel": p.channel,
                "reference": p.reference,
                "payer_name": p.payer_name,
                "received_at": _when(p.received_at),
            }
            for p in payments
        ],
        "deposits": [
            {
                "unit": str(d.unit),
                "purpose": d.purpose,
                "amount_fen": d.amount,
                "payer_name": d.payer_name,
                "received_at": _when(d.received_at),
            }
            for d in deposits
        ],
    }


def club_data(user: User, units: list[Unit]) -> dict[str, Any]:
    bookings = Booking.objects.filter(user=user).select_related("facility").order_by("starts_at", "id")
    enrolments = Enrolment.objects.filter(user=user).select_related("training_class").order_by("id")
    return {
        "bookings": [
            {
                "facility": b.facility.name,
                "starts_at": _when(b.starts_at),
                "ends_at": _when(b.ends_at),
                "party_size": b.party_size,
                "status": b.status,
                "price_fen": b.price_fen,
                "deposit_fen": b.deposit_fen,
            }
            for b in bookings
        ],
        "class_enrolments": [
            {
                "class": str(e.training_class),
                "participant": e.participant,
                "status": e.status,
                "price_fen": e.price_fen,
            }
            for e in enrolments
        ],
    }


def shop_data(user: User, units: list[Unit]) -> list[dict[str, Any]]:
    orders = Order.objects.filter(user=user).prefetch_related("lines").order_by("created_at", "id")
    return [
        {
            "code": o.code,
            "merchant": o.merchant_name,
            "contact_name": o.contact_name,
            "contact_phone": o.contact_phone,
            "home": o.unit_label,
            "note": o.note,
            "status": o.status,
            "total_fen": o.total_fen,
            "refunded_fen": o.refunded_fen,
            "created_at": _when(o.created_at),
            "lines": [
                {
                    "title": line.title,
                    "variant": line.variant_name,
                    "quantity": line.quantity,
                    "amount_fen": line.amount_fen,
                }
                for line in o.lines.all()
            ],
        }
        for o in orders
    ]


def desk_data(user: User, units: list[Unit]) -> list[dict[str, Any]]:
    tickets = Ticket.objects.filter(reporter=user).select_related("category").order_by("created_at", "id")
    return [
        {
            "code": t.code,
            "category": t.category.name,
            "location": t.location,
            "description": t.description,
            "contact_name": t.contact_name,
            "contact_phone": t.contact_phone,
            "status": t.status,
            "created_at": _when(t.created_at),
        }
        for t in tickets
    ]


def complaints_data(user: User, units: list[Unit]) -> list[dict[str, Any]]:
    complaints = Complaint.objects.filter(complainant=user).order_by("created_at", "id")
    return [
        {
            "code": c.code,
            "cause": c.cause,
            "location": c.location,
            "description": c.description,
            "wanted": c.wanted,
            "contact_name": c.contact_name,
            "contact_phone": c.contact_phone,
            "status": c.status,
            "created_at": _when(c.created_at),
        }
        for c in complaints
    ]


def notifications_data(user: User, units: list[Unit]) -> list[dict[str, Any]]:
    return [
        {
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "created_at": _when(n.created_at),
            "read_at": _when(n.read_at),
        }
        for n in Notification.objects.filter(recipient=user).order_by("id")
    ]


def consents_data(user: User, units: list[Unit]) -> list[dict[str, Any]]:
    # This company's and the platform's (none) only: a consent given at another company's sign-up is theirs.
    consents = PrivacyConsent.objects.filter(Q(tenant=connection.tenant) | Q(tenant__isnull=True), user=user)
    return [
        {"policy_version": c.policy_version, "accepted_at": _when(c.accepted_at), "ip": c.ip, "channel": c.channel}
        for c in consents.order_by("accepted_at", "id")
    ]


COLLECTORS: dict[str, Collector] = {
    "profile": profile_data,
    "homes": homes_data,
    "billing": billing_data,
    "club": club_data,
    "shop_orders": shop_data,
    "repair_tickets": desk_data,
    "complaints": complaints_data,
    "notifications": notifications_data,
    "consents": consents_data,
}
for _part in PARTS:
    COLLECTORS.update(_part.collectors)


def personal_data_collect(*, user: User) -> dict[str, Any]:
    """The whole download for `user` in the current company."""
    units = list(resident_units(user_id=user.pk))
    data: dict[str, Any] = {
        "company": connection.tenant.name,
        "generated_at": timezone.now().isoformat(),
    }
    for key, collector in COLLECTORS.items():
        data[key] = collector(user, units)
    return data
