"""Every lookup by id is filtered by what the caller may see: each API operation on one object (rows in
matrix_detail.py) asked for another office's, a neighbour's and another company's object answers 404 and
shows none of it, while the same caller reaches their own object through the same path (so the 404 is the
scope, not a wrong path)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tenants.db import connection
from tests.backend.api.matrix_detail import DETAIL, Detail, Skip
from tests.backend.api.scoped_world import (
    Company,
    build_company,
    ids_beyond,
    module_world,
    personal_objects,
    scoped_staff,
    write_files,
)
from tests.conftest import host_of

WAYS = ("office", "neighbour", "company")
# Where the object asked for lives, per way; the caller's own object is always in "mine" (theirs).
FORBIDDEN_PLACE = {"office": "office_b", "neighbour": "neighbour", "company": "mine"}


@dataclass
class World:
    alpha: Company
    beta: Company
    clients: dict[str, Client]
    own: dict[str, dict[str, int]]
    media_root: Any


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[World]:
    from tenants.models import Tenant

    with module_world(django_db_blocker):
        alpha_tenant, beta_tenant = Tenant.objects.get(slug="alpha"), Tenant.objects.get(slug="beta")
        connection.set_tenant(beta_tenant)
        ids_beyond(beta_tenant, 10_000_000)  # beta's ids exist nowhere in alpha
        beta = build_company(beta_tenant, "贝塔", second_office=False)
        alpha = build_company(alpha_tenant, "阿尔法", second_office=True)
        assert alpha.office_b is not None
        users = {
            "admin": alpha.users["admin"],
            "resident": alpha.users["resident"],
            "scoped_staff": scoped_staff(alpha_tenant, alpha.office_a),
        }
        own = personal_objects(alpha, users)
        clients = {}
        for caller, user in users.items():
            clients[caller] = Client(HTTP_HOST=host_of(alpha_tenant))
            connection.set_tenant(alpha_tenant)
            clients[caller].force_login(user, backend="backend.accounts.backends.EmailOrPhoneBackend")
        connection.set_schema_to_public()
        media_root = tmp_path_factory.mktemp("scope-media")
        write_files(media_root)
        yield World(alpha, beta, clients, own, media_root)


def call(client: Client, method: str, row: Detail, object_id: int) -> Any:
    path = row.path.format(id=object_id)
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, row.body or {}, content_type="application/json")


# The ways that apply (the others are declared Skip with their reason; test_role_matrix.py checks each row
# declares all three).
CASES = [(n, m, w) for (n, m) in sorted(DETAIL) for w in WAYS if not isinstance(getattr(DETAIL[(n, m)], w), Skip)]


def own_object(world: World, caller: str, key: str) -> int:
    """The caller's own object of this kind: personal ones (notifications; for staff, the announcement sent to
    everyone), else the resident's home's."""
    own = world.own[caller]
    if key == "announcement" and caller != "resident":
        return own["announcement_to_all"]
    return own.get(key) or world.alpha.places["mine"][key]


@pytest.mark.parametrize(("name", "method", "way"), CASES, ids=[f"{n}-{m}-{w}" for n, m, w in CASES])
def test_an_object_beyond_the_callers_reach_is_not_found(
    world: World, name: str, method: str, way: str, db: None, settings: Any
) -> None:
    row = DETAIL[(name, method)]
    caller = getattr(row, way)
    settings.MEDIA_ROOT = str(world.media_root)
    client = world.clients[caller]
    company = world.beta if way == "company" else world.alpha
    forbidden = company.places[FORBIDDEN_PLACE[way]][row.key]
    response = call(client, method, row, forbidden)
    assert response.status_code == 404, (caller, response.status_code, response.content[:300])
    body = response.content.decode(errors="replace")
    assert world.beta.name_marker not in body and "乙" not in body  # nothing of beta, nothing of office B
    # The same caller reaches their own object through the same path.
    reached = call(client, method, row, own_object(world, caller, row.key))
    # past the lookup: the object, a refusal of the input, or the payment gateway's answer (502/503)
    assert reached.status_code not in (403, 404, 500), (caller, "own object", reached.content[:300])
