"""Embedding: a FastAPI app sharing one Toolbelt across all its requests, opened and closed by ``lifespan``.

Needs the optional extra ``pip install 'lp-toolbelt[fastapi]'`` (FastAPI, and uvicorn to serve it).
Route handlers get the Toolbelt through a dependency; toolbelt errors become JSON answers with the toolbelt's code.

Run it (config from the environment, e.g. the lines ``lp-toolbelt emulator`` prints)::

    uvicorn --factory examples.fastapi_app:create_app --port 8000
    curl 'http://127.0.0.1:8000/conversations/<id>/keywords?keyword=refund&keyword=cancel'
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse

from lp_toolbelt import ConversationContentTypes, Toolbelt, ToolbeltConfig, ToolbeltError

from .aiohttp_app import error_body, error_status


def get_toolbelt(request: Request) -> Toolbelt:
    """FastAPI dependency: the app's shared Toolbelt (set by ``lifespan``).

    Example::

        @app.get("/skills")
        async def skills(toolbelt: Annotated[Toolbelt, Depends(get_toolbelt)]) -> Any: ...
    """
    toolbelt: Toolbelt = request.app.state.toolbelt
    return toolbelt


async def keywords(
    conversation_id: str,
    toolbelt: Annotated[Toolbelt, Depends(get_toolbelt)],
    keyword: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """``GET /conversations/{conversation_id}/keywords?keyword=a&keyword=b``: the transcript's keyword hits."""
    words = keyword or []
    util = toolbelt.conversation_util()
    conversation = await util.get_conversation_by_id(conversation_id, [ConversationContentTypes.MESSAGE_RECORDS])
    hits = util.scan_conversation_for_keywords(conversation, words)
    return {
        "conversationId": conversation_id,
        "keywords": words,
        "hits": [hit.model_dump(mode="json", by_alias=True) for hit in hits],
    }


async def toolbelt_error(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler: a ToolbeltError as ``{"code", "message", "upstreamStatus"}`` (400/404/502)."""
    assert isinstance(exc, ToolbeltError)
    return JSONResponse(error_body(exc), status_code=error_status(exc))


def create_app(config: ToolbeltConfig | None = None) -> FastAPI:
    """The application; ``config`` None reads ``ToolbeltConfig.from_env()`` at startup.

    Example::

        app = create_app(ToolbeltConfig(account_id="12345678"))
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Toolbelt(config) as toolbelt:
            app.state.toolbelt = toolbelt
            yield

    app = FastAPI(title="lp-toolbelt FastAPI example", lifespan=lifespan)
    app.add_exception_handler(ToolbeltError, toolbelt_error)
    app.add_api_route("/conversations/{conversation_id}/keywords", keywords, methods=["GET"])
    return app
