"""A static bearer token for the HTTP transport, checked by the SDK's own auth middleware.

The SDK verifies bearer tokens through a `TokenVerifier` and answers a missing or wrong one
with HTTP 401 and a `WWW-Authenticate` header; a fixed shared secret is the simplest such
verifier. Comparison is constant-time so response timing does not leak the token.
"""

from __future__ import annotations

import hmac

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from pydantic import AnyHttpUrl

__all__ = ["StaticTokenVerifier", "static_token_settings"]

_CLIENT_ID = "py-code-mode-mcp"


class StaticTokenVerifier:
    """Accepts exactly one bearer token, the one the server was started with."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("the bearer token must not be empty")
        self._token = token.encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        """The access granted by `token`, or None when it is not the configured one."""
        if not hmac.compare_digest(token.encode(), self._token):
            return None
        return AccessToken(token=token, client_id=_CLIENT_ID, scopes=[])


def static_token_settings(base_url: str) -> AuthSettings:
    """Auth settings for a server whose tokens are handed out of band, not by OAuth.

    `AuthSettings` requires an issuer URL; with no authorization server provider and no
    resource server URL the SDK neither publishes nor uses it, so the server's own URL
    stands in for "whoever started this server".
    """
    return AuthSettings(
        issuer_url=AnyHttpUrl(base_url),
        resource_server_url=None,
        required_scopes=[],
    )
