"""Beat's schedule: one entry per periodic job. backend/celery_beat.py turns each into one dispatcher entry that a
worker fans out to the active companies (an entry marked "public": True runs once, in the public schema)."""

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Once, in the public schema: companies past their deletion date go (backend/operations/deletion.py).
    "support-access-expire": {
        "task": "backend.operations.tasks.support_access_expire",
        "schedule": 60,
        "public": True,
    },
    "companies-delete-due": {
        "task": "backend.operations.tasks.companies_delete_due",
        "schedule": crontab(minute=17, hour=3),
        "public": True,
    },
    "announcements-publish-due": {
        "task": "backend.notifications.tasks.announcements_publish_due",
        "schedule": 60,
    },
    "greetings": {
        "task": "backend.notifications.tasks.greetings_send",
        "schedule": crontab(hour=8, minute=30),
    },
    # Every company, every night: drop expired invitations and API tokens past their lifetime.
    # Billing: the month's bill run on each company's billing day (checked daily), late fees once a day,
    # the reminder ladder hourly (it only sends inside the company's allowed hours).
    "billing-scheduled-run": {
        "task": "backend.billing.tasks.bill_run_scheduled",
        "schedule": crontab(hour=2, minute=0),
    },
    "billing-late-fees": {
        "task": "backend.billing.tasks_dunning.late_fees_accrue_daily",
        "schedule": crontab(hour=1, minute=30),
    },
    "billing-reminders": {
        "task": "backend.billing.tasks_dunning.reminders_send",
        "schedule": crontab(minute=5),
    },
    "billing-promise-reminders": {
        "task": "backend.billing.tasks_dunning.promise_reminders_send",
        "schedule": crontab(hour=9, minute=0),
    },
    # Payments: online payments whose webhook never came are re-checked against Stripe.
    "payments-recheck": {
        "task": "backend.payments.tasks.online_payments_recheck",
        "schedule": 60 * 10,
    },
    # ...webhook events that failed to process, or whose worker died, are tried again (at most 6 times)...
    "payments-webhook-retry": {
        "task": "backend.payments.tasks.webhook_events_retry",
        "schedule": 60 * 10,
    },
    # ...and refunds whose result was never recorded (a crash after Stripe was asked) are reconciled.
    "payments-refunds-recheck": {
        "task": "backend.payments.tasks.refunds_recheck",
        "schedule": 60 * 10,
    },
    # Shop orders: unpaid ones past SHOP_ORDER_PAY_MINUTES expire; delivered ones complete by themselves.
    "shop-orders-expire": {
        "task": "marketplace.orders.tasks.shop_orders_expire",
        "schedule": 60,
    },
    "shop-orders-auto-complete": {
        "task": "marketplace.orders.tasks.shop_orders_auto_complete",
        "schedule": 60 * 60,
    },
    # ...and orders closed for SHOP_PERSONAL_DATA_DAYS keep only the resident's masked name and phone.
    "shop-orders-personal-data-scrub": {
        "task": "marketplace.orders.tasks.shop_orders_personal_data_scrub",
        "schedule": crontab(hour=4, minute=10),
    },
    # Group-buy (团购): deals past their deadline succeed (orders go to the merchant) or fail (refunded in full).
    "groupbuy-deals-settle": {
        "task": "marketplace.groupbuy.tasks.groupbuy_deals_settle",
        "schedule": 60,
    },
    # Settlement: last month's statements (结算单) at 03:00 local time, daily (issued once per merchant and month);
    # Stripe payouts whose answer never came are sent again (same idempotency key).
    "settlement-statements-build": {
        "task": "marketplace.settlement.tasks.settlement_statements_build",
        "schedule": crontab(hour=3, minute=0),
    },
    "settlement-payouts-retry": {
        "task": "marketplace.settlement.tasks.settlement_payouts_retry",
        "schedule": 60 * 10,
    },
    # Club: holds not paid in time (and waitlist offers not taken) expire and free their places.
    "club-holds-expire": {
        "task": "backend.club.tasks.holds_expire",
        "schedule": 60,
    },
    # ...the waitlist's expired entries and missed promotions, no-shows past the check-in grace, the reminder
    # an hour before, and weekly series booking the week that came into the horizon.
    "club-waitlist-sweep": {
        "task": "backend.club.tasks.waitlist_sweep",
        "schedule": 60,
    },
    "club-no-shows": {
        "task": "backend.club.tasks.no_shows_mark",
        "schedule": 60,
    },
    "club-reminders": {
        "task": "backend.club.tasks.reminders_send",
        "schedule": 60 * 5,
    },
    "club-series-extend": {
        "task": "backend.club.tasks.series_extend",
        "schedule": crontab(minute=20),
    },
    # Club: held bookings paid another way are confirmed; cancellations' refunds not settled or sent are.
    "club-money-sweep": {
        "task": "backend.club.tasks.money_sweep",
        "schedule": 60,
    },
    # Club: unpaid enrolments of paid training classes past their hold free their seats.
    "club-class-holds-expire": {
        "task": "backend.club.tasks.class_holds_expire",
        "schedule": 60,
    },
    "access-housekeeping": {
        "task": "backend.access.tasks.access_housekeeping",
        "schedule": 60 * 60 * 6,
    },
    # Service desk: near-breach and breach alerts on repairs' SLA clocks.
    "desk-sla-sweep": {
        "task": "backend.desk.tasks.sla_sweep",
        "schedule": 60,
    },
    "renovation-permits-sweep": {
        "task": "backend.renovation.tasks.permits_sweep",
        "schedule": 300,
    },
    # Service desk: complaints near or past their limits (the handbook's), escalated on a breach.
    "desk-complaint-sweep": {
        "task": "backend.desk.tasks.complaint_sweep",
        "schedule": 60,
    },
    # Gate: homes with parcels still on the shelf after the company's N days, reminded each morning.
    "gate-parcel-reminders": {
        "task": "backend.gate.tasks.parcel_reminders",
        "schedule": crontab(hour=9, minute=10),
    },
}
