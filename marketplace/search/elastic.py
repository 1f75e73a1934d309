"""The Elasticsearch 8 backend, through elasticsearch-dsl: one index, `<SEARCH_INDEX_PREFIX>listings`.

Text arrives pre-segmented (segment.py) into whitespace-analysed fields, with the as-you-type prefix terms in a
keyword field, so a stock Elasticsearch without the IK plugin (and noida-db, whose analyzers do not split
Chinese) finds 家政 in 上门家政保洁. Isolation is a `terms` filter on `visibility` inside every query, built in
one place (`_search`): never a filtered alias (noida-db accepts those and ignores the filter). Facets are
terms/range aggregations. No match_bool_prefix, match_phrase_prefix or function_score (noida-db lacks them)."""

from __future__ import annotations

import contextlib
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError, helpers
from elasticsearch_dsl import A, Boolean, Date, Document, Float, Index, Keyword, Long, Q, Search, Text

from .documents import PRICE_RANGES, Hit, ListingDoc, ListingQuery, ListingResult
from .segment import QueryTerms, document_prefixes, document_tokens, query_terms

RATING_FACETS = (4, 3, 2, 1)
FACET_SIZE = 200  # distinct categories or merchants a facet lists at most


class ListingIndexDoc(Document):
    """The mapping (the same in noida-db, the tests' server, and the real Elasticsearch of docker-compose)."""

    id = Long()
    merchant_id = Long()
    merchant_name = Keyword()
    kind = Keyword()
    title = Keyword(index=False)
    title_tokens = Text(analyzer="whitespace")
    tokens = Text(analyzer="whitespace")
    prefixes = Keyword()
    visibility = Keyword()
    category_codes = Keyword()
    price_fen = Long()
    rating = Float()
    sales = Long()
    in_stock = Boolean()
    created_at = Date()


def source_of(doc: ListingDoc) -> dict[str, Any]:
    return {
        "id": doc.id,
        "merchant_id": doc.merchant_id,
        "merchant_name": doc.merchant_name,
        "kind": doc.kind,
        "title": doc.title,
        "title_tokens": " ".join(document_tokens(doc.title)),
        "tokens": " ".join(document_tokens(doc.title, doc.text, doc.merchant_name)),
        "prefixes": document_prefixes(doc.title, doc.merchant_name),
        "visibility": list(doc.visibility),
        "category_codes": list(doc.category_codes),
        "price_fen": doc.price_fen,
        "rating": doc.rating,
        "sales": doc.sales,
        "in_stock": doc.in_stock,
        "created_at": doc.created_at.isoformat(),
    }


def _match(terms: QueryTerms) -> Q:
    every_word = [Q("match", tokens={"query": w, "operator": "and"}) for w in terms.words]
    last = Q("bool", should=[Q("match", tokens=terms.last), Q("term", prefixes=terms.last)], minimum_should_match=1)
    typed = Q("bool", filter=[*every_word, last])
    if not terms.whole or terms.whole == terms.last:
        return typed
    return Q("bool", should=[typed, Q("term", prefixes=terms.whole)], minimum_should_match=1)


def _filters(query: ListingQuery) -> list[Q]:
    """Isolation first: only documents sharing a visibility token with the caller."""
    out = [Q("terms", visibility=list(query.visibility))]
    if query.category:
        out.append(Q("term", category_codes=query.category))
    if query.merchant_id is not None:
        out.append(Q("term", merchant_id=query.merchant_id))
    if query.kind:
        out.append(Q("term", kind=query.kind))
    price: dict[str, int] = {}
    if query.price_min_fen is not None:
        price["gte"] = query.price_min_fen
    if query.price_max_fen is not None:
        price["lte"] = query.price_max_fen
    if price:
        out.append(Q("range", price_fen=price))
    if query.min_rating is not None:
        out.append(Q("range", rating={"gte": query.min_rating}))
    if query.in_stock is not None:
        out.append(Q("term", in_stock=query.in_stock))
    return out


_SORTS: dict[str, list[Any]] = {
    "price": [{"price_fen": "asc"}, {"id": "desc"}],
    "-price": [{"price_fen": "desc"}, {"id": "desc"}],
    "sales": [{"sales": "desc"}, {"id": "desc"}],
    "rating": [{"rating": {"order": "desc", "missing": "_last"}}, {"id": "desc"}],
    "new": [{"created_at": "desc"}, {"id": "desc"}],
}


def _bucket_key(bucket: dict[str, Any]) -> str:
    """A terms bucket's key as the facets name it: a boolean's is "true"/"false" (Elasticsearch answers key 1
    with key_as_string "true"; noida-db answers key true), a number's its digits."""
    if "key_as_string" in bucket:
        return str(bucket["key_as_string"]).lower()
    key = bucket["key"]
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


class ElasticsearchBackend:
    name = "elasticsearch"

    def __init__(self, *, url: str, index_prefix: str, timeout: float = 10.0) -> None:
        self.client = Elasticsearch(url, request_timeout=timeout)
        self.index_name = f"{index_prefix}listings"

    def _index(self) -> Index:
        index = Index(self.index_name, using=self.client)
        index.settings(number_of_shards=1, number_of_replicas=0)
        index.document(ListingIndexDoc)
        return index

    def ensure_index(self) -> None:
        if not self.client.indices.exists(index=self.index_name):
            self._index().create()

    def reset(self) -> None:
        self.client.options(ignore_status=404).indices.delete(index=self.index_name)
        self._index().create()

    def refresh(self) -> None:
        with contextlib.suppress(NotFoundError):  # nothing indexed yet: nothing to make searchable
            self.client.indices.refresh(index=self.index_name)

    def index(self, docs: list[ListingDoc]) -> None:
        if not docs:
            return
        self.ensure_index()
        actions = ({"_index": self.index_name, "_id": str(d.id), "_source": source_of(d)} for d in docs)
        helpers.bulk(self.client, actions, chunk_size=500)

    def delete(self, ids: list[int]) -> None:
        if not ids:
            return
        actions = ({"_op_type": "delete", "_index": self.index_name, "_id": str(i)} for i in ids)
        # An id never indexed answers 404 per item: that is "already gone", not an error; so is a missing index.
        with contextlib.suppress(NotFoundError):
            helpers.bulk(self.client, actions, raise_on_error=False, chunk_size=500)

    def _search(self, query: ListingQuery, terms: QueryTerms | None) -> Search:
        search = Search(using=self.client, index=self.index_name).extra(track_total_hits=True)
        bool_query: dict[str, Any] = {"filter": _filters(query)}
        if terms is not None:
            bool_query["must"] = [_match(terms)]
            bool_query["should"] = [
                Q("match", title_tokens={"query": " ".join(terms.scored), "boost": 2.0}),
                Q("match", tokens=" ".join(terms.scored)),
            ]
        return search.query(Q("bool", **bool_query))

    def search(self, query: ListingQuery) -> ListingResult:
        if not query.visibility:
            return ListingResult(total=0, hits=[], facets={})
        terms = query_terms(query.text)
        search = self._search(query, terms)
        if query.sort == "relevance":
            order: list[Any] = (
                ["_score", {"sales": "desc"}, {"id": "desc"}]
                if terms is not None
                else [{"created_at": "desc"}, {"id": "desc"}]
            )
        else:
            order = _SORTS[query.sort]
        search = search.sort(*order).source(["id"])[query.offset : query.offset + query.limit]
        if query.facets:
            search.aggs.bucket("category", A("terms", field="category_codes", size=FACET_SIZE))
            search.aggs.bucket("merchant", A("terms", field="merchant_id", size=FACET_SIZE))
            search.aggs.bucket("kind", A("terms", field="kind", size=10))
            search.aggs.bucket("in_stock", A("terms", field="in_stock", size=2))
            ranges = []
            for i, r in enumerate(PRICE_RANGES):
                bucket: dict[str, Any] = {"key": str(i)}
                if r.low_fen is not None:
                    bucket["from"] = r.low_fen
                if r.high_fen is not None:
                    bucket["to"] = r.high_fen
                ranges.append(bucket)
            search.aggs.bucket("price", A("range", field="price_fen", ranges=ranges))
            search.aggs.bucket(
                "rating", A("range", field="rating", ranges=[{"key": str(n), "from": n} for n in RATING_FACETS])
            )
        try:
            response = search.execute().to_dict()
        except NotFoundError:
            return ListingResult(total=0, hits=[], facets={})  # nothing indexed yet
        hits = [Hit(id=int(h["_source"]["id"]), score=float(h.get("_score") or 0.0)) for h in response["hits"]["hits"]]
        facets: dict[str, dict[str, int]] = {}
        for name, agg in (response.get("aggregations") or {}).items():
            buckets = agg["buckets"]
            if isinstance(buckets, dict):  # keyed ranges
                buckets = [{"key": k, **v} for k, v in buckets.items()]
            for b in buckets:
                if b["doc_count"]:
                    key = b["key"] if name in ("price", "rating") else _bucket_key(b)
                    facets.setdefault(name, {})[str(key)] = b["doc_count"]
        return ListingResult(total=response["hits"]["total"]["value"], hits=hits, facets=facets)
