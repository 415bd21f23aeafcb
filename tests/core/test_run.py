"""Session.run semantics, identical under both executors."""

from __future__ import annotations

import hashlib

import anyio
import pytest
from py_code_mode import ExecutionResult, Session

pytestmark = pytest.mark.anyio


async def test_variables_persist_between_runs(session: Session) -> None:
    await session.run("x = 40")
    result = await session.run("x + 2")
    assert result.is_ok and result.value == 42


async def test_the_last_expression_is_the_value_and_statements_give_none(session: Session) -> None:
    assert (await session.run("a = 1\na + 1")).value == 2
    assert (await session.run("b = 3")).value is None


async def test_json_like_values_come_back_as_they_are(session: Session) -> None:
    result = await session.run("{'a': [1, 2.5, None, True], 'b': {'c': 'x'}, 'd': b'\\x00\\xff'}")
    assert result.value == {"a": [1, 2.5, None, True], "b": {"c": "x"}, "d": b"\x00\xff"}


async def test_other_values_come_back_as_their_repr(session: Session) -> None:
    assert (await session.run("{1, 2}")).value == "{1, 2}"
    assert (await session.run("(1, 'a')")).value == "(1, 'a')"
    assert (await session.run("class P:\n    def __repr__(self): return 'P!'\nP()")).value == "P!"


async def test_a_value_whose_repr_fails_is_an_error_result(session: Session) -> None:
    result = await session.run(
        "class Bad:\n    def __repr__(self): raise RuntimeError('no')\nBad()"
    )
    assert not result.is_ok
    assert "repr() raised" in (result.error or "")


async def test_top_level_await_works(session: Session) -> None:
    result = await session.run("import asyncio\nawait asyncio.sleep(0)\n'done'")
    assert result.value == "done"


async def test_stdout_and_stderr_are_captured_separately(session: Session) -> None:
    result = await session.run("import sys\nprint('out')\nprint('err', file=sys.stderr)")
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"


async def test_tracebacks_name_the_agents_own_lines(session: Session) -> None:
    result = await session.run("x = 1\n\ndef f():\n    return 1 / 0\n\nf()")
    assert not result.is_ok
    error = result.error or ""
    assert "line 6, in <module>" in error and "line 4, in f" in error
    assert "return 1 / 0" in error
    assert "ZeroDivisionError" in error
    assert "py_code_mode" not in error


async def test_a_syntax_error_is_an_error_result(session: Session) -> None:
    result = await session.run("def (:")
    assert not result.is_ok and "SyntaxError" in (result.error or "")


async def test_reset_clears_variables_and_keeps_the_namespaces(session: Session) -> None:
    await session.run("x = 1")
    await session.reset()
    result = await session.run("'x' in globals(), type(artifacts).__name__")
    assert result.value == "(False, 'Artifacts')"


async def test_sys_exit_does_not_end_the_session(session: Session) -> None:
    await session.run("kept = 7")
    result = await session.run("import sys\nsys.exit(3)")
    assert not result.is_ok and "sys.exit(3)" in (result.error or "")
    assert (await session.run("kept")).value == 7


async def test_output_is_streamed_to_a_callback_as_it_is_produced(session: Session) -> None:
    chunks: list[tuple[str, str]] = []
    result = await session.run(
        "print('a')\nprint('b')", on_output=lambda s, t: chunks.append((s, t))
    )
    assert result.stdout == "a\nb\n"
    assert "".join(t for s, t in chunks if s == "stdout") == "a\nb\n"


async def test_run_rejects_code_that_is_not_a_string(session: Session) -> None:
    with pytest.raises(TypeError):
        await session.run(b"1")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await session.run("1", timeout=0)


async def test_threads_of_agent_code_keep_calling_namespaces_across_runs(session: Session) -> None:
    # A thread that outlives its run keeps making requests while the session is idle and
    # while later runs (some making requests of their own) start and end: every reply must
    # reach its caller whichever side of a run boundary it arrives on.
    started = await session.run(
        "import threading\n"
        "answers = []\n"
        "def chatter():\n"
        "    for i in range(150):\n"
        "        artifacts.save(f'n{i % 3}', i)\n"
        "        answers.append(artifacts.load(f'n{i % 3}'))\n"
        "worker = threading.Thread(target=chatter)\n"
        "worker.start()"
    )
    assert started.is_ok, started.error
    for round_ in range(30):
        if round_ % 5 == 4:
            # A run cut by its timeout abandons its own requests, not the thread's.
            cut = await session.run("while True:\n    artifacts.exists('n1')", timeout=0.02)
            assert cut.details.get("timed_out") and not cut.details.get("state_lost"), cut
            continue
        code = "len(answers)" if round_ % 2 else "artifacts.exists('n0')"
        assert (await session.run(code, timeout=10)).is_ok
        await anyio.sleep(0.002 * (round_ % 3))
    joined = await session.run("worker.join(10)\n[worker.is_alive(), answers == list(range(150))]")
    assert joined.value == [False, True], joined


async def test_values_of_many_megabytes_cross_the_channel_whole(session: Session) -> None:
    # Frames far larger than one read of the pipe, both ways: agent code -> host (save)
    # and host -> agent code (load), each a frame of ~27 MB once base64 has had its say.
    result = await session.run(
        "import hashlib\n"
        "blob = bytes(range(256)) * 80_000\n"
        "artifacts.save('blob', blob)\n"
        "back = artifacts.load('blob')\n"
        "[len(back), back == blob, hashlib.sha256(back).hexdigest()]"
    )
    expected = hashlib.sha256(bytes(range(256)) * 80_000).hexdigest()
    assert result.value == [20_480_000, True, expected], result.error


async def test_how_a_run_ended_is_typed_fields_and_details_repeats_them(session: Session) -> None:
    ok = await session.run("1")
    assert (ok.error_type, ok.timed_out, ok.state_lost) == (None, False, False)
    failed = await session.run("1 / 0")
    assert failed.error_type == "ZeroDivisionError" and not failed.timed_out
    slow = await session.run("while True:\n    pass", timeout=0.2)
    assert (slow.error_type, slow.timed_out, slow.state_lost) == ("TimeoutError", True, False)
    assert slow.details == {"error_type": "TimeoutError", "timed_out": True, "state_lost": False}


def test_an_outcome_field_of_the_wrong_type_counts_as_absent() -> None:
    # Part of an outcome comes from the worker, which agent code controls.
    forged = {"value": 1, "error": 5, "error_type": ["x"], "timed_out": "yes", "state_lost": 1}
    result = ExecutionResult.from_outcome(forged, stdout="", stderr="", execution_time_ms=1.0)
    assert (result.error, result.error_type, result.timed_out, result.state_lost) == (
        None,
        None,
        False,
        False,
    )
