"""Context Session Store (Conversation Context Service) client: namespaces, sessions and their properties.

The host is CSDS ``mavenContext`` unless ``ToolbeltConfig.context_domain`` names one (e.g. the zone domains
``z1.context.liveperson.net`` (US), ``z2.…`` (EMEA), ``z3.…`` (APAC) — they are not on the proxy allowlist by default:
add the one you use to the settings.json ``whitelist``). Every request carries ``maven-api-key: <api key>``.

Each HTTP request has a 10 s deadline that covers up to 3 attempts on network errors (connection refused, reset,
dropped); HTTP answers are never retried (the transport's retry engine with :data:`CONTEXT_RETRY`'s rules). As
documented, deleting what is already gone (a namespace, a session, a property) is not an error, whether the service
answers 204 or 404, and creating an existing namespace returns it. Other failures carry the context-service codes:

======================  =====================================================
403                     ``com.liveperson.context-service-sdk.authorization.invalid``
404                     ``….data.does-not-exist``
500 / 503               ``….internal-server-error``
deadline exceeded       ``….response-timeout``
bad argument            ``….parameter.invalid`` (raised before any request)
anything else           ``….unknown``
======================  =====================================================

Example::

    ctx = tb.context_service_client(api_key)
    await ctx.create_namespace("orders", ttl=3600)
    await ctx.set_properties_in_namespace("orders", {"step": 2}, session_id="conv-1")
    step = await ctx.get_property_in_session("orders", "step", session_id="conv-1")      # 2
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

from pydantic import TypeAdapter, ValidationError
from yarl import URL

from .. import _constants as C
from ..config import ToolbeltConfig
from ..errors import (
    AuthenticationError,
    ErrorCodes,
    ForbiddenHostError,
    HttpStatusError,
    InvalidArgumentError,
    NotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ResponseFormatError,
    StatusErrors,
    ToolbeltError,
    TransportError,
)
from ..models.context import Namespace
from ..telemetry import instrument
from ..transport.auth import HeaderCredential, StaticAuthorizer
from ..transport.request import Request
from ..transport.response import HttpResponse
from ..transport.send import Transport
from .csds import CsdsClient

__all__ = [
    "API_KEY_HEADER",
    "CONTEXT_STATUS_ERRORS",
    "ApiKeyMiddleware",
    "ContextServiceClient",
    "context_base_url",
    "context_status_error",
    "create_namespace_request",
    "delete_namespace_request",
    "delete_property_request",
    "delete_session_request",
    "get_properties_request",
    "get_property_request",
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
def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(COMPONENT, ErrorCodes.CONTEXT_PARAMETER_INVALID, message)


def _check_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"{what} must be a non-empty string")
    return value


def check_namespace(namespace: Any, *, creating_or_deleting: bool = False) -> str:
    """Validate a namespace name (pure). Built-in namespaces cannot be created or deleted."""
    name = _check_name(namespace, "namespace")
    if creating_or_deleting and name in C.CONTEXT_BUILTIN_NAMESPACES:
        raise _invalid(f"the built-in namespace {name!r} cannot be created or deleted")
    return name


def check_session_id(session_id: Any) -> str:
    """``None`` → the default session ``__default__``; otherwise a non-empty string (pure)."""
    if session_id is None:
        return C.CONTEXT_DEFAULT_SESSION
    return _check_name(session_id, "session_id")


def check_ttl(ttl: Any) -> int | None:
    """A TTL in whole seconds > 0, or ``None`` (pure)."""
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int):
        raise _invalid("ttl must be an int number of seconds")
    if ttl <= 0:
        raise _invalid("ttl must be > 0")
    return ttl


def check_properties(properties: Any) -> dict[str, Any]:
    """A mapping of non-empty string names to JSON-serializable values (pure)."""
    if not isinstance(properties, Mapping):
        raise _invalid("properties must be a mapping of property names to JSON values")
    out: dict[str, Any] = {}
    for key, value in properties.items():
        out[_check_name(key, "property name")] = value
    try:
        json.dumps(out, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise _invalid("property values must be JSON-serializable") from err
    return out


def check_api_key(api_key: Any) -> str:
    """A non-empty API key usable as a header value (pure). The key itself never appears in the error."""
    if not isinstance(api_key, str) or not api_key.strip():
        raise _invalid("api_key must be a non-empty string")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in api_key):
        raise _invalid("api_key must not contain control characters")
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
        raise _invalid("the Context Session Store host is not a valid host[:port]")
    try:
        return URL.build(scheme=scheme, authority=host)
    except (TypeError, ValueError) as err:
        raise _invalid("the Context Session Store host is not a valid host[:port]") from err


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


# --------------------------------------------------------------------------------------------------- the client
@instrument(
    "context_service",
    *("create_namespace", "delete_namespace", "get_list_of_namespaces", "set_properties_in_namespace"),
    *("update_properties_in_namespace", "get_all_properties_in_session", "get_selected_properties_in_session"),
    *("get_property_in_session", "delete_property_in_session", "delete_session", "get_list_of_sessions"),
)
class ContextServiceClient:
    """The Context Session Store of the configured account, with one API key.

    Get one from ``tb.context_service_client(api_key)``; ``session_id=None`` means the default session
    ``__default__``. Extra keyword arguments tune the per-request ``timeout`` (seconds, default 10), the
    ``max_attempts`` on network errors (default 3) and the ``concurrency`` of
    :meth:`get_selected_properties_in_session` (default 8).

    Example::

        ctx = tb.context_service_client(api_key)
        await ctx.set_properties_in_namespace("orders", {"step": 2, "cart": ["sku-1"]})
        props = await ctx.get_all_properties_in_session("orders")        # {"step": 2, "cart": ["sku-1"]}
    """

    def __init__(
        self,
        transport: Transport,
        config: ToolbeltConfig,
        csds: CsdsClient,
        api_key: str,
        *,
        timeout: float = C.CONTEXT_TIMEOUT,
        max_attempts: int = C.CONTEXT_MAX_ATTEMPTS,
        concurrency: int = C.CONTEXT_CONCURRENCY,
    ) -> None:
        if timeout <= 0 or max_attempts < 1 or concurrency < 1:
            raise _invalid("timeout must be > 0, max_attempts and concurrency >= 1")
        self._transport = transport
        self._config = config
        self._csds = csds
        self._auth = StaticAuthorizer(ApiKeyMiddleware(api_key))
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._concurrency = concurrency
        # The spec's policy on the transport's engine: network failures only, for every method; never an answer.
        self._retry = dataclasses.replace(
            transport.retry,
            max_retries=max_attempts - 1,
            statuses=frozenset(),
            always_statuses=frozenset(),
            network="always",
        )

    # ---- namespaces
    async def create_namespace(self, namespace: str, *, ttl: int | None = None) -> Namespace:
        """Create a custom namespace (data in it expires ``ttl`` seconds after it is written, when given).

        Built-in namespaces (``faas``, ``consumer``, ``custom``, ``operational``, ``conversation``), an empty name
        and ``ttl <= 0`` are refused before any request.

        Example::

            ns = await ctx.create_namespace("orders", ttl=3600)      # Namespace(name="orders", ttl_second=3600, ...)
        """
        name = check_namespace(namespace, creating_or_deleting=True)
        ttl_second = check_ttl(ttl)
        base, account = await self._target()
        resp = await self._send(create_namespace_request(base, account, name, ttl_second), "create namespace")
        refused = None if resp.ok else context_status_error(resp.status, "create namespace")
        if isinstance(refused, AuthenticationError) or resp.status >= 500:
            raise refused  # type: ignore[misc]  # not ok, so refused is set
        # 2xx, or a refusal because the namespace exists: either way the list tells (an existing one is returned).
        for item in await self._list_namespaces(base, account):
            if item.name == name:
                return item
        if refused is not None:
            raise refused
        raise ResponseFormatError(
            COMPONENT,
            ErrorCodes.CONTEXT_UNKNOWN,
            f"namespace {name!r} was created but is not in the namespace list",
        )

    async def delete_namespace(self, namespace: str) -> None:
        """Delete a custom namespace and everything in it (one already deleted is not an error).

        Example::

            await ctx.delete_namespace("orders")
        """
        name = check_namespace(namespace, creating_or_deleting=True)
        base, account = await self._target()
        await self._delete(delete_namespace_request(base, account, name), "delete namespace")

    async def get_list_of_namespaces(self) -> list[Namespace]:
        """The account's custom namespaces.

        Example::

            names = [ns.name for ns in await ctx.get_list_of_namespaces()]
        """
        base, account = await self._target()
        return await self._list_namespaces(base, account)

    # ---- properties
    async def set_properties_in_namespace(
        self, namespace: str, properties: Mapping[str, Any], session_id: str | None = None
    ) -> dict[str, Any]:
        """Set (merge) properties of a session; returns all the session's properties afterwards.

        Example::

            props = await ctx.set_properties_in_namespace("orders", {"step": 2}, session_id="conv-1")
        """
        return await self._patch(namespace, properties, session_id, "set properties")

    async def update_properties_in_namespace(
        self, namespace: str, properties: Mapping[str, Any], session_id: str | None = None
    ) -> dict[str, Any]:
        """Update (merge) properties of a session; returns all the session's properties afterwards.

        Example::

            props = await ctx.update_properties_in_namespace("orders", {"step": 3}, session_id="conv-1")
        """
        return await self._patch(namespace, properties, session_id, "update properties")

    async def get_all_properties_in_session(self, namespace: str, session_id: str | None = None) -> dict[str, Any]:
        """Every property of a session (``data.does-not-exist`` when the session or namespace is unknown).

        Example::

            props = await ctx.get_all_properties_in_session("orders", "conv-1")
        """
        name = check_namespace(namespace)
        sid = check_session_id(session_id)
        base, account = await self._target()
        return await self._get_all(base, account, name, sid)

    async def get_selected_properties_in_session(
        self, namespace: str, property_names: Sequence[str], session_id: str | None = None
    ) -> dict[str, Any]:
        """The named properties of a session, fetched concurrently (bounded); missing ones are left out.

        Example::

            props = await ctx.get_selected_properties_in_session("orders", ["step", "cart"], "conv-1")
        """
        name = check_namespace(namespace)
        sid = check_session_id(session_id)
        if isinstance(property_names, str) or not isinstance(property_names, Sequence):
            raise _invalid("property_names must be a sequence of names (not a single string)")
        names = list(dict.fromkeys(_check_name(p, "property name") for p in property_names))
        if not names:
            return {}
        base, account = await self._target()
        limit = asyncio.Semaphore(self._concurrency)

        async def fetch(prop: str) -> tuple[str, bool, Any]:
            async with limit:
                try:
                    return prop, True, await self._get_one(base, account, name, sid, prop)
                except NotFoundError as err:
                    if err.code != ErrorCodes.CONTEXT_DATA_DOES_NOT_EXIST:
                        raise
                    return prop, False, None

        tasks = [asyncio.ensure_future(fetch(prop)) for prop in names]
        try:
            results = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return {prop: value for prop, found, value in results if found}

    async def get_property_in_session(self, namespace: str, property_name: str, session_id: str | None = None) -> Any:
        """One property's value (JSON-decoded when the body parses, else the text).

        Example::

            step = await ctx.get_property_in_session("orders", "step", "conv-1")
        """
        name = check_namespace(namespace)
        prop = _check_name(property_name, "property_name")
        sid = check_session_id(session_id)
        base, account = await self._target()
        return await self._get_one(base, account, name, sid, prop)

    async def delete_property_in_session(
        self, namespace: str, property_name: str, session_id: str | None = None
    ) -> None:
        """Delete one property of a session (a missing one is not an error).

        Example::

            await ctx.delete_property_in_session("orders", "cart", "conv-1")
        """
        name = check_namespace(namespace)
        prop = _check_name(property_name, "property_name")
        sid = check_session_id(session_id)
        base, account = await self._target()
        await self._delete(delete_property_request(base, account, name, sid, prop), "delete property")

    async def delete_session(self, namespace: str, session_id: str) -> None:
        """Delete a session and all its properties (a missing one is not an error).

        Example::

            await ctx.delete_session("orders", "conv-1")
        """
        name = check_namespace(namespace)
        sid = _check_name(session_id, "session_id")
        base, account = await self._target()
        await self._delete(delete_session_request(base, account, name, sid), "delete session")

    async def get_list_of_sessions(self, namespace: str) -> list[str]:
        """The session ids of a namespace.

        Example::

            sessions = await ctx.get_list_of_sessions("orders")          # ["__default__", "conv-1"]
        """
        name = check_namespace(namespace)
        base, account = await self._target()
        resp = await self._call(list_sessions_request(base, account, name), "list sessions")
        return parse_session_ids(resp.content, resp.status)

    # ---- internals
    async def _patch(
        self, namespace: str, properties: Mapping[str, Any], session_id: str | None, operation: str
    ) -> dict[str, Any]:
        name = check_namespace(namespace)
        props = check_properties(properties)
        sid = check_session_id(session_id)
        base, account = await self._target()
        await self._call(patch_properties_request(base, account, name, sid, props), operation)
        return await self._get_all(base, account, name, sid)

    async def _get_all(self, base: URL, account: str, namespace: str, session_id: str) -> dict[str, Any]:
        request = get_properties_request(base, account, namespace, session_id)
        resp = await self._call(request, "get properties")
        return parse_properties(resp.content, resp.status)

    async def _get_one(self, base: URL, account: str, namespace: str, session_id: str, prop: str) -> Any:
        request = get_property_request(base, account, namespace, session_id, prop)
        resp = await self._call(request, "get property")
        return parse_property_value(resp.text())

    async def _list_namespaces(self, base: URL, account: str) -> list[Namespace]:
        resp = await self._call(list_namespaces_request(base, account), "list namespaces")
        return parse_namespaces(resp.content, resp.status)

    async def _target(self) -> tuple[URL, str]:
        account = self._config.require_account(COMPONENT)
        host = self._config.context_domain or await self._csds.resolve(CSDS_SERVICE)
        return context_base_url(self._config.scheme, host), account

    async def _call(self, request: Request, operation: str) -> HttpResponse:
        """Send, and raise the spec's error for any non-2xx answer."""
        resp = await self._send(request, operation)
        if not resp.ok:
            raise context_status_error(resp.status, operation)
        return resp

    async def _delete(self, request: Request, operation: str) -> None:
        """A delete: what is already gone (204 or 404) is done; other answers raise."""
        resp = await self._send(request, operation)
        if not gone(resp):
            raise context_status_error(resp.status, operation)

    async def _send(self, request: Request, operation: str) -> HttpResponse:
        """One operation on the transport's engine (the spec's attempts and deadline); transport failures carry the
        context-service codes."""
        try:
            return await self._transport.send(
                request, component=COMPONENT, timeout=self._timeout, retry=self._retry, auth=self._auth
            )
        except RequestTimeoutError as err:
            raise self._timeout_error(operation) from err
        except ForbiddenHostError as err:
            raise ForbiddenHostError(
                COMPONENT,
                ErrorCodes.CONTEXT_AUTHORIZATION_INVALID,
                f"{operation}: {err.message}; add the Context Session Store host to the whitelist",
                status=403,
            ) from err
        except RateLimitedError as err:
            raise RateLimitedError(
                COMPONENT, ErrorCodes.CONTEXT_UNKNOWN, f"{operation}: {err.message}", status=err.status
            ) from err
        except TransportError as err:
            raise TransportError(COMPONENT, ErrorCodes.CONTEXT_UNKNOWN, f"{operation} failed: {err.message}") from err
        except ToolbeltError as err:
            if err.code == ErrorCodes.HTTP_INVALID_ARGUMENT:
                raise InvalidArgumentError(
                    COMPONENT, ErrorCodes.CONTEXT_PARAMETER_INVALID, f"{operation}: {err.message}"
                ) from err
            raise ToolbeltError(
                COMPONENT, ErrorCodes.CONTEXT_UNKNOWN, f"{operation}: {err.message}", status=err.status
            ) from err

    def _timeout_error(self, operation: str) -> RequestTimeoutError:
        return RequestTimeoutError(
            COMPONENT, ErrorCodes.CONTEXT_RESPONSE_TIMEOUT, f"{operation} timed out after {self._timeout:g}s"
        )

    def __repr__(self) -> str:
        host = self._config.context_domain or f"CSDS {CSDS_SERVICE}"
        return f"ContextServiceClient(account_id={self._config.account_id!r}, host={host!r})"
