"""Role-matrix rows for the company's marketplace endpoints (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed). Ids that do not exist (0) and invalid input keep an allowed caller
at a 404 / 400, so nothing is decided."""

from __future__ import annotations

from typing import Any

VETTERS = {"company_admin", "customer_service"}  # perms.MARKETPLACE_MANAGE

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    # The residents' shop (marketplace/api_shop.py).
    "shop-listings": ("get", "/api/v1/shop/listings/", None, {"resident"}),
    "shop-listing": ("get", "/api/v1/shop/listings/0/", {}, {"resident"}),
    "shop-merchant": ("get", "/api/v1/shop/merchants/0/", {}, {"resident"}),
    # Shop orders (marketplace/orders/api.py).
    "shop-cart": ("get", "/api/v1/shop/cart/", None, {"resident"}),
    "shop-cart-add": ("post", "/api/v1/shop/cart/", {"listing": 0}, {"resident"}),
    "shop-checkout": ("post", "/api/v1/shop/checkout/", {"unit": 0}, {"resident"}),
    "shop-orders": ("get", "/api/v1/shop/orders/", None, {"resident"}),
    # Shop after-sale (marketplace/orders/api_aftersale.py).
    "shop-refunds": ("get", "/api/v1/shop/refunds/", None, {"resident"}),
    "shop-complaints": ("get", "/api/v1/shop/complaints/", None, {"resident"}),
    "shop-complaints-create": ("post", "/api/v1/shop/complaints/", {"merchant": 0}, {"resident"}),
    "marketplace-refunds": ("get", "/api/v1/marketplace/refunds/", None, VETTERS),
    "marketplace-complaints": ("get", "/api/v1/marketplace/complaints/", None, VETTERS),
    "marketplace-applications": ("get", "/api/v1/marketplace/applications/", None, VETTERS),
    "marketplace-application": ("get", "/api/v1/marketplace/applications/0/", {}, VETTERS),
    "marketplace-application-approve": (
        "post",
        "/api/v1/marketplace/applications/0/approve/",
        {"estate_ids": [1], "category_codes": ["fruit"]},
        VETTERS,
    ),
    "marketplace-application-reject": ("post", "/api/v1/marketplace/applications/0/reject/", {"reason": "x"}, VETTERS),
    "marketplace-application-suspend": (
        "post",
        "/api/v1/marketplace/applications/0/suspend/",
        {"reason": "x"},
        VETTERS,
    ),
    "marketplace-application-resume": ("post", "/api/v1/marketplace/applications/0/resume/", {}, VETTERS),
    "marketplace-application-licence": ("get", "/api/v1/marketplace/applications/0/licence/", {}, VETTERS),
    "marketplace-categories": ("get", "/api/v1/marketplace/categories/", None, VETTERS),
    "marketplace-category": ("get", "/api/v1/marketplace/categories/no-such-category/", {}, VETTERS),
    "marketplace-category-update": (
        "patch",
        "/api/v1/marketplace/categories/no-such-category/",
        {"enabled": False},
        VETTERS,
    ),
    "marketplace-listings": ("get", "/api/v1/marketplace/listings/", None, VETTERS),
    "marketplace-listing-hides": ("get", "/api/v1/marketplace/listing-hides/", None, VETTERS),
    "marketplace-listing-hides-create": (
        "post",
        "/api/v1/marketplace/listing-hides/",
        {"listing": 0, "reason": "x"},
        VETTERS,
    ),
    "marketplace-listing-hide-delete": ("delete", "/api/v1/marketplace/listing-hides/0/", {}, VETTERS),
}
