"""Deny by default: every endpoint × every kind of caller. A new endpoint goes into ENDPOINTS."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest

from backend.api.urls import tenant_urlpatterns
from tests.backend.api.matrix_detail import DETAIL, Skip

# Who asks in the detail rows (tests/backend/api/test_object_scope.py signs them in).
DETAIL_CALLERS = {"scoped_staff", "resident", "admin"}

STAFF = {"company_admin", "finance", "customer_service", "engineer", "security"}
WRITERS = {"company_admin", "customer_service"}
ENDPOINTS = {
    # name: (method, path, body, roles allowed)
    "me": (
        "get",
        "/api/v1/me/",
        None,
        {"company_admin", "finance", "customer_service", "engineer", "security", "resident"},
    ),
    "me-data": ("get", "/api/v1/me/data/", None, {"resident"}),
    "me-erasure-request": ("post", "/api/v1/me/erasure-request/", {"confirm": False}, {"resident"}),
    "members": ("get", "/api/v1/members/", None, {"company_admin"}),
    "invitations-list": ("get", "/api/v1/invitations/", None, {"company_admin"}),
    "invitations-create": (
        "post",
        "/api/v1/invitations/",
        {"email": "m@example.test", "roles": ["finance"]},
        {"company_admin"},
    ),
    "audit-log": ("get", "/api/v1/audit-log/", None, {"company_admin"}),
    "notifications": (
        "get",
        "/api/v1/notifications/",
        None,
        {"company_admin", "finance", "customer_service", "engineer", "security", "resident"},
    ),
    "notifications-read-all": (
        "post",
        "/api/v1/notifications/read-all/",
        {},
        {"company_admin", "finance", "customer_service", "engineer", "security", "resident"},
    ),
    "offices": ("get", "/api/v1/offices/", None, STAFF),
    "offices-create": ("post", "/api/v1/offices/", {"name": "矩阵管理处"}, {"company_admin"}),
    "estates": ("get", "/api/v1/estates/", None, STAFF),
    "estates-create": ("post", "/api/v1/estates/", {"office": 0, "name": "x"}, WRITERS),
    "buildings": ("get", "/api/v1/buildings/", None, STAFF),
    "buildings-create": ("post", "/api/v1/buildings/", {"estate": 0, "name": "x"}, WRITERS),
    "units": ("get", "/api/v1/units/", None, STAFF | {"resident"}),
    "units-bulk-update": ("post", "/api/v1/units/bulk-update/", {"unit_ids": [0], "status": "vacant"}, WRITERS),
    "people": ("get", "/api/v1/people/", None, STAFF),
    "people-create": ("post", "/api/v1/people/", {"name": "矩阵"}, WRITERS),
    "occupancies": ("get", "/api/v1/occupancies/", None, STAFF),
    "occupancies-create": (
        "post",
        "/api/v1/occupancies/",
        {"unit": 0, "person": 0, "role": "owner", "start_date": "2026-01-01"},
        WRITERS,
    ),
    "binding-requests": ("get", "/api/v1/binding-requests/", None, STAFF | {"resident"}),
    "binding-requests-create": ("post", "/api/v1/binding-requests/", {"unit": 0, "relation": "owner"}, {"resident"}),
    "parking-spaces": ("get", "/api/v1/parking-spaces/", None, STAFF),
    "parking-spaces-create": ("post", "/api/v1/parking-spaces/", {"estate": 0, "number": "x"}, WRITERS),
    "search": ("get", "/api/v1/search/?q=12", None, STAFF),
    "unread-count": ("get", "/api/v1/notifications/unread-count/", None, STAFF | {"resident"}),
    "preferences": ("get", "/api/v1/notifications/preferences/", None, STAFF | {"resident"}),
    "announcements": ("get", "/api/v1/announcements/", None, STAFF | {"resident"}),
    "announcements-create": ("post", "/api/v1/announcements/", {}, WRITERS),
}
for _module in ("setup", "meters", "dunning", "reports", "resident"):
    ENDPOINTS.update(importlib.import_module(f"tests.backend.billing.matrix_{_module}").ROWS)
ENDPOINTS.update(importlib.import_module("tests.backend.payments.matrix_payments").ROWS)
ENDPOINTS.update(importlib.import_module("tests.backend.club.matrix_club").ROWS)
ENDPOINTS.update(importlib.import_module("tests.backend.club.matrix_classes").ROWS)
ENDPOINTS.update(importlib.import_module("tests.backend.desk.matrix_desk").ROWS)
ENDPOINTS.update(importlib.import_module("tests.backend.gate.matrix_gate").ROWS)
ENDPOINTS.update(importlib.import_module("tests.backend.renovation.matrix_renovation").ROWS)
ENDPOINTS.update(importlib.import_module("tests.backend.desk.matrix_complaints").ROWS)
ENDPOINTS.update(importlib.import_module("tests.marketplace.company.matrix_marketplace").ROWS)
ENDPOINTS.update(importlib.import_module("tests.marketplace.settlement.matrix_settlement").ROWS)
ENDPOINTS.update(importlib.import_module("tests.marketplace.groupbuy.matrix_groupbuy").ROWS)
# Allowed callers get past the permission check; some rows then fail on purpose at validation or lookup
# (ids that do not exist), which still proves the role was let in.
ALLOWED_STATUSES = {200, 201, 400, 404}
ROLES = ["company_admin", "finance", "customer_service", "engineer", "security", "resident"]
CALLERS = ["anonymous", "member_of_other_company", *ROLES]


def operations(pattern: Any) -> list[str]:
    """The HTTP methods a pattern's view answers (besides OPTIONS)."""
    view = pattern.callback.view_class
    return [m for m in view.http_method_names if m not in ("options", "head", "trace") and hasattr(view, m)]


def test_every_protected_tenant_endpoint_is_in_the_matrix():
    open_endpoints = {"api-token", "api-resident-signup", "api-schema", "api-docs"}
    matrix_paths = {path.split("?")[0] for _m, path, _b, _r in ENDPOINTS.values()}
    detail_operations = set()
    for pattern in tenant_urlpatterns:
        if pattern.name in open_endpoints:
            continue
        route = str(pattern.pattern)
        if "<" not in route:
            assert f"/{route}" in matrix_paths, f"{route} needs a row in the role matrix"
            continue
        # An operation on one object: asked for another office's, a neighbour's and another company's object.
        for method in operations(pattern):
            detail_operations.add((pattern.name, method))
            row = DETAIL.get((pattern.name, method))
            assert row is not None, f"{method.upper()} {route} needs a row in tests/backend/api/matrix_detail.py"
            assert row.path == "/" + re.sub(r"<[^>]+>", "{id}", route), (pattern.name, row.path)
            for way in ("office", "neighbour", "company"):
                who = getattr(row, way)
                assert (isinstance(who, Skip) and who.reason) or who in DETAIL_CALLERS, (pattern.name, method, way)
    assert set(DETAIL) == detail_operations, f"rows for no operation: {sorted(set(DETAIL) - detail_operations)}"


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("caller", CALLERS)
def test_role_matrix(tenant_a, tenant_b, member, client_for, endpoint, caller):
    method, path, body, allowed = ENDPOINTS[endpoint]
    if caller == "anonymous":
        client = client_for(tenant_a)
    elif caller == "member_of_other_company":
        client = client_for(tenant_a)
        # signed in on B with every role; presents B's session cookie to A
        other = member(tenant_b, ROLES)
        cookie_client = client_for(tenant_b, other)
        client.cookies["sessionid"] = cookie_client.cookies["sessionid"].value
    else:
        client = client_for(tenant_a, member(tenant_a, [caller]))
    kwargs = {"content_type": "application/json", "data": body} if body is not None else {}
    response = getattr(client, method)(path, **kwargs)
    if caller in allowed:
        assert response.status_code in ALLOWED_STATUSES, (caller, endpoint, response.content[:300])
        if body is None:
            assert response.status_code == 200, (caller, endpoint, response.content[:300])
    else:
        expected = {401} if caller in ("anonymous", "member_of_other_company") else {403}
        assert response.status_code in expected, (caller, endpoint, response.status_code)
        assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_a_view_that_names_no_roles_is_closed(rf, tenant_a, member):
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class Forgotten(APIView):
        def get(self, request):
            return Response({"secret": 1})

    request = rf.get("/x/", HTTP_HOST="alpha.localhost")
    request.tenant = tenant_a
    user = member(tenant_a, ROLES)
    request.user = user
    from backend.accounts.services import membership_get_active

    request.membership = membership_get_active(user=user, tenant=tenant_a)
    request._dont_enforce_csrf_checks = True
    from rest_framework.test import force_authenticate

    force_authenticate(request, user=user)
    assert Forgotten.as_view()(request).status_code == 403
