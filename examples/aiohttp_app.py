"""Embedding: an aiohttp.web app sharing one Toolbelt (one session, one rate limiter) across all its requests.

The Toolbelt lives in a ``cleanup_ctx``: opened when the app starts, closed when it stops. Handlers reach it
through ``request.app[TOOLBELT]``. Toolbelt errors become JSON answers with the toolbelt's code.

Run it (config from the environment, e.g. the lines ``lp-toolbelt emulator`` prints)::

    python -m examples.aiohttp_app --port 8080
    curl 'http://127.0.0.1:8080/conversations/<id>/keywords?keyword=refund&keyword=cancel'
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Sequence

from aiohttp import web

from lp_toolbelt import ConversationContentTypes, Toolbelt, ToolbeltConfig, ToolbeltError
from lp_toolbelt.errors import InvalidArgumentError, NotFoundError

TOOLBELT = web.AppKey("toolbelt", Toolbelt)
"""Where the shared Toolbelt lives on the application: ``request.app[TOOLBELT]``."""


def error_status(err: ToolbeltError) -> int:
    """The HTTP status this app answers for a toolbelt error (400 bad input, 404 not found, 502 upstream).

    Example::

        error_status(NotFoundError("ConversationUtil", ErrorCodes.CONVERSATION_NOT_FOUND, "..."))   # 404
    """
    if isinstance(err, InvalidArgumentError):
        return 400
    if isinstance(err, NotFoundError):
        return 404
    return 502  # upstream failures, refused credentials included, are not the caller's fault


def error_body(err: ToolbeltError) -> dict[str, object]:
    """The JSON body of an error answer: the toolbelt's code and message (never a secret)."""
    return {"code": err.code, "message": str(err), "upstreamStatus": err.status}


async def keywords(request: web.Request) -> web.Response:
    """``GET /conversations/{conversation_id}/keywords?keyword=a&keyword=b``: the transcript's keyword hits.

    Answers ``{"conversationId", "keywords", "hits": [{"message", "sentTimestamp", "sentBy", "tag"}]}``.
    """
    toolbelt = request.app[TOOLBELT]
    conversation_id = request.match_info["conversation_id"]
    words = request.query.getall("keyword", [])
    util = toolbelt.conversation_util()
    try:
        conversation = await util.get_conversation_by_id(conversation_id, [ConversationContentTypes.MESSAGE_RECORDS])
        hits = util.scan_conversation_for_keywords(conversation, words)
    except ToolbeltError as err:
        return web.json_response(error_body(err), status=error_status(err))
    return web.json_response(
        {
            "conversationId": conversation_id,
            "keywords": words,
            "hits": [hit.model_dump(mode="json", by_alias=True) for hit in hits],
        }
    )


def create_app(config: ToolbeltConfig | None = None) -> web.Application:
    """The application; ``config`` None reads ``ToolbeltConfig.from_env()`` when the app starts.

    Example::

        web.run_app(create_app(ToolbeltConfig.from_env()), host="127.0.0.1", port=8080)
    """

    async def toolbelt_ctx(app: web.Application) -> AsyncIterator[None]:
        async with Toolbelt(config) as toolbelt:
            app[TOOLBELT] = toolbelt
            yield

    app = web.Application()
    app.cleanup_ctx.append(toolbelt_ctx)
    app.router.add_get("/conversations/{conversation_id}/keywords", keywords, name="keywords")
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m examples.aiohttp_app [--port 8080]``: serve on 127.0.0.1 with the config from the env."""
    parser = argparse.ArgumentParser(prog="python -m examples.aiohttp_app")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    web.run_app(create_app(), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
