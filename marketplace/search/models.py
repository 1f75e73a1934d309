"""The PostgreSQL backend's index: one denormalised row per searchable listing (marketplace/search/postgres.py).

Words are the tokens marketplace/search/segment.py cut (no pg_trgm, no zhparser); every array is GIN-indexed
so `@>` (has all) and `&&` (has any) are index scans. Rows are written by the indexing tasks only.

The GIN indexes are built without fastupdate: with it, new rows wait in a pending list that every query scans
until a vacuum merges it (3,800 pending rows tripled the search's time in the benchmark); indexing runs in
Celery, so its slower writes cost no one a wait."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models


class ListingSearchRow(models.Model):
    listing_id = models.BigIntegerField(primary_key=True)
    merchant_id = models.BigIntegerField()
    merchant_name = models.CharField(max_length=100)
    kind = models.CharField(max_length=8)
    title = models.CharField(max_length=80)
    text = models.TextField(blank=True)
    title_tokens = ArrayField(models.TextField(), default=list)  # scored higher than the rest
    tokens = ArrayField(models.TextField(), default=list)  # every word: title, text, merchant, category
    prefixes = ArrayField(models.TextField(), default=list)  # as-you-type terms of title and merchant name
    visibility = ArrayField(models.TextField(), default=list)  # documents.visibility_token(...)s
    category_codes = ArrayField(models.CharField(max_length=40), default=list)  # the category and ancestors
    price_fen = models.PositiveIntegerField()
    rating = models.FloatField(null=True)
    sales = models.PositiveIntegerField(default=0)
    in_stock = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            GinIndex(fields=["tokens"], name="listing_search_tokens", fastupdate=False),
            GinIndex(fields=["prefixes"], name="listing_search_prefixes", fastupdate=False),
            GinIndex(fields=["visibility"], name="listing_search_visibility", fastupdate=False),
            GinIndex(fields=["category_codes"], name="listing_search_categories", fastupdate=False),
            models.Index(fields=["merchant_id"], name="listing_search_merchant"),
        ]

    def __str__(self) -> str:
        return f"search row of listing {self.listing_id}"
