"""Executors: where agent code runs (a thread, a child process, a sandbox, a container)."""
