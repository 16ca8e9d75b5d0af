"""OAuth 2 client credentials (LivePerson app installations) via Sentinel — pure parts.

``POST https://{sentinel}/sentinel/api/v2/account/{acc}/app/token?v=2.0`` with form
``client_id, client_secret, grant_type=client_credentials`` answers
``{"access_token", "token_type", "expires_in"}`` (``expires_in`` is a string of seconds). The token is reused
until 60 s before it expires (half its lifetime for tokens shorter than two minutes). An answer without a usable
``expires_in`` is kept ``OAUTH2_FALLBACK_TTL`` (60 s): cached, not fetched again on every call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from yarl import URL

from .. import _constants as C
from ..transport.request import Request

__all__ = ["OAuth2Credentials", "parse_token_response", "token_request", "token_ttl"]


@dataclass(frozen=True, slots=True)
class OAuth2Credentials:
    """An app installation's client id and secret. The secret never appears in ``repr()``."""

    client_id: str
    client_secret: str = field(repr=False)


def token_request(scheme: str, sentinel_host: str, account_id: str, credentials: OAuth2Credentials) -> Request:
    """The Sentinel token request (pure). A token request may be repeated safely, so it is retry-safe."""
    url = URL.build(
        scheme=scheme,
        authority=sentinel_host,
        path=f"/sentinel/api/v2/account/{account_id}/app/token",
        query={"v": "2.0"},
    )
    form = {
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "grant_type": "client_credentials",
    }
    return Request("POST", url, data=form, retry_safe=True)


def token_ttl(expires_in: Any) -> float:
    """Seconds to keep a token that expires in ``expires_in`` seconds (pure).

    >>> token_ttl("3600"), token_ttl(30), token_ttl(None)
    (3540.0, 15.0, 60.0)
    """
    try:
        seconds = float(expires_in)
    except (TypeError, ValueError):
        return C.OAUTH2_FALLBACK_TTL
    if not math.isfinite(seconds) or seconds <= 0:
        return C.OAUTH2_FALLBACK_TTL
    return max(seconds - C.OAUTH2_RENEW_BEFORE, seconds / 2)


def parse_token_response(payload: Any) -> tuple[str, float]:
    """``(authorization header value, seconds to keep it)`` from a token answer; ValueError without a token."""
    if not isinstance(payload, dict):
        raise ValueError("token response is not an object")
    token = payload.get("access_token")
    token_type = payload.get("token_type") or "Bearer"
    if not isinstance(token, str) or not token or not isinstance(token_type, str):
        raise ValueError("token response has no access_token")
    return f"{token_type} {token}", token_ttl(payload.get("expires_in"))
