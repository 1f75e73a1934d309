"""What the data download and the erasure cover outside the apps' parts, and what they leave, with why.

CORE_COVERS: the models and fields backend/privacy/personal_data.py downloads and erasure.py erases or
anonymises itself (the apps' own parts declare theirs: backend/privacy/parts.py). EXEMPT: a model (``label``)
or a field (``label.field``) that holds a user, a file or a personal-looking field and is deliberately left
out, with the reason. tests/backend/privacy/test_registry.py fails on anything in neither."""

from __future__ import annotations

CORE_COVERS: dict[str, frozenset[str]] = {
    "accounts.User": frozenset({"email", "phone", "name"}),
    "accounts.Membership": frozenset({"user"}),
    "accounts.PrivacyConsent": frozenset({"user"}),
    "access.ApiToken": frozenset({"user"}),
    "audit.AuditEntry": frozenset({"user_name"}),
    "notifications.Notification": frozenset({"recipient"}),
    "notifications.NotificationPreference": frozenset({"user", "email"}),
    "notifications.Delivery": frozenset({"address"}),
    "notifications.QuietHours": frozenset({"user"}),
    "notifications.AnnouncementRecipient": frozenset({"user"}),
    "properties.Person": frozenset({"user", "name", "phone", "id_number", "birthday"}),
    "properties.Occupancy": frozenset({"person"}),
    "properties.BindingRequest": frozenset({"user", "document"}),
    "billing.Payment": frozenset({"payer_name"}),
    "billing.Deposit": frozenset({"payer_name"}),
    "billing.DunningContact": frozenset({"contact_name"}),
    "club.Booking": frozenset({"user", "guest_name", "guest_phone"}),
    "club.BookingSeries": frozenset({"user", "guest_name", "guest_phone"}),
    "club.Enrolment": frozenset({"user", "participant"}),
    "club.WaitlistEntry": frozenset({"user"}),
    "desk.Ticket": frozenset({"reporter", "contact_name", "contact_phone"}),
    "desk.Complaint": frozenset({"complainant", "contact_name", "contact_phone"}),
    "marketplace_orders.Order": frozenset({"user", "contact_name", "contact_phone"}),
    "marketplace_orders.Cart": frozenset({"user"}),
    "privacy.ErasureRequest": frozenset({"user", "requested_name"}),
}

# Who took a step (staff mostly; sometimes the resident, e.g. a booking they cancelled): only an account id,
# kept as the record's actor. The erased account itself reads 已注销用户, so nothing personal is left here.
ACTOR = "who took the step: an account id only, the record's actor; an erased account reads 已注销用户"
ACTOR_FIELDS = (
    "marketplace.MerchantApplication.decided_by",
    "access.Invitation.accepted_by",
    "access.Invitation.invited_by",
    "notifications.Announcement.created_by",
    "properties.BindingRequest.decided_by",
    "properties.ImportJob.created_by",
    "billing.FeeStandard.created_by",
    "billing.BillRun.created_by",
    "billing.BillLine.created_by",
    "billing.DunningContact.staff",
    "billing.Payment.recorded_by",
    "billing.Deposit.recorded_by",
    "billing.LedgerEntry.approved_by",
    "billing.LedgerEntry.created_by",
    "billing.WaiverRequest.decided_by",
    "billing.WaiverRequest.requested_by",
    "billing.MeterReading.entered_by",
    "billing.MeterReading.reviewed_by",
    "payments.Receipt.voided_by",
    "payments.Refund.requested_by",
    "payments.DayClose.cashier",
    "payments.DayClose.closed_by",
    "payments.BankCollection.applied_by",
    "payments.BankCollection.uploaded_by",
    "club.Closure.created_by",
    "club.BookingSeries.created_by",
    "club.Booking.approved_by",
    "club.Booking.cancelled_by",
    "club.Booking.checked_in_by",
    "club.Booking.created_by",
    "club.Booking.desk_paid_by",
    "club.BookingSuspension.created_by",
    "club.BookingSuspension.lifted_by",
    "club.TrainingClass.created_by",
    "club.Attendance.marked_by",
    "desk.Ticket.assignee",
    "desk.TicketEvent.by",
    "desk.Complaint.handler",
    "desk.ComplaintEvent.by",
    "desk.Survey.created_by",
    "gate.GateEntry.by",
    "gate.Parcel.handed_over_by",
    "gate.Parcel.logged_by",
    "renovation.Application.desk_by",
    "renovation.Application.engineering_by",
    "renovation.Application.settled_by",
    "renovation.Inspection.by",
    "renovation.Event.by",
    "renovation.PermitCheck.by",
    "privacy.ErasureRequest.processed_by",
    "marketplace_company.CategorySetting.updated_by",
    "marketplace_company.ListingHide.hidden_by",
    "marketplace_orders.RefundRequest.company_decided_by",
    "marketplace_orders.RefundRequest.merchant_decided_by",
    "marketplace_orders.Review.replied_by",
    "marketplace_orders.Complaint.decided_by",
    "marketplace_orders.Complaint.taken_by",
    "marketplace_settlement.Payout.created_by",
    "marketplace_settlement.PayoutAccount.updated_by",
)

EXEMPT: dict[str, str] = {
    **dict.fromkeys(ACTOR_FIELDS, ACTOR),
    # The platform (public schema): not a resident's data in a company.
    "tenants.SupportGrant.operator": "the platform operator given support access: staff of the platform",
    "accounts.LoginHandoff.user": "a one-time sign-in ticket that expires in minutes; an erased account is "
    "inactive and cannot use one",
    "accounts.PrivacyConsent.ip": "the consent record is the proof the processing was consented to (PIPL art. "
    "14): kept whole, in the download",
    "audit.AuditEntry.ip": "the security log's client address, kept for the log's period (the name is anonymised)",
    "access.Invitation.email": "a staff invitation: staff, not residents",
    # Merchants are businesses, their people are merchant staff (the marketplace's own data).
    "marketplace.Merchant.address": "a business's address",
    "marketplace.Merchant.contact_name": "a business's contact, given by the merchant",
    "marketplace.Merchant.contact_phone": "a business's contact, given by the merchant",
    "marketplace.Merchant.licence": "a business licence",
    "marketplace.MerchantMember.user": "merchant staff; an account that works for a merchant is not closed "
    "by a company's erasure",
    "marketplace.MerchantAuditEntry.ip": "the merchant's security log (merchant staff)",
    "marketplace.MerchantAuditEntry.user_name": "the merchant's security log (merchant staff)",
    "marketplace.ListingPhoto.image": "a merchant's product photo",
    # A group-buy place: only the account id, beside the resident's order, which the download and erasure
    # cover with the shop orders (personal_data.py, erasure.py); an erased account reads 已注销用户.
    "marketplace_groupbuy.DealJoin.user": "a group-buy place: the account id, beside its order (covered)",
    "marketplace_settlement.PayoutAccount.account_name": "a merchant's bank account for payouts",
    # The company's own and its estates' data.
    "company.CompanySettings.service_phone": "the company's service line",
    "properties.ManagementOffice.address": "an office's address",
    "properties.ManagementOffice.phone": "an office's phone",
    "properties.Estate.address": "an estate's address",
    "notifications.Announcement.image": "the company's announcement picture",
    "properties.ImportJob.file": "a staff upload of the unit register (its rows become persons, covered)",
    "club.FacilityPhoto.image": "a photo of a facility",
    "club.Teacher.user": "a class teacher: works for the company (staff), not a resident",
    "club.Teacher.phone": "a class teacher: works for the company (staff), not a resident",
    # Records the company must keep, with no personal field of their own.
    "billing.ReminderLog.user": "a payment reminder sent (the dunning ladder counts them): an account id and an amount",
}
