"""Marketplace search benchmark (issue 14): listing-search-p95.

100,000 listing documents of 200 merchants, visible in the estates of 50 companies (each merchant approved by
a few companies for some of their estates, as marketplace/documents.py would compute it), indexed through each
backend's own index(). 300 mixed queries as residents ask them (a company's one or two estates): Chinese words,
prefixes as typed, category / price / rating / in-stock filters with and without words, every sort, with the
facets. The value is the p95 of search() (hits + facets) per backend; the baseline is the naive search measured
in the same run: the same visibility, filters and facets over the same PostgreSQL table, the words matched by
ILIKE '%…%' on the title and text instead of the token arrays. Target: p95 ≤ 50 ms on each backend.

Elasticsearch: BENCH_ELASTICSEARCH_URL (a real Elasticsearch 8) gets all 100,000 documents and 300 queries;
without it the run uses noida-db (infra/noida_server.py), which scans every document on each query, so that
run is bounded (BENCH_NOIDA_DOCS documents, at most BENCH_NOIDA_SECONDS of queries) and the line says so.

The documents are generated (no catalogue rows: the benchmark measures querying, not vetting) and kept in the
benchmark database's search table between runs.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

LISTINGS = int(os.environ.get("BENCH_LISTINGS", "100000"))
MERCHANTS = 200
COMPANIES = 50
ESTATES_PER_COMPANY = 4
QUERIES = 300
NOIDA_DOCS = int(os.environ.get("BENCH_NOIDA_DOCS", "10000"))
NOIDA_SECONDS = float(os.environ.get("BENCH_NOIDA_SECONDS", "60"))
SEED = 14

# category path -> (nouns, kind)
CATALOGUE: dict[tuple[str, ...], tuple[list[str], str]] = {
    ("fresh", "fruit"): (
        ["苹果", "红富士", "香蕉", "橙子", "猕猴桃", "草莓", "葡萄", "西瓜", "芒果", "车厘子"],
        "good",
    ),
    ("fresh", "vegetables"): (["白菜", "西红柿", "黄瓜", "土豆", "菠菜", "胡萝卜", "蔬菜礼盒", "生菜"], "good"),
    ("fresh", "bakery"): (["面包", "全麦吐司", "蛋糕", "牛角包", "法棍", "蛋挞"], "good"),
    ("household", "daily_items"): (["洗衣液", "纸巾", "垃圾袋", "拖把", "收纳箱", "保鲜膜"], "good"),
    ("household", "pets"): (["猫粮", "狗粮", "猫砂", "宠物洗澡", "宠物寄养"], "good"),
    ("home_services", "housekeeping"): (
        ["家政保洁", "钟点工", "深度清洁", "擦玻璃", "油烟机清洗", "开荒保洁"],
        "service",
    ),
    ("home_services", "locksmith"): (["开锁", "换锁芯", "修锁", "指纹锁安装"], "service"),
    ("home_services", "moving"): (["搬家", "小件搬运", "钢琴搬运", "居民搬家"], "service"),
    ("home_services", "laundry"): (["洗衣", "干洗", "洗鞋", "窗帘清洗"], "service"),
    ("home_services", "renovation"): (["水电维修", "墙面翻新", "防水补漏", "空调维修"], "service"),
    ("education", "tutoring"): (["家教", "小学数学", "英语辅导", "钢琴课", "作业辅导"], "service"),
    ("life_services", "courier"): (["快递代取", "跑腿代办", "同城配送"], "service"),
}
ADJECTIVES = ["新鲜", "有机", "进口", "当季", "精选", "特价", "上门", "专业", "优惠", "社区", "家庭装", "便捷"]
FILLER = ["品质保证", "当天送达", "阿姨", "师傅", "经验丰富", "价格实惠", "好评", "准时", "安全", "放心", "包邮"]


def _companies() -> list[str]:
    return [f"bench_c{c:02d}" for c in range(COMPANIES)]


def _docs(count: int) -> list[Any]:
    """The same documents on every run (seeded): listing i belongs to merchant i % MERCHANTS."""
    from marketplace.search.documents import ListingDoc, visibility_token

    rng = random.Random(SEED)
    companies = _companies()
    paths = list(CATALOGUE)
    merchants = []
    for m in range(MERCHANTS):
        path = paths[m % len(paths)]
        approvals = rng.sample(companies, rng.randint(2, 8))
        visibility = tuple(
            visibility_token(c, e) for c in approvals for e in rng.sample(range(1, ESTATES_PER_COMPANY + 1), 2)
        )
        merchants.append(
            (m + 1, f"{rng.choice(['好', '佳', '惠', '邻'])}{rng.choice(['邻', '家', '品'])}商家{m}", path, visibility)
        )
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    docs = []
    for i in range(count):
        merchant_id, name, path, visibility = merchants[i % MERCHANTS]
        nouns, kind = CATALOGUE[path]
        title = f"{rng.choice(ADJECTIVES)}{rng.choice(nouns)}{rng.choice(['', '套餐', '服务', '特惠装', ''])}"
        text = " ".join(rng.sample(FILLER, 3) + [rng.choice(nouns)])
        docs.append(
            ListingDoc(
                id=i + 1,
                merchant_id=merchant_id,
                merchant_name=name,
                kind=kind,
                title=title[:80],
                text=text,
                category_codes=path,
                price_fen=rng.choice([990, 1280, 2990, 4500, 6800, 9900, 15000, 29900, 45000]),
                rating=None if rng.random() < 0.2 else round(rng.uniform(2.5, 5.0), 1),
                sales=rng.randint(0, 500),
                in_stock=rng.random() > 0.1,
                created_at=t0 + dt.timedelta(minutes=i),
                visibility=visibility,
            )
        )
    return docs


def _queries() -> list[dict[str, Any]]:
    from marketplace.search.documents import SORTS, visibility_token

    rng = random.Random(SEED + 1)
    words = [n for nouns, _ in CATALOGUE.values() for n in nouns] + ["家政", "保洁", "水果", "上门", "维修"]
    prefixes = ["上门家", "红富", "家政保", "猕猴", "全麦", "换锁", "钢琴", "深度清", "有机蔬", "洗衣"]
    categories = ["fresh", "fruit", "home_services", "housekeeping", "education", "tutoring", "household"]
    queries = []
    for i in range(QUERIES):
        company = rng.choice(_companies())
        estates = rng.sample(range(1, ESTATES_PER_COMPANY + 1), rng.choice([1, 2]))
        q: dict[str, Any] = {"visibility": tuple(visibility_token(company, e) for e in estates)}
        kind = i % 6
        if kind in (0, 1):
            q["text"] = rng.choice(words)
        elif kind == 2:
            q["text"] = rng.choice(prefixes)
        elif kind == 3:
            q.update(text=rng.choice(words), category=rng.choice(categories), in_stock=True)
        elif kind == 4:
            q.update(category=rng.choice(categories), price_min_fen=2000, price_max_fen=10000, min_rating=3.5)
        else:
            q.update(text=rng.choice(prefixes + words), price_max_fen=5000)
        q["sort"] = rng.choice(SORTS)
        queries.append(q)
    return queries


def _p95(
    run: Callable[[dict[str, Any]], Any], queries: list[dict[str, Any]], seconds: float | None = None
) -> tuple[float, int]:
    for q in queries[:10]:
        run(q)  # warm
    times = []
    started = time.monotonic()
    for q in queries:
        t = time.perf_counter()
        run(q)
        times.append((time.perf_counter() - t) * 1000)
        if seconds is not None and time.monotonic() - started > seconds:
            break
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    return p95, len(times)


def _ilike_search(query: Any) -> Any:
    """The naive search: PostgresBackend's visibility, filters, sort and facets, the words by ILIKE."""
    from django.db import connection

    from marketplace.search import postgres

    params: dict[str, Any] = {}
    where = postgres._where(query, None, params)
    if query.text:
        params["like"] = f"%{query.text}%"
        where += " AND (title ILIKE %(like)s OR text ILIKE %(like)s)"
    order = "created_at DESC, listing_id DESC" if query.sort == "relevance" else postgres._order(query, None)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT listing_id FROM {postgres.TABLE} WHERE {where} ORDER BY {order} LIMIT 20",  # noqa: S608
            params,
        )
        rows = cursor.fetchall()
        cursor.execute(postgres._facets_sql(where), params)
        facets = cursor.fetchall()
    return rows, facets


def _seed_postgres(docs: list[Any]) -> None:
    from django.db import connection

    from marketplace.search.models import ListingSearchRow
    from marketplace.search.postgres import PostgresBackend

    if ListingSearchRow.objects.count() == len(docs):
        return  # kept from an earlier run (the documents are the same every run)
    backend = PostgresBackend()
    backend.reset()
    for start in range(0, len(docs), 5000):
        backend.index(docs[start : start + 5000])
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {ListingSearchRow._meta.db_table}")


def _elasticsearch_line(docs: list[Any], queries: list[Any], baseline: float) -> str:
    import contextlib

    from infra.noida_server import noida_elasticsearch
    from marketplace.search.documents import ListingQuery
    from marketplace.search.elastic import ElasticsearchBackend

    url = os.environ.get("BENCH_ELASTICSEARCH_URL", "")
    with contextlib.ExitStack() as stack:
        if url:
            where, subset, cap = "Elasticsearch at BENCH_ELASTICSEARCH_URL", docs, None
        else:
            url = stack.enter_context(noida_elasticsearch())
            subset, cap = docs[:NOIDA_DOCS], NOIDA_SECONDS
            where = (
                f"noida-db 0.2.2, bounded: {len(subset):,} of {len(docs):,} documents, at most {cap:.0f} s of queries"
            )
        backend = ElasticsearchBackend(url=url, index_prefix="bench_", timeout=60)
        backend.reset()
        for start in range(0, len(subset), 2000):
            backend.index(subset[start : start + 2000])
        backend.refresh()
        value, ran = _p95(lambda q: backend.search(ListingQuery(**q)), queries, cap)
        backend.client.options(ignore_status=404).indices.delete(index=backend.index_name)
    return (
        f"bench listing-search-p95-elasticsearch: {value:.1f} ms; baseline {baseline:.1f} ms; "
        f"ratio {baseline / value:.2f}x ({where}; {ran} queries; baseline: ILIKE over all {len(docs):,} in PostgreSQL)"
    )


def run() -> str:
    from marketplace.search.documents import ListingQuery
    from marketplace.search.postgres import PostgresBackend
    from marketplace.search.segment import tokenizer

    tokenizer()  # the dictionary loads once per process, not inside the first query
    docs = _docs(LISTINGS)
    _seed_postgres(docs)
    queries = _queries()
    postgres = PostgresBackend()
    value, _ = _p95(lambda q: postgres.search(ListingQuery(**q)), queries)
    baseline, _ = _p95(lambda q: _ilike_search(ListingQuery(**q)), queries)
    lines = [
        f"bench listing-search-p95: {value:.1f} ms; baseline {baseline:.1f} ms; ratio {baseline / value:.2f}x"
        f" (postgres backend, {len(docs):,} documents, {len(queries)} queries)",
        _elasticsearch_line(docs, queries, baseline),
    ]
    return "\n".join(lines)
