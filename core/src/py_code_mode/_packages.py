"""Capability packages: ready, tested bundles of tools and skills that a session layers in.

A package is a directory shaped like a workspace (``tools/*.yaml``, ``skills/*.py`` and a
``README.md``) that a session reads beneath its own workspace, never writes:
``Session(..., packages=["web", "github"])``, or a ``packages:`` list in the workspace's
``workspace.yaml``. The workspace wins where both define a name, so a user can replace a
package's skill or tool by saving their own.

A package is named (one of those shipped with py-code-mode, listed by `available`) or given
as a path to a directory of the same shape.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from py_code_mode._yamltext import yaml_problem

__all__ = [
    "WORKSPACE_CONFIG",
    "CapabilityPackage",
    "available",
    "find_package",
    "resolve_packages",
    "workspace_packages",
]

WORKSPACE_CONFIG = "workspace.yaml"
"""The workspace's own settings file; its `packages:` list names packages to layer in."""

_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_CONTENT = ("tools", "skills")


def _shipped_directories() -> list[Path]:
    """Where shipped packages are: inside the installed package, or in a source checkout.

    A wheel carries them in ``py_code_mode/packages``; an editable install of the checkout
    has no copy there, so its top-level ``packages/`` is read instead.
    """
    here = Path(__file__).resolve().parent
    found = [here / "packages"]
    checkout = here.parents[2]  # <checkout>/core/src/py_code_mode
    if (checkout / "pyproject.toml").is_file() and (checkout / "hatch_build.py").is_file():
        found.append(checkout / "packages")
    return found


def _package_dirs(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(
        path for path in directory.iterdir() if _NAME.fullmatch(path.name) and _is_package(path)
    )


def _is_package(path: Path) -> bool:
    return path.is_dir() and any((path / part).is_dir() for part in _CONTENT)


_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class CapabilityPackage:
    """One package: its name (the directory's) and where it is."""

    name: str
    path: Path

    @property
    def description(self) -> str:
        """The first paragraph of its README after the title, or "" without one.

        HTML comments (notes for tools, invisible when the README is rendered) are not
        part of it.
        """
        try:
            text = (self.path / "README.md").read_text(encoding="utf-8")
        except OSError:
            return ""
        text = _HTML_COMMENT.sub("", text)
        paragraphs = [part.strip() for part in text.split("\n\n")]
        for paragraph in paragraphs:
            if paragraph and not paragraph.startswith("#"):
                return " ".join(paragraph.split())
        return ""


def available() -> list[CapabilityPackage]:
    """The packages shipped with py-code-mode, by name."""
    found: dict[str, CapabilityPackage] = {}
    for directory in _shipped_directories():
        for path in _package_dirs(directory):
            found.setdefault(path.name, CapabilityPackage(path.name, path))
    return sorted(found.values(), key=lambda package: package.name)


def find_package(
    spec: str | os.PathLike[str], *, relative_to: Path | None = None
) -> CapabilityPackage:
    """The package a name or a path stands for.

    Args:
        spec: A shipped package's name (``"web"``), or the path of a package directory.
        relative_to: Where a relative path starts (the workspace, for `workspace.yaml`);
            the current directory by default.

    Raises:
        ValueError: No shipped package has that name, or the path is not a package
            directory; the message lists what there is.
    """
    if isinstance(spec, str) and _NAME.fullmatch(spec):
        shipped = {package.name: package for package in available()}
        if spec in shipped:
            return shipped[spec]
        names = ", ".join(shipped) or "none (this installation ships no packages)"
        raise ValueError(
            f"no capability package is named {spec!r}; shipped packages are {names}. "
            "A package of your own is given by its path, e.g. './packages/mine'"
        )
    if not isinstance(spec, str | os.PathLike) or not str(spec).strip():
        raise ValueError(
            f"a package is a shipped package's name ('web') or a directory's path, got {spec!r}"
        )
    path = Path(spec).expanduser()
    if not path.is_absolute():
        path = (relative_to or Path.cwd()) / path
    path = path.resolve()
    if not _is_package(path):
        problem = "does not exist" if not path.exists() else "has neither tools/ nor skills/"
        raise ValueError(
            f"package directory {str(path)!r} {problem}; a package is shaped like a "
            "workspace: tools/*.yaml, skills/*.py and a README.md"
        )
    if not _NAME.fullmatch(path.name):
        raise ValueError(
            f"package directory {str(path)!r} is not usable as a package name: use lower-case "
            "letters, digits, '-' and '_', starting with a letter"
        )
    return CapabilityPackage(path.name, path)


def resolve_packages(
    specs: Iterable[str | os.PathLike[str]], *, relative_to: Path | None = None
) -> list[CapabilityPackage]:
    """The packages of `specs`, in order, each once.

    Raises:
        ValueError: A spec names no package, or two different directories share a name.
    """
    found: dict[str, CapabilityPackage] = {}
    for spec in specs:
        package = find_package(spec, relative_to=relative_to)
        first = found.get(package.name)
        if first is not None and first.path != package.path:
            raise ValueError(
                f"two packages are named {package.name!r}: {str(first.path)!r} and "
                f"{str(package.path)!r}; rename one directory"
            )
        found[package.name] = package
    return list(found.values())


def workspace_packages(root: Path) -> list[str]:
    """The `packages:` list of the workspace's `workspace.yaml`, or [] without the file.

    Raises:
        ValueError: The file cannot be read or is not of the form
            ``packages: [web, github]``; the message names the file.
    """
    path = root / WORKSPACE_CONFIG
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot be read: {exc}") from None
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
    if data is None:
        return []
    example = "e.g. packages: [web, github]"
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with `packages`, {example}")
    unknown = sorted(str(key) for key in data if key != "packages")
    if unknown:
        raise ValueError(
            f"{path}: unknown key(s) {', '.join(unknown)}; the file holds `packages`, {example}"
        )
    packages = data.get("packages") or []
    if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
        raise ValueError(f"{path}: `packages` must be a list of names or paths, {example}")
    return list(packages)
