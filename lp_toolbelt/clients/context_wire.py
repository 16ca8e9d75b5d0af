"""The Context Session Store's wire format (pure): argument checks, request building, answer parsing, status codes.

Everything here is a function without I/O, unit-tested without a server; :mod:`lp_toolbelt.clients.context` sends
what it builds through the Toolbelt's transport. Path parameters are percent-encoded as whole segments, so ``/``,
``?``, ``#``, ``%`` and dot segments in a name can never change the request target.

Example::

    base = context_base_url("https", "z1.context.liveperson.net")
    get_property_request(base, "123", "orders", "s1", "step").url
    # URL('https://z1.context.liveperson.net/v1/account/123/orders/s1/properties/step')
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

from pydantic import TypeAdapter, ValidationError
from yarl import URL

from .. import _constants as C
from ..errors import (
    AuthenticationError,
    ErrorCodes,
    HttpStatusError,
    InvalidArgumentError,
    NotFoundError,
    ResponseFormatError,
    StatusErrors,
    ToolbeltError,
)
from ..models.context import Namespace
from ..transport.auth import HeaderCredential
from ..transport.request import Request
from ..transport.response import HttpResponse

__all__ = [
    "API_KEY_HEADER",
    "COMPONENT",
    "CONTEXT_STATUS_ERRORS",
    "CSDS_SERVICE",
    "ApiKeyMiddleware",
    "check_api_key",
    "check_name",
    "check_namespace",
    "check_properties",
    "check_session_id",
    "check_ttl",
    "context_base_url",
    "context_status_error",
    "create_namespace_request",
    "delete_namespace_request",
    "delete_property_request",
    "delete_session_request",
    "get_properties_request",
    "get_property_request",
    "gone",
    "invalid",
    "list_namespaces_request",
    "list_sessions_request",
    "parse_namespaces",
    "parse_properties",
    "parse_property_value",
    "parse_session_ids",
    "patch_properties_request",
    "path_segment",
]

COMPONENT: Final = "ContextServiceClient"
CSDS_SERVICE: Final = "mavenContext"
API_KEY_HEADER: Final = "maven-api-key"

_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")
_NAMESPACES: TypeAdapter[list[Namespace]] = TypeAdapter(list[Namespace])
_SESSION_IDS: TypeAdapter[list[str]] = TypeAdapter(list[str])


# --------------------------------------------------------------------------------------------------- arguments
def invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(COMPONENT, ErrorCodes.CONTEXT_PARAMETER_INVALID, message)


def check_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{what} must be a non-empty string")
    return value


def check_namespace(namespace: Any, *, creating_or_deleting: bool = False) -> str:
    """Validate a namespace name (pure). Built-in namespaces cannot be created or deleted."""
    name = check_name(namespace, "namespace")
    if creating_or_deleting and name in C.CONTEXT_BUILTIN_NAMESPACES:
        raise invalid(f"the built-in namespace {name!r} cannot be created or deleted")
    return name


def check_session_id(session_id: Any) -> str:
    """``None`` → the default session ``__default__``; otherwise a non-empty string (pure)."""
    if session_id is None:
        return C.CONTEXT_DEFAULT_SESSION
    return check_name(session_id, "session_id")


def check_ttl(ttl: Any) -> int | None:
    """A TTL in whole seconds > 0, or ``None`` (pure)."""
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int):
        raise invalid("ttl must be an int number of seconds")
    if ttl <= 0:
        raise invalid("ttl must be > 0")
    return ttl


def check_properties(properties: Any) -> dict[str, Any]:
    """A mapping of non-empty string names to JSON-serializable values (pure)."""
    if not isinstance(properties, Mapping):
        raise invalid("properties must be a mapping of property names to JSON values")
    out: dict[str, Any] = {}
    for key, value in properties.items():
        out[check_name(key, "property name")] = value
    try:
        json.dumps(out, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise invalid("property values must be JSON-serializable") from err
    return out


def check_api_key(api_key: Any) -> str:
    """A non-empty API key usable as a header value (pure). The key itself never appears in the error."""
    if not isinstance(api_key, str) or not api_key.strip():
        raise invalid("api_key must be a non-empty string")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in api_key):
        raise invalid("api_key must not contain control characters")
    return api_key


# --------------------------------------------------------------------------------------------------- requests
def path_segment(value: str) -> str:
    """Percent-encode one path segment so ``/``, ``?``, ``#``, ``%`` and dot segments cannot change the target.

    >>> path_segment("../a?b")
    '..%2Fa%3Fb'
    >>> path_segment("..")
    '%2E%2E'
    """
    encoded = quote(value, safe="")
    if encoded.strip(".") == "":
        encoded = encoded.replace(".", "%2E")
    return encoded


def context_base_url(scheme: str, host: str) -> URL:
    """``{scheme}://{host}`` for the Context Session Store host (pure; InvalidArgumentError on a bad host)."""
    if not isinstance(host, str) or not _HOST.fullmatch(host):
        raise invalid("the Context Session Store host is not a valid host[:port]")
    try:
        return URL.build(scheme=scheme, authority=host)
    except (TypeError, ValueError) as err:
        raise invalid("the Context Session Store host is not a valid host[:port]") from err


def _url(base: URL, account: str, *segments: str, trailing_slash: bool = False) -> URL:
    path = "/v1/account/" + "/".join(path_segment(s) for s in (account, *segments))
    if trailing_slash:
        path += "/"
    return base.with_path(path, encoded=True)


_HEADERS: Final = {"Accept": "application/json"}


class ApiKeyMiddleware(HeaderCredential):
    """The ``maven-api-key`` credential: an aiohttp client middleware that sets the header on every attempt.

    The key lives here rather than in the :class:`Request` value, so no request repr, traceback local or error
    can show it; ``repr()`` of the middleware hides it too.
    """

    __slots__ = ()

    def __init__(self, api_key: str) -> None:
        super().__init__(API_KEY_HEADER, check_api_key(api_key))

    def __repr__(self) -> str:
        return "<maven-api-key middleware>"


def create_namespace_request(base: URL, account: str, namespace: str, ttl: int | None) -> Request:
    """``POST /v1/account/{acc}[?ttlSecond=ttl]`` body ``{"name": namespace}`` (pure)."""
    url = _url(base, account)
    if ttl is not None:
        url = url.with_query({"ttlSecond": str(ttl)})
    return Request("POST", url, headers=_HEADERS, json={"name": namespace})


def delete_namespace_request(base: URL, account: str, namespace: str) -> Request:
    """``DELETE /v1/account/{acc}/{ns}`` (pure)."""
    return Request("DELETE", _url(base, account, namespace), headers=_HEADERS)


def list_namespaces_request(base: URL, account: str) -> Request:
    """``GET /v1/account/{acc}`` (pure)."""
    return Request("GET", _url(base, account), headers=_HEADERS)


def patch_properties_request(
    base: URL, account: str, namespace: str, session_id: str, properties: Mapping[str, Any]
) -> Request:
    """``PATCH /v1/account/{acc}/{ns}/{sid}/properties`` body = the properties (pure)."""
    url = _url(base, account, namespace, session_id, "properties")
    return Request("PATCH", url, headers=_HEADERS, json=dict(properties))


def get_properties_request(base: URL, account: str, namespace: str, session_id: str) -> Request:
    """``GET /v1/account/{acc}/{ns}/{sid}/properties`` (pure)."""
    return Request("GET", _url(base, account, namespace, session_id, "properties"), headers=_HEADERS)


def get_property_request(base: URL, account: str, namespace: str, session_id: str, name: str) -> Request:
    """``GET /v1/account/{acc}/{ns}/{sid}/properties/{name}`` (pure)."""
    url = _url(base, account, namespace, session_id, "properties", name)
    return Request("GET", url, headers=_HEADERS)


def delete_property_request(base: URL, account: str, namespace: str, session_id: str, name: str) -> Request:
    """``DELETE /v1/account/{acc}/{ns}/{sid}/properties/{name}`` (pure)."""
    url = _url(base, account, namespace, session_id, "properties", name)
    return Request("DELETE", url, headers=_HEADERS)


def delete_session_request(base: URL, account: str, namespace: str, session_id: str) -> Request:
    """``DELETE /v1/account/{acc}/{ns}/{sid}/properties/`` (pure)."""
    url = _url(base, account, namespace, session_id, "properties", trailing_slash=True)
    return Request("DELETE", url, headers=_HEADERS)


def list_sessions_request(base: URL, account: str, namespace: str) -> Request:
    """``GET /v1/account/{acc}/{ns}/session-ids`` (pure)."""
    return Request("GET", _url(base, account, namespace, "session-ids"), headers=_HEADERS)


# --------------------------------------------------------------------------------------------------- answers
def _format_error(what: str, status: int) -> ResponseFormatError:
    return ResponseFormatError(
        COMPONENT, ErrorCodes.CONTEXT_UNKNOWN, f"the Context Session Store answered {what}", status=status
    )


def parse_namespaces(content: bytes, status: int = 200) -> list[Namespace]:
    """``[{"name", "createdAt", "ttlSecond"?}, ...]`` → namespaces (pure)."""
    try:
        return _NAMESPACES.validate_json(content)
    except ValidationError as err:
        raise _format_error("a namespace list of an unexpected shape", status) from err


def parse_properties(content: bytes, status: int = 200) -> dict[str, Any]:
    """A JSON object of properties (pure); an empty body is an empty object."""
    if not content.strip():
        return {}
    try:
        payload = json.loads(content)
    except (ValueError, UnicodeDecodeError) as err:
        raise _format_error("properties that are not JSON", status) from err
    if not isinstance(payload, dict):
        raise _format_error("properties that are not a JSON object", status)
    return payload


def parse_property_value(text: str) -> Any:
    """One property's body: JSON-decoded when it parses, else the text as is (pure).

    >>> parse_property_value('{"a": 1}'), parse_property_value("plain text")
    ({'a': 1}, 'plain text')
    """
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_session_ids(content: bytes, status: int = 200) -> list[str]:
    """``["sid", ...]`` (pure)."""
    try:
        return _SESSION_IDS.validate_json(content)
    except ValidationError as err:
        raise _format_error("a session id list of an unexpected shape", status) from err


CONTEXT_STATUS_ERRORS: Final = StatusErrors(
    COMPONENT,
    ErrorCodes.CONTEXT_UNKNOWN,
    by_status={
        403: (ErrorCodes.CONTEXT_AUTHORIZATION_INVALID, AuthenticationError),
        404: (ErrorCodes.CONTEXT_DATA_DOES_NOT_EXIST, NotFoundError),
        500: (ErrorCodes.CONTEXT_INTERNAL_SERVER_ERROR, HttpStatusError),
        503: (ErrorCodes.CONTEXT_INTERNAL_SERVER_ERROR, HttpStatusError),
    },
)
_HINTS: Final = {403: " (API key refused)", 404: " (no such data)"}


def context_status_error(status: int, operation: str) -> ToolbeltError:
    """The error for a non-2xx answer, as the spec maps statuses to codes (pure)."""
    return CONTEXT_STATUS_ERRORS.error(status, f"{operation} answered {status}{_HINTS.get(status, '')}")


def gone(resp: HttpResponse) -> bool:
    """A delete whose target is already gone: the service answers 404 (or 204), and the docs call it no error."""
    return resp.ok or resp.status == 404
