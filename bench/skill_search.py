"""Skill search: how often the right skill comes first, and what a search and a create cost.

    uv run python bench/skill_search.py [--sizes 1000,10000] [--searches 200]

Relevance runs the labelled queries of `bench/skill_corpus.py` (written before the ranker
was tuned; most are paraphrases sharing no content word with their skill) against a
library of its skills, and prints recall@1, recall@3 and MRR, over all queries and over
the paraphrases alone.

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

from py_code_mode import FileStorage, RedisStorage
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


async def relevance(storage: Storage) -> None:
    library = SkillLibrary(storage)
    ranks: list[int | None] = []
    for query, expected in QUERIES:
        found = [skill["name"] for skill in await library.search(query, 10)]
        ranks.append(found.index(expected) + 1 if expected in found else None)

    def report(label: str, chosen: list[int | None]) -> None:
        n = len(chosen)
        at1 = sum(1 for r in chosen if r == 1) / n
        at3 = sum(1 for r in chosen if r is not None and r <= 3) / n
        mrr = sum(1 / r for r in chosen if r is not None) / n
        print(f"  {label:<28} n={n:<4} recall@1 {at1:.3f}  recall@3 {at3:.3f}  MRR {mrr:.3f}")

    print(f"relevance over {len(SKILLS)} skills (lexical)")
    report("all queries", ranks)
    report("paraphrases", [r for i, r in enumerate(ranks) if i in PARAPHRASE])
    report("sharing words", [r for i, r in enumerate(ranks) if i not in PARAPHRASE])


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
    library = SkillLibrary(storage)
    queries = [query for query, _ in QUERIES]
    random.Random(size).shuffle(queries)
    started = time.perf_counter()
    await library.search("warm up", 5)
    first = (time.perf_counter() - started) * 1000
    search = await timings(lambda i: library.search(queries[i % len(queries)], 10), searches)
    baseline = await timings(lambda i: storage.revision(), searches)
    source = SKILLS[0]["source"]

    async def create(i: int) -> None:
        await library.create(f"bench_created_{i}", source, "a skill created by the benchmark")

    creates = await timings(create, 50)
    p50, p99 = percentile(search, 0.5), percentile(search, 0.99)
    base = percentile(baseline, 0.5)
    print(
        f"  {label:<6} {size:>6} skills: search p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
        f"(revision() alone {base:.3f} ms; first search, which reads and indexes the "
        f"library, {first:7.1f} ms)  create p50 {percentile(creates, 0.5):.2f} ms"
    )
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
        print("speed (p50/p99 of a search through SkillLibrary; create at that size)")
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
    print(f"  {statistics.mean(len(q.split()) for q, _ in QUERIES):.1f} words per query")


if __name__ == "__main__":
    asyncio.run(main())
