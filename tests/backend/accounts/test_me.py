"""GET /api/v1/me/ writes its JSON directly (accounts/api.py `me_json`); MeOut stays the documented shape,
and the two must agree."""

from __future__ import annotations

from typing import Any

from backend.accounts.api import MeOut, me_body, me_json
from backend.accounts.models import Membership
from tests.factories import MemberFactory


def test_me_json_is_what_the_documented_serializer_gives(tenant_a: Any, member: Any) -> None:
    people = [
        member(tenant_a, ["finance", "customer_service"], phone="13912345678"),
        member(tenant_a, ["resident"], email=None, phone="13800000001"),
    ]
    scoped = MemberFactory(tenant=tenant_a, roles=["engineer"], scope_all=False)
    Membership.objects.filter(pk=scoped.pk).update(scope_office_ids=[3, 7], scope_estate_ids=[11])
    people.append(scoped.user)
    for user in people:
        membership = Membership.objects.get(user=user, tenant=tenant_a)
        expected = MeOut(me_body(user=user, membership=membership, tenant=tenant_a)).data
        assert me_json(user=user, membership=membership, tenant=tenant_a) == expected


def test_get_me_answers_the_documented_fields(tenant_a: Any, member: Any, client_for: Any) -> None:
    user = member(tenant_a, ["finance"], phone="13912345679")
    body = client_for(tenant_a, user).get("/api/v1/me/").json()
    assert body == {
        "id": user.pk,
        "name": user.name,
        "email": user.email,
        "phone": "13912345679",
        "tenant": tenant_a.slug,
        "roles": ["finance"],
        "membership": {"roles": ["finance"], "scope_all": True, "scope_office_ids": [], "scope_estate_ids": []},
    }
