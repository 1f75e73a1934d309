"""Every app's part of the data download and the erasure (backend/privacy/registry.py), in download order
after the sections of personal_data.py. A new app with personal data adds its `privacy.PART` here."""

from __future__ import annotations

from backend.desk.privacy import PART as DESK
from backend.gate.privacy import PART as GATE
from backend.payments.privacy import PART as PAYMENTS
from backend.renovation.privacy import PART as RENOVATION
from marketplace.orders.privacy import PART as SHOP_AFTERSALE

from .registry import PrivacyPart

PARTS: tuple[PrivacyPart, ...] = (PAYMENTS, SHOP_AFTERSALE, DESK, GATE, RENOVATION)
