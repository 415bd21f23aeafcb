"""Fixtures for the capability packages' tests: the loopback HTTP server the tool tests use."""

from tests.core.tools.conftest import http_server

__all__ = ["http_server"]
