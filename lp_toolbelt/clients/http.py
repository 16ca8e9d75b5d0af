"""HTTP client: any allowlisted host, through the proxy rules (allowlist, shared rate cap, retries).

Example::

    http = tb.http_client()
    resp = await http.get("https://my.crm.example.com/api/items", params={"q": "x"}, raise_for_status=True)
    items = resp.json()
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any, TypedDict, Unpack

import aiohttp
from aiohttp import ClientMiddlewareType
from yarl import URL

from ..errors import ErrorCodes, InvalidArgumentError
from ..transport.response import HttpResponse
from ..transport.send import NO_JSON, Request, Transport

__all__ = [
    "HttpClient",
    "RequestOptions",
    "build_request",
    "make_request",
    "validate_method",
    "validate_options",
    "validate_url",
]

COMPONENT = "HTTPClient"
_CRLF = re.compile(r"[\r\n\x00]")
_DATA_TYPES = (bytes, bytearray, memoryview, str, Mapping, list, tuple, io.IOBase, aiohttp.FormData)
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def build_request(
    method: str,
    url: str | URL,
    *,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    data: Any = None,
    component: str = COMPONENT,
) -> Request:
    """Validate the arguments and build a Request value (pure; raises InvalidArgumentError)."""
    verb = validate_method(method, component)
    parsed = validate_url(url, component)
    str_params = validate_options(params, headers, json, data, component)
    return make_request(verb, parsed, str_params, headers, json, data)


def validate_method(method: object, component: str = COMPONENT) -> str:
    """The method, upper-cased, if it is an HTTP token; InvalidArgumentError otherwise."""
    if not isinstance(method, str) or not _TOKEN.fullmatch(method):
        raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "method must be an HTTP token")
    return method.upper()


def validate_url(url: str | URL, component: str = COMPONENT) -> URL:
    """The URL, parsed, if it is an absolute http(s) URL; InvalidArgumentError otherwise."""
    try:
        parsed = url if isinstance(url, URL) else URL(url)
    except (TypeError, ValueError) as err:
        raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "url is not a valid URL") from err
    if not parsed.absolute or parsed.scheme not in ("http", "https"):
        raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "url must be an absolute http(s) URL")
    return parsed


def validate_options(
    params: Mapping[str, Any] | None,
    headers: Mapping[str, str] | None,
    json: Any,
    data: Any,
    component: str = COMPONENT,
) -> dict[str, str] | None:
    """Check body, query and headers; return the query parameters as strings. InvalidArgumentError otherwise."""
    if json is not None and data is not None:
        raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "pass json or data, not both")
    str_params = None
    if params is not None:
        if not isinstance(params, Mapping):
            raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "params must be a mapping")
        str_params = {str(k): _param(v, component) for k, v in params.items()}
    if headers is not None:
        if not isinstance(headers, Mapping):
            raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "headers must be a mapping")
        for name, value in headers.items():
            if not (isinstance(name, str) and isinstance(value, str)) or _CRLF.search(name + value):
                raise InvalidArgumentError(
                    component,
                    ErrorCodes.HTTP_INVALID_ARGUMENT,
                    "header names and values must be strings without CR/LF",
                )
    if data is not None and not isinstance(data, _DATA_TYPES):
        raise InvalidArgumentError(
            component,
            ErrorCodes.HTTP_INVALID_ARGUMENT,
            "data must be bytes, str, a mapping (form fields), a sequence of pairs or a file object",
        )
    return str_params


def validate_timeout(timeout: object, component: str = COMPONENT) -> float | None:
    """``None`` or a positive number of seconds; InvalidArgumentError otherwise."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "timeout must be a number > 0")
    return float(timeout)


def make_request(
    verb: str,
    url: URL,
    params: Mapping[str, str] | None,
    headers: Mapping[str, str] | None,
    json: Any,
    data: Any,
    *,
    retry_safe: bool | None = None,
    middlewares: tuple[ClientMiddlewareType, ...] = (),
) -> Request:
    """The Request for already validated parts (``json=None``: no JSON body)."""
    if json is not None:
        return Request(verb, url, params, headers, json, None, retry_safe, middlewares)
    return Request(verb, url, params, headers, NO_JSON, data, retry_safe, middlewares)


def _param(value: Any, component: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise InvalidArgumentError(
        component, ErrorCodes.HTTP_INVALID_ARGUMENT, "query parameter values must be str, int, float or bool"
    )


class RequestOptions(TypedDict, total=False):
    """Keyword arguments of the ``get``/``post``/... shortcuts (see :meth:`HttpClient.request`)."""

    params: Mapping[str, Any] | None
    headers: Mapping[str, str] | None
    json: Any
    data: Any
    raise_for_status: bool
    timeout: float | None


class HttpClient:
    """The proxy-configured HTTP client (the Node toolbelt's ``HTTPClient``)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def request(
        self,
        method: str,
        url: str | URL,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        raise_for_status: bool = False,
        timeout: float | None = None,
    ) -> HttpResponse:
        """Send a request and return the fully read response.

        A host outside the allowlist raises ForbiddenHostError (status 403) before any connection is opened;
        redirects are followed only to allowlisted hosts. With ``raise_for_status=True`` a non-2xx answer
        raises HttpStatusError.
        """
        req = build_request(method, url, params=params, headers=headers, json=json, data=data)
        resp = await self._transport.send(req, component=COMPONENT, timeout=validate_timeout(timeout))
        if raise_for_status:
            resp.raise_for_status()
        return resp

    async def get(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> HttpResponse:
        """``request("GET", url, ...)``."""
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> HttpResponse:
        """``request("POST", url, ...)``."""
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> HttpResponse:
        """``request("PUT", url, ...)``."""
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> HttpResponse:
        """``request("PATCH", url, ...)``."""
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> HttpResponse:
        """``request("DELETE", url, ...)``."""
        return await self.request("DELETE", url, **kwargs)

    def __repr__(self) -> str:
        return "HttpClient()"
