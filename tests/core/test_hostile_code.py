"""Agent code that misbehaves: the session survives and says what happened."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from py_code_mode import FileStorage, Session, SubprocessExecutor, Toolkit

from tests.conftest import make_executor

pytestmark = pytest.mark.anyio

# Swallows every interrupt for a few seconds: long past any timeout and grace here, and
# then it ends, so an abandoned in-process thread does not spin on for the whole suite.
# The deadline check is inside the `try` too: an interrupt that landed on it, outside the
# handler, would end the code normally (it did once, on a loaded CI machine).
SWALLOWS_INTERRUPTS = """
import time
end = time.monotonic() + 3
while True:
    try:
        while time.monotonic() < end:
            time.sleep(0.01)
        break
    except KeyboardInterrupt:
        pass
"""


async def test_code_that_never_returns_is_interrupted_and_state_is_kept(session: Session) -> None:
    await session.run("kept = 'yes'")
    result = await session.run("import time\nwhile True:\n    time.sleep(0.01)", timeout=0.5)
    assert not result.is_ok
    assert "timed out after 0.5s" in (result.error or "")
    # Upstream's messages say "timeout"; code that migrates may look for the word.
    assert (result.error or "").startswith("Execution timeout: timed out after 0.5s")
    assert result.details["timed_out"] is True
    assert not result.details.get("state_lost")
    assert (await session.run("kept")).value == "yes"


async def test_code_that_swallows_the_interrupt_is_stopped_and_state_loss_is_reported(
    session: Session,
) -> None:
    await session.run("kept = 'yes'")
    result = await session.run(SWALLOWS_INTERRUPTS, timeout=0.3)
    assert not result.is_ok
    assert "variables were lost" in (result.error or "")
    assert result.details["state_lost"] is True
    after = await session.run("'kept' in globals()")
    assert after.is_ok and after.value is False


async def test_printing_fifty_megabytes_is_cut_to_a_bounded_size(session: Session) -> None:
    result = await session.run("for _ in range(50):\n    print('x' * 1_000_000)")
    assert result.is_ok
    assert len(result.stdout) < 1_100_000
    assert "bytes of output cut" in result.stdout
    assert result.stdout.startswith("xxx") and result.stdout.endswith("x\n")


@pytest.mark.parametrize("executor_kind", ["subprocess"], indirect=True)
@pytest.mark.parametrize(
    "code, how",
    [
        ("import os\nos._exit(1)", "exit status 1"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "SIGKILL"),
        ("import ctypes\nctypes.string_at(0)", "SIGSEGV"),
    ],
)
async def test_a_worker_that_dies_gives_an_error_and_the_next_run_works(
    session: Session, code: str, how: str
) -> None:
    result = await session.run(code)
    assert not result.is_ok
    assert how in (result.error or "") and "variables were lost" in (result.error or "")
    assert (await session.run("1 + 1")).value == 2


@pytest.mark.parametrize("executor_kind", ["subprocess"], indirect=True)
async def test_output_of_processes_the_code_starts_is_captured(session: Session) -> None:
    result = await session.run("import os\nos.system('echo from-child')\nprint('from-python')")
    assert result.stdout == "from-child\nfrom-python\n"


async def test_the_worker_sees_no_host_secrets_unless_allowed(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PCM_TEST_SECRET", "hunter2")
    code = "import os\nos.environ.get('PCM_TEST_SECRET'), os.getcwd()"
    async with Session(storage=FileStorage(workspace), executor=SubprocessExecutor()) as session:
        assert (await session.run(code)).value == f"(None, {str(workspace)!r})"
    allowed = SubprocessExecutor(inherit_env=["PATH", "PCM_TEST_SECRET"], env={"EXTRA": "1"})
    async with Session(storage=FileStorage(workspace), executor=allowed) as session:
        result = await session.run("import os\nos.environ['PCM_TEST_SECRET'], os.environ['EXTRA']")
        assert result.value == "('hunter2', '1')"


@pytest.mark.parametrize("executor_kind", ["subprocess"], indirect=True)
async def test_the_worker_imports_only_the_standard_library(session: Session) -> None:
    result = await session.run(
        "import sys\nsorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydantic', 'yaml', 'filelock', 'packaging', 'asyncio'))"
    )
    assert result.value == []


async def _join_abandoned_threads() -> None:
    for thread in threading.enumerate():
        if thread.name == "pcm-inprocess-abandoned":
            await anyio.to_thread.run_sync(thread.join, 10)


@pytest.mark.parametrize("executor_kind", ["inprocess"], indirect=True)
async def test_in_process_runs_leave_the_host_stdout_as_it_was(session: Session) -> None:
    await _join_abandoned_threads()  # earlier tests' threads, silenced while they run
    before = (sys.stdout, sys.stderr)
    await session.run("print('captured')")
    assert (sys.stdout, sys.stderr) == before
    # An abandoned thread is silenced while it runs on, which needs the router in place;
    # once it has finished, the host's own streams are back.
    abandoned = await session.run(SWALLOWS_INTERRUPTS, timeout=0.2)
    assert abandoned.timed_out
    await _join_abandoned_threads()
    assert (sys.stdout, sys.stderr) == before


async def test_source_python_cannot_compile_is_an_error_not_a_dead_worker(
    session: Session,
) -> None:
    await session.run("kept = 5")
    for code in ("'\ud800'", "x = 1\x00"):
        result = await session.run(code)
        assert not result.is_ok
        assert result.details["error_type"] in ("UnicodeEncodeError", "SyntaxError", "ValueError")
        assert not result.details.get("state_lost")
    assert (await session.run("kept")).value == 5


async def test_timeouts_in_the_middle_of_requests_never_desynchronise_the_channel(
    session: Session,
) -> None:
    # Each run is cut by its timeout somewhere inside a stream of requests and replies:
    # while a request is written, while its reply is read, between the two. Whatever the
    # moment, the session keeps its variables and every later reply matches its request.
    await session.run("kept = 'yes'")
    churn = (
        "i = 0\n"
        "while True:\n"
        "    i += 1\n"
        "    artifacts.save('churn', {'i': i, 'pad': 'x' * (i % 5000)})\n"
        "    assert artifacts.load('churn')['i'] == i\n"
    )
    for attempt in range(12):
        result = await session.run(churn, timeout=0.03 + 0.011 * attempt)
        assert result.details.get("timed_out") is True, result
        assert not result.details.get("state_lost"), result
    check = await session.run(
        "[kept] + [(artifacts.save(f'k{n}', n), artifacts.load(f'k{n}'))[1] for n in range(20)]"
    )
    assert check.value == ["yes", *range(20)], check


@pytest.mark.parametrize("kind", ["fifo", "directory"])
async def test_agent_code_cannot_hang_or_break_the_host_through_the_revision_file(
    workspace: Path, kind: str
) -> None:
    # A subprocess worker runs in the workspace, so it can replace the storage's revision
    # counter with a FIFO (whose open would block the host's loop for good) or a directory.
    make = "os.mkfifo(path)" if kind == "fifo" else "os.mkdir(path)"
    async with Session(storage=FileStorage(workspace), executor=SubprocessExecutor()) as session:
        await _break_the_revision_file_then_use_the_toolkit(session, make)


async def _break_the_revision_file_then_use_the_toolkit(session: Session, make: str) -> None:
    result = await session.run(
        "import os\n"
        "path = os.path.join('.py-code-mode', 'revision')\n"
        "os.makedirs('.py-code-mode', exist_ok=True)\n"
        "if os.path.lexists(path): os.remove(path)\n"
        f"{make}\n"
        "skills.create(name='double', source='def run(n):\\n    return 2 * n\\n')"
    )
    assert result.error is None, result.error
    toolkit = Toolkit(session)
    with anyio.fail_after(10):
        await toolkit.list()
        output = await toolkit.call("run_code", {"code": "skills.double(n=21)"})
    assert (output.is_error, output.text) == (False, "42")
    assert "- double(" in toolkit.tools[0].description


HUGE_INT = "import math\nmath.factorial(2000)"
UNSHOWABLE_VALUES = {
    "a self-referencing list": ("x = []\nx.append(x)\nx", "[[...]]"),
    "a list nested 5,000 deep": ("x = []\nfor _ in range(5000):\n    x = [x]\nx", None),
    "a dict nested 5,000 deep": ("x = {}\nfor _ in range(5000):\n    x = {'a': x}\nx", None),
    "a __repr__ that raises SystemExit": (
        "class R:\n    def __repr__(self):\n        raise SystemExit(3)\nR()",
        None,
    ),
    "a __repr__ that raises KeyboardInterrupt": (
        "class R:\n    def __repr__(self):\n        raise KeyboardInterrupt\nR()",
        None,
    ),
    "a __repr__ that raises": (
        "class R:\n    def __repr__(self):\n        return 1 / 0\nR()",
        None,
    ),
    "a huge int inside a list": ("[10 ** 5000]", "[1" + "0" * 5000 + "]"),
    "an int too large even for text": ("10 ** 1_000_000", None),
}


@pytest.mark.parametrize(
    ("code", "shown"), UNSHOWABLE_VALUES.values(), ids=UNSHOWABLE_VALUES.keys()
)
async def test_a_value_that_cannot_cross_as_data_never_kills_the_worker(
    session: Session, code: str, shown: str | None
) -> None:
    await session.run("survivor = 'still here'")
    result = await session.run(code)
    if shown is None:
        assert result.error is not None and "could not be shown" in result.error, result
        assert not result.state_lost
    else:
        assert (result.error, result.value) == (None, shown)
    assert (await session.run("survivor")).value == "still here"


async def test_a_huge_int_comes_back_as_its_digits(session: Session) -> None:
    result = await session.run(HUGE_INT)
    assert result.error is None
    assert isinstance(result.value, str) and len(result.value) == 5736
    assert result.value.startswith("3316275092450633241175393380576324038281117208105780394571")


async def test_a_huge_repr_is_cut_in_the_middle(session: Session) -> None:
    result = await session.run(
        "class R:\n    def __repr__(self):\n        return 'a' + 'x' * 50_000_000 + 'z'\nR()"
    )
    assert result.error is None
    assert len(result.value) < 1_100_000
    assert result.value.startswith("ax") and result.value.endswith("xz")
    assert "characters of the value cut" in result.value


async def test_a_repr_that_never_returns_is_interrupted_and_the_session_survives(
    session: Session,
) -> None:
    await session.run("survivor = 1")
    looping = "class R:\n    def __repr__(self):\n        while True:\n            pass\nR()"
    result = await session.run(looping, timeout=0.5)
    assert result.timed_out and not result.state_lost, result
    assert (await session.run("survivor")).value == 1


class _SlowFirstSave(FileStorage):
    """A workspace whose first save of 'slow' takes a while, as a loaded disk can."""

    def __init__(self, base: Path) -> None:
        super().__init__(base)
        self.slowed = False
        self.landed = threading.Event()

    def _save_artifact(self, info: Any, payload: bytes) -> None:
        if info.name == "slow" and not self.slowed:
            self.slowed = True
            time.sleep(0.5)
            super()._save_artifact(info, payload)
            self.landed.set()
            return
        super()._save_artifact(info, payload)


async def test_a_write_abandoned_by_a_timeout_never_lands_on_a_later_runs_data(
    workspace: Path, executor_kind: str
) -> None:
    storage = _SlowFirstSave(workspace)
    async with Session(storage=storage, executor=make_executor(executor_kind)) as session:
        cut = await session.run("artifacts.save('slow', 'old')", timeout=0.1)
        assert cut.timed_out, cut
        later = await session.run("artifacts.save('slow', 'new')\nartifacts.load('slow')")
        assert later.value == "new", later
        with anyio.fail_after(10):
            await anyio.to_thread.run_sync(storage.landed.wait)
        assert await session.load_artifact("slow") == "new"  # the old write came first


ABANDONING_HOST = r"""
import asyncio, os, sys
from py_code_mode import FileStorage, InProcessExecutor, Session

# The code ignores its timeout, so its thread is abandoned and runs on, printing. After
# each print it writes to a pipe, so the host knows it has printed that much more.
CODE = (
    "import os\n"
    "while True:\n"
    "    try:\n"
    "        print('leaked line', flush=True)\n"
    "        os.write(WRITE_FD, b'.')\n"
    "    except KeyboardInterrupt:\n"
    "        pass\n"
)

async def main():
    read, write = os.pipe()
    executor = InProcessExecutor(interrupt_grace=0.2)
    async with Session(storage=FileStorage(sys.argv[1]), executor=executor) as session:
        code = CODE.replace("WRITE_FD", str(write))
        result = await session.run(code, timeout=0.2)
        print("state lost:", result.state_lost, flush=True)
        os.set_blocking(read, False)  # what it wrote before it was abandoned does not count
        try:
            while os.read(read, 65536):
                pass
        except BlockingIOError:
            pass
        os.set_blocking(read, True)
        seen = 0
        while seen < 50:  # the abandoned thread prints 50 more lines meanwhile
            seen += len(os.read(read, 50))
    print("host done", flush=True)
    os._exit(0)  # the abandoned thread cannot be joined

asyncio.run(main())
"""


async def test_an_abandoned_in_process_thread_prints_nowhere(workspace: Path) -> None:
    with anyio.fail_after(60):
        done = await anyio.run_process(
            [sys.executable, "-c", ABANDONING_HOST, str(workspace)], check=False
        )
    out = done.stdout.decode()
    assert "state lost: True" in out and "host done" in out, (out, done.stderr.decode())
    assert "leaked line" not in out
