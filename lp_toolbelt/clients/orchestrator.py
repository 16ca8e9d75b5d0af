"""Orchestrator (Functions V2's ``OrchestratorFN``): invoke other functions of the account and collect their answers.

Wire (one request per attempt)::

    POST https://{CSDS faasGW}/api/account/{acc}/lambdas/{uuid}/invoke?v=1&externalSystem={uuid}_{acc}
    authorization: {token_type} {access_token}        (a Sentinel token of the app key)
    Content-Type: application/json                     X-Request-Id: <uuid4>
    {"timestamp": <epoch ms>, "payload": <JSON>, "headers": [{"key": ..., "value": ...}, ...]}

(LivePerson's Node client sends ``externalSystem={uuid}_{acc}}`` with a stray ``}``; this one does not.)

Rules of one :meth:`OrchestratorClient.invoke` call:

* **one deadline** bounds the whole call — CSDS, the token, every invocation, attempt and pause — and is capped at
  25 s: a larger value is replaced by 25 s, with a warning;
* **per-invocation timeout** bounds each attempt: default ``deadline / n``; a value with ``timeout × n > deadline``
  is replaced by that default, with a warning;
* **retries** are each invocation's own (:class:`~lp_toolbelt.models.orchestrator.Invocation`): ``retries``
  attempts, by default after 429/500/502/504 and network failures (timeouts included) and never after another
  status, pausing ``n × 0.1`` s — one :class:`~lp_toolbelt.transport.retry.RetryPolicy` per invocation, run by the
  transport's retry engine under the shared rate limiter;
* **error strategy**: ``ExitOnError`` (default) raises the first failure — the invocations still running are
  cancelled (a task group: nothing is left behind), the others never start; ``ContinueOnError`` returns every
  failure in its result's ``error``;
* one after another by default; ``parallel=True`` runs them concurrently; results come back in input order.

Failures: a non-2xx answer (after its retries) → ``orchestrator-fn.invoke.status-code-error`` (an
``HttpStatusError``; ``details`` holds ``uuid``, ``status``, ``body``, ``headers``); the deadline or every attempt
timing out → ``orchestrator-fn.invoke.timeout`` (a ``RequestTimeoutError``); the app key →
``orchestrator-fn.credentials-wrong-format`` / ``orchestrator-fn.get-credentials-failure``; anything else (no answer,
CSDS, Sentinel refusing the app key, a ``retry_if`` that raised) → ``orchestrator-fn-general``. Bad arguments raise
``InvalidArgumentError`` (``orchestrator-fn-general``) before any request.

The app key: ``app_key_secret_name``, else ``LIVEPERSON_DEFAULT_APP_KEY`` (V2's default, the spec's), else
``lp-faas-orchestrator-app-key`` (the secret LivePerson's "Functions API: Invoke" page names); OAuth 2.0 only. Its
token is cached with the LP client's and renewed (secret re-read, a fresh token) once after a 401.

Example::

    results = await tb.orchestrator_client().invoke(
        [Invocation(uuid=a, payload={"order": 42}), Invocation(uuid=b, payload={"order": 42})],
        deadline=10.0, json=True, parallel=True,
    )
"""

from __future__ import annotations

import asyncio
import json as _json
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from multidict import CIMultiDictProxy
from yarl import URL

from .. import _constants as C
from ..errors import (
    ErrorCodes,
    InvalidArgumentError,
    RateLimitedError,
    RequestTimeoutError,
    StatusErrors,
    ToolbeltError,
    TransportError,
)
from ..models.orchestrator import ErrorStrategy, Invocation, InvocationError, InvocationResult, RetryIf
from ..telemetry import traced
from ..transport.request import Request
from ..transport.response import HttpResponse
from ..transport.retry import RetryPolicy
from ..transport.wire import NetworkFailure
from .app_keys import AppKeyClient, AuthCodes

__all__ = [
    "COMPONENT",
    "ORCHESTRATOR_AUTH",
    "ORCHESTRATOR_STATUS_ERRORS",
    "Budget",
    "OrchestratorClient",
    "failed_result",
    "invocation_policy",
    "invoke_request",
    "plan_budget",
]

COMPONENT: Final = "Orchestrator"
ORCHESTRATOR_AUTH: Final = AuthCodes(
    COMPONENT,
    ErrorCodes.ORCHESTRATOR_CREDENTIALS_WRONG_FORMAT,
    ErrorCodes.ORCHESTRATOR_GET_CREDENTIALS_FAILURE,
    ErrorCodes.ORCHESTRATOR_GENERAL,  # Sentinel refused the app key: V2 has no code of its own for it
    oauth1=False,
)
ORCHESTRATOR_STATUS_ERRORS: Final = StatusErrors(COMPONENT, ErrorCodes.ORCHESTRATOR_STATUS_CODE_ERROR)
_OWN_CODES: Final = frozenset(
    {
        ErrorCodes.ORCHESTRATOR_GENERAL,
        ErrorCodes.ORCHESTRATOR_TIMEOUT,
        ErrorCodes.ORCHESTRATOR_STATUS_CODE_ERROR,
        ErrorCodes.ORCHESTRATOR_CREDENTIALS_WRONG_FORMAT,
        ErrorCodes.ORCHESTRATOR_GET_CREDENTIALS_FAILURE,
    }
)


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(COMPONENT, ErrorCodes.ORCHESTRATOR_GENERAL, message)


def _seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 or value != value:
        raise _invalid(f"{name} must be a number of seconds > 0")
    return float(value)


# --------------------------------------------------------------------------------------------------- pure rules
@dataclass(frozen=True, slots=True)
class Budget:
    """The times of one ``invoke`` call: ``deadline`` (whole call), ``timeout`` (each attempt), and ``notes`` (the
    warnings for values that were replaced)."""

    deadline: float
    timeout: float
    notes: tuple[str, ...] = ()


def plan_budget(count: int, deadline: object, timeout: object) -> Budget:
    """The deadline and per-attempt timeout for ``count`` invocations (pure; InvalidArgumentError on bad values).

    >>> plan_budget(2, 60, None)
    Budget(deadline=25.0, timeout=12.5, notes=('deadline 60s is over the 25s cap: 25s is used',))
    >>> plan_budget(4, 10, 5).timeout      # 5 × 4 > 10: the default, 10 / 4
    2.5
    """
    total = _seconds(deadline, "deadline")
    notes: list[str] = []
    if total > C.ORCHESTRATOR_MAX_DEADLINE:
        cap = C.ORCHESTRATOR_MAX_DEADLINE
        notes.append(f"deadline {total:g}s is over the {cap:g}s cap: {cap:g}s is used")
        total = C.ORCHESTRATOR_MAX_DEADLINE
    default = total / max(count, 1)
    if timeout is None:
        return Budget(total, default, tuple(notes))
    each = _seconds(timeout, "timeout")
    if each * count > total:
        notes.append(
            f"timeout {each:g}s × {count} invocations is over the {total:g}s deadline: "
            f"{default:g}s (deadline / invocations) is used"
        )
        each = default
    return Budget(total, each, tuple(notes))


def invoke_request(scheme: str, host: str, account: str, invocation: Invocation, timestamp_ms: int) -> Request:
    """The gateway request of one attempt of ``invocation`` (pure).

    >>> invoke_request("https", "va.faasgw.example", "123", Invocation(uuid="f1"), 0).url.query_string
    'v=1&externalSystem=f1_123'
    """
    url = URL.build(
        scheme=scheme,
        authority=host,
        path=f"/api/account/{account}/lambdas/{invocation.uuid}/invoke",
        query=(("v", "1"), ("externalSystem", f"{invocation.uuid}_{account}")),
    )
    body = {
        "timestamp": timestamp_ms,
        "payload": invocation.payload,
        "headers": [{"key": key, "value": value} for key, value in invocation.headers.items()],
    }
    return Request("POST", url, {"Content-Type": "application/json"}, body)


def _predicate(retry_if: RetryIf) -> RetryIf:
    """``retry_if`` as the retry engine calls it: the network failure's own error (a per-attempt timeout is a
    ``TimeoutError``), the answer a bool, an exception of the predicate an ``orchestrator-fn-general`` error."""

    def decide(status: int | None, error: BaseException | None) -> bool:
        if isinstance(error, NetworkFailure) and error.__cause__ is not None:
            error = error.__cause__
        try:
            return bool(retry_if(status, error))
        except Exception as err:  # any bug of the caller's predicate ends the invocation, typed
            raise _invalid(f"retry_if raised {type(err).__name__}") from err

    return decide


def invocation_policy(invocation: Invocation) -> RetryPolicy:
    """The retry policy of one invocation (pure): ``retries`` attempts, 429/500/502/504 and every network failure
    retried whatever the method, pauses of ``n × 0.1`` s (``Retry-After`` is not waited for), or ``retry_if``."""
    return RetryPolicy(
        max_retries=invocation.retries - 1,
        statuses=frozenset(),
        always_statuses=C.ORCHESTRATOR_RETRY_STATUSES,
        network="always",
        step=C.ORCHESTRATOR_RETRY_STEP,
        retry_if=None if invocation.retry_if is None else _predicate(invocation.retry_if),
        honour_retry_after=False,
    )


def _headers(headers: CIMultiDictProxy[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _body(resp: HttpResponse, parse_json: bool) -> Any:
    text = resp.text()
    if parse_json:
        try:
            return _json.loads(text)
        except ValueError:
            pass
    return text


def failed_result(invocation: Invocation, err: ToolbeltError) -> InvocationResult:
    """The result of an invocation that failed with ``err`` (a status error keeps the answer's status, body and
    headers)."""
    details = err.details
    return InvocationResult(
        uuid=invocation.uuid,
        status_code=details.get("status"),
        body=details.get("body"),
        headers=details.get("headers", {}),
        error=InvocationError(code=err.code, message=err.message),
    )


def _orchestrator_error(err: BaseException, uuid: str) -> ToolbeltError:
    """Any failure of one invocation as an Orchestrator error (the original is the caller's ``from``)."""
    if isinstance(err, ToolbeltError) and err.code in _OWN_CODES:
        return err
    if isinstance(err, RateLimitedError):
        return ORCHESTRATOR_STATUS_ERRORS.error(
            429, f"function {uuid}: rate limited (429) after its retries", details={"uuid": uuid, "status": 429}
        )
    if isinstance(err, TimeoutError):  # the call's deadline (the transport's or this client's scope)
        return RequestTimeoutError(COMPONENT, ErrorCodes.ORCHESTRATOR_TIMEOUT, f"function {uuid}: the deadline passed")
    if isinstance(err, TransportError) and isinstance(err.__cause__, TimeoutError):
        return RequestTimeoutError(
            COMPONENT, ErrorCodes.ORCHESTRATOR_TIMEOUT, f"function {uuid}: every attempt timed out ({err.message})"
        )
    if isinstance(err, TransportError):
        return TransportError(COMPONENT, ErrorCodes.ORCHESTRATOR_GENERAL, f"function {uuid}: {err.message}")
    message = err.message if isinstance(err, ToolbeltError) else type(err).__name__
    return ToolbeltError(COMPONENT, ErrorCodes.ORCHESTRATOR_GENERAL, f"function {uuid}: {message}")


class _Abort(Exception):
    """Ends a parallel ExitOnError run: the task group cancels the invocations still running."""


# --------------------------------------------------------------------------------------------------- the client
class OrchestratorClient(AppKeyClient):
    """Invokes functions of the account through the Functions gateway (see the module docstring).

    Example::

        orch = tb.orchestrator_client()
        [result] = await orch.invoke([Invocation(uuid=fn_uuid, payload={"a": 1})], json=True)
        result.body          # what the function returned
    """

    AUTH = ORCHESTRATOR_AUTH
    DEFAULT_APP_KEYS = C.ORCHESTRATOR_APP_KEY_SECRETS

    @traced("orchestrator")
    async def invoke(
        self,
        invocations: Sequence[Invocation],
        *,
        deadline: float = C.ORCHESTRATOR_MAX_DEADLINE,
        timeout: float | None = None,
        json: bool = False,
        error_strategy: ErrorStrategy = ErrorStrategy.EXIT_ON_ERROR,
        parallel: bool = False,
    ) -> list[InvocationResult]:
        """Invoke every function of ``invocations`` and return their results in the same order.

        ``deadline`` (seconds, at most 25) bounds the whole call; ``timeout`` each attempt (default ``deadline /
        len(invocations)``); ``json=True`` parses the bodies that parse; ``error_strategy`` decides between raising
        the first failure and returning every failure in its result; ``parallel=True`` runs them concurrently.
        """
        items = self._check(invocations, json, error_strategy, parallel)
        budget = plan_budget(len(items), deadline, timeout)
        for note in budget.notes:
            warnings.warn(f"{COMPONENT}: {note}", UserWarning, stacklevel=2)
        if not items:
            return []
        account = self._config.require_account(COMPONENT)
        until = self._transport.clock() + budget.deadline
        strategy = ErrorStrategy(error_strategy)
        results: list[InvocationResult | None] = [None] * len(items)
        if not parallel:
            for index, invocation in enumerate(items):
                results[index] = await self._settle(invocation, account, until, budget.timeout, json, strategy)
            return [r for r in results if r is not None]

        first_failure: list[ToolbeltError] = []

        async def run(index: int, invocation: Invocation) -> None:
            try:
                results[index] = await self._settle(invocation, account, until, budget.timeout, json, strategy)
            except ToolbeltError as err:  # ExitOnError: stop the others
                first_failure.append(err)
                raise _Abort from err

        try:
            async with asyncio.TaskGroup() as group:
                for index, invocation in enumerate(items):
                    group.create_task(run(index, invocation))
        except* _Abort:
            pass
        if first_failure:
            raise first_failure[0]
        return [r for r in results if r is not None]

    @staticmethod
    def _check(invocations: object, json: object, strategy: object, parallel: object) -> list[Invocation]:
        if isinstance(invocations, str | bytes | Mapping) or not isinstance(invocations, Sequence):
            raise _invalid("invocations must be a list of Invocation")
        items = list(invocations)
        if not all(isinstance(item, Invocation) for item in items):
            raise _invalid("invocations must be a list of Invocation")
        if not isinstance(json, bool) or not isinstance(parallel, bool):
            raise _invalid("json and parallel must be booleans")
        if strategy not in tuple(ErrorStrategy):
            raise _invalid("error_strategy must be ErrorStrategy.EXIT_ON_ERROR or ErrorStrategy.CONTINUE_ON_ERROR")
        return items

    async def _settle(
        self,
        invocation: Invocation,
        account: str,
        until: float,
        timeout: float,
        parse_json: bool,
        strategy: ErrorStrategy,
    ) -> InvocationResult:
        """The result of one invocation; a failure raises under ExitOnError, is the result's ``error`` otherwise."""
        try:
            return await self._invoke_one(invocation, account, until, timeout, parse_json)
        except ToolbeltError as err:
            if strategy is ErrorStrategy.EXIT_ON_ERROR:
                raise
            return failed_result(invocation, err)

    async def _invoke_one(
        self, invocation: Invocation, account: str, until: float, timeout: float, parse_json: bool
    ) -> InvocationResult:
        uuid = invocation.uuid
        remaining = until - self._transport.clock()
        if remaining <= 0:
            raise RequestTimeoutError(
                COMPONENT, ErrorCodes.ORCHESTRATOR_TIMEOUT, f"function {uuid}: the deadline passed before it started"
            )
        try:
            async with self._transport.deadline(remaining):
                host = await self._csds.get(C.FAAS_GATEWAY_SERVICE)
                request = invoke_request(self._config.scheme, host, account, invocation, int(time.time() * 1000))
                resp = await self._transport.send(
                    request,
                    component=COMPONENT,
                    timeout=max(until - self._transport.clock(), 1e-3),
                    retry=invocation_policy(invocation),
                    auth=self._auth,
                    attempt_timeout=min(timeout, remaining),
                    guarded=True,
                    service=C.FAAS_GATEWAY_SERVICE,
                )
        except (ToolbeltError, TimeoutError) as err:
            raise _orchestrator_error(err, uuid) from err
        body, headers = _body(resp, parse_json), _headers(resp.headers)
        if not resp.ok:
            raise ORCHESTRATOR_STATUS_ERRORS.error(
                resp.status,
                f"function {uuid} answered {resp.status}: {resp.excerpt()}",
                details={"uuid": uuid, "status": resp.status, "body": body, "headers": headers},
            )
        return InvocationResult(uuid=uuid, status_code=resp.status, body=body, headers=headers)
