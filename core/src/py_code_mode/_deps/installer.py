"""Install and remove packages in one workspace's target directory.

Packages go into `target`, a plain directory the worker puts on `sys.path`, never into the
host's site-packages: one workspace's deps cannot break the host or another workspace. The
installer is ``uv pip`` when uv is available (it treats the target as an environment, so an
upgrade replaces the old version) and ``python -m pip`` otherwise. pip's ``--target`` mode
ignores what the target already holds, so after pip the replaced versions' leftovers are
pruned here, and pip-mode uninstall deletes the files a distribution's RECORD lists (pip has
no ``uninstall --target``).

Every option of the installer process is host configuration. Agent code only ever supplies
requirement specs, and those are re-checked by `parse_requirement` on the way in.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import shutil
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import Distribution
from pathlib import Path
from typing import TypeVar

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion

from py_code_mode._deps.requirements import normalize, parse_requirement
from py_code_mode._process import Command, Lines, describe_exit
from py_code_mode.errors import DepsInstallError, UsageError

__all__ = ["Installer"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

_TAIL_LINES = 40
"""How much of the installer's output a `DepsInstallError` quotes."""

_METADATA_SUFFIXES = (".dist-info", ".egg-info")


@dataclass(frozen=True)
class _Installed:
    """One distribution found in the target directory."""

    path: Path
    name: str
    dist: Distribution


class Installer:
    """Installs into a per-workspace target directory, never the host's site-packages.

    Args:
        target: The directory packages are installed into; created on first install.
        python: The interpreter the packages are for (it decides wheel tags); default is the
            host's. In pip mode it also runs ``-m pip``, so it must have pip.
        find_links: Directories or URLs of extra distributions (``--find-links``).
        index_url: The package index to use instead of the installer's default.
        no_index: Use no index at all, only `find_links`.
        timeout: Seconds one installer run may take before it is killed.
        use_uv: True for ``uv pip``, False for ``python -m pip``; None picks uv if `uv` is
            on PATH.

    Raises:
        UsageError: `use_uv` is True but `uv` is not on PATH, or `timeout` is not positive.
    """

    def __init__(
        self,
        target: Path,
        *,
        python: str | None = None,
        find_links: Sequence[str | Path] = (),
        index_url: str | None = None,
        no_index: bool = False,
        timeout: float = 600.0,
        use_uv: bool | None = None,
    ) -> None:
        if not timeout > 0:
            raise UsageError(
                f"Installer timeout must be a positive number of seconds, got {timeout!r}"
            )
        uv = shutil.which("uv") if use_uv is not False else None
        if use_uv and uv is None:
            raise UsageError(
                "Installer(use_uv=True) but `uv` is not on PATH; install uv or pass use_uv=False"
            )
        self._target = Path(target).expanduser().resolve()
        self._python = python or sys.executable
        self._uv = uv
        self._timeout = timeout
        self._source_args: list[str] = []
        for link in find_links:
            self._source_args += ["--find-links", str(link)]
        if index_url is not None:
            self._source_args += ["--index-url", index_url]
        if no_index:
            self._source_args.append("--no-index")

    def __repr__(self) -> str:
        tool = "uv" if self._uv else "pip"
        return f"Installer(target={str(self._target)!r}, installer={tool!r})"

    @property
    def target(self) -> Path:
        """The directory packages are installed into."""
        return self._target

    def installed(self) -> dict[str, str]:
        """What the target holds.

        Returns:
            Canonical distribution name -> version, for every distribution in `target`.
        """
        return {found.name: found.dist.version for found in self._scan()}

    def satisfied(self, req: Requirement) -> bool:
        """Whether `req` is met by the target alone, so installing it would change nothing.

        Requested extras count: each dependency an extra adds must be in the target at an
        allowed version too (one level deep, which is what the installer would add).

        Args:
            req: A parsed requirement.

        Returns:
            True if the distribution is in `target` with a version `req` allows.
        """
        found = {item.name: item for item in self._scan()}
        item = found.get(canonicalize_name(req.name))
        if item is None or not _allows(req.specifier, item.dist.version):
            return False
        versions = {name: other.dist.version for name, other in found.items()}
        return _extras_satisfied(item.dist, req.extras, versions)

    async def install(
        self,
        requirements: Sequence[str],
        *,
        on_output: Callable[[str], None] | None = None,
    ) -> None:
        """Install `requirements` into the target with one installer run.

        Args:
            requirements: Requirement specs; each must pass `parse_requirement`.
            on_output: Called with each line the installer prints, as it prints it.

        Raises:
            InvalidRequirementError: A spec is not an allowed requirement; nothing was run.
            DepsInstallError: The installer failed, timed out or could not start.
        """
        lines = [normalize(parse_requirement(spec)) for spec in requirements]
        if not lines:
            return
        self._target.mkdir(parents=True, exist_ok=True)
        target = str(self._target)
        what = f"Installing {', '.join(lines)}"
        if self._uv is not None:
            argv = [self._uv, "pip", "install", "--target", target, "--python", self._python]
            await self._run([*argv, *self._source_args, *lines], what, on_output)
            return
        before = {item.path for item in self._scan()}
        # --upgrade: without it pip skips any package whose directory already exists in target.
        argv = [self._python, "-m", "pip", "install", "--target", target, "--upgrade"]
        argv += ["--disable-pip-version-check", "--no-input", "--progress-bar", "off"]
        await self._run([*argv, *self._source_args, *lines], what, on_output)
        await self._edit_target(self._prune_replaced, before)

    async def uninstall(self, names: Sequence[str]) -> None:
        """Remove distributions from the target; names it does not hold are ignored.

        Their dependencies stay, as with ``pip uninstall``.

        Args:
            names: Distribution names (a spec's version part is ignored).

        Raises:
            InvalidRequirementError: A name is not an allowed requirement.
            DepsInstallError: The uninstaller failed or could not start.
        """
        wanted = {canonicalize_name(parse_requirement(name).name) for name in names}
        present = [item for item in self._scan() if item.name in wanted]
        if not present:
            return
        if self._uv is None:
            await self._edit_target(self._delete_all, present)
            return
        argv = [
            self._uv,
            "pip",
            "uninstall",
            "--target",
            str(self._target),
            "--python",
            self._python,
        ]
        present_names = sorted({item.name for item in present})
        await self._run([*argv, *present_names], f"Uninstalling {', '.join(present_names)}", None)

    # --- the installer process --------------------------------------------------------------

    async def _run(
        self, argv: list[str], what: str, on_output: Callable[[str], None] | None
    ) -> None:
        logger.info("%s (target %s): %s", what, self._target, shlex.join(argv))
        tail: deque[str] = deque(maxlen=_TAIL_LINES)

        def emit(line: str) -> None:
            tail.append(line)
            logger.info("%s", line)
            if on_output is not None:
                on_output(line)

        lines = Lines(emit)
        # Its own process group, so a timeout also kills the build backends it spawns.
        command = Command(argv, stdout=lines, timeout=self._timeout)
        try:
            finished = await command.run()
        except OSError as exc:
            raise DepsInstallError(f"{what} failed: cannot start {argv[0]!r}: {exc}") from exc
        lines.close()
        if not finished:
            raise DepsInstallError(
                f"{what} timeout: timed out after {self._timeout:g} s and was stopped."
                f"{_quote(tail)}"
            )
        if command.returncode != 0:
            raise DepsInstallError(
                f"{what} failed: {Path(argv[0]).name} ended with "
                f"{describe_exit(command.returncode)}. Check the package name and version on "
                f"the index.{_quote(tail)}"
            )
        logger.info("%s: done", what)

    # --- the target directory ---------------------------------------------------------------

    async def _edit_target(self, edit: Callable[[_T], None], arg: _T) -> None:
        """Run a file-level edit of the target off the event loop."""
        try:
            await asyncio.to_thread(edit, arg)
        except OSError as exc:
            raise DepsInstallError(f"Cannot update {str(self._target)!r}: {exc}") from exc

    def _scan(self) -> list[_Installed]:
        """The distributions in the target, found by their metadata directories."""
        try:
            entries = sorted(self._target.iterdir())
        except FileNotFoundError:
            return []
        found = []
        for path in entries:
            if not (path.name.endswith(_METADATA_SUFFIXES) and path.is_dir()):
                continue
            dist = Distribution.at(path)
            name = dist.metadata["Name"]
            # Python 3.11 gives None for a missing field; such a directory is not a package.
            if isinstance(name, str):
                found.append(_Installed(path, canonicalize_name(name), dist))
        return found

    def _prune_replaced(self, before: set[Path]) -> None:
        """After pip: delete older versions that a new version of the same name replaced."""
        by_name: dict[str, list[_Installed]] = {}
        for item in self._scan():
            by_name.setdefault(item.name, []).append(item)
        for items in by_name.values():
            new = [item for item in items if item.path not in before]
            if not new:
                continue
            keep = set().union(*(self._files(item) for item in new))
            for old in items:
                if old.path in before:
                    logger.info("Removing replaced %s %s", old.name, old.dist.version)
                    self._delete(old, keep)

    def _delete_all(self, items: list[_Installed]) -> None:
        for item in items:
            logger.info("Uninstalling %s %s from %s", item.name, item.dist.version, self._target)
            self._delete(item, set())

    def _files(self, item: _Installed) -> set[Path]:
        """The files a distribution's RECORD lists, keeping only those inside the target.

        A RECORD is data from the package: an entry such as ``../../bin/x`` (pip's scripts)
        or one reached through a symlinked folder must never delete anything outside.
        """
        files = set()
        for entry in item.dist.files or ():
            listed = item.path.parent / entry
            if listed.name in ("", ".", ".."):
                continue
            # Resolve the folder, not the file: a symlink is removed, never followed.
            path = listed.parent.resolve() / listed.name
            if path.parent.is_relative_to(self._target):
                files.add(path)
        return files

    def _delete(self, item: _Installed, keep: set[Path]) -> None:
        """Delete a distribution's files (except `keep`), its metadata and emptied folders."""
        folders = set()
        for path in self._files(item) - keep:
            if path.is_symlink() or path.is_file():
                path.unlink()
            folders.add(path.parent)
            if path.suffix == ".py":
                cache = path.parent / "__pycache__"
                for compiled in cache.glob(f"{path.stem}.*.pyc"):
                    compiled.unlink()
                folders.add(cache)
        if item.path.exists():
            shutil.rmtree(item.path)
        self._remove_empty(folders)

    def _remove_empty(self, folders: set[Path]) -> None:
        for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
            current = folder
            while current != self._target and current.is_relative_to(self._target):
                try:
                    current.rmdir()
                except OSError:  # not empty, or already gone: stop climbing
                    break
                current = current.parent


def _quote(tail: deque[str]) -> str:
    if not tail:
        return " It printed nothing."
    return " Last output:\n" + "\n".join(tail)


def _allows(specifier: SpecifierSet, version: str) -> bool:
    try:
        return specifier.contains(version, prereleases=True)
    except InvalidVersion:  # a legacy version string no specifier can match
        return False


def _extras_satisfied(dist: Distribution, extras: set[str], versions: dict[str, str]) -> bool:
    """Whether every dependency that `extras` add to `dist` is among `versions`."""
    if not extras:
        return True
    for line in dist.requires or ():
        try:
            dep = Requirement(line)
        except InvalidRequirement:
            return False  # unreadable metadata: let the installer decide
        if dep.marker is None or dep.marker.evaluate({"extra": ""}):
            continue  # a base dependency, there whenever `dist` is
        if not any(dep.marker.evaluate({"extra": extra}) for extra in extras):
            continue
        version = versions.get(canonicalize_name(dep.name))
        if version is None or not _allows(dep.specifier, version):
            return False
    return True
