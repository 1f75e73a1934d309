"""Payments for staff: the cashier's counter, receipts and day close (counter.py), every payment and its
refunds (payments.py), online payments to follow up (followup.py), the payment report (report.py) and the
payment settings (configuration.py)."""
