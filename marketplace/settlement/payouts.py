"""Paying merchants: finance pays a confirmed statement's amount due, in full, once.

- **Bank transfer** (recorded): finance made the transfer in its bank and records its reference; one
  transaction writes the payout, its ledger entry and the statement's new status. A reference is recorded
  once per company.
- **Stripe Transfer**, where the merchant's payout account has a Stripe Connect account id (the company's
  Stripe account is the platform; mainland-China accounts are not covered by Connect, so this stays
  optional): a payout row SENDING is written first (statement PAYING), Stripe is called with no
  transaction open and the idempotency key `<schema>:payout:<payout id>`, then the answer is applied under
  the statement's lock. Stripe unreachable: the payout stays SENDING and `payout_stripe_send` can be called
  again (the same key: Stripe never makes two transfers). Stripe refused: the payout FAILED with Stripe's
  message, the statement back to CONFIRMED.

Once a merchant has a Stripe Connect account here, finance pays it by Stripe only (the issue: "instead")."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.payments.providers import GatewayRefused, GatewayUnavailable, stripe_provider
from tenants.db import connection

from .models import EntryKind, PayableEntry, Payout, PayoutAccount, PayoutMethod, PayoutStatus, Statement
from .models import StatementStatus as S
from .statements import index_sync

log = logging.getLogger(__name__)

# Atomic blocks the caller of payout_stripe_send may be inside of and still hold no transaction of its own:
# 0 in production; tests running inside pytest-django's per-test transaction set 1.
OUTER_ATOMIC_BLOCKS = 0


def _locked_statement(statement_id: int) -> Statement:
    statement = Statement.objects.select_for_update().filter(pk=statement_id).first()
    if statement is None:
        raise ApplicationError(_("No such statement."), code="not_found", status=404)
    return statement


def _payable(statement: Statement) -> None:
    if statement.status != S.CONFIRMED or statement.due_fen <= 0:
        raise ApplicationError(
            _("Only a statement the merchant confirmed, with an amount due, can be paid."),
            code="invalid_state",
            status=409,
        )


def stripe_account_of(merchant_id: int) -> str:
    return (
        PayoutAccount.objects.filter(merchant_id=merchant_id).values_list("stripe_account_id", flat=True).first() or ""
    )


def _paid(statement: Statement, payout: Payout) -> None:
    now = timezone.now()
    payout.status = PayoutStatus.PAID
    payout.paid_at = now
    payout.save(update_fields=["status", "paid_at", "reference"])
    PayableEntry.objects.create(
        merchant_id=statement.merchant_id,
        kind=EntryKind.PAYOUT,
        amount_fen=payout.amount_fen,
        payout=payout,
        occurred_at=now,
    )
    statement.status = S.PAID
    statement.paid_at = now
    statement.save(update_fields=["status", "paid_at"])
    index_sync(statement)
    audit_record(
        action="settlement.payout",
        target=payout,
        changes={
            "statement": statement.pk,
            "amount_fen": payout.amount_fen,
            "method": payout.method,
            "reference": payout.reference,
        },
    )


def payout_record_bank(*, statement_id: int, reference: str, by: User | None) -> Payout:
    """Record the bank transfer that paid the statement (its reference from the bank's receipt)."""
    reference = reference.strip()
    if not reference:
        raise ApplicationError.for_fields({"reference": [_("Enter the bank transfer's reference.")]})
    try:
        with transaction.atomic():
            statement = _locked_statement(statement_id)
            _payable(statement)
            if stripe_account_of(statement.merchant_id):
                raise ApplicationError(
                    _("This merchant is paid by Stripe Transfer (its payout account has a Stripe account)."),
                    code="pay_by_stripe",
                    status=409,
                )
            payout = Payout.objects.create(
                statement=statement,
                merchant_id=statement.merchant_id,
                amount_fen=statement.due_fen,
                method=PayoutMethod.BANK_TRANSFER,
                status=PayoutStatus.SENDING,
                reference=reference,
                created_by=by,
            )
            _paid(statement, payout)
    except IntegrityError as exc:
        raise ApplicationError.for_fields({"reference": [_("This transfer reference is recorded already.")]}) from exc
    return payout


def payout_stripe_start(*, statement_id: int, by: User | None) -> Payout:
    """The payout row first (statement PAYING), in its own transaction; Stripe is called after it commits."""
    with transaction.atomic():
        statement = _locked_statement(statement_id)
        _payable(statement)
        account = stripe_account_of(statement.merchant_id)
        if not account:
            raise ApplicationError(
                _("This merchant has no Stripe Connect account: record a bank transfer."),
                code="no_stripe_account",
                status=409,
            )
        payout = Payout.objects.create(
            statement=statement,
            merchant_id=statement.merchant_id,
            amount_fen=statement.due_fen,
            method=PayoutMethod.STRIPE_TRANSFER,
            status=PayoutStatus.SENDING,
            destination=account,
            created_by=by,
        )
        statement.status = S.PAYING
        statement.save(update_fields=["status"])
        index_sync(statement)
    return payout


def _transfer_create(payout: Payout, statement: Statement) -> Any:
    provider = stripe_provider()
    return provider._call(
        provider.client.v1.transfers.create,
        params={
            "amount": payout.amount_fen,
            "currency": "cny",
            "destination": payout.destination,
            "transfer_group": statement.code,
            "description": f"{statement.code} {statement.merchant_name}",
            "metadata": {
                "tenant": connection.schema_name,
                "statement": str(statement.pk),
                "payout": str(payout.pk),
            },
        },
        options={"idempotency_key": payout.idempotency_key(connection.schema_name)},
    )


def payout_stripe_send(payout_id: int) -> Payout:
    """Send a SENDING Stripe payout (no transaction may be open) and apply the answer."""
    if len(transaction.get_connection().atomic_blocks) > OUTER_ATOMIC_BLOCKS:
        raise RuntimeError("Stripe is never called inside a database transaction")
    payout = Payout.objects.select_related("statement").get(pk=payout_id)
    if payout.status != PayoutStatus.SENDING or payout.method != PayoutMethod.STRIPE_TRANSFER:
        return payout
    try:
        transfer = _transfer_create(payout, payout.statement)
    except GatewayUnavailable:
        log.warning("settlement: payout %s not sent (Stripe unreachable); it can be sent again", payout_id)
        raise
    except GatewayRefused as exc:
        with transaction.atomic():
            statement = _locked_statement(payout.statement_id)
            payout = Payout.objects.select_for_update().get(pk=payout_id)
            if payout.status == PayoutStatus.SENDING:
                payout.status = PayoutStatus.FAILED
                payout.failure = exc.message[:300]
                payout.save(update_fields=["status", "failure"])
                statement.status = S.CONFIRMED
                statement.save(update_fields=["status"])
                index_sync(statement)
                audit_record(action="settlement.payout_failed", target=payout, changes={"failure": payout.failure})
        return payout
    data = transfer.to_dict() if hasattr(transfer, "to_dict") else dict(transfer)
    with transaction.atomic():
        statement = _locked_statement(payout.statement_id)
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status != PayoutStatus.SENDING:
            return payout
        if int(data.get("amount") or 0) != payout.amount_fen or data.get("destination") != payout.destination:
            log.error("settlement: Stripe's transfer %s does not match payout %s", data.get("id"), payout_id)
            raise ApplicationError(_("Stripe's answer does not match the payout."), code="gateway_mismatch", status=502)
        payout.reference = str(data["id"])
        _paid(statement, payout)
    return payout


def payout_stripe(*, statement_id: int, by: User | None) -> Payout:
    """Pay the statement by Stripe Transfer: the row, then Stripe, then the answer (three steps, no
    transaction open around Stripe)."""
    payout = payout_stripe_start(statement_id=statement_id, by=by)
    return payout_stripe_send(payout.pk)


def payouts_sending_retry(limit: int = 50) -> int:
    """Stripe payouts left SENDING (Stripe unreachable, a worker that died) are sent again, same key."""
    ids = list(
        Payout.objects.filter(status=PayoutStatus.SENDING, method=PayoutMethod.STRIPE_TRANSFER).values_list(
            "pk", flat=True
        )[:limit]
    )
    for pk in ids:
        try:
            payout_stripe_send(pk)
        except ApplicationError as exc:
            log.warning("settlement: payout %s still not sent: %s", pk, exc.code)
    return len(ids)


def payout_account_set(*, merchant_id: int, values: dict[str, str], by: User | None) -> PayoutAccount:
    stripe_id = (values.get("stripe_account_id") or "").strip()
    if stripe_id and not stripe_id.startswith("acct_"):
        raise ApplicationError.for_fields({"stripe_account_id": [_("A Stripe account id starts with acct_.")]})
    with transaction.atomic():
        account, _created = PayoutAccount.objects.select_for_update().get_or_create(merchant_id=merchant_id)
        before = {"stripe_account_id": account.stripe_account_id, "account": account.account_masked}
        account.bank_name = (values.get("bank_name") or "").strip()[:80]
        account.account_name = (values.get("account_name") or "").strip()[:100]
        account.account_number = (values.get("account_number") or "").strip()[:40]
        account.stripe_account_id = stripe_id
        account.updated_by = by
        account.save()
        audit_record(
            action="settlement.payout_account",
            target=account,
            changes={"before": before, "after": {"stripe_account_id": stripe_id, "account": account.account_masked}},
        )
    return account
