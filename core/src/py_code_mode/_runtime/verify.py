"""Verification on save: run a skill's examples and tests here, in the worker, before it is kept.

The host never runs skill code, so `skills.create(..., examples=..., tests=...)` checks the
new source in the worker first, with the same namespaces in scope as an invocation, and
sends the save only when every example returned what it should and every test passed. A
failure raises `SkillVerificationError` naming the example or test, and nothing reaches the
host: the version that was current stays current.

Standard library only: this runs inside the worker.
"""

from __future__ import annotations

import types

from py_code_mode import errors
from py_code_mode._runtime.engine import drive

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the worker ~8 ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

MAX_SHOWN = 200
"""Characters of a value or an error message shown in a failure."""
MAX_SOURCE_CHARS = 256_000
"""A source or tests longer than this the host refuses (`_skills.model.MAX_SOURCE_BYTES`)."""
MAX_EXAMPLES = 50
"""Examples one save may carry (the host's argument type says so too: `_params`)."""


def examples_shaped(examples: Any) -> bool:
    """Whether examples have the shape the host accepts; if not, the host says what is wrong.

    The worker runs nothing for a save the host would refuse anyway.
    """
    return (
        isinstance(examples, list | tuple)
        and len(examples) <= MAX_EXAMPLES
        and all(
            isinstance(example, dict)
            and set(example) <= {"args", "expect"}
            and isinstance(example.get("args", {}), dict)
            for example in examples
        )
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def _call(run: Callable[..., Any], args: dict[str, Any]) -> Any:
    result = run(**args)
    if isinstance(result, types.CoroutineType):
        return drive(result)
    return result


def _plain(value: Any) -> Any:
    """`value` as it would cross the channel: tuples as lists, so (1, 2) equals [1, 2]."""
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def same(got: Any, expected: Any) -> bool:
    """Whether a result matches an example's `expect`: equal as data, floats to 1e-9.

    True is not 1 here, though Python says so: an example that expects a count should not
    pass when the skill returns a flag.
    """
    got, expected = _plain(got), _plain(expected)
    if isinstance(got, bool) or isinstance(expected, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(got, float) or isinstance(expected, float):
        import math

        numbers = isinstance(got, int | float) and isinstance(expected, int | float)
        return numbers and math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(map(same, got, expected))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(same(got[k], expected[k]) for k in got)
    return bool(got == expected)


def _failed(name: str, what: str) -> errors.SkillVerificationError:
    return errors.SkillVerificationError(
        f"Skill {name!r} was not saved: {what}. The version saved before (if any) stays "
        "current; fix the skill or the example and create it again"
    )


def _raised(exc: BaseException) -> str:
    message = str(exc)
    if len(message) > MAX_SHOWN:
        message = message[: MAX_SHOWN - 3] + "..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _call_text(name: str, args: dict[str, Any]) -> str:
    shown = ", ".join(f"{key}={_shown(value)}" for key, value in args.items())
    return f"{name}({shown})"


def run_examples(name: str, run: Callable[..., Any], examples: list[Any]) -> None:
    """Call `run` with each example's args; raise `SkillVerificationError` at the first miss.

    An example is ``{"args": {...}, "expect": value}``; without "expect" it passes when the
    call returns at all.
    """
    for number, example in enumerate(examples, start=1):
        args = example.get("args", {})
        call = _call_text(name, args)
        try:
            got = _call(run, args)
        except Exception as exc:  # noqa: BLE001 - an example that raises is the finding
            raise _failed(name, f"example {number}, {call}, raised {_raised(exc)}") from None
        if "expect" in example and not same(got, example["expect"]):
            raise _failed(
                name,
                f"example {number}, {call}, returned {_shown(got)}; expected "
                f"{_shown(example['expect'])}",
            )


def run_tests(name: str, tests: str, module_globals: dict[str, Any]) -> int:
    """Run a tests source beside the skill's own globals; return how many tests ran.

    The source sees `run`, the skill's other names and the four namespaces. Its module-level
    code runs first (plain ``assert`` lines are a test); then every top-level function whose
    name starts with ``test`` is called without arguments.
    """
    from py_code_mode._runtime.engine import parse_module, remember_source

    filename = f"<tests of skill {name}>"
    remember_source(filename, tests)
    scope = dict(module_globals)
    scope["__name__"] = f"tests_of_{name}"
    try:
        code = compile(parse_module(tests, filename), filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        problem = f"its tests have a syntax error on line {exc.lineno}: {exc.msg}"
        raise _failed(name, problem) from None
    try:
        exec(code, scope)  # noqa: S102 - tests are code the agent wrote to be run
    except Exception as exc:  # noqa: BLE001 - a failing module-level check is the finding
        problem = f"its tests failed at module level: {_where(exc, filename)}"
        raise _failed(name, problem) from None
    found = [
        (key, value)
        for key, value in scope.items()
        if key.startswith("test")
        and isinstance(value, types.FunctionType)
        and value.__code__.co_filename == filename
    ]
    for key, test in found:
        try:
            result = test()
            if isinstance(result, types.CoroutineType):
                drive(result)
        except Exception as exc:  # noqa: BLE001 - a failing test is the finding
            raise _failed(name, f"test {key}() failed: {_where(exc, filename)}") from None
    return max(1, len(found))


def _where(exc: BaseException, filename: str) -> str:
    """The error, with the tests' line it happened on when that is known."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    text = _raised(exc)
    if isinstance(exc, AssertionError) and not str(exc):
        text = "AssertionError"
    if line is None:
        return text
    source_line = _line(filename, line)
    return f"{text} (line {line}: {source_line})" if source_line else f"{text} (line {line})"


def _line(filename: str, number: int) -> str:
    from py_code_mode._runtime.engine import _SOURCES

    lines = _SOURCES.get(filename, "").splitlines()
    return lines[number - 1].strip() if 0 < number <= len(lines) else ""
