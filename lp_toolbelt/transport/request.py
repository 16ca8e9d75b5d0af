"""Requests as values (pure): the one ``Request`` type, argument validators, request building, redirect decisions.

Every client turns its public arguments into one frozen :class:`Request` (validated before any I/O), hands it to
:meth:`~lp_toolbelt.transport.send.Transport.send`, and deciphers the answer with pure functions. Nothing here does
I/O, so all of it is unit-tested without a server.

Query parameters keep every value in order: a mapping (values may be lists), a ``MultiDict`` or a sequence of pairs
all go out as ``k=1&k=2``. They are folded into :attr:`Request.url` when the request is built, so the URL a request
carries is the URL that is sent and signed.

Example::

    request = build_request("GET", "https://my.crm.example.com/items", params={"tag": ["a", "b"]})
    request.url            # URL('https://my.crm.example.com/items?tag=a&tag=b')
"""

from __future__ import annotations

import enum
import io
import re
import ssl
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple, TypeAlias

import aiohttp
from aiohttp import ClientMiddlewareType
from multidict import MultiMapping
from yarl import URL

from ..errors import ErrorCodes, InvalidArgumentError

__all__ = [
    "ABSENT",
    "REDIRECT_STATUSES",
    "Absent",
    "Params",
    "Request",
    "build_request",
    "check_body",
    "check_headers",
    "normalize_params",
    "origin_url",
    "redirect",
    "validate_method",
    "validate_timeout",
    "validate_url",
    "without_credentials",
]

COMPONENT: Final = "HTTPClient"


class Absent(enum.Enum):
    """The type of :data:`ABSENT`."""

    ABSENT = "ABSENT"

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = Absent.ABSENT
"""``Request.json`` when the request has no JSON body (``None`` is a JSON value: ``null``)."""

Params: TypeAlias = Mapping[str, Any] | MultiMapping[Any] | Sequence[tuple[str, Any]]
"""Query parameters: a mapping (a value may be a list of values), a ``MultiDict`` or a sequence of pairs."""

REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CRLF = re.compile(r"[\r\n\x00]")
_DATA_TYPES = (bytes, bytearray, memoryview, str, Mapping, list, tuple, io.IOBase, aiohttp.FormData)
_CREDENTIAL_HEADERS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-auth-token",
        "x-auth-user",
        "x-auth-key",
        "maven-api-key",
        "lp-authorization-override",  # the caller's own credentials for a target behind LivePerson's mTLS gateway
    }
)


class Request(NamedTuple):
    """A request as a value: built by pure functions in the clients, sent by ``Transport.send``.

    ``url`` is final (query included). ``retry_safe`` overrides the method-based idempotency rule (``None``: decide
    by method). ``middlewares`` run inside aiohttp after the transport's own (request id, User-Agent), on every
    attempt and redirect hop. ``auth`` is the credential, an aiohttp middleware that sets it (an OAuth1 signer, a
    bearer token, an API key); it is attached by an :class:`~lp_toolbelt.transport.auth.Authorizer`, never logged,
    and dropped with ``middlewares`` on a redirect to another origin. ``repr()`` leaves out headers and bodies:
    they may carry credentials.

    ``tls`` is the ``ssl.SSLContext`` of the connection (``None``: the session's default verification): the mTLS
    client's context, which carries its client certificate. It is a property of the connection, not a header, so it
    stays with every attempt and redirect hop and is never logged; aiohttp pools connections per context, so a
    connection opened with a client certificate serves no other request. ``follow_redirects=False`` makes a 3xx
    answer final (a gateway's answer that must not be followed past the gateway).

    Example::

        Request("GET", URL("https://va.msghist.liveperson.net/x?v=2"), headers={"Accept": "application/json"})

    An immutable value (a typed named tuple: building one per call is the hot path); ``request._replace(...)``
    gives a changed copy.
    """

    method: str
    url: URL
    headers: Mapping[str, str] | None = None
    json: Any = ABSENT
    data: Any = None
    retry_safe: bool | None = None
    middlewares: tuple[ClientMiddlewareType, ...] = ()
    auth: ClientMiddlewareType | None = None
    tls: ssl.SSLContext | None = None
    follow_redirects: bool = True

    def with_auth(self, auth: ClientMiddlewareType | None) -> Request:
        """This request carrying credential ``auth``."""
        return Request(
            self.method,
            self.url,
            self.headers,
            self.json,
            self.data,
            self.retry_safe,
            self.middlewares,
            auth,
            self.tls,
            self.follow_redirects,
        )

    def __repr__(self) -> str:
        # Headers, bodies, the credential and the TLS context stay out: they may carry secrets.
        return (
            f"Request(method={self.method!r}, url={self.url!r}, retry_safe={self.retry_safe!r}, "
            f"middlewares={self.middlewares!r}, follow_redirects={self.follow_redirects!r})"
        )


# --------------------------------------------------------------------------------------------------- validators
def _invalid(component: str, code: str, message: str) -> InvalidArgumentError:
    return InvalidArgumentError(component, code, message)


def validate_method(method: object, component: str = COMPONENT, code: str = ErrorCodes.HTTP_INVALID_ARGUMENT) -> str:
    """The method, upper-cased, if it is an HTTP token; InvalidArgumentError otherwise."""
    if not isinstance(method, str) or not _TOKEN.fullmatch(method):
        raise _invalid(component, code, "method must be an HTTP token")
    return method.upper()


def validate_url(url: object, component: str = COMPONENT, code: str = ErrorCodes.HTTP_INVALID_ARGUMENT) -> URL:
    """The URL, parsed, if it is an absolute http(s) URL; InvalidArgumentError otherwise."""
    try:
        parsed = url if isinstance(url, URL) else URL(url)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise _invalid(component, code, "url is not a valid URL") from err
    if not parsed.absolute or parsed.scheme not in ("http", "https"):
        raise _invalid(component, code, "url must be an absolute http(s) URL")
    return parsed


def validate_timeout(
    timeout: object, component: str = COMPONENT, code: str = ErrorCodes.HTTP_INVALID_ARGUMENT
) -> float | None:
    """``None`` or a positive number of seconds; InvalidArgumentError otherwise."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise _invalid(component, code, "timeout must be a number > 0")
    return float(timeout)


def _param_value(value: Any, component: str, code: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise _invalid(component, code, "query parameter values must be str, int, float or bool (or a list of them)")


def normalize_params(
    params: Params | None, component: str = COMPONENT, code: str = ErrorCodes.HTTP_INVALID_ARGUMENT
) -> tuple[tuple[str, str], ...]:
    """Query parameters as ordered ``(name, value)`` string pairs, every repeated value kept (pure).

    >>> normalize_params({"k": ["1", "2"], "v": 2})
    (('k', '1'), ('k', '2'), ('v', '2'))
    >>> normalize_params([("k", 1), ("k", True)])
    (('k', '1'), ('k', 'true'))
    """
    if params is None:
        return ()
    items: Iterable[Any]
    if isinstance(params, MultiMapping):
        items = params.items()
    elif isinstance(params, Mapping):
        items = _expand(params.items(), component, code)
    elif isinstance(params, Sequence) and not isinstance(params, str | bytes | bytearray):
        items = params
    else:
        raise _invalid(component, code, "params must be a mapping, a MultiDict or a sequence of (name, value) pairs")
    out: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, tuple | list) or len(item) != 2 or not isinstance(item[0], str):
            raise _invalid(component, code, "params pairs must be (name, value) with a string name")
        out.append((item[0], _param_value(item[1], component, code)))
    return tuple(out)


def _expand(items: Iterable[tuple[Any, Any]], component: str, code: str) -> Iterable[tuple[Any, Any]]:
    for key, value in items:
        if not isinstance(key, str):
            raise _invalid(component, code, "query parameter names must be strings")
        if isinstance(value, list | tuple):
            for one in value:
                yield key, one
        else:
            yield key, value


def check_headers(
    headers: object, component: str = COMPONENT, code: str = ErrorCodes.HTTP_INVALID_ARGUMENT
) -> Mapping[str, str] | None:
    """``headers`` if it is a mapping of strings without CR/LF/NUL; InvalidArgumentError otherwise (pure)."""
    if headers is None:
        return None
    if not isinstance(headers, Mapping):
        raise _invalid(component, code, "headers must be a mapping")
    for name, value in headers.items():
        if not (isinstance(name, str) and isinstance(value, str)) or _CRLF.search(name + value):
            raise _invalid(component, code, "header names and values must be strings without CR/LF")
    return headers


def check_body(
    json: Any, data: Any, component: str = COMPONENT, code: str = ErrorCodes.HTTP_INVALID_ARGUMENT
) -> tuple[Any, Any]:
    """``(json, data)`` for a Request from the public ``json=``/``data=`` arguments (``json=None``: no JSON body).

    Raises InvalidArgumentError for both at once or a ``data`` of a type aiohttp cannot send.
    """
    if json is not None and data is not None:
        raise _invalid(component, code, "pass json or data, not both")
    if data is not None and not isinstance(data, _DATA_TYPES):
        raise _invalid(
            component,
            code,
            "data must be bytes, str, a mapping (form fields), a sequence of pairs or a file object",
        )
    return (ABSENT if json is None else json), data


def origin_url(scheme: str, host: str, path: str, query: Sequence[tuple[str, str]] = ()) -> URL:
    """``{scheme}://{host}{path}`` with ``query`` appended to any query ``path`` carries (pure)."""
    url = URL(f"{scheme}://{host}{path}")
    return url.extend_query(query) if query else url


def build_request(
    method: str,
    url: str | URL,
    *,
    params: Params | None = None,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    data: Any = None,
    retry_safe: bool | None = None,
    middlewares: tuple[ClientMiddlewareType, ...] = (),
    component: str = COMPONENT,
    code: str = ErrorCodes.HTTP_INVALID_ARGUMENT,
) -> Request:
    """Validate the public arguments and build the Request (pure; InvalidArgumentError before any I/O).

    ``json=None`` means no JSON body, as in the public client methods.

    Example::

        build_request("POST", "https://my.crm.example.com/items", json={"a": 1}, params=[("tag", "x")])
    """
    verb = validate_method(method, component, code)
    parsed = validate_url(url, component, code)
    query = normalize_params(params, component, code)
    hdrs = check_headers(headers, component, code)
    body, form = check_body(json, data, component, code)
    if query:
        parsed = parsed.extend_query(query)
    return Request(verb, parsed, hdrs, body, form, retry_safe, middlewares)


# --------------------------------------------------------------------------------------------------- decisions
def without_credentials(headers: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """``headers`` less the ones that carry credentials (for a redirect to another origin)."""
    if not headers:
        return headers
    return {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}


def _origin(url: URL) -> tuple[str, str | None, int | None]:
    return url.scheme, url.raw_host, url.port


def redirect(request: Request, status: int, location: str | None) -> Request | None:
    """The next hop for an answer ``status`` with header ``Location``, or ``None`` when the answer is final (pure).

    * The target is ``Location`` resolved against the request URL.
    * To another origin (scheme, host, port), credentials stay behind, as browsers, aiohttp and requests do: the
      request's ``auth`` and ``middlewares`` and every credential header.
    * ``303``, and ``301``/``302`` after a POST, continue as ``GET`` (``HEAD`` stays ``HEAD``) without a body.

    Whether the target may be contacted at all (the allowlist) and how many hops are allowed is the transport's.
    A request with ``follow_redirects=False`` takes the 3xx as its answer. The TLS context stays with every hop.
    """
    if status not in REDIRECT_STATUSES or location is None or not request.follow_redirects:
        return None
    target = request.url.join(URL(location))
    method, json, data = request.method, request.json, request.data
    if status == 303 or (status in (301, 302) and method == "POST"):
        method, json, data = ("HEAD" if method == "HEAD" else "GET"), ABSENT, None
    if _origin(target) != _origin(request.url):
        headers = without_credentials(request.headers)
        return request._replace(
            method=method, url=target, headers=headers, json=json, data=data, middlewares=(), auth=None
        )
    return request._replace(method=method, url=target, json=json, data=data)
