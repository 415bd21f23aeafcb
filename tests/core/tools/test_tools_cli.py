"""Calling CLI tools: argument checks, argv rendering, stdin, output and failures.

Every test runs a real command through `ToolRegistry.call`, the host's one entry point.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from py_code_mode import _process
from py_code_mode._tools import ToolRegistry, cli
from py_code_mode.errors import ToolArgumentError, ToolDefinitionError, ToolFailedError, UsageError

from tests._support import exited, missing, require_binary
from tests.core.tools.conftest import ARGV_SCRIPT

pytestmark = pytest.mark.anyio

METACHARACTERS = "; rm -rf / $(whoami) | & `id` > /tmp/x && echo 'q' \"dq\" \\ * ~ #"

Build = Callable[..., ToolRegistry]


@pytest.fixture(autouse=True, params=["pidfd", "thread"])
def exit_watch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs both ways a command is watched: a pidfd on the loop, or a thread.

    The thread is what platforms without pidfds get (macOS, sandboxes that forbid them).
    """
    if request.param == "pidfd":
        if not _process._PIDFD_WORKS:
            missing("this OS gives no pidfds (Linux >= 5.3 does); only the thread way runs")
    else:
        monkeypatch.setattr(_process, "_PIDFD_WORKS", False)
    return str(request.param)


async def argv_of(registry: ToolRegistry, recipe: str | None, **args: Any) -> list[str]:
    with anyio.fail_after(30):
        output = await registry.call("argv", recipe, args)
    rendered: list[str] = json.loads(output)
    return rendered


# --- rendering -------------------------------------------------------------------------


async def test_options_render_in_schema_order_before_positionals(
    registry_of: Build, argv_tool: dict[str, Any]
) -> None:
    registry = registry_of(argv_tool)

    argv = await argv_of(
        registry,
        None,
        second="two",
        first="one",
        name="n",
        count=5,
        verbose=True,
        mode="m",
    )

    assert argv == ["-v", "--count", "5", "-n", "n", "-m", "m", "one", "two"]


async def test_an_explicit_flag_replaces_the_key_as_the_rendered_flag(
    registry_of: Build, argv_tool: dict[str, Any]
) -> None:
    registry = registry_of(argv_tool)

    argv = await argv_of(registry, None, null_input=True, mode="m", first="f")

    assert argv == ["--null-input", "-m", "m", "f"]


async def test_a_false_boolean_renders_nothing_and_turns_off_a_preset_flag(
    registry_of: Build, argv_tool: dict[str, Any]
) -> None:
    registry = registry_of(argv_tool)

    argv = await argv_of(registry, "run", first="f", verbose=False)

    assert argv == ["--count", "3", "-m", "slow", "f"]


async def test_a_recipe_applies_its_preset_and_param_defaults_and_arguments_override_them(
    registry_of: Build, argv_tool: dict[str, Any]
) -> None:
    registry = registry_of(argv_tool)

    assert await argv_of(registry, "run", first="f") == ["-v", "--count", "3", "-m", "slow", "f"]
    assert await argv_of(registry, "run", first="f", count=9, mode="quick") == [
        "-v",
        "--count",
        "9",
        "-m",
        "quick",
        "f",
    ]


async def test_a_recipe_accepts_schema_parameters_it_does_not_advertise(
    registry_of: Build, argv_tool: dict[str, Any]
) -> None:
    registry = registry_of(argv_tool)

    argv = await argv_of(registry, "run", first="f", ratio=0.5)

    assert argv == ["-v", "--count", "3", "-r", "0.5", "-m", "slow", "f"]


async def test_an_array_option_repeats_its_flag_per_item_and_an_array_positional_spreads(
    registry_of: Build, argv_tool: dict[str, Any]
) -> None:
    registry = registry_of(argv_tool)

    argv = await argv_of(
        registry,
        None,
        header=["A: 1", "B: 2"],
        mode="m",
        first="f",
        second="s",
        rest=("x y", 3, 1.5),
    )

    assert argv == ["-H", "A: 1", "-H", "B: 2", "-m", "m", "f", "s", "x y", "3", "1.5"]


def subcommand_tool() -> dict[str, Any]:
    """Shaped like git: a global option, recipes that are subcommands, joined values."""
    require_binary("python3")
    definition: dict[str, Any] = yaml.safe_load(
        f"""
        name: argv
        command: [python3, -c, {json.dumps(ARGV_SCRIPT)}]
        schema:
          options:
            max_count: {{type: integer, flag: --max-count}}
            repo: {{type: string, short: C, global: true, required: true}}
            format: {{type: string, flag: --format, joined: true}}
            level: {{type: array, short: n, joined: true}}
          positional:
            - {{name: revision, type: string}}
        recipes:
          log: {{subcommand: [log, --no-ext-diff], preset: {{format: "%H %s"}}}}
          plain: {{}}
        """
    )
    return definition


async def test_global_options_come_before_a_recipes_subcommand_and_the_rest_after(
    registry_of: Build,
) -> None:
    registry = registry_of(subcommand_tool())

    argv = await argv_of(registry, "log", repo="r", max_count=5, revision="HEAD")

    assert argv == ["-C", "r", "log", "--no-ext-diff", "--max-count", "5", "--format=%H %s", "HEAD"]
    # A recipe without a subcommand renders the options as before, global ones first.
    assert await argv_of(registry, "plain", repo="r", max_count=1) == [
        "-C", "r", "--max-count", "1",
    ]  # fmt: skip


async def test_a_joined_value_stays_in_its_flags_item_whatever_it_holds(
    registry_of: Build,
) -> None:
    registry = registry_of(subcommand_tool())

    argv = await argv_of(registry, "plain", repo="r", format="--output=/tmp/x", level=[1, 2])

    # The value cannot become an option of its own: it is part of --format's item.
    assert argv == ["-C", "r", "--format=--output=/tmp/x", "-n1", "-n2"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"schema": {"options": {"v": {"type": "boolean", "joined": True}}}}, "no value to join"),
        ({"recipes": {"log": {"subcommand": ["log", ""]}}}, "not a usable argument"),
        ({"recipes": {"log": {"subcommand": "log"}}}, "subcommand"),
    ],
    ids=["joined boolean", "empty item", "not a list"],
)
def test_a_malformed_subcommand_or_joined_option_is_rejected_at_load(
    registry_of: Build, change: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ToolDefinitionError, match=expected):
        registry_of(python_tool("sub", "print(1)", **change))


async def test_none_counts_as_an_absent_argument(
    registry_of: Build, argv_tool: dict[str, Any]
) -> None:
    registry = registry_of(argv_tool)

    argv = await argv_of(registry, "run", first="f", count=None, second=None, input=None)

    assert argv == ["-v", "--count", "3", "-m", "slow", "f"]


async def test_shell_metacharacters_reach_the_command_as_one_literal_argument(
    registry_of: Build, argv_tool: dict[str, Any]
) -> None:
    require_binary("echo")
    require_binary("printf")
    registry = registry_of(
        argv_tool,
        """
        name: say
        command: echo
        schema: {positional: [{name: text, required: true}]}
        recipes: {say: {}}
        """,
        r"""
        name: fmt
        command: [printf, '[%s]\n']
        schema: {positional: [{name: words, type: array}]}
        recipes: {fmt: {}}
        """,
    )

    with anyio.fail_after(30):
        echoed = await registry.call("say", None, {"text": METACHARACTERS})
        printed = await registry.call("fmt", None, {"words": [METACHARACTERS, "$HOME"]})
    rendered = await argv_of(registry, None, mode=METACHARACTERS, first=METACHARACTERS)

    assert echoed == METACHARACTERS + "\n"
    assert printed == f"[{METACHARACTERS}]\n[$HOME]\n"
    assert rendered == ["-m", METACHARACTERS, METACHARACTERS]


# --- rejected arguments ----------------------------------------------------------------


@pytest.fixture
def marker_tool(tmp_path: Path) -> tuple[dict[str, Any], Path]:
    """A `touch` tool whose marker file shows whether the command ever ran."""
    require_binary("touch")
    marker = tmp_path / "ran"
    definition = {
        "name": "mark",
        "command": ["touch", str(marker)],
        "schema": {
            "options": {
                "flag": {"type": "boolean", "short": "c"},
                "count": {"type": "integer"},
                "ratio": {"type": "number"},
                "label": {"type": "string"},
                "items": {"type": "array"},
            },
            "positional": [
                {"name": "first", "type": "string", "required": True},
                {"name": "second", "type": "string"},
                {"name": "third", "type": "string"},
            ],
        },
        "recipes": {"mark": {}},
    }
    return definition, marker


WRONG_ARGUMENTS: dict[str, dict[Any, Any]] = {
    "unknown argument": {"first": "x", "colour": "red"},
    "misspelled argument": {"frist": "x"},
    "missing required positional": {"label": "x"},
    "string for boolean": {"first": "x", "flag": "yes"},
    "integer for boolean": {"first": "x", "flag": 1},
    "boolean for integer": {"first": "x", "count": True},
    "float for integer": {"first": "x", "count": 2.0},
    "string for integer": {"first": "x", "count": "2"},
    "boolean for number": {"first": "x", "ratio": False},
    "nan for number": {"first": "x", "ratio": float("nan")},
    "string for number": {"first": "x", "ratio": "0.5"},
    "integer for string": {"first": 5},
    "list for string": {"first": ["a"]},
    "bare string for array": {"first": "x", "items": "abc"},
    "dict for array": {"first": "x", "items": {"a": 1}},
    "dict item in array": {"first": "x", "items": [{"a": 1}]},
    "boolean item in array": {"first": "x", "items": [True]},
    "nul character in string": {"first": "a\0b"},
    "lone surrogate in string": {"first": "\ud800"},
    "dash-leading positional": {"first": "-o/etc/passwd"},
    "positional after a gap": {"first": "x", "third": "z"},
    "input not json data": {"first": "x", "input": {1, 2}},
    "input with nan": {"first": "x", "input": [float("nan")]},
    "input with a lone surrogate": {"first": "x", "input": "\udc00"},
    "integer too large for any command": {"first": "x", "count": 10**5000},
    "non-string argument name": {"first": "x", 1: "y"},
}


@pytest.mark.parametrize("args", WRONG_ARGUMENTS.values(), ids=WRONG_ARGUMENTS.keys())
async def test_arguments_that_do_not_fit_the_schema_are_rejected_before_anything_runs(
    registry_of: Build, marker_tool: tuple[dict[str, Any], Path], args: dict[Any, Any]
) -> None:
    definition, marker = marker_tool
    registry = registry_of(definition)

    with pytest.raises(ToolArgumentError), anyio.fail_after(30):
        await registry.call("mark", None, args)

    assert not marker.exists()


async def test_the_marker_tool_does_run_with_fitting_arguments(
    registry_of: Build, marker_tool: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    definition, marker = marker_tool
    registry = registry_of(definition, cwd=tmp_path)

    with anyio.fail_after(30):
        await registry.call("mark", None, {"first": "x", "flag": False})

    assert marker.exists()


async def test_an_unknown_argument_error_names_it_and_what_is_allowed(
    registry_of: Build, marker_tool: tuple[dict[str, Any], Path]
) -> None:
    registry = registry_of(marker_tool[0])

    with pytest.raises(ToolArgumentError) as excinfo:
        await registry.call("mark", None, {"first": "x", "colour": "red"})

    message = str(excinfo.value)
    assert "'colour'" in message
    assert all(name in message for name in ("flag", "first", "input"))


async def test_a_required_option_must_be_given(
    registry_of: Build, argv_tool: dict[str, Any]
) -> None:
    registry = registry_of(argv_tool)

    with pytest.raises(ToolArgumentError):
        await registry.call("argv", "bare", {"first": "f"})


async def test_arguments_must_be_a_mapping(registry_of: Build, argv_tool: dict[str, Any]) -> None:
    registry = registry_of(argv_tool)
    not_a_mapping: Any = ["first", "f"]

    with pytest.raises(ToolArgumentError):
        await registry.call("argv", "run", not_a_mapping)


# --- stdin -----------------------------------------------------------------------------


@pytest.fixture
def cat(registry_of: Build) -> ToolRegistry:
    require_binary("cat")
    return registry_of("{name: cat, recipes: {cat: {}}}")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("héllo\nwörld", "héllo\nwörld"),
        (b"\x00raw bytes\xff", "\x00raw bytes\ufffd"),
        ({"key": [1, 2.5, None, True]}, '{"key": [1, 2.5, null, true]}'),
        ([1, "two"], '[1, "two"]'),
        (7, "7"),
    ],
    ids=["str", "bytes", "dict", "list", "int"],
)
async def test_input_is_fed_to_the_commands_stdin(
    cat: ToolRegistry, value: Any, expected: str
) -> None:
    with anyio.fail_after(30):
        output = await cat.call("cat", None, {"input": value})

    assert output == expected


async def test_large_input_and_output_do_not_deadlock(cat: ToolRegistry) -> None:
    payload = "0123456789abcdef" * (256 * 1024)  # 4 MiB, far beyond a pipe's buffer

    with anyio.fail_after(60):
        output = await cat.call("cat", None, {"input": payload})

    assert output == payload


@pytest.fixture
def open_host_stdin() -> Iterator[None]:
    """Make fd 0 a pipe that never ends: a command inheriting it would wait forever."""
    read_end, write_end = os.pipe()
    saved = os.dup(0)
    os.dup2(read_end, 0)
    try:
        yield
    finally:
        os.dup2(saved, 0)
        for fd in (saved, read_end, write_end):
            os.close(fd)


@pytest.mark.usefixtures("open_host_stdin")
async def test_without_input_the_command_gets_an_empty_stdin_not_the_hosts(
    cat: ToolRegistry,
) -> None:
    with anyio.fail_after(30):
        output = await cat.call("cat", None, {})

    assert output == ""


async def test_a_command_that_ignores_its_input_still_succeeds(registry_of: Build) -> None:
    require_binary("true")
    registry = registry_of("{name: nothing, command: 'true', recipes: {nothing: {}}}")

    with anyio.fail_after(30):
        output = await registry.call("nothing", None, {"input": "x" * (4 * 1024 * 1024)})

    assert output == ""


# --- output and failures ---------------------------------------------------------------


def python_tool(name: str, script: str, **extra: Any) -> dict[str, Any]:
    base = {"name": name, "command": ["python3", "-c", script], "recipes": {name: {}}}
    return {**base, **extra}


async def test_stdout_is_returned_untrimmed_and_undecodable_bytes_are_replaced(
    registry_of: Build,
) -> None:
    require_binary("python3")
    script = "import sys; sys.stdout.buffer.write(b'  caf\\xc3\\xa9 \\xff\\n\\n')"
    registry = registry_of(python_tool("emit", script))

    with anyio.fail_after(30):
        output = await registry.call("emit", None, {})

    assert output == "  café \ufffd\n\n"


async def test_stdout_beyond_the_cap_is_dropped_with_a_note(
    registry_of: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_binary("python3")
    monkeypatch.setattr(cli, "MAX_STDOUT_BYTES", 1000)
    script = "import sys; sys.stdout.write('x' * 1_000_000)"
    registry = registry_of(python_tool("flood", script))

    with anyio.fail_after(30):
        output = await registry.call("flood", None, {})

    kept, note = output[:1000], output[1000:]
    assert kept == "x" * 1000
    assert "truncated" in note
    assert "1000000" in note


async def test_a_non_zero_exit_raises_tool_failed_with_the_end_of_stderr(
    registry_of: Build,
) -> None:
    require_binary("python3")
    script = "import sys; sys.stderr.write('noise\\n' * 5000 + 'the real error\\n'); sys.exit(6)"
    registry = registry_of(python_tool("broken", script))

    with pytest.raises(ToolFailedError) as excinfo, anyio.fail_after(30):
        await registry.call("broken", None, {})

    message = str(excinfo.value)
    assert "exit status 6" in message
    assert message.endswith("the real error")
    assert len(message) < cli.MAX_ERROR_CHARS + 200


async def test_a_missing_executable_raises_tool_failed(registry_of: Build) -> None:
    registry = registry_of(
        "{name: ghost, command: py-code-mode-no-such-binary-xyz, recipes: {ghost: {}}}"
    )

    with pytest.raises(ToolFailedError, match="not found on PATH"), anyio.fail_after(30):
        await registry.call("ghost", None, {})


async def test_a_file_that_is_not_executable_raises_tool_failed(
    registry_of: Build, tmp_path: Path
) -> None:
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(stat.S_IRUSR | stat.S_IWUSR)
    if os.access(script, os.X_OK):  # root may execute anything
        pytest.skip("this user can execute files without the execute bit")
    registry = registry_of({"name": "noexec", "command": str(script), "recipes": {"noexec": {}}})

    with pytest.raises(ToolFailedError), anyio.fail_after(30):
        await registry.call("noexec", None, {})


async def test_the_command_runs_in_the_given_directory(registry_of: Build, tmp_path: Path) -> None:
    require_binary("python3")
    registry = registry_of(python_tool("where", "import os; print(os.getcwd())"), cwd=tmp_path)

    with anyio.fail_after(30):
        output = await registry.call("where", None, {})

    assert Path(output.strip()).resolve() == tmp_path.resolve()


async def test_a_cwd_that_is_not_a_directory_is_a_usage_error(
    registry_of: Build, tmp_path: Path
) -> None:
    require_binary("python3")
    registry = registry_of(python_tool("where", "print(1)"), cwd=tmp_path / "missing")

    with pytest.raises(UsageError):
        await registry.call("where", None, {})


# --- timeouts and cancellation kill the whole process group -----------------------------


async def wait_until_gone(pids: list[int]) -> None:
    """Return once every pid has exited; a killed process exits soon after the signal."""
    for pid in pids:
        await exited(pid)


# Starts a grandchild, reports both pids to argv[1] (a file or a FIFO), then hangs.
HANG_SCRIPT = """
import os, subprocess, sys, time
child = subprocess.Popen(["sleep", "300"])
with open(sys.argv[1], "w") as report:
    report.write(f"{os.getpid()} {child.pid}")
time.sleep(300)
"""


def hang_tool(report: Path, timeout: float) -> dict[str, Any]:
    return python_tool(
        "hang",
        HANG_SCRIPT,
        command=["python3", "-c", HANG_SCRIPT, str(report)],
        timeout=timeout,
    )


async def test_a_command_past_its_timeout_is_killed_with_its_children(
    registry_of: Build, tmp_path: Path
) -> None:
    require_binary("python3")
    require_binary("sleep")
    report = tmp_path / "pids"
    registry = registry_of(hang_tool(report, timeout=2))

    with pytest.raises(ToolFailedError, match="timeout: timed out after 2s"), anyio.fail_after(60):
        await registry.call("hang", None, {})

    # The report is written within milliseconds of start; if a very slow machine killed the
    # command before it wrote it, there is nothing left to check.
    if report.exists() and report.read_text():
        with anyio.fail_after(30):  # without the kill, `sleep 300` would outlast this
            await wait_until_gone([int(pid) for pid in report.read_text().split()])


async def test_a_cancelled_call_kills_the_command_with_its_children(
    registry_of: Build, tmp_path: Path
) -> None:
    require_binary("python3")
    require_binary("sleep")
    fifo = tmp_path / "pids"
    os.mkfifo(fifo)
    registry = registry_of(hang_tool(fifo, timeout=300))
    pids: list[int] = []

    def read_report() -> None:
        with open(fifo) as report:  # blocks until the command has started and opened it
            pids.extend(int(pid) for pid in report.read().split())

    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:
            group.start_soon(registry.call, "hang", None, {})
            await anyio.to_thread.run_sync(read_report, abandon_on_cancel=True)
            group.cancel_scope.cancel()

    assert len(pids) == 2
    with anyio.fail_after(30):  # without the kill, `sleep 300` would outlast this
        await wait_until_gone(pids)


async def test_a_command_killed_by_a_signal_raises_tool_failed(registry_of: Build) -> None:
    require_binary("python3")
    script = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    registry = registry_of(python_tool("suicide", script))

    with pytest.raises(ToolFailedError, match="SIGTERM"), anyio.fail_after(30):
        await registry.call("suicide", None, {})


# --- the environment a command gets -----------------------------------------------------

SHOW_ENV = (
    "import hashlib, json, os\n"
    "token = os.environ.get('TOKEN', '')\n"
    "print(json.dumps({'names': sorted(os.environ), 'token': token,"
    " 'sha': hashlib.sha256(token.encode()).hexdigest()}))"
)


async def test_a_command_gets_a_minimal_environment_and_the_variables_it_names(
    registry_of: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_binary("python3")
    monkeypatch.setenv("PCM_TEST_SECRET", "s3cr3t-value")
    monkeypatch.setenv("PCM_UNRELATED", "leak")
    definition = python_tool("envy", SHOW_ENV)
    definition["env"] = {"TOKEN": "${PCM_TEST_SECRET}", "MODE": "fixed"}
    registry = registry_of(definition)

    with anyio.fail_after(30):
        seen = json.loads(await registry.call("envy", None, {}))

    assert "PCM_UNRELATED" not in seen["names"] and "PCM_TEST_SECRET" not in seen["names"]
    assert {"PATH", "TOKEN", "MODE"} <= set(seen["names"])
    assert set(seen["names"]) <= {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TOKEN", "MODE"}
    # The command had the real value; what comes back to agent code has it redacted.
    assert seen["sha"] == hashlib.sha256(b"s3cr3t-value").hexdigest()
    assert seen["token"] == "***"
    assert "s3cr3t" not in json.dumps(await registry.list())


async def test_a_variable_the_host_lacks_is_a_clear_failure_naming_it(
    registry_of: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_binary("python3")
    monkeypatch.delenv("PCM_NOT_SET", raising=False)
    definition = python_tool("needy", "print(1)")
    definition["env"] = {"TOKEN": "${PCM_NOT_SET}"}
    registry = registry_of(definition)

    with pytest.raises(ToolFailedError, match="PCM_NOT_SET"), anyio.fail_after(30):
        await registry.call("needy", None, {})


async def test_a_fallback_stands_in_for_a_variable_the_host_lacks_and_is_not_redacted(
    registry_of: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_binary("python3")
    monkeypatch.delenv("PCM_NOT_SET", raising=False)
    monkeypatch.setenv("PCM_TEST_SECRET", "s3cr3t-value")
    script = "import os; print(os.environ['A'], os.environ['B'], os.environ['C'])"
    definition = python_tool("fallback", script)
    definition["env"] = {
        "A": "${PCM_NOT_SET:-plain default}",
        "B": "${PCM_TEST_SECRET:-unused}",
        "C": "$${PCM_NOT_SET}",
    }
    registry = registry_of(definition)

    with anyio.fail_after(30):
        output = await registry.call("fallback", None, {})

    assert output.split(" ", 2) == ["plain", "default", "*** ${PCM_NOT_SET}\n"]


async def test_a_secret_in_a_failing_commands_error_is_redacted(
    registry_of: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_binary("python3")
    monkeypatch.setenv("PCM_TEST_SECRET", "s3cr3t-value")
    code = "import os, sys\nsys.exit('bad token ' + os.environ['TOKEN'])"
    definition = python_tool("leaky", code)
    definition["env"] = {"TOKEN": "${PCM_TEST_SECRET}"}
    registry = registry_of(definition)

    with pytest.raises(ToolFailedError) as excinfo, anyio.fail_after(30):
        await registry.call("leaky", None, {})
    assert "s3cr3t" not in str(excinfo.value) and "bad token ***" in str(excinfo.value)


@pytest.mark.parametrize(
    "env",
    [{"1BAD": "x"}, {"OK": 5}, {"OK": "${unclosed"}, {"OK": "cost $5"}, ["TOKEN"]],
    ids=["bad name", "not a string", "bad template", "stray dollar", "not a mapping"],
)
def test_a_malformed_env_is_rejected_at_load(registry_of: Build, env: Any) -> None:
    definition = python_tool("envy", "print(1)")
    definition["env"] = env
    with pytest.raises(ToolDefinitionError, match="env"):
        registry_of(definition)
