"""The Orchestrator's values: what to invoke (:class:`Invocation`), how failures are handled (:class:`ErrorStrategy`)
and what came back (:class:`InvocationResult`, :class:`InvocationError`).

``model_dump(by_alias=True)`` of a result gives the Node names (``statusCode``); times are seconds everywhere.

Example::

    results = await tb.orchestrator_client().invoke(
        [Invocation(uuid=enrich_uuid, payload={"id": 1}), Invocation(uuid=score_uuid, payload={"id": 1}, retries=1)],
        error_strategy=ErrorStrategy.CONTINUE_ON_ERROR,
        json=True,
    )
    for result in results:
        print(result.uuid, result.status_code, result.error.code if result.error else result.body)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from .. import _constants as C

__all__ = ["ErrorStrategy", "Invocation", "InvocationError", "InvocationResult", "RetryIf"]

RetryIf = Callable[[int | None, BaseException | None], bool]
"""``retry_if(status, error) -> bool``: an answer's status (``error`` None), or the network failure (``status``
None; a per-attempt timeout is a ``TimeoutError``) — True to try again while attempts remain."""


class ErrorStrategy(StrEnum):
    """What ``invoke`` does with a failed invocation (values as LivePerson's ``errorStrategy`` option)."""

    EXIT_ON_ERROR = "ExitOnError"
    """Raise the first failure; the invocations still running are cancelled, the others never start."""
    CONTINUE_ON_ERROR = "ContinueOnError"
    """Run every invocation; a failure comes back in its result's ``error``."""


class Invocation(BaseModel):
    """One function to invoke: its ``uuid``, the JSON ``payload`` and ``headers`` it receives, and its retries.

    ``retries`` is the number of attempts (default 3, as LivePerson's ``retries``). By default an attempt is retried
    after an answer 429, 500, 502 or 504 and after a network failure (refused, reset, DNS, per-attempt timeout),
    never after another status (that is the invoked function's own answer); ``retry_if(status, error)`` replaces
    that rule. The pause before attempt ``n + 1`` is ``n × 0.1`` s.

    Example::

        Invocation(uuid="7f3c...", payload={"order": 42}, headers={"x-flow": "checkout"}, retries=1)
        Invocation(uuid="7f3c...", retry_if=lambda status, error: status == 503)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    uuid: str = Field(pattern=r"^[A-Za-z0-9_-]{1,128}$")
    payload: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    retries: int = Field(default=C.ORCHESTRATOR_ATTEMPTS, ge=1, strict=True)
    retry_if: RetryIf | None = Field(default=None, exclude=True, repr=False)

    @field_validator("payload")
    @classmethod
    def _json_payload(cls, value: Any) -> Any:
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise ValueError("payload must be JSON (dicts, lists, strings, numbers, booleans, None)") from err
        return value


class InvocationError(BaseModel):
    """Why an invocation failed: ``code`` (an ``ErrorCodes.ORCHESTRATOR_*`` value) and ``message``.

    Example::

        if result.error and result.error.code == ErrorCodes.ORCHESTRATOR_TIMEOUT:
            ...
    """

    model_config = ConfigDict(frozen=True)

    code: str
    message: str


class InvocationResult(BaseModel):
    """The outcome of one invocation, in the order the invocations were given.

    ``status_code`` (``None`` when no answer came), ``body`` (the answer's text, or its JSON with ``json=True`` when
    it parses; ``None`` without an answer), ``headers`` (the answer's, a repeated header joined with ``", "``) and,
    for a failure under ``ErrorStrategy.CONTINUE_ON_ERROR``, ``error``. A non-2xx answer keeps its status, body and
    headers. ``model_dump(by_alias=True)`` gives LivePerson's names (``uuid, statusCode, body, headers, error``).

    Example::

        ok = [r.body for r in results if r.error is None]
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True, alias_generator=to_camel)

    uuid: str
    status_code: int | None = None
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    error: InvocationError | None = None

    @property
    def ok(self) -> bool:
        """True when the invocation succeeded (a 2xx answer)."""
        return self.error is None
