"""Chinese into tokens (marketplace/search/segment.py): the same words for both backends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from marketplace.search.segment import QueryTerms, document_prefixes, document_tokens, query_terms, tokenizer

ROOT = Path(__file__).resolve().parents[3]


def test_documents_are_cut_in_search_mode():
    assert document_tokens("上门家政保洁") == ["上门", "家政", "保洁"]
    assert {"红富士", "富士", "苹果"} <= set(document_tokens("新鲜红富士苹果"))
    assert document_tokens("iPhone 15 手机壳，全新！") == ["iphone", "15", "手机", "壳", "全新"]  # no punctuation


def test_titles_give_prefixes_of_words_and_of_the_text_from_each_word_on():
    prefixes = set(document_prefixes("上门家政保洁"))
    assert {"上", "上门", "上门家", "上门家政", "上门家政保洁", "家", "家政保", "保", "保洁"} <= prefixes
    assert "门家" not in prefixes  # not from the middle of a word
    assert max(len(p) for p in document_prefixes("一二三四五六七八九十十一十二")) == 10


def test_queries_are_cut_in_accurate_mode_the_last_word_as_typed():
    assert query_terms("上门家") == QueryTerms(words=("上门",), last="家", whole="上门家")
    assert query_terms("家政 阿姨") == QueryTerms(words=("家政",), last="阿姨", whole="")
    assert query_terms("ＡＢＣ") == QueryTerms(words=(), last="abc", whole="abc")
    assert query_terms("  ，。 ") is None


def test_the_dictionary_is_loaded_once_per_process():
    assert tokenizer() is tokenizer()


def test_the_dictionary_cache_goes_where_the_setting_says(tmp_path):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="backend.settings.test", SEARCH_SEGMENT_CACHE_DIR=str(tmp_path))
    code = (
        "import django; django.setup(); from marketplace.search.segment import document_tokens as t; print(t('家政'))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert "家政" in out.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["jieba.cache"]
