"""Erasure (删除个人信息, PIPL art. 47): a resident asks, the company's admin processes.

Processing, in one transaction:
- what the ledger and the accounts must keep is kept and anonymised: the person record (occupancies point at
  it), payers' names on payments and deposits, contacts on repair tickets, complaints and shop orders, guests
  on bookings, the actor and object names in the audit log. No ledger row is touched, so every unit's balance stays;
- the rest is deleted: notifications (and their deliveries), preferences, announcement receipts, sessions,
  API tokens, the cart, waitlist places, binding requests' document files, and the membership;
- the account itself (public schema) is anonymised too when the person belongs to no other company and works
  for no merchant: e-mail to a placeholder, phone cleared, name 已注销用户, unusable password, inactive.
Calls to other services (deleting the Stripe customer) come first, with no transaction open and no lock
held. Then every app part's eraser (backend/privacy/parts.py: online payment and the Stripe customer, shop
after-sale, satisfaction ratings and surveys, the gate, renovation) runs in the same transaction; files
are deleted from storage once it commits. Everything is audited (counts only, and what could not be done
with why)."""

from __future__ import annotations

import logging

from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.access.models import ApiToken
from backend.accounts.models import Membership, User
from backend.audit.models import AuditEntry
from backend.audit.services import audit_record
from backend.billing.models import Deposit, DunningContact, Payment
from backend.club.models import Booking, BookingSeries, Enrolment, WaitlistEntry
from backend.desk.complaint_models import Complaint
from backend.desk.models import Ticket
from backend.errors import ApplicationError
from backend.notifications.models import AnnouncementRecipient, Notification, NotificationPreference, QuietHours
from backend.properties.models import BindingRequest, Person
from marketplace.orders.models import Cart, Order
from marketplace.selectors_merchant import merchant_is_user
from tenants.db import connection

from .models import ErasureRequest
from .parts import PARTS
from .registry import ERASED_NAME, ErasureLog, Subject, scrub_json, scrub_text

logger = logging.getLogger(__name__)

__all__ = ["ERASED_NAME", "erasure_process", "erasure_request_create"]


def erased_email(user_id: int) -> str:
    return f"erased-{user_id}@erased.invalid"


def erasure_request_create(*, user: User, reason: str = "") -> ErasureRequest:
    """The resident asks for their data here to be erased (one pending request at a time)."""
    if not Membership.objects.filter(user=user, tenant=connection.tenant, is_active=True).exists():
        raise ApplicationError(_("Not found."), status=404)
    try:
        with transaction.atomic():
            request = ErasureRequest.objects.create(user=user, requested_name=user.name[:60], reason=reason[:300])
            audit_record(action="privacy.erasure_requested", target=request)
    except IntegrityError as exc:
        raise ApplicationError(
            _("Your erasure request is already with the company."), code="erasure_pending", status=400
        ) from exc
    return request


def _session_keys_of(user_id: int) -> list[str]:
    keys = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            keys.append(session.session_key)
    return keys


def erasure_process(*, request_id: int, by: User) -> ErasureRequest:
    """Erase the requester's personal data in this company (see the module docstring)."""
    log = ErasureLog()
    # Calls to other services first, with no transaction open and no lock held (a pending request only).
    waiting = ErasureRequest.objects.filter(pk=request_id, status=ErasureRequest.Status.PENDING).first()
    if waiting is not None:
        account = User.objects.get(pk=waiting.user_id)
        for part in PARTS:
            if part.outside is not None:
                part.outside(account, log)
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise ApplicationError(_("Not found."), status=404)
        if request.status != ErasureRequest.Status.PENDING:
            raise ApplicationError(_("This request has been processed already."), code="erasure_done")
        user = User.objects.select_for_update().get(pk=request.user_id)
        names = {n for n in (user.name, request.requested_name) if n}
        phones = {p for p in (user.phone,) if p}
        person = Person.objects.select_for_update().filter(user=user).first()
        if person is not None:
            names.add(person.name)
            if person.phone:
                phones.add(person.phone)
        unit_ids = list(person.occupancies.values_list("unit_id", flat=True)) if person is not None else []
        subject = Subject(user=user, person=person, unit_ids=unit_ids, names=names, phones=phones)
        counts = log.counts

        # The apps' parts first: they find rows by the names and phones before those are anonymised below.
        for part in PARTS:
            if part.erase is not None:
                part.erase(subject, log)

        # Kept for the ledger and the records, anonymised.
        if person is not None:
            person.name, person.phone, person.id_number, person.birthday = ERASED_NAME, "", "", None
            person.search_text, person.user = "", None
            person.save()
            counts["person"] = 1
            for model in (Payment, Deposit):
                counts[model._meta.label_lower] = model.objects.filter(
                    unit_id__in=unit_ids, payer_name__in=names
                ).update(payer_name=ERASED_NAME)
            counts["billing.dunningcontact"] = DunningContact.objects.filter(
                unit_id__in=unit_ids, contact_name__in=names
            ).update(contact_name=ERASED_NAME)
        counts["desk.ticket"] = Ticket.objects.filter(
            Q(reporter=user) | Q(contact_phone__in=phones) if phones else Q(reporter=user)
        ).update(contact_name=ERASED_NAME, contact_phone="")
        counts["desk.complaint"] = Complaint.objects.filter(
            Q(complainant=user) | Q(contact_phone__in=phones) if phones else Q(complainant=user)
        ).update(contact_name=ERASED_NAME, contact_phone="")
        counts["orders.order"] = Order.objects.filter(user=user).update(
            contact_name=ERASED_NAME, contact_phone="", note=""
        )
        counts["club.booking"] = Booking.objects.filter(user=user).update(guest_name="", guest_phone="")
        BookingSeries.objects.filter(user=user).update(guest_name="", guest_phone="")
        counts["club.enrolment"] = Enrolment.objects.filter(user=user).update(participant="")
        counts["audit.auditentry"] = AuditEntry.objects.filter(user_id=user.pk).update(user_name=ERASED_NAME)
        # Entries naming the person ("业主1 @ 1201 (owner)", a parcel's pickup {"name": …}): the name is replaced,
        # the rest stays; the same in what others were told ("picked up by …" to the household).
        scrub_text(AuditEntry.objects.all(), ("object_repr",), subject)
        scrub_json(AuditEntry.objects.all(), "changes", subject)
        scrub_text(Notification.objects.exclude(recipient=user), ("title", "body"), subject)

        # Deleted.
        log.drop_files(BindingRequest.objects.filter(user=user).exclude(document=""), "document")
        counts["binding_documents"] = BindingRequest.objects.filter(user=user).exclude(document="").update(document="")
        counts["notifications"] = Notification.objects.filter(recipient=user).delete()[0]
        NotificationPreference.objects.filter(user=user).delete()
        QuietHours.objects.filter(user=user).delete()
        AnnouncementRecipient.objects.filter(user=user).delete()
        WaitlistEntry.objects.filter(user=user).delete()
        Cart.objects.filter(user=user).delete()
        counts["api_tokens"] = ApiToken.objects.filter(user=user).delete()[0]
        session_keys = _session_keys_of(user.pk)
        counts["sessions"] = Session.objects.filter(session_key__in=session_keys).delete()[0]
        counts["membership"] = Membership.objects.filter(user=user, tenant=connection.tenant).delete()[0]

        # The account, when nobody else needs it.
        elsewhere = Membership.objects.filter(user=user).exclude(tenant=connection.tenant).exists()
        account_erased = not elsewhere and not merchant_is_user(user_id=user.pk)
        if account_erased:
            user.email, user.phone, user.name, user.is_active = erased_email(user.pk), None, ERASED_NAME, False
            user.set_unusable_password()
            user.save(update_fields=["email", "phone", "name", "is_active", "password"])
        counts["account_erased"] = int(account_erased)

        request.status = ErasureRequest.Status.DONE
        request.requested_name = ERASED_NAME
        request.reason = ""
        request.processed_at = timezone.now()
        request.processed_by = by
        request.summary = {**counts, **({"not_done": log.not_done} if log.not_done else {})}
        request.save()
        audit_record(action="privacy.erasure_processed", target=request, changes=request.summary)

        def after_commit() -> None:
            from backend.accounts.sessions import SessionStore

            for key in session_keys:
                SessionStore(session_key=key).delete(key)  # the cached copy too
            for storage, name in log.files:
                try:
                    storage.delete(name)
                except OSError:
                    logger.warning("could not delete an erased file %s", name, exc_info=True)

        transaction.on_commit(after_commit)
    return request
