"""`Limits`: how much of the machine one worker may take.

The worker sets them on itself as rlimits before agent code runs (`_runtime/limits.py`),
so they hold for the subprocess and sandbox executors alike, and for every process agent
code starts. In-process code shares the host's process, which nothing can limit apart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Limits"]

GiB = 1 << 30
_MIN_MEMORY = 64 << 20
"""Below this the worker itself cannot start."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for a worker process; None leaves one unlimited.

    Args:
        memory: Bytes of memory, 1 GiB by default: for each process its heap and private
            memory (RLIMIT_DATA; beyond it an allocation fails with MemoryError and the
            variables survive), and, where the host can make a memory cgroup, for the
            worker and everything it starts together (beyond it the kernel ends the
            largest process; if that is the worker, the result says so).
        file_size: The largest file agent code may write, in bytes (RLIMIT_FSIZE).
        open_files: How many files and sockets may be open at once (RLIMIT_NOFILE), the
            worker's own few included.
        processes: How many processes and threads the worker and everything it starts may
            have at once, its own few threads included: a pids cgroup, where the host can
            make one (`SubprocessExecutor.process_limit` says whether it can).
    """

    memory: int | None = GiB
    file_size: int | None = GiB
    open_files: int | None = 1024
    processes: int | None = 256

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"Limits.{name} must be a positive whole number or None, got {value!r}"
                )
        if self.memory is not None and self.memory < _MIN_MEMORY:
            raise ValueError(
                f"Limits.memory must be at least {_MIN_MEMORY >> 20} MiB for the worker to "
                f"start, got {self.memory!r} bytes"
            )
        for name in ("open_files", "processes"):
            value = getattr(self, name)
            if value is not None and value < 16:
                raise ValueError(
                    f"Limits.{name} must be at least 16 for the worker's own, got {value!r}"
                )

    @classmethod
    def none(cls) -> Limits:
        """No limits at all."""
        return cls(memory=None, file_size=None, open_files=None, processes=None)

    def as_worker_args(self) -> dict[str, int]:
        """The limits that are set, by name, as the worker takes them."""
        return {name: value for name, value in asdict(self).items() if value is not None}
