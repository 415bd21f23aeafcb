"""Skill search: how often the right skill comes first, and what a search and a create cost.

    uv run python bench/skill_search.py [--sizes 1000,10000] [--searches 200]

Relevance runs the labelled queries of `bench/skill_corpus.py` (written before the ranker
was tuned; most are paraphrases sharing no content word with their skill) against a
library of its skills, and prints recall@1, recall@3 and MRR for lexical, dense (the
bundled static model's nearest vectors alone) and hybrid search, over all queries, the
paraphrases and the rest.

Speed fills FileStorage and RedisStorage (its own redis-server on a free port) with the
corpus's skills, copied under new names up to each size, then prints p50 and p99 of a
search through `SkillLibrary` (what `skills.search` runs on the host), against the baseline
of the storage's own `revision()` (the least a search that must notice other writers can
do), and p50 of a create at each size (its cost must not grow with the library).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from py_code_mode import FileStorage, RedisStorage
from py_code_mode._skills.embedders import default_embedder
from py_code_mode._skills.library import SkillLibrary
from py_code_mode._storage.base import Storage, StoredSkill
from skill_corpus import PARAPHRASE, QUERIES, SKILLS
from storage import start_redis


async def fill(storage: Storage, size: int) -> None:
    """`size` skills: the corpus, then copies of it under numbered names."""
    await storage.open()
    for i in range(size):
        skill = SKILLS[i % len(SKILLS)]
        name = skill["name"] if i < len(SKILLS) else f"{skill['name']}_{i // len(SKILLS)}"
        await storage.save_skill(
            StoredSkill(name=name, source=skill["source"], description=skill["description"] or None)
        )


def report(label: str, ranks: list[int | None]) -> None:
    n = len(ranks)
    at1 = sum(1 for r in ranks if r == 1) / n
    at3 = sum(1 for r in ranks if r is not None and r <= 3) / n
    mrr = sum(1 / r for r in ranks if r is not None) / n
    print(f"  {label:<30} n={n:<4} recall@1 {at1:.3f}  recall@3 {at3:.3f}  MRR {mrr:.3f}")


async def relevance(storage: Storage) -> None:
    embedder = default_embedder()
    modes: dict[str, Callable[[str], Awaitable[list[str]]]] = {}
    lexical = SkillLibrary(storage)
    modes["lexical"] = lambda q: names(lexical.search(q, 10))
    if embedder is not None:
        hybrid = SkillLibrary(storage, embedder)
        await hybrid.search("warm up", 1)
        modes["dense"] = lambda q: dense_names(hybrid, q)
        modes["hybrid"] = lambda q: names(hybrid.search(q, 10))
    else:
        print("  (dense and hybrid need the [semantic] extra)")
    print(f"relevance over {len(SKILLS)} skills")
    for mode, search in modes.items():
        ranks: list[int | None] = []
        for query, expected in QUERIES:
            found = await search(query)
            ranks.append(found.index(expected) + 1 if expected in found else None)
        report(f"{mode}, all queries", ranks)
        report(f"{mode}, paraphrases", [r for i, r in enumerate(ranks) if i in PARAPHRASE])
        report(f"{mode}, sharing words", [r for i, r in enumerate(ranks) if i not in PARAPHRASE])


async def names(found: Awaitable[list[dict[str, Any]]]) -> list[str]:
    return [skill["name"] for skill in await found]


async def dense_names(library: SkillLibrary, query: str) -> list[str]:
    return [name for name, _ in (await library._nearest(query))[:10]]


async def timings(action: Callable[[int], Awaitable[object]], rounds: int) -> list[float]:
    samples = []
    for i in range(rounds):
        started = time.perf_counter()
        await action(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def speed(label: str, storage: Storage, size: int, searches: int) -> None:
    await fill(storage, size)
    queries = [query for query, _ in QUERIES]
    random.Random(size).shuffle(queries)
    baseline = await timings(lambda i: storage.revision(), searches)
    print(
        f"  {label} {size:>6} skills; storage.revision() alone {percentile(baseline, 0.5):.3f} ms"
    )
    embedder = default_embedder()
    for mode, library in [("lexical", SkillLibrary(storage))] + (
        [("hybrid", SkillLibrary(storage, embedder))] if embedder is not None else []
    ):
        started = time.perf_counter()
        await library.search("warm up", 5)
        first = (time.perf_counter() - started) * 1000
        search = await timings(
            lambda i, library=library: library.search(queries[i % len(queries)], 10), searches
        )
        p50, p99 = percentile(search, 0.5), percentile(search, 0.99)
        print(
            f"    {mode:<8} search p50 {p50:6.2f} ms  p99 {p99:6.2f} ms   first search "
            f"(reads, parses{', embeds' if mode == 'hybrid' else ''} and indexes) {first:8.1f} ms"
        )
    source = SKILLS[0]["source"]
    lexical = SkillLibrary(storage)

    async def create(i: int) -> None:
        await lexical.create(f"bench_created_{i}", source, "a skill created by the benchmark")

    creates = await timings(create, 50)
    print(f"    create p50 {percentile(creates, 0.5):.2f} ms")
    await storage.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="library sizes for speed")
    parser.add_argument("--searches", type=int, default=200, help="searches per size")
    parser.add_argument("--no-redis", action="store_true", help="FileStorage only")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        await relevance_on_fresh(root)
        print("speed: p50/p99 of a search through SkillLibrary, and of a create, per size")
        redis_server = None if args.no_redis else start_redis(root)
        try:
            for size in sizes:
                await speed("file", FileStorage(root / f"file-{size}"), size, args.searches)
                if redis_server is not None:
                    redis = RedisStorage(url=redis_server[1], prefix=f"bench{size}")
                    await speed("redis", redis, size, args.searches)
        finally:
            if redis_server is not None:
                redis_server[0].kill()
                redis_server[0].wait()


async def relevance_on_fresh(root: Path) -> None:
    storage = FileStorage(root / "relevance")
    await fill(storage, len(SKILLS))
    await relevance(storage)
    words = statistics.mean(len(q.split()) for q, _ in QUERIES)
    print(f"  {len(QUERIES)} queries of {words:.1f} words; {len(PARAPHRASE)} paraphrases")


if __name__ == "__main__":
    asyncio.run(main())
