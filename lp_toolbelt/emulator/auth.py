"""Server-side check of the credentials every emulated LivePerson API demands.

Two schemes are accepted, as LivePerson does:

* ``Authorization: OAuth ...`` — an API key (OAuth 1.0a, HMAC-SHA1). The signature is recomputed here with
  oauthlib's RFC 5849 primitives over the method, the URL the client addressed (scheme, Host header, path) and
  its query plus the ``oauth_*`` parameters; a body is never part of it. The consumer key and token must belong
  to an API-key secret in ``state.secrets`` *as it is now* (tests rotate secrets), the timestamp must be within
  ``state.oauth1_max_skew`` seconds and the nonce never seen before.
* ``Authorization: Bearer <token>`` — a token the Sentinel route issued, not expired, whose issuing
  credentials are still present in ``state.secrets``. The V2 gateways (``faasGW``, ``mtlsGateway``) accept only
  this one (:func:`verify_bearer`).

Anything else is answered ``401`` with a JSON ``{"error": ...}`` that never echoes the credentials.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Final

from aiohttp import hdrs, web
from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849 import utils as oauth_utils

from .state import EmulatorState, OAuth1Secret

__all__ = ["unauthorized", "verify_bearer", "verify_lp_auth"]

_REQUIRED_OAUTH_PARAMS: Final = (
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature_method",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
)


def unauthorized(reason: str) -> web.HTTPUnauthorized:
    """A 401 with a JSON ``{"error": reason}`` body (to raise)."""
    return web.HTTPUnauthorized(
        text=json.dumps({"error": reason}),
        content_type="application/json",
        headers={"WWW-Authenticate": 'OAuth realm="LivePerson", Bearer realm="LivePerson"'},
    )


async def verify_lp_auth(request: web.Request, state: EmulatorState) -> str:
    """Check the request's ``Authorization``; return the principal or raise a 401 ``HTTPUnauthorized``.

    The principal is ``"oauth1:<secret name>"`` or ``"bearer:<client id>"``.
    """
    header = request.headers.get(hdrs.AUTHORIZATION, "")
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() == "oauth":
        return _verify_oauth1(request, state, header.strip())
    if scheme.lower() == "bearer":
        return _verify_bearer(state, rest.strip())
    raise unauthorized("missing or unsupported Authorization header")


async def verify_bearer(request: web.Request, state: EmulatorState) -> str:
    """Check a Sentinel-issued ``Authorization: Bearer <token>`` (Functions V2's gateways take OAuth 2.0 only);
    return ``"bearer:<client id>"`` or raise a 401 ``HTTPUnauthorized`` with ``WWW-Authenticate``."""
    scheme, _, rest = request.headers.get(hdrs.AUTHORIZATION, "").strip().partition(" ")
    if scheme.lower() != "bearer":
        raise unauthorized("an OAuth 2.0 Bearer token is required")
    return _verify_bearer(state, rest.strip())


def _verify_bearer(state: EmulatorState, token: str) -> str:
    client_id = state.token_client(token) if token else None
    if client_id is None:
        raise unauthorized("access token is invalid or expired")
    return f"bearer:{client_id}"


def _oauth_params(header: str) -> dict[str, str]:
    try:
        items = oauth_utils.parse_authorization_header(header)
    except ValueError:
        raise unauthorized("malformed OAuth Authorization header") from None
    params: dict[str, str] = {}
    for key, value in items:
        if key == "realm":
            continue
        params[key] = oauth_utils.unescape(value) if key.startswith("oauth_") else value
    return params


def _signature_of(request: web.Request, oauth: dict[str, str], secret: OAuth1Secret) -> str:
    # The URL the client addressed: the scheme it spoke, the Host header it sent, the path as sent.
    uri = oauth_signature.base_string_uri(f"{request.scheme}://{request.host}{request.rel_url.raw_path}")
    params = list(request.rel_url.query.items())
    params.extend((k, v) for k, v in oauth.items() if k != "oauth_signature")
    base = oauth_signature.signature_base_string(
        request.method.upper(), uri, oauth_signature.normalize_parameters(params)
    )
    key = oauth_utils.escape(secret.consumer_secret) + "&" + oauth_utils.escape(secret.token_secret)
    digest = hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _verify_oauth1(request: web.Request, state: EmulatorState, header: str) -> str:
    oauth = _oauth_params(header)
    if any(not oauth.get(name) for name in _REQUIRED_OAUTH_PARAMS):
        raise unauthorized("OAuth parameters missing")
    if oauth["oauth_signature_method"] != "HMAC-SHA1":
        raise unauthorized("unsupported OAuth signature method")
    if oauth.get("oauth_version", "1.0") != "1.0":
        raise unauthorized("unsupported OAuth version")
    timestamp_text = oauth["oauth_timestamp"]
    if not timestamp_text.isdigit():
        raise unauthorized("malformed OAuth timestamp")
    timestamp = int(timestamp_text)
    if abs(timestamp - state.clock()) > state.oauth1_max_skew:
        raise unauthorized("OAuth timestamp outside the allowed window")

    consumer_key, token = oauth["oauth_consumer_key"], oauth["oauth_token"]
    candidates = [s for s in state.oauth1_secrets() if s.consumer_key == consumer_key and s.token == token]
    if not candidates:
        raise unauthorized("unknown consumer key or token")
    presented = oauth["oauth_signature"].encode()
    matched = next(
        (s for s in candidates if hmac.compare_digest(_signature_of(request, oauth, s).encode(), presented)),
        None,
    )
    if matched is None:
        raise unauthorized("invalid OAuth signature")
    if not state.use_nonce(consumer_key, oauth["oauth_nonce"], float(timestamp)):
        raise unauthorized("OAuth nonce already used")
    return f"oauth1:{matched.name}"
