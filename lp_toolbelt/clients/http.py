"""HTTP client: any allowlisted host, through the proxy rules (allowlist, shared rate cap, retries).

Example::

    http = tb.http_client()
    resp = await http.get("https://my.crm.example.com/api/items", params={"q": "x"}, raise_for_status=True)
    items = resp.json()
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypedDict, Unpack

from yarl import URL

from ..errors import ErrorCodes, InvalidArgumentError
from ..transport.response import HttpResponse
from ..transport.send import Request, Transport

__all__ = ["HttpClient", "RequestOptions", "build_request"]

COMPONENT = "HTTPClient"
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
    if not isinstance(method, str) or not _TOKEN.fullmatch(method):
        raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "method must be an HTTP token")
    try:
        parsed = url if isinstance(url, URL) else URL(url)
    except (TypeError, ValueError) as err:
        raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "url is not a valid URL") from err
    if not parsed.absolute or parsed.scheme not in ("http", "https"):
        raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "url must be an absolute http(s) URL")
    if json is not None and data is not None:
        raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "pass json or data, not both")
    str_params = None
    if params is not None:
        if not isinstance(params, Mapping):
            raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "params must be a mapping")
        str_params = {str(k): _param(v, component) for k, v in params.items()}
    if headers is not None and not isinstance(headers, Mapping):
        raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "headers must be a mapping")
    if json is not None:
        return Request(method.upper(), parsed, params=str_params, headers=headers, json=json)
    return Request(method.upper(), parsed, params=str_params, headers=headers, data=data)


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
        resp = await self._transport.send(req, component=COMPONENT, timeout=timeout)
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
