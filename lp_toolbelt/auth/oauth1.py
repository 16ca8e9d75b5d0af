"""Pure OAuth 1.0a HMAC-SHA1 signing (RFC 5849) on oauthlib's signature primitives.

``oauthlib.oauth1.Client.sign`` re-parses the URI and re-collects and re-validates everything on every call, which
costs about as much as the request itself (numbers in ``bench/README.md``). So the signer is built once per
credentials and does per request only what changes per request. Everything else is prepared once with oauthlib's
``rfc5849`` primitives and cached:

* the signing key, and the ``oauth_*`` parameters, escaped once per signer;
* the escaped base string URI, per (scheme, host, port, path);
* the query's escaped, sorted parameters — already split around the ``oauth_*`` block they sort against and
  escaped a second time for the base string — per raw query string.

A request then costs one string concatenation, one HMAC and one header format. A query
with ``oauth_*`` names of its own (never sent by this library) takes the general path: oauthlib's
``normalize_parameters`` over everything. Both paths give byte-for-byte oauthlib's signature (the tests compare
against ``oauthlib.oauth1.Client.sign``). As the LivePerson API-key flow requires, a JSON body is not signed.

OAuth 1.0 app keys are legacy (end of life on 2026-05-31; OAuth 2.0 is the live default), so oauthlib is imported
when a signature is first computed, not with this module: a handler on OAuth 2.0 never loads it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from yarl import URL

from .._lazy import Deferred

if TYPE_CHECKING:
    from oauthlib.oauth1.rfc5849 import signature as _sig
    from oauthlib.oauth1.rfc5849 import utils as _utils
else:
    _sig = Deferred("oauthlib.oauth1.rfc5849.signature")
    _utils = Deferred("oauthlib.oauth1.rfc5849.utils")

__all__ = ["OAuth1Credentials", "OAuth1Signer", "base_uri", "sign_hmac_sha1", "signature_base"]


@dataclass(frozen=True, slots=True)
class OAuth1Credentials:
    """An API key: consumer key/secret and access token/secret. Secrets never appear in ``repr()``."""

    consumer_key: str
    consumer_secret: str = field(repr=False)
    token: str
    token_secret: str = field(repr=False)


@lru_cache(maxsize=1024)
def _base_uri(scheme: str, host: str, port: int | None, path: str) -> str:
    default = 443 if scheme == "https" else 80
    netloc = host if port in (None, default) else f"{host}:{port}"
    return _sig.base_string_uri(f"{scheme}://{netloc}{path or '/'}")


def base_uri(url: URL) -> str:
    """The RFC 5849 base string URI (scheme and host lower-cased, default port dropped, no query)."""
    return _base_uri((url.scheme or "").lower(), (url.raw_host or "").lower(), url.explicit_port, url.raw_path)


def signature_base(method: str, url: URL, params: Iterable[tuple[str, str]]) -> str:
    """The signature base string for ``method`` + ``url`` over its query plus ``params`` (oauth_* values)."""
    all_params = list(url.query.items())
    all_params.extend(params)
    normalized = _sig.normalize_parameters(all_params)
    return _sig.signature_base_string(method.upper(), base_uri(url), normalized)


def signing_key(consumer_secret: str, token_secret: str) -> bytes:
    """The HMAC key: escaped consumer secret & escaped token secret (RFC 5849 §3.4.2)."""
    return (_utils.escape(consumer_secret) + "&" + _utils.escape(token_secret)).encode()


def sign_hmac_sha1(base_string: str, key: bytes) -> str:
    """Base64 HMAC-SHA1 of the base string with a prepared key (same result as oauthlib's sign_hmac_sha1)."""
    digest = hmac.new(key, base_string.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# ---------------------------------------------------------------------------------------------- per-request path
_OAUTH_PREFIX = "oauth_"
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))
_CACHE_SIZE = 1024
# raw query string -> (escaped base-string text before the oauth_* block, text after it); None: general path
_query_parts: dict[str, tuple[str, str] | None] = {}
# URL -> (escaped base string URI, query parts): one dict lookup per request instead of five URL properties
_url_parts: dict[URL, tuple[str, tuple[str, str] | None]] = {}


def _escape_twice(text: str) -> str:
    """Percent-encode an already escaped string again (it holds only unreserved characters and ``%XX``)."""
    return text.replace("%", "%25")


def _query_split(url: URL) -> tuple[str, str] | None:
    """The query's parameters, escaped, sorted and split around the ``oauth_*`` block, as base-string text.

    The base string holds ``escape(normalized parameters)``; the query's share of it does not change per request,
    so it is computed once per raw query string. A parameter name not starting with ``oauth_`` sorts either before
    or after *every* ``oauth_*`` name, so the block of ``oauth_*`` parameters can be spliced between the two
    parts. ``None`` when the query has ``oauth_*`` names itself (then every parameter must be sorted together).
    """
    raw = url.raw_query_string
    if not raw:
        return "", ""
    try:
        return _query_parts[raw]
    except KeyError:
        pass
    pairs = sorted((_utils.escape(k), _utils.escape(v)) for k, v in url.query.items())
    parts: tuple[str, str] | None
    if any(k.startswith(_OAUTH_PREFIX) for k, _ in pairs):
        parts = None
    else:
        before = [_escape_twice(k) + "%3D" + _escape_twice(v) for k, v in pairs if k < _OAUTH_PREFIX]
        after = [_escape_twice(k) + "%3D" + _escape_twice(v) for k, v in pairs if k > _OAUTH_PREFIX]
        parts = (
            "".join(p + "%26" for p in before),
            "".join("%26" + p for p in after),
        )
    if len(_query_parts) >= _CACHE_SIZE:
        _query_parts.clear()
    _query_parts[raw] = parts
    return parts


def _url_split(url: URL) -> tuple[str, tuple[str, str] | None]:
    """``(escape(base string URI), query parts)`` of a URL, cached per URL."""
    try:
        return _url_parts[url]
    except KeyError:
        pass
    scheme, host = (url.scheme or "").lower(), (url.raw_host or "").lower()
    split = (_utils.escape(_base_uri(scheme, host, url.explicit_port, url.raw_path)), _query_split(url))
    if len(_url_parts) >= _CACHE_SIZE:
        _url_parts.clear()
    _url_parts[url] = split
    return split


def _plain(text: str) -> bool:
    """True when ``text`` needs no percent-encoding (ASCII letters and digits only)."""
    return text.isascii() and text.isalnum()


class OAuth1Signer:
    """Signs requests for one set of credentials. Build once, call ``authorization`` per request.

    Example::

        signer = OAuth1Signer(OAuth1Credentials("ck", "cs", "tok", "ts"))
        header = signer.authorization("GET", URL("https://va.msghist.liveperson.net/x?v=2"))
    """

    __slots__ = (
        "_clock",
        "_consumer_key_q",
        "_head",
        "_header_head",
        "_header_tail",
        "_inner",
        "_key",
        "_nonce",
        "_oauth_static",
        "_outer",
        "_tail",
        "_timestamp",
        "_token_q",
        "consumer_key",
    )

    def __init__(
        self,
        credentials: OAuth1Credentials,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] | None = None,
    ) -> None:
        self.consumer_key = credentials.consumer_key
        self._key = signing_key(credentials.consumer_secret, credentials.token_secret)
        # HMAC-SHA1 (RFC 2104) keyed once: the inner and outer hash states after the padded key; a request copies
        # them (half the cost of hmac.digest(), which re-keys and looks the digest up by name every time).
        # (SHA-1 is what RFC 5849's HMAC-SHA1, the LivePerson API-key scheme, mandates.)
        key = self._key if len(self._key) <= 64 else hashlib.sha1(self._key).digest()  # noqa: S324
        block = key.ljust(64, b"\0")
        self._inner = hashlib.sha1(block.translate(_IPAD))  # noqa: S324
        self._outer = hashlib.sha1(block.translate(_OPAD))  # noqa: S324
        self._consumer_key_q = _utils.escape(credentials.consumer_key)
        self._token_q = _utils.escape(credentials.token)
        self._clock = clock
        self._nonce = nonce if nonce is not None else _random_nonce  # 128 random bits per request
        self._timestamp: tuple[int, str] = (-1, "")
        self._oauth_static = (
            ("oauth_consumer_key", credentials.consumer_key),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_token", credentials.token),
            ("oauth_version", "1.0"),
        )
        # The oauth_* block of the base string, escaped twice, around the per-request nonce and timestamp
        # (names in sorted order: consumer_key, nonce, signature_method, timestamp, token, version).
        self._head = f"oauth_consumer_key%3D{_escape_twice(self._consumer_key_q)}%26oauth_nonce%3D"
        self._tail = f"%26oauth_token%3D{_escape_twice(self._token_q)}%26oauth_version%3D1.0"
        self._header_head = f'OAuth oauth_consumer_key="{self._consumer_key_q}", oauth_nonce="'
        self._header_tail = f'", oauth_token="{self._token_q}", oauth_version="1.0"'

    def authorization(self, method: str, url: URL) -> str:
        """The ``Authorization: OAuth ...`` header value for this method and final URL."""
        nonce = self._nonce()
        now = int(self._clock())
        if now != self._timestamp[0]:
            self._timestamp = (now, str(now))
        timestamp = self._timestamp[1]
        nonce_q = nonce if _plain(nonce) else _utils.escape(nonce)
        uri, parts = _url_split(url)
        if parts is None:  # the query has oauth_* names of its own: sort everything together (oauthlib)
            params = [*self._oauth_static, ("oauth_nonce", nonce), ("oauth_timestamp", timestamp)]
            base = signature_base(method, url, params)
        else:
            verb = method.upper()
            base = (
                f"{verb if _plain(verb) else _utils.escape(verb)}&{uri}&{parts[0]}{self._head}{_escape_twice(nonce_q)}"
                f"%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D{timestamp}{self._tail}{parts[1]}"
            )
        inner = self._inner.copy()
        inner.update(base.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        signature = binascii.b2a_base64(outer.digest(), newline=False).decode()
        return (
            f"{self._header_head}{nonce_q}"
            f'", oauth_signature="{signature.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")}'
            f'", oauth_signature_method="HMAC-SHA1", oauth_timestamp="{timestamp}{self._header_tail}'
        )

    def __repr__(self) -> str:
        return f"OAuth1Signer(consumer_key={self.consumer_key!r})"


def _random_nonce() -> str:
    return secrets.token_hex(16)
