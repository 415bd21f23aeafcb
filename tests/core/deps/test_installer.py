import importlib.util
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from py_code_mode._deps import Installer, parse_requirement
from py_code_mode.errors import DepsInstallError, InvalidRequirementError, UsageError

BOUND = 90  # seconds: one real install under pip on a slow runner

RunWithTarget = Callable[[Path, str], str]


def dist_info_dirs(target: Path) -> list[str]:
    return sorted(path.name for path in target.glob("*.dist-info"))


@pytest.mark.slow
@pytest.mark.anyio
async def test_install_puts_the_package_in_the_target_and_not_in_the_host(
    installer: Installer, run_with_target: RunWithTarget
) -> None:
    with anyio.fail_after(BOUND):
        await installer.install(["tinypkg==1.0"])
    assert (installer.target / "tinypkg" / "__init__.py").is_file()
    assert importlib.util.find_spec("tinypkg") is None
    assert run_with_target(installer.target, "import tinypkg; print(tinypkg.VALUE)") == "1"


@pytest.mark.slow
@pytest.mark.anyio
async def test_installed_maps_canonical_names_to_versions(installer: Installer) -> None:
    assert installer.installed() == {}
    with anyio.fail_after(BOUND):
        await installer.install(["TinyPkg==1.0", "tinyextra"])
    assert installer.installed() == {"tinypkg": "1.0", "tinyextra": "1.0"}


@pytest.mark.slow
@pytest.mark.anyio
async def test_satisfied_checks_the_installed_version_against_the_specifier(
    installer: Installer,
) -> None:
    assert not installer.satisfied(parse_requirement("tinypkg"))
    with anyio.fail_after(BOUND):
        await installer.install(["tinypkg==1.0"])
    assert installer.satisfied(parse_requirement("tinypkg"))
    assert installer.satisfied(parse_requirement("TinyPkg<2"))
    assert not installer.satisfied(parse_requirement("tinypkg>=2"))
    assert not installer.satisfied(parse_requirement("otherpkg"))


@pytest.mark.slow
@pytest.mark.anyio
async def test_satisfied_requires_what_the_requested_extras_add(installer: Installer) -> None:
    with anyio.fail_after(BOUND):
        await installer.install(["tinyextra", "tinypkg==1.0"])
        assert installer.satisfied(parse_requirement("tinyextra"))
        assert not installer.satisfied(parse_requirement("tinyextra[fast]"))
        await installer.install(["tinyextra[fast]"])
    assert installer.installed()["tinypkg"] == "2.0"
    assert installer.satisfied(parse_requirement("tinyextra[fast]"))


@pytest.mark.slow
@pytest.mark.anyio
async def test_an_upgrade_leaves_only_the_new_version_in_the_target(
    installer: Installer, run_with_target: RunWithTarget
) -> None:
    with anyio.fail_after(BOUND):
        await installer.install(["tinypkg==1.0"])
        run_with_target(installer.target, "import tinypkg.old")  # leaves __pycache__ behind
        await installer.install(["tinypkg>=2"])
    assert installer.installed() == {"tinypkg": "2.0"}
    assert dist_info_dirs(installer.target) == ["tinypkg-2.0.dist-info"]
    assert not (installer.target / "tinypkg" / "old.py").exists()
    assert run_with_target(installer.target, "import tinypkg; print(tinypkg.VALUE)") == "2"


@pytest.mark.slow
@pytest.mark.anyio
async def test_uninstall_removes_every_trace_of_the_distribution(
    installer: Installer, run_with_target: RunWithTarget
) -> None:
    with anyio.fail_after(BOUND):
        await installer.install(["tinypkg==1.0", "tinyextra"])
        run_with_target(installer.target, "import tinypkg, tinypkg.old")
        await installer.uninstall(["TinyPkg"])
    assert installer.installed() == {"tinyextra": "1.0"}
    assert not (installer.target / "tinypkg").exists()
    assert dist_info_dirs(installer.target) == ["tinyextra-1.0.dist-info"]


@pytest.mark.anyio
async def test_uninstall_of_a_name_the_target_does_not_hold_does_nothing(
    installer: Installer,
) -> None:
    with anyio.fail_after(BOUND):
        await installer.uninstall(["tinypkg"])
    assert installer.installed() == {}


@pytest.mark.slow
@pytest.mark.anyio
async def test_install_of_a_package_the_index_lacks_raises_deps_install_error(
    installer: Installer,
) -> None:
    with anyio.fail_after(BOUND), pytest.raises(DepsInstallError):
        await installer.install(["no-such-package-here"])
    assert installer.installed() == {}


@pytest.mark.slow
@pytest.mark.anyio
async def test_install_streams_the_installer_output_line_by_line(installer: Installer) -> None:
    lines: list[str] = []
    with anyio.fail_after(BOUND):
        await installer.install(["tinypkg"], on_output=lines.append)
    assert lines
    assert all("\n" not in line for line in lines)


@pytest.mark.anyio
async def test_install_rejects_a_hostile_spec_before_running_anything(tmp_path: Path) -> None:
    installer = Installer(tmp_path / "target", python=str(tmp_path / "no-python"), use_uv=False)
    with pytest.raises(InvalidRequirementError):
        await installer.install(["tinypkg", "--index-url=https://evil.example/simple"])
    assert not installer.target.exists()


@pytest.mark.anyio
async def test_an_installer_that_cannot_start_raises_deps_install_error(tmp_path: Path) -> None:
    installer = Installer(tmp_path / "target", python=str(tmp_path / "no-python"), use_uv=False)
    with anyio.fail_after(5), pytest.raises(DepsInstallError):
        await installer.install(["tinypkg"])


@pytest.mark.skipif(os.name != "posix", reason="the stand-in installer is a shell script")
@pytest.mark.anyio
async def test_an_installer_that_hangs_is_killed_at_the_timeout(tmp_path: Path) -> None:
    hanging = tmp_path / "hanging-python"
    hanging.write_text("#!/bin/sh\nexec sleep 600\n")
    hanging.chmod(0o755)
    installer = Installer(tmp_path / "target", python=str(hanging), use_uv=False, timeout=0.5)
    with anyio.fail_after(10), pytest.raises(DepsInstallError):
        await installer.install(["tinypkg"])


def test_the_default_interpreter_is_the_host_python_and_uv_is_used_when_on_path(
    tmp_path: Path,
) -> None:
    installer = Installer(tmp_path / "target")
    expected = "uv" if shutil.which("uv") else "pip"
    assert repr(installer).endswith(f"installer={expected!r})")


def test_use_uv_without_uv_on_path_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError):
        Installer(tmp_path / "target", use_uv=True)


@pytest.mark.parametrize("timeout", [0, -1.0])
def test_a_timeout_that_is_not_positive_is_a_usage_error(tmp_path: Path, timeout: float) -> None:
    with pytest.raises(UsageError):
        Installer(tmp_path / "target", timeout=timeout)


def test_the_target_is_an_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Installer(Path("target")).target == tmp_path.resolve() / "target"


@pytest.mark.skipif(os.name != "posix", reason="uses symlinks")
@pytest.mark.anyio
async def test_pip_mode_uninstall_never_deletes_outside_the_target(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("victim.txt", "linked.txt", "through-link.txt"):
        (outside / name).write_text("keep me")
    target = tmp_path / "target"
    (target / "evilpkg").mkdir(parents=True)
    (target / "evilpkg" / "__init__.py").write_text("")
    (target / "evilpkg" / "link").symlink_to(outside / "linked.txt")
    (target / "linkdir").symlink_to(outside)
    dist_info = target / "evilpkg-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: evilpkg\nVersion: 1.0\n")
    (dist_info / "RECORD").write_text(
        "evilpkg/__init__.py,,\n"
        "evilpkg/link,,\n"
        "../outside/victim.txt,,\n"
        f"{outside / 'victim.txt'},,\n"
        "linkdir/through-link.txt,,\n"
        "evilpkg/..,,\n"
        "evilpkg-1.0.dist-info/RECORD,,\n"
    )
    installer = Installer(target, use_uv=False)
    assert installer.installed() == {"evilpkg": "1.0"}

    await installer.uninstall(["evilpkg"])

    assert installer.installed() == {}
    assert not (target / "evilpkg").exists()
    assert sorted(path.name for path in outside.iterdir()) == [
        "linked.txt",
        "through-link.txt",
        "victim.txt",
    ]
