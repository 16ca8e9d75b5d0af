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

The wire format (request building, answer parsing, the status codes) is pure, in
:mod:`lp_toolbelt.clients.context_wire`; its names are re-exported here.

Example::

    ctx = tb.context_service_client(api_key)
    await ctx.create_namespace("orders", ttl=3600)
    await ctx.set_properties_in_namespace("orders", {"step": 2}, session_id="conv-1")
    step = await ctx.get_property_in_session("orders", "step", session_id="conv-1")      # 2
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from yarl import URL

from .. import _constants as C
from ..config import ToolbeltConfig
from ..errors import (
    AuthenticationError,
    ErrorCodes,
    ForbiddenHostError,
    InvalidArgumentError,
    NotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ResponseFormatError,
    ToolbeltError,
    TransportError,
)
from ..models.context import Namespace
from ..telemetry import instrument
from ..transport.auth import StaticAuthorizer
from ..transport.request import Request
from ..transport.response import HttpResponse
from ..transport.send import Transport
from .context_wire import (
    COMPONENT,
    CSDS_SERVICE,
    ApiKeyMiddleware,
    check_name,
    check_namespace,
    check_properties,
    check_session_id,
    check_ttl,
    context_base_url,
    context_status_error,
    create_namespace_request,
    delete_namespace_request,
    delete_property_request,
    delete_session_request,
    get_properties_request,
    get_property_request,
    gone,
    invalid,
    list_namespaces_request,
    list_sessions_request,
    parse_namespaces,
    parse_properties,
    parse_property_value,
    parse_session_ids,
    patch_properties_request,
)
from .csds import CsdsClient

__all__ = ["ContextServiceClient"]


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
            raise invalid("timeout must be > 0, max_attempts and concurrency >= 1")
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
            raise invalid("property_names must be a sequence of names (not a single string)")
        names = list(dict.fromkeys(check_name(p, "property name") for p in property_names))
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
        prop = check_name(property_name, "property_name")
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
        prop = check_name(property_name, "property_name")
        sid = check_session_id(session_id)
        base, account = await self._target()
        await self._delete(delete_property_request(base, account, name, sid, prop), "delete property")

    async def delete_session(self, namespace: str, session_id: str) -> None:
        """Delete a session and all its properties (a missing one is not an error).

        Example::

            await ctx.delete_session("orders", "conv-1")
        """
        name = check_namespace(namespace)
        sid = check_name(session_id, "session_id")
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
