"""The skill library: validation, parsing and search on top of any storage.

Search never re-reads the library while it is unchanged: the library keeps every usable
skill parsed and indexed, and asks the storage's `revision()` (a few syscalls, or one round
trip to Redis) before each search or listing. When the revision has moved, it lists the
skills once and updates the index with only those that changed, so a search over ten
thousand skills costs the skills that share a word with the query, and a create costs one
skill.
"""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import logging
from datetime import datetime
from typing import Any

from py_code_mode._params import (
    Author,
    Description,
    Examples,
    Limit,
    Query,
    Requires,
    SkillName,
    SkillSort,
    SkillSource,
    SkillUses,
    Tests,
    Version,
)
from py_code_mode._ranking import Document, LexicalIndex
from py_code_mode._skills.dense import DenseIndex, EmbedderError, VectorCache, index_name, text_key
from py_code_mode._skills.embedders import Embedder
from py_code_mode._skills.model import Skill, count_tests, declare_requires
from py_code_mode._storage.base import SkillStats, SkillUse, Storage, StoredSkill, utc_now
from py_code_mode.errors import InputError, SkillNotFoundError

_SEARCH_WEIGHTS = {"name": 3.0, "description": 2.0, "docstring": 1.0, "params": 1.0}
_POOL = 50
"""Candidates each ranking gives to the fusion."""
_DENSE_ONLY_SHARE = 0.8
"""How close to the nearest skill's similarity a skill no query word matches must come."""
_RRF_K = 10
"""Reciprocal rank fusion's constant: a smaller one lets each ranking's top matter more."""
_SUCCESS_PRIOR = 0.2
"""How much a skill's record moves its search score: x0.9 (always failing) to x1.1."""
_FLUSH_DELAY = 1.0
"""Seconds reported counts wait before they are written, so that they are written together."""
_STATS_MAX_AGE = 30.0
"""Seconds search may rank with usage stats read earlier (listings always read them): a
search of an unchanged library stays one revision check, and a prior may lag a little."""

logger = logging.getLogger("py_code_mode")

_Version = tuple[str, str | None, str | None]
"""What a parsed skill depends on: its source, explicit description and package."""


def _version(stored: StoredSkill) -> _Version:
    return (stored.source, stored.description, stored.package)


def _embedding_text(skill: Skill) -> str:
    """What a skill's vector is made from: its name as words, description and parameters."""
    params = " ".join(p.name.replace("_", " ") for p in skill.parameters)
    return f"{skill.name.replace('_', ' ')}. {skill.description}. {params}"


def fuse(*rankings: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: each ranking adds 1 / (k + rank) to its keys; best first."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, (key, _) in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1 / (_RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def with_prior(
    ranking: list[tuple[str, float]], stats: dict[str, SkillStats]
) -> list[tuple[str, float]]:
    """A ranking with each score weighed lightly by the skill's success so far.

    A skill never used keeps its score; one that always worked gains up to a tenth, one
    that always failed loses as much, so a clearly better match still wins.
    """
    weighed = []
    for key, score in ranking:
        known = stats.get(key)
        rate = known.success_rate if known is not None else 0.5
        weighed.append((key, score * (1 + _SUCCESS_PRIOR * (rate - 0.5))))
    return sorted(weighed, key=lambda item: (-item[1], item[0]))


def _added(first: SkillUse, second: SkillUse) -> SkillUse:
    return SkillUse(
        first.name,
        first.calls + second.calls,
        first.failures + second.failures,
        first.seconds + second.seconds,
    )


def _sort_key(sort: str, stats: SkillStats | None) -> float:
    """Greatest first: the negated measure (absent stats sort last)."""
    if stats is None or not stats.calls:
        return 0.0
    measures = {
        "calls": float(stats.calls),
        "failures": float(stats.failures),
        "last_used": datetime.fromisoformat(stats.last_used).timestamp()
        if stats.last_used
        else 0.0,
        "mean_seconds": stats.total_seconds / stats.calls,
        "success_rate": stats.success_rate,
    }
    return -measures[sort]


def _document(skill: Skill) -> Document:
    return Document(
        key=skill.name,
        fields={
            "name": skill.name,
            "description": skill.description,
            "docstring": skill.source[:2000],
            "params": " ".join(p.name for p in skill.parameters),
        },
    )


class SkillLibrary:
    """Skills of one storage, parsed and indexed once per version of each.

    Args:
        storage: Where the skills are.
        embedder: Makes search hybrid: BM25 fused with the nearest vectors of this
            embedder. None searches lexically.
    """

    def __init__(self, storage: Storage, embedder: Embedder | None = None) -> None:
        self._storage = storage
        self._embedder = embedder
        self._vectors = VectorCache(embedder.identity) if embedder is not None else None
        self._vectors_loaded = False
        self._dense = DenseIndex()
        self._dense_failure: str | None = None
        self._skills: dict[str, tuple[_Version, Skill]] = {}
        """The usable skills as last listed, which the index holds."""
        self._parsed: dict[str, tuple[_Version, Skill | None]] = {}
        """The latest parse of each name, also of versions read one at a time (invoke)."""
        self._index = LexicalIndex(_SEARCH_WEIGHTS)
        self._revision: str | None = None
        self._refreshing = asyncio.Lock()
        self._stats: tuple[float, dict[str, SkillStats]] | None = None
        """Usage stats as last read, and when (the loop's clock)."""
        self._unsaved: dict[str, SkillUse] = {}
        """Counts reported by workers and not yet written to the storage."""
        self._flushing: asyncio.TimerHandle | None = None
        self._flush_task: asyncio.Future[None] | None = None
        self._writing = asyncio.Lock()

    def _parse(self, stored: StoredSkill) -> Skill | None:
        version = _version(stored)
        known = self._parsed.get(stored.name)
        if known is not None and known[0] == version:
            return known[1]
        skill: Skill | None
        try:
            skill = Skill.from_source(stored.name, stored.source, stored.description)
        except InputError:
            skill = None  # a hand-edited file that no longer parses: not a usable skill
        if skill is not None and stored.package is not None:
            skill = dataclasses.replace(skill, package=stored.package)
        self._parsed[stored.name] = (version, skill)
        return skill

    async def _current(self) -> dict[str, tuple[_Version, Skill]]:
        """Every usable skill, re-read only when the storage's revision has moved."""
        revision = await self._storage.revision()
        if revision == self._revision:
            return self._skills
        async with self._refreshing:
            if revision == self._revision:
                return self._skills
            # The revision was read first: a write that lands while the skills are listed
            # moves it again, so the next call reads once more rather than missing it.
            listed = await self._storage.list_skills()
            fresh: dict[str, tuple[_Version, Skill]] = {}
            for stored in listed:
                skill = self._parse(stored)
                if skill is not None:
                    fresh[stored.name] = (_version(stored), skill)
            for name in self._skills.keys() - fresh.keys():
                self._index.remove(name)
            for name in self._parsed.keys() - {stored.name for stored in listed}:
                del self._parsed[name]
            for name, (_, skill) in fresh.items():
                known = self._skills.get(name)
                if known is None or known[1] is not skill:
                    self._index.add(_document(skill))
            if self._embedder is not None:
                await self._refresh_vectors(fresh)
            self._skills, self._revision = fresh, revision
        return self._skills

    async def _refresh_vectors(self, fresh: dict[str, tuple[_Version, Skill]]) -> None:
        """Embed the skill versions without a vector, index all, store what changed."""
        assert self._embedder is not None and self._vectors is not None
        name = index_name(self._embedder.identity)
        if not self._vectors_loaded:
            where = f"{name} in {self._storage!r}"
            self._vectors.load(await self._storage.load_search_index(name), where)
            self._vectors_loaded = True
        texts = {skill_name: _embedding_text(skill) for skill_name, (_, skill) in fresh.items()}
        keys = {skill_name: text_key(text) for skill_name, text in texts.items()}
        try:
            await asyncio.to_thread(
                self._vectors.fill, self._embedder, {keys[n]: texts[n] for n in texts}
            )
            self._dense_failure = None
        except EmbedderError as exc:
            self._fail_dense(str(exc))
        vectors = {n: self._vectors.get(key) for n, key in keys.items()}
        self._dense.rebuild({n: v for n, v in vectors.items() if v is not None})
        if self._vectors.changed:
            self._vectors.changed = False
            await self._storage.save_search_index(name, self._vectors.dump(list(keys.values())))

    def _fail_dense(self, problem: str) -> None:
        if problem != self._dense_failure:
            logger.warning("skill search falls back to words alone: %s", problem)
        self._dense_failure = problem

    async def all(self) -> list[Skill]:
        """Every usable skill, sorted by name."""
        skills = await self._current()
        return [skills[name][1] for name in sorted(skills)]

    async def list(self, sort: SkillSort = "name") -> list[dict[str, Any]]:
        """Summaries of every skill; a used one carries `stats` (calls, failures, ...)."""
        skills = await self.all()
        stats = await self._usage(max_age=0.0)
        if sort != "name":
            skills.sort(key=lambda skill: _sort_key(sort, stats.get(skill.name)))
        return [self._summary(skill, stats) for skill in skills]

    @staticmethod
    def _summary(skill: Skill, stats: dict[str, SkillStats]) -> dict[str, Any]:
        summary = skill.summary()
        known = stats.get(skill.name)
        if known is not None and known.calls:
            summary["stats"] = known.to_dict()
        return summary

    async def _usage(self, max_age: float) -> dict[str, SkillStats]:
        """Usage stats, read again (after writing this host's counts) when older than `max_age`."""
        now = asyncio.get_running_loop().time()
        if self._stats is None or now - self._stats[0] > max_age:
            await self.flush()
            self._stats = (now, await self._storage.skill_stats())
        return self._stats[1]

    async def record_uses(self, uses: SkillUses) -> None:
        """Count invocations a worker reports after a run: calls, failures, duration.

        The worker sends them without waiting for an answer, so no skill call waits on
        the storage.
        """
        when = utc_now()
        for use in uses:
            reported = SkillUse(use.name, use.calls, use.failures, use.seconds)
            known = self._unsaved.get(use.name)
            self._unsaved[use.name] = reported if known is None else _added(known, reported)
            if self._stats is not None:  # this host's own uses count at once, without a read
                counted = self._stats[1]
                counted[use.name] = counted.get(use.name, SkillStats()).add(reported, when)
        if self._unsaved and self._flushing is None:
            # Counts are written together, a moment later: a loop of runs that each call a
            # skill costs the storage one write a second, not one per run.
            self._flushing = asyncio.get_running_loop().call_later(_FLUSH_DELAY, self._flush_later)

    def _flush_later(self) -> None:
        self._flush_task = asyncio.ensure_future(self.flush())

    async def flush(self) -> None:
        """Write the counts not yet written; listings and the session's close call this.

        A flush under way is waited for, so that after this returns every count reported
        before it has been written.
        """
        if self._flushing is not None:
            self._flushing.cancel()
            self._flushing = None
        async with self._writing:
            if not self._unsaved:
                return
            unsaved, self._unsaved = list(self._unsaved.values()), {}
            try:
                await self._storage.record_skill_uses(unsaved)
            except Exception:  # noqa: BLE001 - counts are advisory; a failed write stays local
                logger.warning("skill usage stats were not written", exc_info=True)

    async def search(self, query: Query, limit: Limit = 10) -> builtins.list[dict[str, Any]]:
        """The skills that best match `query`, best first."""
        skills = await self._current()
        lexical = self._index.search(query, _POOL)
        dense = await self._nearest(query) if self._embedder else []
        if dense:
            # A skill that shares no word with the query joins only when its vector is
            # nearly as close as the closest: a weak model ranks everything somewhat close.
            matched, floor = {key for key, _ in lexical}, dense[0][1] * _DENSE_ONLY_SHARE
            dense = [(key, score) for key, score in dense if key in matched or score >= floor]
        ranked = fuse(lexical, dense) if dense else lexical
        stats = await self._usage(max_age=_STATS_MAX_AGE)
        if stats:
            ranked = with_prior(ranked, stats)
        return [self._summary(skills[key][1], stats) for key, _ in ranked[:limit]]

    async def _nearest(self, query: str) -> builtins.list[tuple[str, float]]:
        """The skills whose vectors are nearest the query's; [] if the embedder fails."""
        assert self._vectors is not None and self._embedder is not None
        if not query.strip():
            return []
        try:
            cache = VectorCache(self._embedder.identity)
            cache.dimension = self._vectors.dimension
            key = text_key(query)
            await asyncio.to_thread(cache.fill, self._embedder, {key: query})
        except EmbedderError as exc:
            self._fail_dense(str(exc))
            return []
        return self._dense.search(cache.get(key), _POOL)

    async def get(self, name: SkillName, version: Version | None = None) -> dict[str, Any] | None:
        """The skill in full, with its source, or None if there is none.

        With `version`, that version from the skill's history, also of a deleted skill.

        Raises:
            SkillNotFoundError: The skill has no such version; the message lists those it has.
        """
        if version is not None:
            stored = await self._storage.get_skill_version(name, version)
            if stored is None:
                raise await self._no_version(name, version)
        else:
            stored = await self._storage.get_skill(name)
        skill = self._parse(stored) if stored is not None else None
        if skill is None:
            return None
        details = skill.details()
        if stored is not None and stored.version is not None:
            details["version"] = stored.version
        if stored is not None and stored.verification:
            details["verification"] = dict(stored.verification)
        return details

    async def history(self, name: SkillName) -> builtins.list[dict[str, Any]]:
        """Every version of a skill, oldest first: number, time, hash, description, author.

        A delete is an entry too (`deleted: true`); deleted skills keep their history until
        purged.

        Raises:
            SkillNotFoundError: The skill never existed (or was purged).
        """
        versions = await self._storage.skill_history(name)
        if not versions:
            raise await self._not_found(name)
        return [version.to_dict() for version in versions]

    async def rollback(
        self, name: SkillName, version: Version, author: Author = None
    ) -> dict[str, Any]:
        """Make an earlier version current again, as a new version; also undoes a delete.

        Raises:
            SkillNotFoundError: The skill has no such version (or never existed).
            InvalidSkillError: That version no longer parses; nothing was written.
        """
        stored = await self._storage.get_skill_version(name, version)
        if stored is None:
            raise await self._no_version(name, version)
        # The version passed its examples and tests when it was saved; it keeps the record.
        return await self._save(
            Skill.from_source(name, stored.source, stored.description),
            stored.description,
            author,
            stored.verification,
        )

    async def purge(self, name: SkillName) -> bool:
        """Remove a skill and its whole history for good; False if there was neither.

        Its counts go too, the ones not yet written included: after the write under way,
        if any, so that a use reported just before cannot bring its stats back.
        """
        async with self._writing:
            self._unsaved.pop(name, None)
            if self._stats is not None:
                self._stats[1].pop(name, None)
            return await self._storage.purge_skill(name)

    async def _not_found(self, name: str) -> SkillNotFoundError:
        available = [skill.name for skill in await self.all()]
        shown = ", ".join(available[:20]) or "none yet"
        return SkillNotFoundError(f"Skill not found: {name!r}. Available: {shown}")

    async def _no_version(self, name: str, version: int) -> SkillNotFoundError:
        versions = await self._storage.skill_history(name)
        if not versions:
            return await self._not_found(name)
        kept = [str(entry.version) for entry in versions if not entry.deleted]
        deleted = [str(entry.version) for entry in versions if entry.deleted]
        said = f"Skill {name!r} has no version {version}"
        if str(version) in deleted:
            said = f"Version {version} of skill {name!r} records its delete and has no source"
        return SkillNotFoundError(
            f"{said}; its versions are {', '.join(kept) or 'none'} (skills.history({name!r}))"
        )

    async def source(self, name: SkillName) -> str:
        """The source of a skill to run; raise `SkillNotFoundError` if absent."""
        stored = await self._storage.get_skill(name)
        if stored is None or self._parse(stored) is None:
            raise await self._not_found(name)
        return stored.source

    async def create(
        self,
        name: SkillName,
        source: SkillSource,
        description: Description = None,
        author: Author = None,
        examples: Examples = None,
        tests: Tests = None,
        requires: Requires = None,
    ) -> dict[str, Any]:
        """Validate, then store as a new version; nothing is written if invalid.

        A skill of that name is replaced, and its earlier versions stay in its history.
        With `examples` or `tests`, the worker ran them before this was called (see
        `Operation.in_worker`); they are kept with the version as its verification record.
        `requires` is written into the source as ``__requires__``.
        """
        if requires is not None:
            source = declare_requires(name, source, requires)
        skill = Skill.from_source(name, source, description)
        verification = None
        if examples or tests:
            verification = {
                "examples": examples or [],
                "tests": tests or None,
                "test_count": count_tests(name, tests) if tests else 0,
                "checked_at": utc_now(),
            }
        explicit = description.strip() if description and description.strip() else None
        return await self._save(skill, explicit, author, verification)

    async def _save(
        self,
        skill: Skill,
        description: str | None,
        author: str | None,
        verification: dict[str, Any] | None,
    ) -> dict[str, Any]:
        now = utc_now()
        await self._storage.save_skill(
            StoredSkill(
                name=skill.name,
                source=skill.source,
                description=description,
                created_at=now,
                updated_at=now,
                parameters=tuple(p.to_dict() for p in skill.parameters),
                author=author,
                input_schema=skill.input_schema,
                verification=verification,
            )
        )
        return skill.summary()

    async def delete(self, name: SkillName) -> bool:
        """Delete a skill; False if there was none. Its history stays until `purge`."""
        return await self._storage.delete_skill(name)
