"""Billing for staff (收费管理): fee items and standards (fees.py), bill runs (runs.py), a unit's statement
(statements.py), money at a unit: payments, deposits, one-off charges (money.py), waivers (waivers.py), the
billing settings (configuration.py), collection reports (reports.py) and payment notices (notices.py)."""
