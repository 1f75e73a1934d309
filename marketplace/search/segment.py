"""Chinese text into the tokens both search backends index and ask (jieba, in this process).

Neither a stock Elasticsearch 8 (no IK plugin) nor a PostgreSQL without zhparser splits Chinese, so the
words are cut here and the backends only ever compare whole terms:

- a document's text is cut in jieba's search mode (long words also yield their shorter words: 红富士 gives
  红富士 and 富士), lower-cased and width-folded; those are its `tokens`;
- its title and merchant name also give `prefixes`: the leading 1..PREFIX_MAX characters of each token and
  of each run of text starting at a token boundary (上门家政保洁 gives 上, 上门, 上门家, 上门家政, …, 家, 家政,
  家政保, …), which is what matches a word still being typed;
- a query is cut in accurate mode (the reading a person meant, not every sub-word): every word but the last
  must be a token of the document, the last may be a token or a prefix (`QueryTerms`).

The dictionary is loaded once per process, from a cache file under settings.SEARCH_SEGMENT_CACHE_DIR (jieba
would otherwise write it to the system's temp directory).
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

PREFIX_MAX = 10  # characters: as-you-type matches up to this long, longer typing matches as whole words
_tokenizer: Any = None
_lock = threading.Lock()


def tokenizer() -> Any:
    """The process's jieba tokenizer, its dictionary loaded on first use (about 0.6 s from the cache)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                made = jieba.Tokenizer()
                cache_dir = Path(settings.SEARCH_SEGMENT_CACHE_DIR)
                cache_dir.mkdir(parents=True, exist_ok=True)
                made.tmp_dir = str(cache_dir)
                made.initialize()
                _tokenizer = made
    return _tokenizer


def normalise(text: str) -> str:
    """Full-width to half-width (ＡＢＣ１２ → abc12), lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def _clean(tokens: Any) -> list[str]:
    return [t.strip() for t in tokens if _is_word(t)]


def _unique(tokens: list[str]) -> list[str]:
    return list(dict.fromkeys(tokens))


def document_tokens(*texts: str) -> list[str]:
    """Every word of these texts, search mode, each once, in order of first appearance."""
    cut = tokenizer().cut_for_search
    out: list[str] = []
    for text in texts:
        out.extend(_clean(cut(normalise(text))))
    return _unique(out)


def document_prefixes(*texts: str) -> list[str]:
    """The as-you-type terms of these texts (titles, names): leading characters of each token, and of the
    text from each token boundary on, up to PREFIX_MAX characters."""
    cut = tokenizer().cut
    out: list[str] = []
    for text in texts:
        for run in normalise(text).split():
            pieces = _clean(cut(run, HMM=False))
            for start in range(len(pieces)):
                rest = "".join(pieces[start:])
                out.extend(rest[:n] for n in range(1, min(len(rest), PREFIX_MAX) + 1))
            for token in document_tokens(run):
                out.extend(token[:n] for n in range(1, min(len(token), PREFIX_MAX) + 1))
    return _unique(out)


@dataclass(frozen=True)
class QueryTerms:
    """A typed query, as the backends match it: a document matches when it has every one of `words` as a
    token and `last` as a token or a prefix, or when `whole` (the typed text, one run without spaces) is one of
    its prefixes. `scored` are the words relevance counts."""

    words: tuple[str, ...]
    last: str
    whole: str

    @property
    def scored(self) -> tuple[str, ...]:
        return (*self.words, self.last)


def query_terms(text: str) -> QueryTerms | None:
    """None when the text has no word at all (then the query matches every visible document)."""
    normal = normalise(text)
    tokens = _clean(tokenizer().cut(normal))
    if not tokens:
        return None
    runs = normal.split()
    whole = runs[0] if len(runs) == 1 and len(runs[0]) <= PREFIX_MAX else ""
    words = tuple(_unique(tokens[:-1]))
    return QueryTerms(words=tuple(w for w in words if w != tokens[-1]), last=tokens[-1], whole=whole)
