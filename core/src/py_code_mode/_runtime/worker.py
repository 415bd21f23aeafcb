"""The subprocess worker: runs agent code on its main thread, asks the host for the rest.

Started by `SubprocessExecutor` as
``python -I -c <bootstrap> READ_FD WRITE_FD PATHS_JSON OPERATIONS_JSON MAX_FRAME_BYTES
HOST_PID LIMITS_JSON``, where READ_FD WRITE_FD may also be ``unix:PATH -`` (a container's
worker, which inherits no descriptors, connects to the host's socket instead): the specs of
the namespace methods
(`py_code_mode._operations.operation_specs`), the largest frame the host accepts, the host,
which the worker does not outlive (`lifeline`), and the resource limits it sets on itself
before any agent code runs (`limits`).
The channel is the two inherited descriptors; stdin is closed and stdout/stderr belong to
agent code and whatever it spawns. The engine flushes both before the result is sent, so the
host finds a run's whole output in the pipes when the result arrives.

Standard library only: the worker's start is the floor of every session's start.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # not `signal`: its enums cost ~3 ms of start
import os
import sys

from py_code_mode._runtime import jsoncodec, lifeline, limits, protocol
from py_code_mode._runtime.channel import PipeChannel
from py_code_mode._runtime.engine import Engine
from py_code_mode._runtime.namespaces import add_import_paths, build_namespaces

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the worker ~8 ms
if TYPE_CHECKING:
    from typing import Any


class _Interruptible:
    """SIGINT raises KeyboardInterrupt only while agent code runs, never between runs.

    While the main thread holds channel bytes it has not routed yet, the interrupt waits
    for it (`PipeChannel.defer_interrupt`): a frame cut in half would desynchronise the
    channel for good.
    """

    running = False

    def __init__(self, channel: PipeChannel) -> None:
        self._channel = channel

    def __call__(self, signum: int, frame: Any) -> None:
        if not self.running:
            return
        if self._channel.critical:
            self._channel.defer_interrupt()
            return
        self._channel.deferred = False
        raise KeyboardInterrupt


def serve(channel: PipeChannel, engine: Engine) -> None:
    """Answer run and reset commands until the host closes the channel."""
    interruptible = _Interruptible(channel)
    _signal.signal(_signal.SIGINT, interruptible)
    channel.send({"kind": "ready", "pid": os.getpid()})
    while True:
        command = channel.next_command()
        if command is None:
            return
        kind = command.get("kind")
        if kind == "run":
            interruptible.running = True
            try:
                result = engine.run(command["code"])
            finally:
                interruptible.running = False
        elif kind == "reset":
            engine.reset()
            result = {"value": None, "error": None, "error_type": None}
        else:
            result = {"value": None, "error": f"unknown command {kind!r}", "error_type": None}
        channel.end_run()
        done = {"kind": "done", "id": command.get("id"), "result": result}
        try:
            channel.send(done)
        except protocol.FrameTooLarge as exc:
            # The host would end a worker that sent it; the value is what cannot go.
            done["result"] = {
                "value": None,
                "error": f"The last expression's value is too large to return: {exc}. Return "
                "less (a summary, a slice), or keep the data in the session's variables.",
                "error_type": "FrameTooLarge",
            }
            channel.send(done)


def channel_fds(read: str, write: str) -> tuple[int, int]:
    """The channel's descriptors: inherited ones, or a connection to ``unix:PATH``.

    A socket carries both directions; it is given as two descriptors (one a dup) because
    the channel closes each of its ends once.
    """
    if not read.startswith("unix:"):
        return int(read), int(write)
    import _socket

    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    sock.connect(read.removeprefix("unix:"))
    fd = sock.detach()
    return fd, os.dup(fd)


def main(argv: list[str]) -> None:
    """Entry point: wire the channel, the namespaces and the engine, then serve."""
    (read_fd, write_fd), max_frame_bytes = channel_fds(argv[0], argv[1]), int(argv[4])
    paths, operations = jsoncodec.loads(argv[2]), jsoncodec.loads(argv[3])
    lifeline.bind_to_host(int(argv[5]))
    limits.apply(jsoncodec.loads(argv[6]))
    add_import_paths(paths)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    channel = PipeChannel(read_fd, write_fd, max_frame_bytes)
    engine = Engine(build_namespaces(channel, paths, operations))
    serve(channel, engine)
    # The host has closed the session: nothing agent code started may outlive it, and
    # nobody will read our results. Leave at once, even if agent code has started
    # non-daemon threads.
    lifeline.kill_tree(os.getpid(), spare_root=True)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001, S110 - a closed stream has nothing left to say
            pass
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
