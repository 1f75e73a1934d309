"""API tokens: their last use is remembered at most once a minute; housekeeping drops the expired ones and
invitations dead for 90 days, and nothing else."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.access.models import ApiToken, Invitation
from backend.access.services import access_expired_remove, api_token_issue, api_token_used


def test_a_tokens_last_use_is_written_at_most_once_a_minute(in_tenant_a, member):
    token, _raw = api_token_issue(user=member(in_tenant_a, ["finance"]))
    first = timezone.now()
    api_token_used(token=token, now=first)
    token.refresh_from_db()
    assert token.last_used_at == first
    api_token_used(token=token, now=first + dt.timedelta(seconds=30))
    token.refresh_from_db()
    assert token.last_used_at == first
    later = first + dt.timedelta(seconds=61)
    api_token_used(token=token, now=later)
    token.refresh_from_db()
    assert token.last_used_at == later


def test_housekeeping_drops_expired_tokens_and_long_dead_invitations_only(in_tenant_a, member):
    admin = member(in_tenant_a, ["company_admin"])
    now = timezone.now()
    live, _raw = api_token_issue(user=admin)
    expired, _raw = api_token_issue(user=admin)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=now - dt.timedelta(seconds=1))

    def invitation(email: str, expired_days_ago: int, accepted: bool = False) -> Invitation:
        return Invitation.objects.create(
            email=email,
            roles=["finance"],
            token_hash=email,
            invited_by=admin,
            expires_at=now - dt.timedelta(days=expired_days_ago),
            accepted_at=now if accepted else None,
        )

    dead = invitation("dead@example.test", 91)
    recent = invitation("recent@example.test", 10)
    accepted = invitation("accepted@example.test", 91, accepted=True)
    assert access_expired_remove(now=now) == {"invitations": 1, "tokens": 1}
    assert set(ApiToken.objects.filter(user=admin).values_list("pk", flat=True)) == {live.pk}
    assert set(Invitation.objects.filter(invited_by=admin).values_list("pk", flat=True)) == {recent.pk, accepted.pk}
    assert not Invitation.objects.filter(pk=dead.pk).exists()
