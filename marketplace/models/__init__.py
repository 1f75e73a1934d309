"""The marketplace's platform-level data (public schema): the category tree, merchants and their users, their
catalogue (goods, services, variants, photos, service slots, monthly specials) and their applications to
companies. What belongs to one company (its category switches and commission rates, listings it hid) lives in
that company's schema: marketplace/company/models.py."""

from .access import MerchantAuditEntry, MerchantToken
from .applications import ApplicationStatus, MerchantApplication
from .catalogue import Listing, ListingKind, ListingPhoto, ListingVariant, ServiceSlot, Special
from .categories import Category
from .merchants import Merchant, MerchantMember, MerchantRole, MerchantStatus
from .notices import MerchantNotice

__all__ = [
    "ApplicationStatus",
    "Category",
    "Listing",
    "ListingKind",
    "ListingPhoto",
    "ListingVariant",
    "Merchant",
    "MerchantApplication",
    "MerchantAuditEntry",
    "MerchantMember",
    "MerchantNotice",
    "MerchantRole",
    "MerchantStatus",
    "ServiceSlot",
    "Special",
    "MerchantToken",
]
