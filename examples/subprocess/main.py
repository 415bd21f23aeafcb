"""Process isolation without Docker: agent code in a child process, then in a sandbox.

    uv run python examples/subprocess/main.py [WORKSPACE]   (default: ./workspace)

Each step runs code a careless or hostile agent might write and shows what the host sees:
a runaway loop is interrupted and the variables survive; memory beyond the limit fails in
the child and names the limit; a worker that kills itself is replaced. Then the same
session under bubblewrap (where this machine allows it): no host files, no network.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from py_code_mode import (
    FileStorage,
    Limits,
    SandboxExecutor,
    Session,
    SubprocessExecutor,
)

MiB = 1024 * 1024

STEPS = [
    ("keep a variable", "kept = 'still here'\nkept"),
    ("a loop that never ends (timeout 1 s)", "while True:\n    pass"),
    ("the variable outlived the interrupt", "kept"),
    ("ask for 1 GiB with a 256 MiB limit", "block = bytearray(1024 * 1024 * 1024)"),
    ("the worker kills itself", "import os\nos._exit(3)"),
    ("the next run gets a new worker", "'a fresh worker answers'"),
]
SANDBOXED = [
    ("read the host's /etc/shadow", "open('/etc/shadow').read()"),
    (
        "see the host's processes",
        "import os\nsorted(int(p) for p in os.listdir('/proc') if p.isdigit())",
    ),
    ("reach the network", "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=2)"),
    ("write a file (into its own directory, removed at close)", "open('note', 'w').write('hi')"),
]


async def play(session: Session, steps: list[tuple[str, str]]) -> None:
    for title, code in steps:
        result = await session.run(code, timeout=1)
        lines = (result.error or "").strip().splitlines()
        said = lines[0] if result.timed_out else lines[-1] if lines else repr(result.value)
        state = " (variables lost: new worker)" if result.state_lost else ""
        print(f"- {title}: {'ok' if result.is_ok else 'refused'} -> {said[:110]}{state}")


async def main(workspace: Path) -> None:
    limits = Limits(memory=256 * MiB)
    print("A child process (SubprocessExecutor):")
    executor = SubprocessExecutor(limits=limits)
    async with Session(storage=FileStorage(workspace), executor=executor) as session:
        await play(session, STEPS)
    why_not = SandboxExecutor.unavailable()
    if why_not is not None:
        print(f"\nNo sandbox on this machine: {why_not}")
        return
    print("\nThe same in a bubblewrap sandbox (SandboxExecutor):")
    sandbox = SandboxExecutor(limits=limits)
    async with Session(storage=FileStorage(workspace), executor=sandbox) as session:
        await play(session, SANDBOXED)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "workspace")))
