"""The skill library: validation, parsing and search on top of any storage."""

from __future__ import annotations

import builtins
import dataclasses
from typing import Any

from py_code_mode._params import Description, Limit, Query, SkillName, SkillSource
from py_code_mode._ranking import Document, rank
from py_code_mode._skills.model import Skill
from py_code_mode._storage.base import Storage, StoredSkill, utc_now
from py_code_mode.errors import InputError, SkillNotFoundError

_SEARCH_WEIGHTS = {"name": 3.0, "description": 2.0, "docstring": 1.0, "params": 1.0}


class SkillLibrary:
    """Skills of one storage, parsed once per version of their source."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._parsed: dict[tuple[str, str, str | None, str | None], Skill] = {}

    def _parse(self, stored: StoredSkill) -> Skill | None:
        key = (stored.name, stored.source, stored.description, stored.package)
        skill = self._parsed.get(key)
        if skill is None:
            try:
                skill = Skill.from_source(stored.name, stored.source, stored.description)
            except InputError:
                return None  # a hand-edited file that no longer parses: not a usable skill
            if stored.package is not None:
                skill = dataclasses.replace(skill, package=stored.package)
            self._parsed[key] = skill
        return skill

    async def all(self) -> list[Skill]:
        """Every usable skill, sorted by name."""
        parsed = (self._parse(stored) for stored in await self._storage.list_skills())
        return [skill for skill in parsed if skill is not None]

    async def list(self) -> list[dict[str, Any]]:
        """Summaries of every skill."""
        return [skill.summary() for skill in await self.all()]

    async def search(self, query: Query, limit: Limit = 10) -> builtins.list[dict[str, Any]]:
        """The skills that best match `query`, best first."""
        skills = {skill.name: skill for skill in await self.all()}
        documents = [
            Document(
                key=skill.name,
                fields={
                    "name": skill.name,
                    "description": skill.description,
                    "docstring": skill.source[:2000],
                    "params": " ".join(p.name for p in skill.parameters),
                },
            )
            for skill in skills.values()
        ]
        return [skills[key].summary() for key in rank(query, documents, _SEARCH_WEIGHTS, limit)]

    async def get(self, name: SkillName) -> dict[str, Any] | None:
        """The skill in full, with its source, or None if there is none."""
        stored = await self._storage.get_skill(name)
        skill = self._parse(stored) if stored is not None else None
        return skill.details() if skill is not None else None

    async def source(self, name: SkillName) -> str:
        """The source of a skill to run; raise `SkillNotFoundError` if absent."""
        stored = await self._storage.get_skill(name)
        if stored is None or self._parse(stored) is None:
            available = [skill.name for skill in await self.all()]
            shown = ", ".join(available[:20]) or "none yet"
            raise SkillNotFoundError(f"Skill not found: {name!r}. Available: {shown}")
        return stored.source

    async def create(
        self, name: SkillName, source: SkillSource, description: Description = None
    ) -> dict[str, Any]:
        """Validate, then store, replacing any skill of that name; nothing is written if invalid."""
        skill = Skill.from_source(name, source, description)
        explicit = description.strip() if description and description.strip() else None
        now = utc_now()
        await self._storage.save_skill(
            StoredSkill(
                name=skill.name,
                source=skill.source,
                description=explicit,
                created_at=now,
                updated_at=now,
                parameters=tuple(p.to_dict() for p in skill.parameters),
            )
        )
        return skill.summary()

    async def delete(self, name: SkillName) -> bool:
        """Delete a skill; False if there was none."""
        return await self._storage.delete_skill(name)
