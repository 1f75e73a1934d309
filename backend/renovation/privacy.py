"""Renovation's part of a resident's data download and erasure (backend/privacy/registry.py).

Download: the applications they made, with the contractor and workers they named, the permit, the money
(deposit, debris fee, what went back or was kept), the inspections and the timeline.
Erasure: the application stays (its deposit and fee are bill lines and a deposit on the home's ledger, and the
permit's history is the estate's), with the applicant's and the contractor's names and phones and the
workers' list removed, and the person's name taken out of the notes; the plans and agreements they uploaded
and the inspection photos of their home are deleted, rows and files. No money row is touched."""

from __future__ import annotations

from typing import Any

from backend.accounts.models import User
from backend.privacy.registry import ERASED_NAME, ErasureLog, PrivacyPart, Subject, scrub_text, when
from backend.properties.models import Unit

from .models import Application, Document, Event, InspectionPhoto, PermitCheck


def renovation_data(user: User, units: list[Unit]) -> list[dict[str, Any]]:
    applications = (
        Application.objects.filter(applicant=user)
        .select_related("unit")
        .prefetch_related("documents", "inspections__photos", "events")
        .order_by("created_at", "id")
    )
    return [
        {
            "code": a.code,
            "home": str(a.unit),
            "applicant_name": a.applicant_name,
            "applicant_phone": a.applicant_phone,
            "scope": a.scope,
            "structural": a.structural,
            "starts_on": when(a.starts_on),
            "ends_on": when(a.ends_on),
            "contractor": {
                "company": a.contractor_company,
                "contact": a.contractor_contact,
                "phone": a.contractor_phone,
                "workers": a.workers,
            },
            "status": a.status,
            "permit_code": a.permit_code,
            "deposit_fen": a.deposit_fen,
            "debris_fee_fen": a.debris_fee_fen,
            "refunded_fen": a.refunded_fen,
            "forfeited_fen": a.forfeited_fen,
            "settle_reason": a.settle_reason,
            "documents": [{"kind": d.kind, "uploaded_at": when(d.created_at)} for d in a.documents.all()],
            "inspections": [
                {
                    "kind": i.kind,
                    "passed": i.passed,
                    "findings": i.findings,
                    "at": when(i.at),
                    "photos": len(i.photos.all()),
                }
                for i in a.inspections.all()
            ],
            "timeline": [{"at": when(e.at), "step": e.kind, "note": e.note} for e in a.events.all()],
            "created_at": when(a.created_at),
        }
        for a in applications
    ]


def renovation_erase(subject: Subject, log: ErasureLog) -> None:
    applications = Application.objects.filter(applicant=subject.user)
    documents = Document.objects.filter(application__in=applications)
    log.count("renovation.document_files", log.drop_files(documents, "file"))
    log.count("renovation.document", documents.delete()[0])
    photos = InspectionPhoto.objects.filter(inspection__application__in=applications)
    log.count("renovation.inspection_photo_files", log.drop_files(photos, "image"))
    log.count("renovation.inspectionphoto", photos.delete()[0])
    scrub_text(applications, ("scope", "desk_note", "engineering_note", "rejection_reason", "settle_reason"), subject)
    scrub_text(Event.objects.filter(application__in=applications), ("note",), subject)
    scrub_text(PermitCheck.objects.filter(application__in=applications), ("reason",), subject)
    log.count(
        "renovation.application",
        applications.update(
            applicant_name=ERASED_NAME,
            applicant_phone="",
            contractor_contact="",
            contractor_phone="",
            workers=[],
        ),
    )


PART = PrivacyPart(
    app="renovation",
    collectors={"renovation": renovation_data},
    erase=renovation_erase,
    covers={
        "renovation.Application": frozenset(
            {
                "applicant",
                "unit",
                "applicant_name",
                "applicant_phone",
                "contractor_contact",
                "contractor_phone",
                "workers",
            }
        ),
        "renovation.Document": frozenset({"file", "uploaded_by"}),
        "renovation.InspectionPhoto": frozenset({"image"}),
        "renovation.Event": frozenset({"note"}),
        "renovation.PermitCheck": frozenset({"reason"}),
    },
)
