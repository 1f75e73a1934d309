"""The per-merchant index of shop orders (public schema): which company holds which of a merchant's orders, its
status and totals, so the merchant portal can list its orders across companies and then read each one in its
company's schema. No personal data here (no names, units or phones): those stay in the company's schema."""

from __future__ import annotations

from django.db import models


class MerchantOrder(models.Model):
    merchant = models.ForeignKey("marketplace.Merchant", on_delete=models.CASCADE, related_name="order_index")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    order_id = models.BigIntegerField()
    code = models.CharField(max_length=20)
    status = models.CharField(max_length=16)
    total_fen = models.PositiveIntegerField()
    commission_fen = models.PositiveIntegerField(default=0)
    paid_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-paid_at", "-id"]
        indexes = [models.Index(fields=["merchant", "status", "-paid_at"], name="merchant_order_board")]
        constraints = [models.UniqueConstraint(fields=["tenant", "order_id"], name="merchant_order_once")]

    def __str__(self) -> str:
        return f"{self.code} ({self.tenant_id}/{self.order_id})"
