"""A storage with capability packages beneath it: reads fall through, writes stay on top.

Skills and tool definitions are read from the workspace's storage first, then from each
package in order; the first to define a name wins, so a workspace replaces a package's
skill by saving its own, and an earlier package shadows a later one. Every write goes to the
workspace. A delete of something only a package provides raises `ReadOnlyError`: nothing a
package ships is ever changed. Artifacts and deps belong to the workspace alone.

Packages are read with `FileStorage`'s own readers, never opened: opening creates
directories, and a package may sit in a read-only site-packages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from py_code_mode._packages import CapabilityPackage
from py_code_mode._storage.base import (
    ArtifactInfo,
    SkillStats,
    SkillUse,
    SkillVersion,
    Storage,
    StoredSkill,
)
from py_code_mode._storage.file import FileStorage
from py_code_mode.errors import ReadOnlyError

__all__ = ["LayeredStorage"]


def _defined_name(data: Any) -> str | None:
    if isinstance(data, Mapping) and isinstance(data.get("name"), str):
        return str(data["name"])
    return None


class LayeredStorage:
    """`top` with `packages` layered beneath it, read-only.

    Args:
        top: The workspace's storage: every write goes here.
        packages: Read in order beneath `top`.
    """

    def __init__(self, top: Storage, packages: Sequence[CapabilityPackage]) -> None:
        self._top = top
        self._packages = list(packages)
        self._layers = [(package.name, FileStorage(package.path)) for package in packages]

    def __repr__(self) -> str:
        names = ", ".join(package.name for package in self._packages)
        return f"LayeredStorage({self._top!r}, packages=[{names}])"

    @property
    def top(self) -> Storage:
        """The workspace's storage."""
        return self._top

    @property
    def packages(self) -> list[CapabilityPackage]:
        """The packages beneath, in the order they are read."""
        return list(self._packages)

    @property
    def root(self) -> Path | None:
        return self._top.root

    async def open(self) -> None:
        await self._top.open()

    async def revision(self) -> str:
        # Packages are fixed for the session's life: only the workspace can change.
        return await self._top.revision()

    async def close(self) -> None:
        await self._top.close()

    # --- tool definitions --------------------------------------------------------------

    async def load_tool_definitions(self) -> list[tuple[str, Any]]:
        """The workspace's definitions, then each package's whose name is not taken yet."""
        found = await self._top.load_tool_definitions()
        taken = {_defined_name(data) for _, data in found}
        for _, layer in self._layers:
            for source, data in await layer.load_tool_definitions():
                name = _defined_name(data)
                if name is None or name not in taken:
                    found.append((source, data))
                    taken.add(name)
        return found

    async def save_tool_definition(self, definition: Mapping[str, Any]) -> None:
        await self._top.save_tool_definition(definition)

    async def delete_tool_definition(self, name: str) -> bool:
        if await self._top.delete_tool_definition(name):
            return True
        for package, layer in self._layers:
            if any(_defined_name(data) == name for _, data in await layer.load_tool_definitions()):
                raise ReadOnlyError(
                    f"Tool {name!r} comes from the package {package!r}, which is read-only; "
                    "save a definition of that name to replace it in this workspace"
                )
        return False

    # --- skills ------------------------------------------------------------------------

    async def list_skills(self) -> list[StoredSkill]:
        found = {skill.name: skill for skill in await self._top.list_skills()}
        for package, layer in self._layers:
            for skill in await layer.list_skills():
                if skill.name not in found:
                    found[skill.name] = dataclasses.replace(skill, package=package)
        return [found[name] for name in sorted(found)]

    async def get_skill(self, name: str) -> StoredSkill | None:
        skill = await self._top.get_skill(name)
        if skill is not None:
            return skill
        for package, layer in self._layers:
            skill = await layer.get_skill(name)
            if skill is not None:
                return dataclasses.replace(skill, package=package)
        return None

    async def save_skill(self, skill: StoredSkill) -> None:
        await self._top.save_skill(skill)

    async def skill_history(self, name: str) -> list[SkillVersion]:
        # A package's skill has no history of its own: the workspace's copies have one.
        return await self._top.skill_history(name)

    async def get_skill_version(self, name: str, version: int) -> StoredSkill | None:
        return await self._top.get_skill_version(name, version)

    async def purge_skill(self, name: str) -> bool:
        if await self._top.purge_skill(name):
            return True
        await self.delete_skill(name)  # a package's: raises ReadOnlyError
        return False

    async def delete_skill(self, name: str) -> bool:
        if await self._top.delete_skill(name):
            return True
        for package, layer in self._layers:
            if await layer.get_skill(name) is not None:
                raise ReadOnlyError(
                    f"Skill {name!r} comes from the package {package!r}, which is read-only; "
                    "create a skill of that name to replace it in this workspace"
                )
        return False

    async def load_search_index(self, name: str) -> bytes | None:
        return await self._top.load_search_index(name)

    async def record_skill_uses(self, uses: list[SkillUse]) -> None:
        # Uses of a package's skills are the workspace's to count: packages stay unwritten.
        await self._top.record_skill_uses(uses)

    async def skill_stats(self) -> dict[str, SkillStats]:
        return await self._top.skill_stats()

    async def save_search_index(self, name: str, data: bytes) -> None:
        # The vectors of package skills are the workspace's cache too: packages stay unwritten.
        await self._top.save_search_index(name, data)

    # --- artifacts, deps and search indexes: the workspace's alone ----------------------

    async def save_artifact(self, info: ArtifactInfo, payload: bytes) -> None:
        await self._top.save_artifact(info, payload)

    async def load_artifact(self, name: str) -> tuple[ArtifactInfo, bytes]:
        return await self._top.load_artifact(name)

    async def artifact_exists(self, name: str) -> bool:
        return await self._top.artifact_exists(name)

    async def list_artifacts(self) -> list[ArtifactInfo]:
        return await self._top.list_artifacts()

    async def delete_artifact(self, name: str) -> bool:
        return await self._top.delete_artifact(name)

    async def list_deps(self) -> list[str]:
        return await self._top.list_deps()

    async def add_dep(self, requirement: str) -> None:
        await self._top.add_dep(requirement)

    async def remove_dep(self, name: str) -> bool:
        return await self._top.remove_dep(name)
