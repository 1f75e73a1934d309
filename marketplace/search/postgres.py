"""The PostgreSQL search backend (the default): a denormalised row per listing (models.ListingSearchRow) with
GIN-indexed arrays of the tokens segment.py cut, so it needs neither pg_trgm nor zhparser.

A query is two statements: the page of hits (filtered, scored, sorted, paged) and, when asked, the facets by
aggregation over every visible match. Visibility (`visibility && <caller's tokens>`) is in the WHERE of both,
built in one place (`_where`), and a query without tokens returns before touching the database."""

from __future__ import annotations

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
    params.update(words=list(terms.words), last=[terms.last], whole=[terms.whole])
    sql = "(tokens @> %(words)s::text[] AND (tokens @> %(last)s::text[] OR prefixes @> %(last)s::text[]))"
    if terms.whole:
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


def _facets_sql(where: str) -> str:
    """Every facet over the matches, as (facet, key, count) rows; `where` is _where's (values are parameters)."""
    rating = " UNION ALL ".join(
        f"SELECT 'rating', '{int(n)}', count(*) FROM m WHERE rating >= {int(n)}"  # noqa: S608
        for n in RATING_FACETS
    )
    return (
        # Our own fragments only; every value in `where` is a parameter.
        "WITH m AS MATERIALIZED (SELECT merchant_id, kind, category_codes, price_fen, rating, in_stock "  # noqa: S608
        f"FROM {TABLE} WHERE {where}) "
        "SELECT 'total', '', count(*) FROM m"
        " UNION ALL SELECT 'category', c, count(*) FROM m, unnest(m.category_codes) c GROUP BY c"
        " UNION ALL SELECT 'merchant', merchant_id::text, count(*) FROM m GROUP BY merchant_id"
        " UNION ALL SELECT 'kind', kind, count(*) FROM m GROUP BY kind"
        " UNION ALL SELECT 'in_stock', CASE WHEN in_stock THEN 'true' ELSE 'false' END, count(*) FROM m"
        " GROUP BY in_stock"
        f" UNION ALL SELECT 'price', {_price_bucket()}, count(*) FROM m GROUP BY 2"
        f" UNION ALL {rating}"
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
        score = _score(terms, params)
        params.update(limit=max(0, query.limit), offset=max(0, query.offset))
        # The facets count the matches anyway; without them the window function does.
        total_sql = "0" if query.facets else "count(*) OVER ()"
        # Built from our own fragments; every value is a parameter.
        page_sql = (
            f"SELECT listing_id, {score} AS score, {total_sql} AS total FROM {TABLE} WHERE {where} "  # noqa: S608
            f"ORDER BY {_order(query, terms)} LIMIT %(limit)s OFFSET %(offset)s"
        )
        with connection.cursor() as cursor:
            cursor.execute(page_sql, params)
            rows = cursor.fetchall()
            facets: dict[str, dict[str, int]] = {}
            total = rows[0][2] if rows and not query.facets else None
            if query.facets:
                cursor.execute(_facets_sql(where), params)
                for facet, key, count in cursor.fetchall():
                    if facet == "total":
                        total = count
                    elif count:
                        facets.setdefault(facet, {})[key] = count
            if total is None:  # a page past the end, and no facets asked
                cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE {where}", params)  # noqa: S608
                total = cursor.fetchone()[0]
        return ListingResult(total=total, hits=[Hit(id=r[0], score=float(r[1])) for r in rows], facets=facets)
