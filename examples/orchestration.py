"""Handlers: an orchestration of two functions with the Orchestrator (Functions V2), all three runnable locally.

``handler`` invokes ``enrich`` and ``score`` for a customer, in parallel, and merges their answers; a failure of one
comes back in its result (``ContinueOnError``) instead of failing the whole call. On LivePerson the two are deployed
functions of the account (their uuids below); locally the emulator hosts them::

    lp-toolbelt invoke examples/orchestration.py:handler --payload event.json \\
        --function 9b0e6f7a-1c2d-4e3f-8a9b-0c1d2e3f4a5b=examples/orchestration.py:enrich \\
        --function 1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b=examples/orchestration.py:score

Payload: ``customerId`` (default ``"c-1"``) and ``basket`` (a list of prices, default ``[10, 20]``).
"""

from __future__ import annotations

from typing import Any

from lp_toolbelt import ErrorStrategy, Invocation, Toolbelt

ENRICH_UUID = "9b0e6f7a-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
SCORE_UUID = "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b"


async def enrich(toolbelt: Toolbelt, payload: dict[str, Any]) -> dict[str, Any]:
    """Function 1: the customer's tier (a function runs with a Toolbelt of its own)."""
    customer = str(payload["customerId"])
    return {"customerId": customer, "tier": "gold" if customer.endswith("1") else "standard"}


async def score(toolbelt: Toolbelt, payload: dict[str, Any]) -> dict[str, Any]:
    """Function 2: a basket score."""
    basket = [float(price) for price in payload["basket"]]
    return {"items": len(basket), "score": round(sum(basket) / 10, 1)}


async def handler(toolbelt: Toolbelt, payload: dict[str, Any]) -> dict[str, Any]:
    """Invoke ``enrich`` and ``score`` in parallel and merge what they answer."""
    customer = payload.get("customerId", "c-1")
    basket = payload.get("basket", [10, 20])
    enriched, scored = await toolbelt.orchestrator_client().invoke(
        [
            Invocation(uuid=ENRICH_UUID, payload={"customerId": customer}),
            Invocation(uuid=SCORE_UUID, payload={"basket": basket}, retries=2),
        ],
        deadline=10.0,
        json=True,
        parallel=True,
        error_strategy=ErrorStrategy.CONTINUE_ON_ERROR,
    )
    failures = {r.uuid: r.error.code for r in (enriched, scored) if r.error is not None}
    return {
        "customer": enriched.body if enriched.ok else None,
        "basket": scored.body if scored.ok else None,
        "failures": failures,
    }
