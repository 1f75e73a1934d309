"""Resident pages: my homes and linking a home (homes.py), my bills and a home's statement (bills.py),
paying online and autopay (payments.py). A resident only ever sees the homes they live in now."""
