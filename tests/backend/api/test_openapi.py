"""What the company API's OpenAPI schema promises, checked against the schema a company domain serves and
against real answers: every error in the one error shape and documented where it can happen, paged lists
documented as pages, and the shapes the schema once got wrong (found by tests/backend/api/test_fuzz.py)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from backend.billing import services as billing
from backend.billing.models import LateFeeMode
from backend.notifications.models import QuietHours
from backend.properties import services as registry
from backend.properties.scope import Scope

HOST = "alpha.localhost"
OPEN_OPERATIONS = {("post", "/api/v1/auth/token/"), ("post", "/api/v1/residents/signup/")}
PAGED_LISTS = [
    "/api/v1/offices/",
    "/api/v1/units/",
    "/api/v1/people/",
    "/api/v1/occupancies/",
    "/api/v1/members/",
    "/api/v1/invitations/",
    "/api/v1/audit-log/",
    "/api/v1/announcements/",
    "/api/v1/meters/",
    "/api/v1/readings/",
    "/api/v1/dunning-contacts/",
    "/api/v1/bills/",
]


@pytest.fixture(scope="module")
def company_schema(django_db_setup: None, django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json", HTTP_HOST=HOST)
    assert response.status_code == 200
    return response.json()


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def component(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def ok_body(schema: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    responses = schema["paths"][path][method]["responses"]
    ok = next(code for code in responses if code.startswith("2"))
    return component(schema, responses[ok]["content"]["application/json"]["schema"])


def test_every_error_answer_is_documented_in_the_error_shape(company_schema: dict[str, Any]) -> None:
    error = company_schema["components"]["schemas"]["Error"]
    detail = component(company_schema, error["properties"]["error"])
    assert error["required"] == ["error"] and set(detail["required"]) == {"code", "message", "fields"}
    for method, path, operation in operations(company_schema):
        for code, response in operation["responses"].items():
            if int(code) >= 400:
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (
                    method,
                    path,
                    code,
                )
                assert response["description"], (method, path, code)


def test_member_operations_document_401_and_403_and_open_ones_do_not(company_schema: dict[str, Any]) -> None:
    for method, path, operation in operations(company_schema):
        documented = set(operation["responses"])
        if (method, path) in OPEN_OPERATIONS:
            assert "401" not in documented, (method, path)
        else:
            assert {"401", "403"} <= documented, (method, path)


def test_input_and_lookups_document_400_and_404(company_schema: dict[str, Any]) -> None:
    for method, path, operation in operations(company_schema):
        documented = set(operation["responses"])
        if method in ("post", "put", "patch") or any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert "400" in documented, (method, path)
        if "{" in path:
            assert "404" in documented, (method, path)
    # Ids in a body that the caller may not see are answered 404 (the registry's services), so it is documented.
    assert "404" in company_schema["paths"]["/api/v1/buildings/"]["post"]["responses"]
    assert "404" not in company_schema["paths"]["/api/v1/offices/"]["post"]["responses"]


def test_rate_limited_sign_in_documents_429_with_retry_after(company_schema: dict[str, Any]) -> None:
    responses = company_schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert {"400", "403", "429"} <= set(responses)
    assert "Retry-After" in responses["429"]["headers"]


@pytest.mark.parametrize("path", PAGED_LISTS)
def test_paged_lists_are_documented_as_pages(company_schema: dict[str, Any], path: str) -> None:
    page = ok_body(company_schema, path)
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    assert page["properties"]["results"]["type"] == "array"
    operation = company_schema["paths"][path]["get"]
    assert {"page", "page_size"} <= {p["name"] for p in operation["parameters"]}
    assert "404" in operation["responses"]  # a page past the end


def test_a_paged_list_answers_with_the_documented_page(
    company_schema: dict[str, Any], tenant_a: Any, member: Any, client_for: Any
) -> None:
    admin = member(tenant_a, ["company_admin"])
    client = client_for(tenant_a, admin)
    body = client.get("/api/v1/offices/?page_size=1").json()
    assert set(ok_body(company_schema, "/api/v1/offices/")["properties"]) == set(body)
    beyond = client.get("/api/v1/offices/?page=999")
    assert beyond.status_code == 404 and beyond.json()["error"]["code"] == "not_found"


def test_the_inbox_documents_its_unread_count_next_to_the_page(
    company_schema: dict[str, Any], tenant_a: Any, member: Any, client_for: Any
) -> None:
    body = client_for(tenant_a, member(tenant_a, ["resident"])).get("/api/v1/notifications/").json()
    assert set(ok_body(company_schema, "/api/v1/notifications/")["properties"]) == set(body)


def test_a_blank_read_only_choice_is_documented_as_allowed(
    company_schema: dict[str, Any], in_tenant_a: Any, member: Any, client_for: Any
) -> None:
    everything = Scope.everything()
    office = registry.office_create(name="枚举管理处", scope=everything)
    item = billing.fee_item_create(
        office=office,
        scope=everything,
        code="flat",
        name="垃圾清运费",
        category="garbage",
        method="fixed",
        cycle="monthly",
        late_fee_mode=LateFeeMode.OFF,
    )
    body = client_for(in_tenant_a, member(in_tenant_a, ["finance"])).get(f"/api/v1/fee-items/{item.pk}/").json()
    assert body["meter_kind"] == ""
    documented = ok_body(company_schema, "/api/v1/fee-items/{id}/")["properties"]["meter_kind"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in documented["oneOf"]
    assert company_schema["components"]["schemas"]["BlankEnum"]["enum"] == [""]


def test_times_of_day_are_documented_as_the_api_writes_them(
    company_schema: dict[str, Any], tenant_a: Any, member: Any, client_for: Any
) -> None:
    user = member(tenant_a, ["resident"])
    connection.set_tenant(tenant_a)
    QuietHours.objects.create(user_id=user.pk, start=dt.time(22, 0), end=dt.time(7, 30))
    body = client_for(tenant_a, user).get("/api/v1/notifications/preferences/").json()
    documented = company_schema["components"]["schemas"]["PreferencesIO"]["properties"]["quiet_start"]
    assert "format" not in documented  # JSON Schema's `time` needs a UTC offset these never carry
    assert re.fullmatch(documented["pattern"], body["quiet_start"]) and body["quiet_start"] == "22:00:00"


def test_occupancy_roles_are_documented_apart_from_member_roles(company_schema: dict[str, Any]) -> None:
    role = company_schema["components"]["schemas"]["OccupancyOut"]["properties"]["role"]
    assert component(company_schema, role["allOf"][0])["enum"] == ["owner", "tenant", "member"]
    assert "tenant" not in company_schema["components"]["schemas"]["RoleEnum"]["enum"]


@pytest.mark.parametrize(
    ("path", "method", "fields"),
    [
        ("/api/v1/search/", "get", {"results"}),
        ("/api/v1/units/bulk-update/", "post", {"updated"}),
        ("/api/v1/people/{id}/reveal/", "post", {"id_number", "phone"}),
        ("/api/v1/notifications/unread-count/", "get", {"unread"}),
        ("/api/v1/notifications/read-all/", "post", {"marked_read"}),
        ("/api/v1/announcements/{id}/read/", "post", {"read"}),
    ],
)
def test_answers_with_a_body_document_it(company_schema: dict[str, Any], path: str, method: str, fields: set) -> None:
    assert set(ok_body(company_schema, path, method)["properties"]) == fields


def test_search_answers_with_the_documented_object(
    company_schema: dict[str, Any], tenant_a: Any, member: Any, client_for: Any
) -> None:
    body = client_for(tenant_a, member(tenant_a, ["customer_service"])).get("/api/v1/search/?q=1").json()
    assert set(body) == {"results"} and isinstance(body["results"], list)


def test_deciding_a_binding_request_twice_is_the_documented_409(
    company_schema: dict[str, Any], in_tenant_a: Any, member: Any, client_for: Any
) -> None:
    everything = Scope.everything()
    office = registry.office_create(name="绑定管理处", scope=everything)
    estate = registry.estate_create(office_id=office.pk, name="绑定花园", scope=everything)
    building = registry.building_create(estate_id=estate.pk, name="1栋", scope=everything)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="80", scope=everything
    )
    resident = member(in_tenant_a, ["resident"])
    connection.set_tenant(in_tenant_a)
    binding = registry.binding_request_create(user=resident, unit_id=building.units.get().pk, relation="owner")
    client = client_for(in_tenant_a, member(in_tenant_a, ["customer_service"]))
    assert client.post(f"/api/v1/binding-requests/{binding.pk}/approve/", {}, "application/json").status_code == 200
    for action in ("approve", "reject"):
        again = client.post(f"/api/v1/binding-requests/{binding.pk}/{action}/", {"note": "重复"}, "application/json")
        assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"
        assert "409" in company_schema["paths"][f"/api/v1/binding-requests/{{id}}/{action}/"]["post"]["responses"]


def test_resident_sign_up_closed_by_the_company_is_the_documented_403(
    company_schema: dict[str, Any], in_tenant_a: Any, client_for: Any
) -> None:
    from backend.accounts.models import User
    from tenants.company.selectors import company_settings_get

    settings = company_settings_get()
    settings.resident_self_signup = False
    settings.save()
    response = client_for(in_tenant_a).post(
        "/api/v1/residents/signup/",
        {"name": "新住户", "phone": "13912345678", "password": "Signup-2026-ok"},
        content_type="application/json",
    )
    assert response.status_code == 403 and set(response.json()["error"]) == {"code", "message", "fields"}
    assert not User.objects.filter(phone="13912345678").exists()
    assert "403" in company_schema["paths"]["/api/v1/residents/signup/"]["post"]["responses"]
