"""Whole responses cached per user, invalidated by the tables they read (store.py, tracking.py, sql.py)."""
