"""Lexical ranking shared by skill and tool search: BM25 over weighted fields, no model.

Words are split as code names are written (``fetch_repo_stars``, ``parseIsoTs``,
``csv2json``), stemmed with the Snowball English stemmer (so "converting" finds
``convert``), and expanded with the abbreviations and near-synonyms programmers use
(``gh`` is github, ``img`` is image, "remove" finds ``delete``), each expansion counting
for less than the word itself. `LexicalIndex` keeps each document's terms, so adding or
removing one document costs that document, and a search costs the documents that share a
term with the query, not the whole library.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]

__all__ = ["Document", "LexicalIndex", "rank", "tokenize"]

_WORD = re.compile(r"[A-Za-z]+|\d+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_STOP = frozenset(
    "a an and are as at be by can do does for from how i in into is it its me my of on or "
    "some that the their them this to what which with".split()
)
_K1, _B = 1.2, 0.75
_EXPANSION_WEIGHT = 0.4
"""How much a term found only through an abbreviation or near-synonym counts."""

# Abbreviations as they appear in code names, and the words they stand for.
_ABBREVIATIONS: Mapping[str, tuple[str, ...]] = {
    "gh": ("github",), "repo": ("repository",), "pr": ("pull", "request"),
    "img": ("image",), "pic": ("image",), "dir": ("directory", "folder"),
    "cfg": ("config", "configuration"), "conf": ("config", "configuration"),
    "msg": ("message",), "num": ("number",), "str": ("string", "text"),
    "dt": ("datetime", "date"), "ts": ("timestamp", "time"), "tz": ("timezone",),
    "db": ("database",), "env": ("environment",), "calc": ("calculate",),
    "conv": ("convert",), "del": ("delete",), "rm": ("remove", "delete"),
    "mk": ("make", "create"), "ls": ("list",), "cp": ("copy",), "mv": ("move", "rename"),
    "k8s": ("kubernetes",), "kube": ("kubernetes",), "b64": ("base64",),
    "avg": ("average", "mean"), "std": ("standard", "deviation"), "pct": ("percent",),
    "qty": ("quantity",), "amt": ("amount",), "addr": ("address",), "auth": ("authentication",),
    "pwd": ("password",), "passwd": ("password",), "url": ("link", "address"),
    "http": ("web", "request"), "api": ("endpoint",), "json": ("object",),
    "csv": ("spreadsheet", "table"), "tsv": ("spreadsheet", "table"), "xls": ("spreadsheet",),
    "xlsx": ("spreadsheet",), "sql": ("database", "query"), "md": ("markdown",),
    "doc": ("document",), "docs": ("documentation",), "info": ("information",),
    "stats": ("statistics",), "stat": ("statistic",), "cnt": ("count",),
    "idx": ("index",), "err": ("error",), "exc": ("exception", "error"),
    "fmt": ("format",), "tmp": ("temporary",), "temp": ("temperature", "temporary"),
    "src": ("source",), "dst": ("destination",), "dest": ("destination",),
    "req": ("request",), "resp": ("response",), "res": ("result", "response"),
    "usr": ("user",), "acct": ("account",), "sync": ("synchronize",),
    "px": ("pixel",), "kb": ("kilobyte",), "mb": ("megabyte",), "gb": ("gigabyte",),
    "lat": ("latitude",), "lon": ("longitude",), "lng": ("longitude",), "geo": ("location",),
    "ip": ("address", "network"), "dns": ("domain",), "ssl": ("certificate",),
    "tls": ("certificate",), "cert": ("certificate",), "jwt": ("token",),
    "s3": ("bucket", "storage"), "ci": ("pipeline", "build"), "ml": ("machine", "learning"),
    "nlp": ("language", "text"), "ocr": ("text", "image"), "pdf": ("document",),
    "c": ("celsius",), "f": ("fahrenheit",), "km": ("kilometer",), "mi": ("mile",),
    "utc": ("timezone", "universal"), "iso": ("standard", "format"),
}  # fmt: skip

# Near-synonyms: each group is words one person writes where another writes the others.
_SYNONYM_GROUPS: Sequence[tuple[str, ...]] = (
    ("get", "fetch", "retrieve", "download", "pull", "load", "read", "obtain", "grab"),
    ("save", "store", "write", "persist", "dump", "put"),
    ("delete", "remove", "drop", "erase", "purge", "clear"),
    ("create", "make", "new", "add", "generate", "build"),
    ("convert", "transform", "turn", "translate", "change"),
    ("list", "enumerate", "show", "all"),
    ("find", "search", "lookup", "locate", "query", "look"),
    ("count", "number", "tally", "total", "how", "many"),
    ("check", "validate", "verify", "test", "ensure"),
    ("parse", "extract", "read", "decode"),
    ("send", "post", "notify", "deliver", "email", "mail"),
    ("run", "execute", "launch", "start", "invoke"),
    ("stop", "kill", "terminate", "halt", "end"),
    ("update", "modify", "edit", "patch", "change"),
    ("compare", "diff", "difference"),
    ("merge", "combine", "join", "concatenate"),
    ("split", "divide", "chunk", "partition", "break"),
    ("sort", "order", "rank"),
    ("filter", "select", "keep", "exclude"),
    ("unique", "dedupe", "deduplicate", "distinct", "duplicate"),
    ("summary", "summarize", "overview", "digest"),
    ("size", "length", "big", "large"),
    ("average", "mean"),
    ("star", "popular", "popularity", "stargazer"),
    ("issue", "bug", "ticket", "problem"),
    ("folder", "directory"),
    ("file", "document"),
    ("text", "string", "word"),
    ("image", "picture", "photo"),
    ("resize", "scale", "thumbnail", "shrink"),
    ("compress", "zip", "archive", "pack"),
    ("decompress", "unzip", "extract", "unpack"),
    ("encrypt", "encode", "cipher"),
    ("decrypt", "decode"),
    ("hash", "digest", "checksum", "fingerprint"),
    ("schedule", "cron", "timer", "recurring"),
    ("date", "day", "calendar"),
    ("time", "clock", "hour", "minute"),
    ("money", "currency", "price", "cost"),
    ("user", "account", "person", "member"),
    ("log", "record", "history"),
    ("error", "failure", "exception", "fault"),
    ("web", "page", "site", "website", "html"),
    ("url", "link", "address"),
    ("scrape", "crawl", "harvest"),
    ("table", "spreadsheet", "sheet", "grid"),
    ("row", "record", "line", "entry"),
    ("column", "field", "attribute"),
    ("statistic", "metric", "measure"),
    ("clean", "normalize", "tidy", "sanitize", "strip"),
    ("format", "pretty", "render", "layout"),
    ("container", "docker", "image"),
    ("deploy", "release", "ship", "publish"),
    ("weather", "forecast", "temperature"),
    ("distance", "far", "kilometer", "mile"),
    ("latest", "recent", "newest", "last"),
    ("oldest", "first", "earliest"),
    ("top", "best", "most", "highest"),
    ("random", "shuffle", "sample"),
)

_STEMMER: Any = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def _build_related() -> dict[str, frozenset[str]]:
    related: dict[str, set[str]] = defaultdict(set)
    for short, words in _ABBREVIATIONS.items():
        stems = {_stem(word) for word in words}
        related[_stem(short)] |= stems
        for stem in stems:  # "github" also finds a name that says "gh"
            related[stem].add(_stem(short))
    for group in _SYNONYM_GROUPS:
        stems = {_stem(word) for word in group}
        for stem in stems:
            related[stem] |= stems - {stem}
    return {stem: frozenset(others - {stem}) for stem, others in related.items()}


_RELATED = _build_related()


def tokenize(text: str) -> list[str]:
    """Stemmed lower-case words, with snake_case, camelCase and digits split off."""
    return list(_tokens(text))


@functools.lru_cache(maxsize=16384)
def _tokens(text: str) -> tuple[str, ...]:
    words: list[str] = []
    for raw in _WORD.findall(_CAMEL.sub(" ", text)):
        word = raw.lower()
        if word not in _STOP:
            words.append(_stem(word))
    return tuple(words)


def expand(terms: Iterable[str]) -> dict[str, float]:
    """Query terms with their weights: each term 1, its related terms `_EXPANSION_WEIGHT`."""
    weighted: dict[str, float] = {}
    for term in terms:
        weighted[term] = 1.0
    for term in list(weighted):
        for other in _RELATED.get(term, ()):
            weighted.setdefault(other, _EXPANSION_WEIGHT)
    return weighted


@dataclass(frozen=True)
class Document:
    """Something to rank: a key and its text per field."""

    key: str
    fields: Mapping[str, str]


@dataclass
class _Entry:
    counts: dict[str, Counter[str]]
    lengths: dict[str, int]


_REWEIGH_DRIFT = 0.2
"""How far an average field length may drift from the one the weights were computed with
before every weight is computed again."""


class LexicalIndex:
    """BM25 over weighted fields, kept up to date one document at a time.

    Each posting holds its document's whole term weight (every field's BM25 term frequency
    times the field's weight), so a search adds up one number per matching document and
    term. The weights use the average field lengths of when they were computed; once those
    drift by a fifth, all weights are computed again, which adding documents of a similar
    kind rarely causes.

    Args:
        weights: Each field's weight; fields a document lacks count as empty.
    """

    def __init__(self, weights: Mapping[str, float]) -> None:
        self._weights = dict(weights)
        self._entries: dict[str, _Entry] = {}
        self._postings: dict[str, dict[str, float]] = defaultdict(dict)
        self._total_length = dict.fromkeys(self._weights, 0)
        self._average = dict.fromkeys(self._weights, 1.0)
        """The average field lengths the postings' weights were computed with."""

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def add(self, document: Document) -> None:
        """Index `document`, replacing any document with its key."""
        self.remove(document.key)
        counts = {
            field: Counter(_tokens(document.fields.get(field, ""))) for field in self._weights
        }
        entry = _Entry(counts, {field: sum(counter.values()) for field, counter in counts.items()})
        self._entries[document.key] = entry
        for field, length in entry.lengths.items():
            self._total_length[field] += length
        if not self._reweigh_if_drifted():
            self._post(document.key, entry)

    def remove(self, key: str) -> None:
        """Forget the document with `key`, if there is one."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for term in {term for counter in entry.counts.values() for term in counter}:
            postings = self._postings[term]
            postings.pop(key, None)
            if not postings:
                del self._postings[term]
        for field, length in entry.lengths.items():
            self._total_length[field] -= length
        self._reweigh_if_drifted()

    def _post(self, key: str, entry: _Entry) -> None:
        weights: dict[str, float] = defaultdict(float)
        for field, counter in entry.counts.items():
            norm = _K1 * (1 - _B + _B * entry.lengths[field] / self._average[field])
            weight = self._weights[field] * (_K1 + 1)
            for term, tf in counter.items():
                weights[term] += weight * tf / (tf + norm)
        for term, weight in weights.items():
            self._postings[term][key] = weight

    def _reweigh_if_drifted(self) -> bool:
        n = max(len(self._entries), 1)
        current = {field: max(total / n, 1.0) for field, total in self._total_length.items()}
        if all(
            abs(current[field] / self._average[field] - 1) <= _REWEIGH_DRIFT for field in current
        ):
            return False
        self._average = current
        self._postings = defaultdict(dict)
        for key, entry in self._entries.items():
            self._post(key, entry)
        return True

    def search(self, query: str, limit: int) -> list[tuple[str, float]]:
        """The `limit` best keys for `query` with their scores, best first; matches only."""
        weighted = expand(_tokens(query))
        n = len(self._entries)
        if not weighted or not n:
            return []
        scores: dict[str, float] = defaultdict(float)
        for term, boost in weighted.items():
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = boost * math.log(1 + (n - len(postings) + 0.5) / (len(postings) + 0.5))
            for key, weight in postings.items():
                scores[key] += idf * weight
        return heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], item[0]))


def rank(
    query: str,
    documents: Sequence[Document],
    weights: Mapping[str, float],
    limit: int,
) -> list[str]:
    """Keys of the `limit` best documents for `query`, best first; only those that match."""
    index = LexicalIndex(weights)
    for document in documents:
        index.add(document)
    return [key for key, _ in index.search(query, limit)]
