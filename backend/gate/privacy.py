"""The gate's part of a resident's data download and erasure (backend/privacy/registry.py).

Download: the visitor passes they issued (with the gate entries of each) and the parcels of their current
homes. Erasure: passes and entries stay (security's log and its counts) with the visitor's name, phone and
car plate removed (from their audit entries too); a pass still valid is cancelled, so its QR code no longer
opens the gate. Parcels of the homes they lived in that they picked up lose the name given and the
signature (the file is deleted); a parcel still waiting keeps its pickup code (the rest of the household
collects it)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from backend.accounts.models import User
from backend.audit.models import AuditEntry
from backend.privacy.registry import ERASED_NAME, ErasureLog, PrivacyPart, Subject, scrub_json, when
from backend.properties.models import Unit

from .models import GateEntry, Parcel, PassStatus, VisitorPass


def gate_data(user: User, units: list[Unit]) -> dict[str, Any]:
    passes = VisitorPass.objects.filter(issued_by=user).select_related("unit").prefetch_related("gate_entries")
    parcels = Parcel.objects.filter(unit__in=units).select_related("unit").order_by("logged_at", "id")
    return {
        "visitor_passes": [
            {
                "code": p.code,
                "home": str(p.unit),
                "visitor_name": p.visitor_name,
                "visitor_phone": p.visitor_phone,
                "plate": p.plate,
                "valid_from": when(p.valid_from),
                "valid_until": when(p.valid_until),
                "status": p.status,
                "entries": [
                    {"direction": e.direction, "at": when(e.at), "plate": e.plate, "parked_minutes": e.parked_minutes}
                    for e in sorted(p.gate_entries.all(), key=lambda e: (e.at, e.pk))
                ],
            }
            for p in passes.order_by("created_at", "id")
        ],
        "parcels": [
            {
                "home": str(p.unit),
                "carrier": p.carrier,
                "tracking_number": p.tracking_number,
                "shelf": p.shelf,
                "pickup_code": p.pickup_code if p.status == "waiting" else "",
                "status": p.status,
                "logged_at": when(p.logged_at),
                "collected_at": when(p.collected_at),
                "collected_name": p.collected_name,
                "signature_kept": bool(p.signature),
            }
            for p in parcels
        ],
    }


def gate_erase(subject: Subject, log: ErasureLog) -> None:
    passes = VisitorPass.objects.filter(issued_by=subject.user)
    # Their passes' audit entries hold the visitor and the plate as issued ({"visitor": …, "plate": …}).
    visitors = Subject(
        user=subject.user,
        person=None,
        unit_ids=[],
        names={n for n in passes.values_list("visitor_name", flat=True) if n},
        phones={p for row in passes.values_list("visitor_phone", "plate") for p in row if p},
    )
    entries = AuditEntry.objects.filter(
        object_type=VisitorPass._meta.label_lower, object_id__in=[str(pk) for pk in passes.values_list("pk", flat=True)]
    )
    scrub_json(entries, "changes", visitors)
    log.count(
        "gate.visitorpass_cancelled",
        passes.filter(status=PassStatus.ACTIVE).update(status=PassStatus.CANCELLED, cancelled_at=timezone.now()),
    )
    log.count("gate.visitorpass", passes.update(visitor_name=ERASED_NAME, visitor_phone="", plate=""))
    log.count("gate.gateentry", GateEntry.objects.filter(visitor_pass__issued_by=subject.user).update(plate=""))
    parcels = Parcel.objects.filter(unit_id__in=subject.unit_ids, collected_name__in=subject.names)
    log.count("gate.parcel_signatures", log.drop_files(parcels.exclude(signature=""), "signature"))
    log.count("gate.parcel", parcels.update(collected_name=ERASED_NAME, signature=""))


PART = PrivacyPart(
    app="gate",
    collectors={"gate": gate_data},
    erase=gate_erase,
    covers={
        "gate.VisitorPass": frozenset({"issued_by", "unit", "visitor_name", "visitor_phone", "plate"}),
        "gate.GateEntry": frozenset({"plate"}),
        "gate.Parcel": frozenset({"unit", "collected_name", "signature"}),
    },
)
