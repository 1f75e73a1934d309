"""The search contract: the same behaviour from the PostgreSQL and the Elasticsearch (noida-db) backend.

Documents are made directly here (their visibility as marketplace/documents.py would compute it); the
building of documents from the catalogue is tested in test_building.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from marketplace.search.documents import ListingDoc, ListingQuery, visibility_token

A1 = visibility_token("alpha", 1)
A2 = visibility_token("alpha", 2)
B1 = visibility_token("beta", 1)
T0 = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


def doc(id: int, title: str, **fields) -> ListingDoc:
    values = dict(
        id=id,
        merchant_id=1,
        merchant_name="好帮手家政",
        kind="service",
        title=title,
        text="",
        category_codes=("home_services", "housekeeping"),
        price_fen=10000,
        rating=None,
        sales=0,
        in_stock=True,
        created_at=T0 + dt.timedelta(days=id),
        visibility=(A1,),
    )
    values.update(fields)
    return ListingDoc(**values)


DOCS = [
    doc(1, "上门家政保洁", price_fen=15000, rating=4.8, sales=30, text="专业阿姨 两小时起"),
    doc(
        2,
        "新鲜红富士苹果",
        merchant_id=2,
        merchant_name="鲜果坊",
        kind="good",
        category_codes=("fresh", "fruit"),
        price_fen=1280,
        rating=4.2,
        sales=100,
        visibility=(A1, B1),
    ),
    doc(
        3,
        "有机蔬菜礼盒",
        merchant_id=2,
        merchant_name="鲜果坊",
        kind="good",
        category_codes=("fresh", "vegetables"),
        price_fen=6800,
        sales=5,
        in_stock=False,
        text="当季 有机蔬菜 配送上门",
    ),
    # Company B only, with every word company A's residents will type.
    doc(
        4,
        "家政钟点工 上门家政",
        merchant_id=3,
        merchant_name="贝塔家政",
        price_fen=8000,
        rating=3.5,
        sales=60,
        text="上门家政保洁 家政",
        visibility=(B1,),
    ),
    doc(
        5,
        "小学数学家教",
        merchant_id=4,
        merchant_name="学而思家教",
        category_codes=("education", "tutoring"),
        price_fen=30000,
        rating=2.0,
        sales=8,
        visibility=(A2,),
    ),
    doc(
        6,
        "开锁换锁芯",
        merchant_id=5,
        merchant_name="安心开锁",
        category_codes=("home_services", "locksmith"),
        price_fen=4000,
        rating=3.9,
        sales=12,
        text="家政 以外 的 上门 服务",
        visibility=(A1,),
    ),
]


@pytest.fixture
def indexed(backend):
    backend.index(DOCS)
    backend.refresh()
    return backend


def ids(backend, **params) -> list[int]:
    params.setdefault("visibility", (A1, A2))
    return [h.id for h in backend.search(ListingQuery(**params)).hits]


# --- Chinese words and prefixes -------------------------------------------------------------------------------


def test_a_chinese_word_inside_a_longer_text_is_found(indexed):
    assert set(ids(indexed, text="家政")) == {1, 6}
    assert set(ids(indexed, text="保洁")) == {1}
    assert set(ids(indexed, text="苹果")) == {2}


def test_a_long_word_is_found_by_its_shorter_word(indexed):
    assert ids(indexed, text="富士") == [2]  # 红富士 in search mode gives 富士 too


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("上", {1}), ("上门家", {1}), ("上门家政", {1}), ("家政保", {1}), ("红富", {2}), ("有机蔬", {3}), ("开锁换", {6})],
)
def test_a_prefix_as_typed_matches(indexed, typed, expected):
    assert set(ids(indexed, text=typed)) >= expected
    assert set(ids(indexed, text=typed)) <= {1, 2, 3, 5, 6}  # never company B's document


def test_several_words_must_all_match(indexed):
    assert ids(indexed, text="家政 阿姨") == [1]
    assert ids(indexed, text="苹果 阿姨") == []


def test_latin_letters_match_regardless_of_case_and_width(backend):
    backend.index([doc(7, "iPhone 手机壳", text="ＡＢＣ牌")])
    backend.refresh()
    assert ids(backend, text="IPHO") == [7]
    assert ids(backend, text="abc") == [7]


def test_an_unknown_word_finds_nothing(indexed):
    result = indexed.search(ListingQuery(visibility=(A1, A2), text="挖掘机"))
    assert (result.total, result.hits) == (0, [])


def test_a_title_match_ranks_above_a_text_only_match(indexed):
    assert ids(indexed, text="家政")[0] == 1  # 6 has 家政 only in its description


# --- visibility --------------------------------------------------------------------------------------------------


def test_a_query_without_visibility_tokens_finds_nothing(indexed):
    for text in ("", "家政", "上门"):
        result = indexed.search(ListingQuery(visibility=(), text=text))
        assert (result.total, result.hits, result.facets) == (0, [], {})


def test_company_a_tokens_never_return_company_b_only_documents(indexed):
    for text in ("", "家政", "上门家政", "钟点工", "贝塔"):
        for sort in ("relevance", "price", "-price", "sales", "rating", "new"):
            assert 4 not in ids(indexed, text=text, sort=sort, limit=100)
    facets = indexed.search(ListingQuery(visibility=(A1, A2))).facets
    assert "3" not in facets["merchant"]  # B-only merchant: not even counted


def test_each_estate_sees_its_own_documents(indexed):
    assert set(ids(indexed, visibility=(A1,))) == {1, 2, 3, 6}
    assert set(ids(indexed, visibility=(A2,))) == {5}
    assert set(ids(indexed, visibility=(B1,))) == {2, 4}
    assert ids(indexed, visibility=(visibility_token("alpha", 99),)) == []
    assert ids(indexed, visibility=(visibility_token("gamma", 1),)) == []


# --- filters and facets ----------------------------------------------------------------------------------------


def test_filters(indexed):
    assert set(ids(indexed, category="fresh")) == {2, 3}  # an ancestor matches its descendants
    assert set(ids(indexed, category="fruit")) == {2}
    assert set(ids(indexed, merchant_id=2)) == {2, 3}
    assert set(ids(indexed, kind="good")) == {2, 3}
    assert set(ids(indexed, price_min_fen=4000, price_max_fen=15000)) == {1, 3, 6}
    assert set(ids(indexed, min_rating=4.0)) == {1, 2}
    assert set(ids(indexed, in_stock=False)) == {3}
    assert set(ids(indexed, text="上门", kind="service")) == {1, 6}


def test_facets_count_every_visible_match(indexed):
    result = indexed.search(ListingQuery(visibility=(A1, A2), limit=1))
    assert result.total == 5 and len(result.hits) == 1
    f = result.facets
    assert f["category"] == {
        "home_services": 2,
        "housekeeping": 1,
        "locksmith": 1,
        "fresh": 2,
        "fruit": 1,
        "vegetables": 1,
        "education": 1,
        "tutoring": 1,
    }
    assert f["merchant"] == {"1": 1, "2": 2, "4": 1, "5": 1}
    assert f["kind"] == {"service": 3, "good": 2}
    assert f["in_stock"] == {"true": 4, "false": 1}
    # PRICE_RANGES: <20 元, 20–50, 50–100, 100–300, ≥300
    assert f["price"] == {"0": 1, "1": 1, "2": 1, "3": 1, "4": 1}
    # at least n stars: 4.8, 4.2, 3.9, 2.0 (one unrated)
    assert f["rating"] == {"4": 2, "3": 3, "2": 4, "1": 4}


def test_facets_follow_the_text_and_filters(indexed):
    f = indexed.search(ListingQuery(visibility=(A1, A2), text="家政")).facets
    assert f["merchant"] == {"1": 1, "5": 1}
    assert f["category"] == {"home_services": 2, "housekeeping": 1, "locksmith": 1}
    f = indexed.search(ListingQuery(visibility=(A1, A2), category="fresh")).facets
    assert f["in_stock"] == {"true": 1, "false": 1}


def test_no_facets_when_not_asked(indexed):
    result = indexed.search(ListingQuery(visibility=(A1, A2), facets=False))
    assert result.facets == {} and result.total == 5


# --- sorting and paging ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price", [2, 6, 3, 1, 5]),
        ("-price", [5, 1, 3, 6, 2]),
        ("sales", [2, 1, 6, 5, 3]),
        ("rating", [1, 2, 6, 5, 3]),  # unrated last
        ("new", [6, 5, 3, 2, 1]),
        ("relevance", [6, 5, 3, 2, 1]),  # no text: the newest first
    ],
)
def test_each_sort(indexed, sort, expected):
    assert ids(indexed, sort=sort) == expected


def test_paging(indexed):
    pages = [indexed.search(ListingQuery(visibility=(A1, A2), sort="price", offset=o, limit=2)) for o in (0, 2, 4, 6)]
    assert [[h.id for h in p.hits] for p in pages] == [[2, 6], [3, 1], [5], []]
    assert {p.total for p in pages} == {5}
    beyond = indexed.search(ListingQuery(visibility=(A1, A2), offset=10, limit=2, facets=False))
    assert (beyond.total, beyond.hits) == (5, [])


# --- writes ------------------------------------------------------------------------------------------------------


def test_delete(indexed):
    indexed.delete([1, 999])  # an unknown id is ignored
    indexed.refresh()
    assert set(ids(indexed)) == {2, 3, 5, 6}
    assert ids(indexed, text="保洁") == []


def test_reindexing_a_document_replaces_it(indexed):
    indexed.index([replace(DOCS[0], title="深度除螨", text="", visibility=(A2,), price_fen=500)])
    indexed.refresh()
    assert ids(indexed, text="保洁") == []
    assert ids(indexed, text="除螨", visibility=(A2,)) == [1]
    assert ids(indexed, text="除螨", visibility=(A1,)) == []  # its old visibility went with it
    assert indexed.search(ListingQuery(visibility=(A1, A2))).total == 5


def test_reset_empties_the_index(indexed):
    indexed.reset()
    indexed.refresh()
    assert indexed.search(ListingQuery(visibility=(A1, A2, B1))).total == 0


def test_a_fresh_backend_answers_deletes_and_refreshes_without_an_index(backend):
    """What a new deployment meets before its first reindex (the Elasticsearch index does not exist yet)."""
    if backend.name == "elasticsearch":
        backend.client.indices.delete(index=backend.index_name)
    backend.delete([1])
    backend.refresh()
    assert backend.search(ListingQuery(visibility=(A1,))).total == 0
    backend.index([doc(1, "上门家政保洁")])
    backend.refresh()
    assert ids(backend, text="家政") == [1]
