"""HTTP client: any allowlisted host, through the proxy rules (allowlist, shared rate cap, retries).

Example::

    http = tb.http_client()
    resp = await http.get("https://my.crm.example.com/api/items", params={"q": "x"}, raise_for_status=True)
    items = resp.json()
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any, TypedDict, Unpack

from yarl import URL

from ..errors import ErrorCodes, StatusErrors, ToolbeltError, TransportError
from ..telemetry import traced
from ..transport.request import Params, build_request, validate_timeout
from ..transport.response import HttpResponse
from ..transport.send import Transport

__all__ = ["HTTP_STATUS_ERRORS", "HttpClient", "RequestOptions", "build_request"]

COMPONENT = "HTTPClient"
HTTP_STATUS_ERRORS = StatusErrors(COMPONENT, ErrorCodes.HTTP_STATUS)
"""``raise_for_status=True``: any non-2xx answer is an HttpStatusError (``http-client.unexpected-status``)."""


class RequestOptions(TypedDict, total=False):
    """Keyword arguments of the ``get``/``post``/... shortcuts (see :meth:`HttpClient.request`)."""

    params: Params | None
    headers: Mapping[str, str] | None
    json: Any
    data: Any
    raise_for_status: bool
    timeout: float | None


class HttpClient:
    """The proxy-configured HTTP client (the Node toolbelt's ``HTTPClient``).

    Example::

        resp = await tb.http_client().get("https://my.crm.example.com/items", params={"tag": ["a", "b"]})
    """

    _component = COMPONENT
    _status_errors = HTTP_STATUS_ERRORS
    _tls: ssl.SSLContext | None = None  # a client certificate's context (the mTLS client)

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @traced("http_client", lambda self, method, *args, **kwargs: str(method).upper())
    async def request(
        self,
        method: str,
        url: str | URL,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        raise_for_status: bool = False,
        timeout: float | None = None,
    ) -> HttpResponse:
        """Send a request and return the fully read response.

        ``params``: a mapping (a value may be a list: ``{"k": ["1", "2"]}`` sends ``k=1&k=2``), a ``MultiDict`` or a
        sequence of pairs; every value goes out, in order. A host outside the allowlist raises ForbiddenHostError
        (status 403) before any connection is opened; redirects are followed only to allowlisted hosts. With
        ``raise_for_status=True`` a non-2xx answer raises HttpStatusError.
        """
        component = self._component
        req = build_request(method, url, params=params, headers=headers, json=json, data=data, component=component)
        if self._tls is not None:
            req = req._replace(tls=self._tls)
        try:
            resp = await self._transport.send(req, component=component, timeout=validate_timeout(timeout, component))
        except TransportError as err:
            mapped = self._transport_error(err)
            if mapped is err:
                raise
            raise mapped from err
        if raise_for_status and not resp.ok:
            raise self._status_errors.error(resp.status, resp.status_line())
        return resp

    def _transport_error(self, err: TransportError) -> ToolbeltError:
        """The error a client on this API raises for a transport failure (the HTTP client: the failure itself)."""
        return err

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
