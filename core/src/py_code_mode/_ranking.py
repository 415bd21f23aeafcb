"""Lexical ranking shared by skill and tool search: BM25 over weighted fields.

Good enough to find ``fetch_repo_stars`` from "github stars" without a model download; the
dense and hybrid rankers arrive in their own issue and keep this one as a fallback.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z]+|\d+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_STOP = frozenset(
    "a an and are as at be by for from get in is it of on or that the this to with".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-case words, with snake_case and camelCase split and a light plural stem."""
    return list(_tokens(text))


@functools.lru_cache(maxsize=8192)
def _tokens(text: str) -> tuple[str, ...]:
    # Cached: every search tokenises every skill's fields, which barely ever change;
    # without it a search over 50 skills spent ~3 ms here (bench/storage.py).
    words: list[str] = []
    for raw in _WORD.findall(_CAMEL.sub(" ", text)):
        word = raw.lower()
        if word in _STOP:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return tuple(words)


@dataclass(frozen=True)
class Document:
    """Something to rank: a key and its text per field."""

    key: str
    fields: Mapping[str, str]


def rank(
    query: str,
    documents: Sequence[Document],
    weights: Mapping[str, float],
    limit: int,
) -> list[str]:
    """Keys of the `limit` best documents for `query`, best first; only those that match."""
    terms = tokenize(query)
    if not terms or not documents:
        return []
    tokenized = [
        {field: _tokens(doc.fields.get(field, "")) for field in weights} for doc in documents
    ]
    containing: Counter[str] = Counter()
    for fields in tokenized:
        containing.update({term for words in fields.values() for term in words})
    avg_len = {
        field: max(sum(len(f[field]) for f in tokenized) / len(tokenized), 1.0) for field in weights
    }
    scored: list[tuple[float, str]] = []
    n = len(documents)
    for doc, fields in zip(documents, tokenized, strict=True):
        score = 0.0
        for term in set(terms):
            idf = math.log(1 + (n - containing[term] + 0.5) / (containing[term] + 0.5))
            for field, weight in weights.items():
                words = fields[field]
                tf = words.count(term)
                if tf:
                    norm = tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(words) / avg_len[field]))
                    score += weight * idf * norm
        if score > 0:
            scored.append((score, doc.key))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [key for _, key in scored[:limit]]
