"""Emulated Functions gateway (CSDS ``faasGW``): invoke a function the emulator hosts.

``POST /api/account/{acc}/lambdas/{uuid}/invoke?v=1&externalSystem=...`` (route name ``faas``), behind
:func:`~lp_toolbelt.emulator.auth.verify_bearer` (a Sentinel-issued Bearer token; anything else: ``401`` with
``WWW-Authenticate``). The body is ``{"timestamp": <epoch ms>, "payload": <JSON>, "headers": [{"key", "value"}]}``
(``400`` otherwise). The function ``state.functions[uuid]`` runs as ``handler(toolbelt, payload)`` with a Toolbelt
of its own pointed at this emulator (``state.function_toolbelt``: the one ``lp-toolbelt invoke --local`` and the
pytest plugin give; a fresh one per invocation, closed after it), so a function it runs may invoke others.
``state.invocations`` logs what each invocation received (``externalSystem`` as sent).

Answers, as LivePerson documents them ("Functions V2: Error Codes"):

=======================================  =============================================================
``200``                                  the function's result as JSON (the ``lp-toolbelt invoke`` rule)
``404 com.liveperson.faas.function.not-found``   no function with that uuid (not deployed, or none)
``901 com.customer.faas.function.threw-error``   the function raised
``901 com.customer.faas.function.execution-exceeded``   it ran past ``state.function_timeout`` seconds
``901 com.customer.faas.function.js-runtime-error``     its result is not JSON
=======================================  =============================================================

Error bodies are ``{"code", "message"}`` (the status and the codes are LivePerson's; the body's field names are this
emulator's choice: LivePerson does not document them).
"""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any, Final

from aiohttp import web

from ..._cli_io import CliError, to_jsonable
from ..auth import verify_bearer
from ..state import EmulatorState
from ..v2 import FunctionInvocation
from . import require_account

__all__ = [
    "FUNCTION_EXECUTION_EXCEEDED",
    "FUNCTION_NOT_FOUND",
    "FUNCTION_RUNTIME_ERROR",
    "FUNCTION_THREW",
    "INVOCATION_FAILED",
    "ROUTE_FAAS",
    "setup",
]

ROUTE_FAAS: Final = "faas"
INVOCATION_FAILED: Final = 901  # LivePerson's status for an invocation the function itself failed
FUNCTION_NOT_FOUND: Final = "com.liveperson.faas.function.not-found"
FUNCTION_THREW: Final = "com.customer.faas.function.threw-error"
FUNCTION_EXECUTION_EXCEEDED: Final = "com.customer.faas.function.execution-exceeded"
FUNCTION_RUNTIME_ERROR: Final = "com.customer.faas.function.js-runtime-error"


def _answer(status: int, code: str, message: str) -> web.Response:
    return web.Response(
        status=status, text=json.dumps({"code": code, "message": message}), content_type="application/json"
    )


def _bad_input(message: str) -> web.Response:
    return _answer(400, "com.liveperson.faas.es.badinput", message)


def _parse_body(raw: bytes) -> tuple[int, Any, list[dict[str, str]]] | str:
    """``(timestamp, payload, headers)`` of an invocation body, or what is wrong with it."""
    try:
        body = json.loads(raw)
    except ValueError:
        return "the body is not JSON"
    if not isinstance(body, dict) or "payload" not in body:
        return 'the body must be {"timestamp", "payload", "headers"}'
    timestamp, headers = body.get("timestamp"), body.get("headers", [])
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        return "timestamp must be the epoch milliseconds"
    if not isinstance(headers, list) or not all(
        isinstance(h, dict) and set(h) == {"key", "value"} and all(isinstance(v, str) for v in h.values())
        for h in headers
    ):
        return 'headers must be a list of {"key", "value"} strings'
    return timestamp, body["payload"], headers


async def _run(state: EmulatorState, uuid: str, payload: Any) -> web.Response:
    """Run ``state.functions[uuid]`` with a fresh Toolbelt; its result, or the 901 LivePerson answers."""
    handler = state.functions[uuid]
    factory = state.function_toolbelt
    if factory is None:
        return _answer(500, "com.liveperson.faas.es.general", "functions run only on a started Emulator")
    async with factory() as toolbelt:
        try:
            async with asyncio.timeout(state.function_timeout):
                result = handler(toolbelt, payload)
                if inspect.isawaitable(result):
                    result = await result
        except TimeoutError:
            limit = f"{state.function_timeout:g}s"
            return _answer(INVOCATION_FAILED, FUNCTION_EXECUTION_EXCEEDED, f"function {uuid} ran over {limit}")
        except Exception as err:  # noqa: BLE001 - whatever the function raised is its invocation's answer
            return _answer(INVOCATION_FAILED, FUNCTION_THREW, f"{type(err).__name__}: {err}")
    try:
        return web.json_response(to_jsonable(result))
    except CliError as err:
        return _answer(INVOCATION_FAILED, FUNCTION_RUNTIME_ERROR, str(err))


def setup(app: web.Application, state: EmulatorState) -> None:
    """Add the function invocation route."""

    async def invoke(request: web.Request) -> web.Response:
        await verify_bearer(request, state)
        require_account(request, state)
        uuid = request.match_info["uuid"]
        parsed = _parse_body(await request.read())
        if isinstance(parsed, str):
            return _bad_input(parsed)
        timestamp, payload, headers = parsed
        if uuid not in state.functions:
            return _answer(404, FUNCTION_NOT_FOUND, f"function {uuid} does not exist or is not deployed")
        state.invocations.append(
            FunctionInvocation(uuid, request.query.get("externalSystem"), timestamp, payload, headers)
        )
        return await _run(state, uuid, payload)

    app.router.add_post("/api/account/{account}/lambdas/{uuid}/invoke", invoke, name=ROUTE_FAAS)
