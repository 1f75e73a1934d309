"""The PostgreSQL search backend (the default): a denormalised row per listing (models.ListingSearchRow) with
GIN-indexed arrays of the tokens segment.py cut, so it needs neither pg_trgm nor zhparser.

A query is one statement: the visible matches (filtered, scored) gathered once, then the page of hits (sorted,
paged) and the facets by aggregation over all of them. Visibility (`visibility && <caller's tokens>`) is in
every WHERE, built in one place (`_where`), and a query without tokens returns before touching the database."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection

from .documents import PRICE_RANGES, Hit, ListingDoc, ListingQuery, ListingResult
from .models import ListingSearchRow
from .segment import QueryTerms, document_prefixes, document_tokens, query_terms

TABLE = ListingSearchRow._meta.db_table
RATING_FACETS = (4, 3, 2, 1)  # "at least n stars"
_FIELDS = [f.name for f in ListingSearchRow._meta.concrete_fields if f.name != "listing_id"]


def row_of(doc: ListingDoc) -> ListingSearchRow:
    return ListingSearchRow(
        listing_id=doc.id,
        merchant_id=doc.merchant_id,
        merchant_name=doc.merchant_name,
        kind=doc.kind,
        title=doc.title,
        text=doc.text,
        title_tokens=document_tokens(doc.title),
        tokens=document_tokens(doc.title, doc.text, doc.merchant_name),
        prefixes=document_prefixes(doc.title, doc.merchant_name),
        visibility=list(doc.visibility),
        category_codes=list(doc.category_codes),
        price_fen=doc.price_fen,
        rating=doc.rating,
        sales=doc.sales,
        in_stock=doc.in_stock,
        created_at=doc.created_at,
    )


def _match(terms: QueryTerms, params: dict[str, Any]) -> str:
    # An empty `@>` would make GIN scan the whole index: only the clauses that have words.
    params.update(words=list(terms.words), last=[terms.last], whole=[terms.whole])
    last = "(tokens @> %(last)s::text[] OR prefixes @> %(last)s::text[])"
    sql = f"(tokens @> %(words)s::text[] AND {last})" if terms.words else last
    if terms.whole and terms.whole != terms.last:
        sql = f"({sql} OR prefixes @> %(whole)s::text[])"
    return sql


def _where(query: ListingQuery, terms: QueryTerms | None, params: dict[str, Any]) -> str:
    """Isolation first: only rows sharing a visibility token with the caller."""
    params["visibility"] = list(query.visibility)
    clauses = ["visibility && %(visibility)s::text[]"]
    if terms is not None:
        clauses.append(_match(terms, params))
    if query.category:
        params["category"] = [query.category]
        clauses.append("category_codes @> %(category)s::varchar[]")
    if query.merchant_id is not None:
        params["merchant_id"] = query.merchant_id
        clauses.append("merchant_id = %(merchant_id)s")
    if query.kind:
        params["kind"] = query.kind
        clauses.append("kind = %(kind)s")
    if query.price_min_fen is not None:
        params["price_min"] = query.price_min_fen
        clauses.append("price_fen >= %(price_min)s")
    if query.price_max_fen is not None:
        params["price_max"] = query.price_max_fen
        clauses.append("price_fen <= %(price_max)s")
    if query.min_rating is not None:
        params["min_rating"] = query.min_rating
        clauses.append("rating >= %(min_rating)s")
    if query.in_stock is not None:
        params["in_stock"] = query.in_stock
        clauses.append("in_stock = %(in_stock)s")
    return " AND ".join(clauses)


def _score(terms: QueryTerms | None, params: dict[str, Any]) -> str:
    """Words in the title count twice, words anywhere once, the last word typed as a title prefix once."""
    if terms is None:
        return "0"
    params["scored"] = list(terms.scored)
    return (
        "(2 * (SELECT count(*) FROM unnest(%(scored)s::text[]) w WHERE w = ANY(title_tokens))"
        " + (SELECT count(*) FROM unnest(%(scored)s::text[]) w WHERE w = ANY(tokens))"
        " + (CASE WHEN prefixes @> %(last)s::text[] THEN 1 ELSE 0 END))"
    )


def _order(query: ListingQuery, terms: QueryTerms | None) -> str:
    if query.sort == "relevance":
        return "score DESC, sales DESC, listing_id DESC" if terms is not None else "created_at DESC, listing_id DESC"
    return {
        "price": "price_fen ASC, listing_id DESC",
        "-price": "price_fen DESC, listing_id DESC",
        "sales": "sales DESC, listing_id DESC",
        "rating": "rating DESC NULLS LAST, listing_id DESC",
        "new": "created_at DESC, listing_id DESC",
    }[query.sort]


def _price_bucket() -> str:
    """The PRICE_RANGES index of a row's price (the bounds are our own integers, not input)."""
    whens = []
    for i, r in enumerate(PRICE_RANGES):
        conditions = []
        if r.low_fen is not None:
            conditions.append(f"price_fen >= {int(r.low_fen)}")
        if r.high_fen is not None:
            conditions.append(f"price_fen < {int(r.high_fen)}")
        whens.append(f"WHEN {' AND '.join(conditions) or 'TRUE'} THEN '{i}'")
    return f"CASE {' '.join(whens)} END"


def _facets_sql(where: str, *, score: str = "0", order: str = "") -> str:
    """Every facet over the matches, as (facet, key, count) rows, and with `order` the page of hits too (one row,
    "hits", its key a JSON list of [id, score]): one scan of the matches for both. `where` is _where's (every
    value in it is a parameter); the rest are our own fragments."""
    rating = " UNION ALL ".join(
        f"SELECT 'rating', '{int(n)}', count(*) FROM m WHERE rating >= {int(n)}"  # noqa: S608
        for n in RATING_FACETS
    )
    hits = (
        " UNION ALL SELECT 'hits', (SELECT coalesce(json_agg(json_build_array(listing_id, score) ORDER BY n), '[]')"  # noqa: S608
        f"::text FROM (SELECT listing_id, score, row_number() OVER (ORDER BY {order}) AS n FROM m "
        f"ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s) page), 0"
        if order
        else ""
    )
    return (
        "WITH m AS MATERIALIZED (SELECT listing_id, merchant_id, kind, category_codes, price_fen, rating, "  # noqa: S608
        f"in_stock, sales, created_at, {score} AS score FROM {TABLE} WHERE {where}) "
        "SELECT 'total', '', count(*) FROM m"
        " UNION ALL SELECT 'category', c, count(*) FROM m, unnest(m.category_codes) c GROUP BY c"
        " UNION ALL SELECT 'merchant', merchant_id::text, count(*) FROM m GROUP BY merchant_id"
        " UNION ALL SELECT 'kind', kind, count(*) FROM m GROUP BY kind"
        " UNION ALL SELECT 'in_stock', CASE WHEN in_stock THEN 'true' ELSE 'false' END, count(*) FROM m"
        " GROUP BY in_stock"
        f" UNION ALL SELECT 'price', {_price_bucket()}, count(*) FROM m GROUP BY 2"
        f" UNION ALL {rating}{hits}"
    )


class PostgresBackend:
    name = "postgres"

    def index(self, docs: list[ListingDoc]) -> None:
        if docs:
            ListingSearchRow.objects.bulk_create(
                [row_of(d) for d in docs],
                update_conflicts=True,
                unique_fields=["listing_id"],
                update_fields=_FIELDS,
                batch_size=1000,
            )

    def delete(self, ids: list[int]) -> None:
        if ids:
            ListingSearchRow.objects.filter(listing_id__in=ids).delete()

    def reset(self) -> None:
        ListingSearchRow.objects.all().delete()

    def refresh(self) -> None:
        """Rows are searchable once committed."""

    def search(self, query: ListingQuery) -> ListingResult:
        if not query.visibility:
            return ListingResult(total=0, hits=[], facets={})
        terms = query_terms(query.text)
        params: dict[str, Any] = {}
        where = _where(query, terms, params)
        # Scores only order the relevance sort (Elasticsearch, sorting by a field, gives none either).
        score = _score(terms, params) if query.sort == "relevance" else "0"
        order = _order(query, terms)
        params.update(limit=max(0, query.limit), offset=max(0, query.offset))
        facets: dict[str, dict[str, int]] = {}
        with connection.cursor() as cursor:
            if query.facets:
                cursor.execute(_facets_sql(where, score=score, order=order), params)
                total, hits = 0, []
                for facet, key, count in cursor.fetchall():
                    if facet == "total":
                        total = count
                    elif facet == "hits":
                        hits = [Hit(id=int(i), score=float(s)) for i, s in json.loads(key)]
                    elif count:
                        facets.setdefault(facet, {})[key] = count
                return ListingResult(total=total, hits=hits, facets=facets)
            cursor.execute(
                f"SELECT listing_id, {score} AS score, count(*) OVER () FROM {TABLE} WHERE {where} "  # noqa: S608
                f"ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s",
                params,
            )
            rows = cursor.fetchall()
            if rows:
                total = rows[0][2]
            else:  # a page past the end
                cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE {where}", params)  # noqa: S608
                total = cursor.fetchone()[0]
        return ListingResult(total=total, hits=[Hit(id=r[0], score=float(r[1])) for r in rows], facets=facets)
