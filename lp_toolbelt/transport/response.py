"""HttpResponse: a fully read HTTP answer (the connection is already released)."""

from __future__ import annotations

import json as _json
from typing import Any

from multidict import CIMultiDictProxy
from yarl import URL

from ..errors import ErrorCodes, ResponseFormatError, StatusErrors

__all__ = ["HttpResponse"]


class HttpResponse:
    """A response whose body has been read completely.

    Attributes: ``status``, ``headers`` (case-insensitive), ``content`` (bytes), ``url``, ``method``.

    Example::

        resp = await http.get("https://api.liveperson.net/x")
        if resp.ok:
            data = resp.json()
    """

    __slots__ = ("component", "content", "headers", "method", "reason", "status", "url")

    def __init__(
        self,
        status: int,
        headers: CIMultiDictProxy[str],
        content: bytes,
        *,
        url: URL,
        method: str = "GET",
        reason: str | None = None,
        component: str = "HTTPClient",
    ) -> None:
        self.status = status
        self.headers = headers
        self.content = content
        self.url = url
        self.method = method
        self.reason = reason
        self.component = component

    @property
    def ok(self) -> bool:
        """True for 2xx statuses."""
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased ('' when absent)."""
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    def text(self, encoding: str | None = None) -> str:
        """The body decoded (charset from Content-Type, else UTF-8; undecodable bytes replaced)."""
        if encoding is None:
            encoding = "utf-8"
            for param in self.headers.get("Content-Type", "").split(";")[1:]:
                key, _, value = param.strip().partition("=")
                if key.lower() == "charset" and value:
                    encoding = value.strip("\"' ")
        try:
            return self.content.decode(encoding, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; a ResponseFormatError when it is not JSON."""
        try:
            return _json.loads(self.content)
        except (ValueError, UnicodeDecodeError) as err:
            raise ResponseFormatError(
                self.component,
                ErrorCodes.HTTP_INVALID_JSON,
                f"response from {self.url.host} is not valid JSON (status {self.status}, {len(self.content)} bytes)",
                status=self.status,
            ) from err

    def excerpt(self, limit: int = 200) -> str:
        """A short, single-line start of the body, for error messages."""
        text = self.text().replace("\r", " ").replace("\n", " ")
        return text if len(text) <= limit else text[:limit] + "…"

    def status_line(self) -> str:
        """``"GET host/path answered 404: <start of the body>"``: the message of a status error."""
        return f"{self.method} {self.url.host}{self.url.path} answered {self.status}: {self.excerpt()}"

    def raise_for_status(self, code: str = ErrorCodes.HTTP_STATUS) -> HttpResponse:
        """Raise HttpStatusError for a non-2xx status; return self otherwise (so calls can chain)."""
        if not self.ok:
            raise StatusErrors(self.component, code).error(self.status, self.status_line())
        return self

    def __repr__(self) -> str:
        return f"<HttpResponse {self.status} {self.method} {self.url.host}{self.url.path} {len(self.content)}B>"
