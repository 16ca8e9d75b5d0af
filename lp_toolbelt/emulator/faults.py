"""Fault injection: what the proxy can do to a request instead of (or on top of) answering it normally.

:data:`FAULT_KINDS` maps a kind name to the coroutine that acts it out. A new kind is one decorated function
(``@fault_kind("name")``); :class:`FaultRegistry` (``state.faults``) validates kinds against that table when a test
arms a fault, and the proxy middleware calls :func:`apply_fault` for the next armed fault of a route. Every route
goes through the proxy, so every route can be faulted.

Faults are armed by route name (``csds``, ``sentinel``, ``skills``, ..., and V2's ``faas`` and ``mtls-gateway``).

Example::

    state.faults.add("csds", "status", status=503, times=2)
    state.faults.add("*", "stall", seconds=5)           # every route, until cleared
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from .._constants import MAX_RESPONSE_BYTES

__all__ = [
    "FAULT_KINDS",
    "Fault",
    "FaultAction",
    "FaultRegistry",
    "Handler",
    "apply_fault",
    "fault_kind",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""An aiohttp request handler (what a middleware calls next)."""


@dataclass(slots=True)
class Fault:
    """An armed fault: applies to the next ``remaining`` requests of ``route`` (``None`` = until cleared).

    ``delay`` (seconds) is honoured by every kind before it acts; ``status``/``body``/``headers``/
    ``content_type`` shape the answer of kinds that answer; ``options`` carries kind-specific extras.
    """

    route: str
    kind: str
    remaining: int | None = 1
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    delay: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)
    applied: int = 0


FaultAction = Callable[[Fault, web.Request, Handler], Awaitable[web.StreamResponse]]
"""A fault kind's behaviour: given the fault, the request and the real handler, produce the response."""

FAULT_KINDS: dict[str, FaultAction] = {}
"""Fault kind name → behaviour. Register new kinds with :func:`fault_kind`."""


def fault_kind(name: str) -> Callable[[FaultAction], FaultAction]:
    """Register a fault kind (decorator). The function receives the fault, the request and the real handler."""

    def register(action: FaultAction) -> FaultAction:
        FAULT_KINDS[name] = action
        return action

    return register


def _fault_body(fault: Fault) -> tuple[bytes, str]:
    body = fault.body
    if body is None:
        payload = json.dumps({"error": "emulated fault", "status": fault.status}).encode()
        return payload, fault.content_type or "application/json"
    if isinstance(body, bytes):
        return body, fault.content_type or "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), fault.content_type or "text/plain"
    return json.dumps(body).encode(), fault.content_type or "application/json"


@fault_kind("status")
async def _status_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer ``fault.status`` with ``fault.body`` (JSON unless str/bytes) and ``fault.headers``."""
    body, content_type = _fault_body(fault)
    headers = {"Content-Type": content_type, **fault.headers}
    return web.Response(status=fault.status, body=body, headers=headers)


@fault_kind("latency")
async def _latency_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Handle the request normally, after the fault's ``delay`` (applied by :func:`apply_fault`)."""
    return await handler(request)


# Fault kinds for the reliability suite (tests/reliability/). Kinds that corrupt an answer run the real handler
# first, so the route's own status and headers (and its side effects) are kept and only the wire breaks.
_MIB: Final = 1024 * 1024
_HTML_PAGE: Final = b"<html><head><title>503 Service Unavailable</title></head><body>upstream unavailable</body></html>"


async def _real_answer(request: web.Request, handler: Handler) -> tuple[int, dict[str, str], bytes]:
    """Run the real handler: ``(status, headers without framing headers, body bytes)``."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    body = response.body if isinstance(response, web.Response) else None
    raw = bytes(body) if isinstance(body, bytes | bytearray | memoryview) else b""
    skip = {"content-length", "transfer-encoding", "content-encoding"}
    headers = {k: v for k, v in response.headers.items() if k.lower() not in skip}
    return response.status, headers, raw


def _connected(request: web.Request) -> bool:
    transport = request.transport
    return transport is not None and not transport.is_closing()


def _reset(request: web.Request) -> None:
    """Drop the connection with a TCP RST (SO_LINGER 0), discarding anything not yet sent."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _flushed(request: web.Request, limit: float = 1.0) -> None:
    """Wait (at most ``limit`` seconds) until what was written has left the server's buffer."""
    transport = request.transport
    deadline = time.monotonic() + limit
    # aiohttp has no "buffer drained" event to wait on: poll.
    while transport is not None and transport.get_write_buffer_size() > 0 and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.001)


async def _partial_answer(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers of the real answer announcing its full length, then only part of the body (``keep``, default 0.5).

    An answer that cannot carry a body (204, 304) is sent as a 200 announcing one byte, so the client waits for it.
    """
    status, headers, body = await _real_answer(request, handler)
    if status in (204, 304):
        status = 200
    keep = float(fault.options.get("keep", 0.5))
    sent = body[: int(len(body) * min(max(keep, 0.0), 1.0))]
    if len(sent) >= len(body):
        sent = body[:-1]
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = max(len(body), 1)
    await response.prepare(request)
    if sent:
        await response.write(sent)
    await _flushed(request)
    return response


async def _wait_connected(request: web.Request, seconds: float) -> bool:
    """Sleep ``seconds``, or less if the client hangs up; True when the client is still there."""
    deadline = time.monotonic() + seconds
    # aiohttp has no "client disconnected" event (handlers are not cancelled): poll the transport.
    while _connected(request) and (left := deadline - time.monotonic()) > 0:  # noqa: ASYNC110
        await asyncio.sleep(min(0.01, left))
    return _connected(request)


@fault_kind("stall")
async def _stall_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Hold the request without answering until the client gives up (disconnects) or ``seconds`` (default 300)
    pass; a client still waiting then gets the real answer. Use it to check that calls honour their timeout."""
    if not await _wait_connected(request, float(fault.options.get("seconds", 300.0))):
        return web.Response(status=499)  # nobody is listening; aiohttp drops it
    return await handler(request)


@fault_kind("reset_before_headers")
async def _reset_before_headers_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Reset the connection (RST) before any byte of the answer. With ``process=True`` the real handler runs first
    (its side effects happen, the client cannot know): the ambiguous failure that forbids replaying writes."""
    if fault.options.get("process", False):
        await _real_answer(request, handler)
    _reset(request)
    return web.Response(status=499)


@fault_kind("reset_after_headers")
async def _reset_after_headers_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Send the real status and headers (and ``keep`` of the body, default none), then reset the connection."""
    if "keep" not in fault.options:
        fault.options["keep"] = 0.0
    response = await _partial_answer(fault, request, handler)
    _reset(request)
    return response


@fault_kind("truncated_body")
async def _truncated_body_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """The real answer's headers and Content-Length, ``keep`` (default half) of its body, then a clean close."""
    response = await _partial_answer(fault, request, handler)
    if request.transport is not None:
        request.transport.close()
    return response


@fault_kind("malformed_json")
async def _malformed_json_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """The real status and headers with a body that is not JSON (``body`` if given, else the real body cut short
    and followed by garbage), still labelled ``application/json``."""
    status, headers, real = await _real_answer(request, handler)
    if fault.body is not None:
        body = fault.body if isinstance(fault.body, bytes) else str(fault.body).encode()
    else:
        body = real[: len(real) // 2] + b"\x00<!-- not json"
    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    return web.Response(status=status, body=body, headers=headers, content_type="application/json")


@fault_kind("wrong_content_type")
async def _wrong_content_type_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """The real status with an HTML page (a captive portal or an upstream error page) labelled ``text/html``, or,
    with ``keep_body=True``, the real body under the wrong label (``content_type`` overrides the label)."""
    status, headers, real = await _real_answer(request, handler)
    if fault.options.get("keep_body", False):
        body = real
    elif fault.body is not None:
        body, _ = _fault_body(fault)
    else:
        body = _HTML_PAGE
    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    headers["Content-Type"] = fault.content_type or "text/html; charset=utf-8"
    return web.Response(status=status, body=body, headers=headers)


@fault_kind("oversized_body")
async def _oversized_body_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """A 200 whose body is ``size`` bytes (default: the client's 64 MiB cap + 1), announced by Content-Length, or
    streamed chunked with ``chunked=True``. Streaming stops when the client hangs up."""
    size = int(fault.options.get("size", MAX_RESPONSE_BYTES + 1))
    response = web.StreamResponse(status=200, headers={"Content-Type": fault.content_type or "application/json"})
    if fault.options.get("chunked", False):
        response.enable_chunked_encoding()
    else:
        response.content_length = size
    await response.prepare(request)
    chunk = b"7" * _MIB
    left = size
    try:
        while left > 0 and _connected(request):
            part = chunk if left >= _MIB else chunk[:left]
            await response.write(part)
            left -= len(part)
    except ConnectionError:
        pass
    return response


@fault_kind("rate_limited")
async def _rate_limited_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """``429 Too Many Requests`` as the proxy sends it, with ``Retry-After``: ``retry_after`` seconds (default 1),
    written as an HTTP-date (``now + retry_after``) when ``http_date=True``; ``headers`` can override it."""
    seconds = float(fault.options.get("retry_after", 1))
    if fault.options.get("http_date", False):
        retry_after = email.utils.formatdate(time.time() + seconds, usegmt=True)
    else:
        retry_after = f"{seconds:g}"
    headers = {"Retry-After": retry_after, **fault.headers}
    return web.Response(status=429, text="Too Many Requests", content_type="text/plain", headers=headers)


async def apply_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Act out ``fault`` for ``request``: wait ``fault.delay`` seconds, then run the kind's behaviour.

    A client that hangs up during the delay ends the wait (nothing is left sleeping once the emulator stops).
    """
    if fault.delay > 0 and not await _wait_connected(request, fault.delay):
        return web.Response(status=499)  # nobody is listening; aiohttp drops it
    return await FAULT_KINDS[fault.kind](fault, request, handler)


class FaultRegistry:
    """Armed faults, matched by route name (``"*"`` matches every route). First armed, first applied.

    Kinds: ``status`` (answer ``status``/``body``/``headers``), ``latency`` (the real answer after ``delay``),
    ``stall`` (no answer until the client hangs up, or ``seconds``), ``reset_before_headers`` (TCP reset; with
    ``process=True`` after the real handler ran), ``reset_after_headers`` (real status and headers, then a reset),
    ``truncated_body`` (``keep`` of the body, then a clean close), ``malformed_json``, ``wrong_content_type``
    (an HTML page, or ``keep_body=True``), ``oversized_body`` (``size`` bytes, ``chunked=True``) and
    ``rate_limited`` (429 with ``Retry-After``: ``retry_after`` seconds, ``http_date=True`` for the date form).

    Example::

        state.faults.add("csds", "status", status=503, times=2, headers={"Retry-After": "0"})
        state.faults.add("skills", "latency", delay=0.5)
        state.faults.add("*", "status", status=500, times=None)    # every request until cleared
        state.faults.add("echo", "reset_before_headers", process=True)
        state.faults.add("csds", "rate_limited", retry_after=2, http_date=True)
        state.faults.clear()
    """

    __slots__ = ("_faults",)

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(
        self,
        route: str,
        kind: str,
        *,
        times: int | None = 1,
        status: int = 500,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        delay: float = 0.0,
        **options: Any,
    ) -> Fault:
        """Arm a fault for the next ``times`` requests to ``route`` (``times=None``: until cleared)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for every request)")
        if delay < 0:
            raise ValueError("delay must be >= 0")
        fault = Fault(
            route=route,
            kind=kind,
            remaining=times,
            status=status,
            body=body,
            headers=dict(headers or {}),
            content_type=content_type,
            delay=delay,
            options=dict(options),
        )
        self._faults.append(fault)
        return fault

    def take(self, route: str | None) -> Fault | None:
        """The fault to apply to one request of ``route`` (counted as used), or None."""
        for fault in self._faults:
            if fault.route == route or fault.route == "*":
                fault.applied += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def clear(self, route: str | None = None) -> None:
        """Disarm every fault, or only those armed for ``route``."""
        if route is None:
            self._faults.clear()
        else:
            self._faults = [f for f in self._faults if f.route != route]

    @property
    def active(self) -> list[Fault]:
        """The faults still armed, in application order."""
        return list(self._faults)

    def __len__(self) -> int:
        return len(self._faults)
