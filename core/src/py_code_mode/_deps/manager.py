"""The deps list and the target directory, kept in step: what `deps.*` in agent code calls.

The list in storage says what a workspace needs; the installer's target holds what is
installed. A requirement is recorded only after it installed, and removing one also
uninstalls it, so the list never names a package that failed to install and never keeps
one that was asked to go (upstream py-code-mode did both).
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable
from typing import Any, Literal

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from py_code_mode._deps.installer import Installer
from py_code_mode._deps.requirements import normalize, parse_requirement
from py_code_mode._execution.base import REQUEST_OUTPUT
from py_code_mode._params import Package
from py_code_mode._storage.base import Storage
from py_code_mode.errors import InvalidRequirementError

__all__ = ["DepsManager"]

_AddStatus = Literal["installed", "already_present"]


PROGRESS_LINES = 40
"""Installer lines shown in a run's output; past them only how many more there were."""


class Progress:
    """An install's own output, streamed into the run that asked for it, bounded.

    `deps.add` can take many seconds; the agent (and whoever watches its output) sees the
    installer's lines as it prints them, not silence. Outside a run (the facade) there is
    nowhere to print and the lines go only to the log.
    """

    def __init__(self, sink: Callable[[str], None] | None, limit: int = PROGRESS_LINES) -> None:
        self._sink = sink
        self._limit = limit
        self._shown = 0
        self._more = 0

    def say(self, line: str) -> None:
        """One line of our own, always shown."""
        if self._sink is not None:
            self._sink(line + "\n")

    def __call__(self, line: str) -> None:
        """One line the installer printed."""
        if self._sink is None:
            return
        if self._shown < self._limit:
            self._shown += 1
            self._sink("  " + line + "\n")
        else:
            self._more += 1

    def close(self) -> None:
        """Say how many lines were not shown."""
        if self._more:
            self.say(f"  [{self._more} more lines of installer output]")
        self._more = 0


class DepsManager:
    """Adds, removes and syncs a workspace's deps: the list in storage and the installs.

    Changes are serialised, so two concurrent `add` calls cannot interleave their installs
    and list edits.

    Args:
        storage: Where the deps list lives.
        installer: Installs into the workspace's target directory.
    """

    def __init__(self, storage: Storage, installer: Installer) -> None:
        self._storage = storage
        self._installer = installer
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"DepsManager(storage={self._storage!r}, installer={self._installer!r})"

    async def list(self) -> list[str]:
        """The requirement lines of the deps list, in order."""
        return await self._storage.list_deps()

    async def add(self, package: Package) -> dict[str, Any]:
        """Install a requirement and then record it in the deps list.

        A requirement the target already satisfies is recorded without installing, so the
        workspace keeps needing it.

        Args:
            package: A requirement from agent code, e.g. ``"pandas>=2"``.

        Returns:
            Upstream py-code-mode's shape, ``{"installed": [...], "already_present": [...],
            "failed": []}`` (a failure raises `DepsInstallError` instead, so "failed" stays
            empty), plus ``"requirement"`` (the canonical line) and ``"status"``
            (``"installed"`` or ``"already_present"``).

        Raises:
            InvalidRequirementError: `package` is not an allowed requirement; nothing
                changed.
            DepsInstallError: The install failed; the deps list was left as it was.
        """
        req = parse_requirement(package)
        line = normalize(req)
        async with self._lock:
            status: _AddStatus = "already_present"
            if not self._installer.satisfied(req):
                await self._install("deps.add", [line])
                status = "installed"
            await self._storage.add_dep(line)
        return {
            "installed": [line] if status == "installed" else [],
            "already_present": [line] if status == "already_present" else [],
            "failed": [],
            "requirement": line,
            "status": status,
        }

    async def remove(self, package: Package) -> dict[str, Any]:
        """Uninstall a distribution from the target and drop it from the deps list.

        Args:
            package: A name, or a requirement whose name is used (``"pandas>=2"`` ->
                pandas).

        Returns:
            Upstream py-code-mode's shape: ``{"removed": [<name>] if it was installed,
            "not_found": [<name>] if it was not, "failed": [], "removed_from_config":
            <it was in the deps list>}`` (a failure raises `DepsInstallError`), plus
            ``"requirement"`` (the canonical name).

        Raises:
            InvalidRequirementError: `package` is not an allowed requirement; nothing
                changed.
            DepsInstallError: The uninstall failed; the deps list was left as it was.
        """
        name = canonicalize_name(parse_requirement(package).name)
        async with self._lock:
            uninstalled = name in self._installer.installed()
            if uninstalled:
                await self._installer.uninstall([name])
            removed = await self._storage.remove_dep(name)
        return {
            "removed": [name] if uninstalled else [],
            "not_found": [] if uninstalled else [name],
            "failed": [],
            "removed_from_config": removed,
            "requirement": name,
        }

    async def sync(self) -> dict[str, Any]:
        """Install everything in the deps list that the target does not satisfy yet.

        Returns:
            ``{"installed": [...], "already_present": [...]}``, canonical lines in list order.

        Raises:
            InvalidRequirementError: A line of the deps list is not an allowed requirement;
                nothing was installed.
            DepsInstallError: The install failed.
        """
        async with self._lock:
            reqs = [self._parse_line(line) for line in await self._storage.list_deps()]
            missing: list[str] = []
            present: list[str] = []
            for req in reqs:
                (present if self._installer.satisfied(req) else missing).append(normalize(req))
            if missing:
                await self._install("deps.sync", missing)
        return {"installed": missing, "already_present": present}

    async def _install(self, verb: str, lines: builtins.list[str]) -> None:
        """Install `lines`, streaming the installer's output to whoever asked (bounded)."""
        progress = Progress(REQUEST_OUTPUT.get())
        progress.say(f"{verb}: installing {', '.join(lines)}")
        try:
            await self._installer.install(lines, on_output=progress)
        finally:
            progress.close()

    def _parse_line(self, line: str) -> Requirement:
        """Parse a stored line: the list may have been edited by hand, so it is checked too."""
        try:
            return parse_requirement(line)
        except InvalidRequirementError as exc:
            raise InvalidRequirementError(
                f"The deps list of {self._storage!r} has a line that cannot be installed: "
                f"{line!r}. Fix or delete that line. {exc}"
            ) from exc
