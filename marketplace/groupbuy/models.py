"""Group-buy (团购) deals, in the company's schema. A merchant offers one of its listings at a group price to
the residents of the company's estates that may see the listing, for at least `min_participants` and at most
`max_participants` residents, until a deadline. Each resident joins with a shop order of one item at that
price, paid through the existing flow; the order is held back from the merchant (marketplace/orders/holds.py)
until the deal succeeds.

`joined` counts the places taken (joins whose order is awaiting payment or paid), guarded by a CHECK and taken
by a conditional UPDATE, so the maximum is never exceeded; a join whose order expired or was cancelled gives
its place back once (its state leaves `joined`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import pgettext_lazy


class DealState(models.TextChoices):
    OPEN = "open", pgettext_lazy("group-buy", "Open")
    SUCCEEDED = "succeeded", pgettext_lazy("group-buy", "Succeeded")
    FAILED = "failed", pgettext_lazy("group-buy", "Failed (refunded)")


class Deal(models.Model):
    merchant_id = models.BigIntegerField(db_index=True)
    merchant_name = models.CharField(max_length=100)
    listing_id = models.BigIntegerField(db_index=True)
    title = models.CharField(max_length=80)
    regular_price_fen = models.PositiveIntegerField()
    group_price_fen = models.PositiveIntegerField()
    min_participants = models.PositiveSmallIntegerField()
    max_participants = models.PositiveSmallIntegerField()
    deadline = models.DateTimeField()
    state = models.CharField(max_length=10, choices=DealState.choices, default=DealState.OPEN)
    joined = models.PositiveSmallIntegerField(default=0)
    # Paid participants when it was decided (its outcome's figure).
    participants = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["state", "deadline"], name="groupbuy_deal_due")]
        constraints = [
            models.CheckConstraint(condition=Q(min_participants__gte=1), name="groupbuy_min_at_least_one"),
            models.CheckConstraint(
                condition=Q(max_participants__gte=F("min_participants")), name="groupbuy_max_at_least_min"
            ),
            models.CheckConstraint(condition=Q(joined__lte=F("max_participants")), name="groupbuy_joined_at_most_max"),
            models.CheckConstraint(condition=Q(group_price_fen__gt=0), name="groupbuy_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.state})"


class JoinState(models.TextChoices):
    JOINED = "joined", pgettext_lazy("group-buy", "Joined")
    HANDED = "handed", pgettext_lazy("group-buy", "Sent to the merchant")
    REFUNDED = "refunded", pgettext_lazy("group-buy", "Refunded (the deal failed)")
    LAPSED = "lapsed", pgettext_lazy("group-buy", "Left (not paid in time, or cancelled)")


HOLDING = (JoinState.JOINED, JoinState.HANDED)


class DealJoin(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="joins")
    order = models.OneToOneField("marketplace_orders.Order", on_delete=models.PROTECT, related_name="deal_join")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    state = models.CharField(max_length=10, choices=JoinState.choices, default=JoinState.JOINED)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One place per resident and deal (another once the first lapsed).
            models.UniqueConstraint(
                fields=["deal", "user"], condition=Q(state__in=["joined", "handed"]), name="groupbuy_join_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in deal {self.deal_id} ({self.state})"
