"""Every model that holds a person is either in the data download and the erasure or exempted with a reason:
a new app (or a new field) that keeps a user, a person record, an uploaded file or a personal field (a name,
a phone, a car plate, an address, ...) fails here until it adds a privacy part (backend/privacy/parts.py) or
an exemption saying why not (backend/privacy/coverage.py)."""

from __future__ import annotations

import re

from django.apps import apps
from django.conf import settings
from django.db import models

from backend.privacy.coverage import CORE_COVERS, EXEMPT
from backend.privacy.parts import PARTS
from backend.privacy.personal_data import COLLECTORS

PERSON_MODELS = {settings.AUTH_USER_MODEL, "properties.Person", "properties.Occupancy"}
PERSONAL_NAME = re.compile(
    r"(^|_)(phone|plate|email|id_number|birthday|signature|participant|workers|address|ip|contact)$"
    r"|(contact|guest|visitor|payer|applicant|collected|requested|user|account|person|holder|driver)_(name|phone)$"
)
PROJECT = ("backend.", "marketplace.", "tenants.")


def personal_fields(model: type[models.Model]) -> set[str]:
    found = set()
    for f in model._meta.get_fields():
        if not getattr(f, "concrete", False) or f.auto_created and not f.concrete:
            continue
        if f.is_relation and f.related_model is not None:
            if f.related_model._meta.label in PERSON_MODELS:
                found.add(f.name)
        elif isinstance(f, models.FileField) or PERSONAL_NAME.search(f.name):
            found.add(f.name)
    return found


def covered() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {label: set(fields) for label, fields in CORE_COVERS.items()}
    for part in PARTS:
        for label, fields in part.covers.items():
            out.setdefault(label, set()).update(fields)
    return out


def project_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith(PROJECT)]


def test_every_personal_field_is_downloaded_and_erased_or_exempted_with_a_reason():
    cover = covered()
    missing = []
    for model in project_models():
        label = model._meta.label
        if label in EXEMPT:
            continue
        for name in sorted(personal_fields(model)):
            if name not in cover.get(label, set()) and f"{label}.{name}" not in EXEMPT:
                missing.append(f"{label}.{name}")
    assert not missing, (
        "personal data neither in a privacy part (backend/privacy/parts.py) nor exempted with a reason "
        f"(backend/privacy/coverage.py EXEMPT): {missing}"
    )


def test_the_registry_names_only_what_exists():
    """No stale entry: every covered or exempted model and field is real, every reason is given, no model is
    both covered and exempted whole."""
    fields_of = {m._meta.label: {f.name for f in m._meta.get_fields()} for m in project_models()}
    wrong = []
    for label, names in covered().items():
        wrong += [f"{label}.{n}" for n in names if n not in fields_of.get(label, set())]
    for key, reason in EXEMPT.items():
        parts = key.split(".")
        label, name = ".".join(parts[:2]), ".".join(parts[2:])
        if label not in fields_of or (name and name not in fields_of[label]):
            wrong.append(key)
        if len(reason.strip()) < 10:
            wrong.append(f"{key}: no reason")
        if not name and label in covered():
            wrong.append(f"{key}: covered and exempted")
    assert not wrong, wrong


def test_every_part_fills_its_own_sections():
    keys = [key for part in PARTS for key in part.collectors]
    assert len(keys) == len(set(keys)), "two parts fill one section"
    assert set(keys) <= set(COLLECTORS)
    assert all(part.erase is not None for part in PARTS if part.covers)


def test_the_detector_sees_the_kinds_of_personal_data():
    """So that a change to the rules above cannot quietly make the first test pass on everything."""
    from backend.gate.models import Parcel, VisitorPass
    from backend.payments.models import StripeCustomer
    from backend.properties.models import Occupancy, Person

    assert {"issued_by", "visitor_name", "visitor_phone", "plate"} <= personal_fields(VisitorPass)
    assert {"collected_name", "signature", "logged_by"} <= personal_fields(Parcel)
    assert {"user", "phone", "id_number", "birthday"} <= personal_fields(Person)
    assert "person" in personal_fields(Occupancy) and "user" in personal_fields(StripeCustomer)


def test_the_api_documents_every_section():
    from backend.privacy.api import PersonalDataOut

    assert set(PersonalDataOut().fields) == {"company", "generated_at", *COLLECTORS}
