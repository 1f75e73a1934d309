"""Merchants for the merchant-side tests: an owner made through the sign-up service (so with a real licence
file through backend.uploads), clerks, API clients with merchant tokens, portal clients signed in on the
platform domain, and estates in the two test companies."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from PIL import Image

from backend.properties import services as registry
from backend.properties.scope import Scope
from backend.uploads.kinds import MERCHANT_LICENCE, PRODUCT_PHOTO
from backend.uploads.validation import upload_accept
from marketplace.merchants import licence_check_character, merchant_clerk_add, merchant_sign_up, merchant_token_issue
from marketplace.models import MerchantMember

PASSWORD = "Shop-pass-2026!"
PLATFORM = "localhost"
_serial = itertools.count(1)


def licence_number(n: int | None = None) -> str:
    """A well-formed 统一社会信用代码 (its check character computed)."""
    body = f"91310000MA{(n if n is not None else next(_serial)) % 10_000_000:07d}"
    return body + licence_check_character(body)


def image_bytes(
    fmt: str = "PNG", size: tuple[int, int] = (40, 30), color: tuple[int, int, int] = (200, 80, 40)
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def image_upload(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(), content_type="image/png")


def accepted_photo() -> Any:
    return upload_accept(kind=PRODUCT_PHOTO, upload=io.BytesIO(image_bytes()))


def signup_fields(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    fields: dict[str, Any] = {
        "name": f"鲜果坊{n}",
        "licence_number": licence_number(n),
        "licence": upload_accept(kind=MERCHANT_LICENCE, upload=io.BytesIO(image_bytes("JPEG"))),
        "contact_name": "王经理",
        "contact_phone": "13800138000",
        "address": "阳光路1号",
        "service_area": "阳光花园周边1公里",
        "description": "",
        "category_codes": ["fruit"],
        "owner_name": "王老板",
        "owner_email": f"shop{n}@merchant.test",
        "owner_phone": "",
        "owner_password": PASSWORD,
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def owner(db: None) -> Callable[..., MerchantMember]:
    """owner(**signup overrides) -> the owner MerchantMember of a new merchant, signed up through the service."""

    def make(**overrides: Any) -> MerchantMember:
        return merchant_sign_up(**signup_fields(**overrides))

    return make


@pytest.fixture
def clerk_of(db: None) -> Callable[[MerchantMember], MerchantMember]:
    def make(owner_member: MerchantMember) -> MerchantMember:
        n = next(_serial)
        return merchant_clerk_add(
            member=owner_member, name=f"店员{n}", email=f"clerk{n}@merchant.test", phone="", password=PASSWORD
        )

    return make


@pytest.fixture
def api_for() -> Callable[[MerchantMember], Client]:
    """api_for(member) -> a client on the platform domain carrying that member's merchant token."""

    def make(member: MerchantMember) -> Client:
        _token, raw = merchant_token_issue(member=member)
        return Client(HTTP_HOST=PLATFORM, HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


@pytest.fixture
def portal_for() -> Callable[[MerchantMember], Client]:
    """portal_for(member) -> a client on the platform domain signed in as that member's user."""

    def make(member: MerchantMember) -> Client:
        client = Client(HTTP_HOST=PLATFORM)
        connection.set_schema_to_public()
        client.force_login(member.user, backend="backend.accounts.backends.EmailOrPhoneBackend")
        return client

    return make


@pytest.fixture
def estates(tenant_a: Any, tenant_b: Any) -> dict[str, Any]:
    """Two estates of company A (阳光花园, 翠湖苑) and one of company B (滨江一号), as {name: Estate}."""
    everything = Scope.everything()
    made = {}
    for tenant, names in ((tenant_a, ["阳光花园", "翠湖苑"]), (tenant_b, ["滨江一号"])):
        connection.set_tenant(tenant)
        office = registry.office_create(name=f"{tenant.slug}管理处", scope=everything)
        for name in names:
            made[name] = registry.estate_create(office_id=office.pk, name=name, scope=everything)
    connection.set_schema_to_public()
    return made
