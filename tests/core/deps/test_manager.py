from pathlib import Path
from typing import Any

import anyio
import pytest
from py_code_mode._deps import DepsManager, Installer
from py_code_mode._storage.file import FileStorage
from py_code_mode.errors import DepsInstallError, InvalidRequirementError

BOUND = 90  # seconds: a few real installs under pip on a slow runner


def added(line: str, status: str) -> dict[str, object]:
    """What add returns: upstream's lists, and our requirement and status."""
    return {
        "installed": [line] if status == "installed" else [],
        "already_present": [line] if status == "already_present" else [],
        "failed": [],
        "requirement": line,
        "status": status,
    }


def requirements_text(storage: FileStorage) -> str:
    return storage.requirements_file.read_text(encoding="utf-8")


@pytest.mark.anyio
async def test_a_hostile_spec_is_rejected_and_nothing_is_written(
    hostile_spec: Any, tmp_path: Path
) -> None:
    storage = FileStorage(tmp_path / "workspace")
    installer = Installer(tmp_path / "target", no_index=True)
    manager = DepsManager(storage, installer)
    with pytest.raises(InvalidRequirementError):
        await manager.add(hostile_spec)
    with pytest.raises(InvalidRequirementError):
        await manager.remove(hostile_spec)
    assert not storage.requirements_file.exists()
    assert await manager.list() == []
    assert not installer.target.exists()


@pytest.mark.slow
@pytest.mark.anyio
async def test_add_installs_then_records_the_canonical_line(
    manager: DepsManager, storage: FileStorage, installer: Installer
) -> None:
    with anyio.fail_after(BOUND):
        result = await manager.add("TinyPkg == 1.0")
    assert result == added("tinypkg==1.0", "installed")
    assert installer.installed() == {"tinypkg": "1.0"}
    assert await manager.list() == ["tinypkg==1.0"]
    assert requirements_text(storage) == "tinypkg==1.0\n"


@pytest.mark.slow
@pytest.mark.anyio
async def test_adding_a_satisfied_requirement_again_is_already_present(
    manager: DepsManager, storage: FileStorage
) -> None:
    with anyio.fail_after(BOUND):
        await manager.add("tinypkg")
        again = await manager.add("tinypkg")
        looser = await manager.add("tinypkg>=1")
    assert again == added("tinypkg", "already_present")
    assert looser == added("tinypkg>=1", "already_present")
    assert requirements_text(storage) == "tinypkg>=1\n"


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_failed_add_raises_and_leaves_the_list_unchanged(
    manager: DepsManager, storage: FileStorage, installer: Installer
) -> None:
    with anyio.fail_after(BOUND):
        await manager.add("tinypkg==1.0")
        with pytest.raises(DepsInstallError):
            await manager.add("no-such-package-here")
        with pytest.raises(DepsInstallError):
            await manager.add("tinypkg>=3")
    assert requirements_text(storage) == "tinypkg==1.0\n"
    assert installer.installed() == {"tinypkg": "1.0"}


@pytest.mark.slow
@pytest.mark.anyio
async def test_adding_a_new_version_replaces_the_line_and_upgrades(
    manager: DepsManager, storage: FileStorage, installer: Installer
) -> None:
    with anyio.fail_after(BOUND):
        await manager.add("tinypkg==1.0")
        result = await manager.add("tinypkg>=2")
    assert result == added("tinypkg>=2", "installed")
    assert requirements_text(storage) == "tinypkg>=2\n"
    assert installer.installed() == {"tinypkg": "2.0"}


@pytest.mark.slow
@pytest.mark.anyio
async def test_adding_extras_installs_what_they_add(
    manager: DepsManager, storage: FileStorage, installer: Installer
) -> None:
    with anyio.fail_after(BOUND):
        await manager.add("tinyextra")
        result = await manager.add("TinyExtra[Fast]")
    assert result == added("tinyextra[fast]", "installed")
    assert requirements_text(storage) == "tinyextra[fast]\n"
    assert installer.installed() == {"tinyextra": "1.0", "tinypkg": "2.0"}


@pytest.mark.slow
@pytest.mark.anyio
async def test_remove_drops_the_line_and_uninstalls_from_the_target(
    manager: DepsManager, storage: FileStorage, installer: Installer
) -> None:
    with anyio.fail_after(BOUND):
        await manager.add("tinypkg")
        await manager.add("tinyextra")
        result = await manager.remove("TinyPkg>=1")
    assert result == {
        "removed": ["tinypkg"],
        "not_found": [],
        "failed": [],
        "removed_from_config": True,
        "requirement": "tinypkg",
    }
    assert requirements_text(storage) == "tinyextra\n"
    assert installer.installed() == {"tinyextra": "1.0"}
    assert not (installer.target / "tinypkg").exists()


@pytest.mark.slow
@pytest.mark.anyio
async def test_removing_the_last_dep_leaves_an_empty_file(
    manager: DepsManager, storage: FileStorage
) -> None:
    with anyio.fail_after(BOUND):
        await manager.add("tinypkg")
        await manager.remove("tinypkg")
    assert requirements_text(storage) == ""
    assert await manager.list() == []


@pytest.mark.anyio
async def test_removing_an_unknown_dep_reports_nothing_removed(manager: DepsManager) -> None:
    with anyio.fail_after(BOUND):
        result = await manager.remove("tinypkg")
    assert result == {
        "removed": [],
        "not_found": ["tinypkg"],
        "failed": [],
        "removed_from_config": False,
        "requirement": "tinypkg",
    }


@pytest.mark.slow
@pytest.mark.anyio
async def test_remove_uninstalls_a_package_that_was_never_listed(
    manager: DepsManager, installer: Installer
) -> None:
    with anyio.fail_after(BOUND):
        await installer.install(["tinypkg"])
        result = await manager.remove("tinypkg")
    assert result == {
        "removed": ["tinypkg"],
        "not_found": [],
        "failed": [],
        "removed_from_config": False,
        "requirement": "tinypkg",
    }
    assert installer.installed() == {}


@pytest.mark.slow
@pytest.mark.anyio
async def test_sync_installs_what_the_list_needs_and_then_has_nothing_to_do(
    manager: DepsManager, storage: FileStorage, installer: Installer
) -> None:
    storage.base_path.mkdir(parents=True)
    storage.requirements_file.write_text("# seeded by hand\nTinyPkg == 1.0\n\ntinyextra\n")
    with anyio.fail_after(BOUND):
        first = await manager.sync()
        second = await manager.sync()
    assert first == {"installed": ["tinypkg==1.0", "tinyextra"], "already_present": []}
    assert second == {"installed": [], "already_present": ["tinypkg==1.0", "tinyextra"]}
    assert installer.installed() == {"tinypkg": "1.0", "tinyextra": "1.0"}
    assert requirements_text(storage) == "# seeded by hand\nTinyPkg == 1.0\n\ntinyextra\n"


@pytest.mark.slow
@pytest.mark.anyio
async def test_sync_installs_only_what_is_missing(
    manager: DepsManager, storage: FileStorage, installer: Installer
) -> None:
    with anyio.fail_after(BOUND):
        await manager.add("tinypkg")
        await storage.add_dep("tinyextra")
        result = await manager.sync()
    assert result == {"installed": ["tinyextra"], "already_present": ["tinypkg"]}
    assert installer.installed() == {"tinypkg": "2.0", "tinyextra": "1.0"}


@pytest.mark.anyio
async def test_sync_refuses_a_hostile_line_in_the_list_and_installs_nothing(
    tmp_path: Path,
) -> None:
    storage = FileStorage(tmp_path / "workspace")
    installer = Installer(tmp_path / "target", no_index=True)
    storage.base_path.mkdir(parents=True)
    storage.requirements_file.write_text("tinypkg\n--index-url https://evil.example/simple\n")
    with pytest.raises(InvalidRequirementError):
        await DepsManager(storage, installer).sync()
    assert not installer.target.exists()


@pytest.mark.anyio
async def test_sync_of_an_empty_list_does_nothing(manager: DepsManager) -> None:
    assert await manager.sync() == {"installed": [], "already_present": []}


@pytest.mark.slow
@pytest.mark.anyio
async def test_concurrent_adds_both_install_and_both_are_recorded(
    manager: DepsManager, storage: FileStorage, installer: Installer
) -> None:
    results: list[dict[str, Any]] = []

    async def add(spec: str) -> None:
        results.append(await manager.add(spec))

    with anyio.fail_after(BOUND):
        async with anyio.create_task_group() as group:
            group.start_soon(add, "tinypkg==1.0")
            group.start_soon(add, "tinyextra")
    assert sorted(result["requirement"] for result in results) == ["tinyextra", "tinypkg==1.0"]
    assert sorted(await manager.list()) == ["tinyextra", "tinypkg==1.0"]
    assert installer.installed() == {"tinypkg": "1.0", "tinyextra": "1.0"}
