"""The per-merchant index of settlement statements (public schema): which company holds which of a merchant's
statements, with its month, status and totals, so the merchant portal can list its statements across companies
and then read each one in its company's schema (as marketplace.orders_index does for orders)."""

from __future__ import annotations

from django.db import models


class MerchantStatement(models.Model):
    merchant = models.ForeignKey("marketplace.Merchant", on_delete=models.CASCADE, related_name="statement_index")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    statement_id = models.BigIntegerField()
    code = models.CharField(max_length=40)
    month = models.DateField()
    status = models.CharField(max_length=12)
    net_fen = models.IntegerField(default=0)
    commission_fen = models.IntegerField(default=0)
    due_fen = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "-id"]
        indexes = [models.Index(fields=["merchant", "-month"], name="merchant_statement_list")]
        constraints = [models.UniqueConstraint(fields=["tenant", "statement_id"], name="merchant_statement_once")]

    def __str__(self) -> str:
        return f"{self.code} ({self.tenant_id}/{self.statement_id})"
