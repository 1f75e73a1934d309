"""Daily and hourly billing tasks for late fees and the reminder ladder (filled in by the dunning work)."""

from __future__ import annotations
