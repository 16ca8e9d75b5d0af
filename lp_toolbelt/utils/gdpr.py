"""GDPR Util: overwrite the files a messaging conversation holds in LivePerson's object storage (Swift).

``replace_conversation_files`` collects ``messageData.file.relativePath`` of the first record's ``HOSTED_FILE``
messages (those ``should_replace`` accepts), authenticates once against Swift (``GET /auth/v1.0`` with
``X-Auth-User`` / ``X-Auth-Key`` → ``x-auth-token``; host from CSDS ``swift``) and PUTs the replacement over
every file, a bounded number at a time (default 8) and all under the Toolbelt's shared rate limiter. If Swift
answers 401 mid-way (the token expired), it re-authenticates once and retries the refused files. Nothing is
skipped silently: if any file could not be replaced, a :class:`ReplaceFilesError` (code
``gdpr-util.replace-file-failed``) lists what was replaced and what failed, with why.

This is permanent and destructive. Messaging conversations only.

Example::

    gdpr = tb.gdpr_util()
    conv = await tb.conversation_util().get_conversation_by_id(conversation_id)
    replaced = await gdpr.replace_conversation_files(conv, {"username": user, "password": password})
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Mapping
from typing import Any, Final

from yarl import URL

from .. import _constants as C
from ..clients.csds import CsdsClient
from ..config import ToolbeltConfig
from ..errors import (
    AuthenticationError,
    ErrorCodes,
    InvalidArgumentError,
    ReplaceFilesError,
    StatusErrors,
    ToolbeltError,
)
from ..models.conversation import Conversation
from ..telemetry import traced
from ..transport.auth import HeaderCredential, TokenAuthorizer
from ..transport.request import ABSENT, Request
from ..transport.response import HttpResponse
from ..transport.send import Transport
from ._conversation_arg import as_conversation

__all__ = [
    "DEFAULT_REPLACEMENT_FILE",
    "GDPRUtil",
    "ReplaceFilesError",
    "collect_file_paths",
    "parse_swift_auth",
    "swift_auth_request",
    "swift_put_request",
]

COMPONENT: Final = "GDPRUtil"
DEFAULT_REPLACEMENT_FILE: Final[tuple[bytes, str]] = (
    base64.b64decode(C.GDPR_REPLACEMENT_PNG_BASE64),
    C.GDPR_REPLACEMENT_CONTENT_TYPE,
)
"""The default replacement: a 1x1 black PNG, ``image/png``."""

ReplacePredicate = Callable[[str], bool]


class _SecretHeaders(dict[str, str]):
    """Request headers holding credentials: ``repr()`` shows the names only."""

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{key!r}: '***'" for key in self) + "}"


SWIFT_AUTH_ERRORS: Final = StatusErrors(
    COMPONENT, ErrorCodes.GDPR_AUTH_FAILED, cls=AuthenticationError, auth_statuses=frozenset({401, 403})
)


# --------------------------------------------------------------------------------------------------- pure parts
def collect_file_paths(
    conversation: Conversation | Mapping[str, Any], should_replace: ReplacePredicate | None = None
) -> list[str]:
    """The ``relativePath`` of every ``HOSTED_FILE`` message of the first record that ``should_replace`` accepts,
    in transcript order, each once (pure).

    A conversation without records gives ``[]``; a record without message records raises InvalidArgumentError
    (``gdpr-util-general``), as does a ``should_replace`` that raises.
    """
    conv = as_conversation(conversation, COMPONENT, ErrorCodes.GDPR_GENERAL)
    record = conv.first_record
    if record is None:
        return []
    if not record.message_records:
        raise InvalidArgumentError(COMPONENT, ErrorCodes.GDPR_GENERAL, "No message records provided")
    paths: list[str] = []
    seen: set[str] = set()
    for message in record.message_records:
        path = message.relative_path
        if path is None or path in seen:
            continue
        try:
            accepted = True if should_replace is None else bool(should_replace(path))
        except Exception as err:
            raise InvalidArgumentError(
                COMPONENT, ErrorCodes.GDPR_GENERAL, f"should_replace raised {type(err).__name__} for a file path"
            ) from err
        if accepted:
            seen.add(path)
            paths.append(path)
    return paths


def _path_problem(path: str) -> str | None:
    if not path.startswith("/") or path.startswith("//"):
        return "the path must start with a single '/'"
    if any(segment in (".", "..") for segment in path.split("/")):
        return "the path must not contain '.' or '..' segments"
    return None


def swift_auth_request(scheme: str, host: str, credentials: Mapping[str, str]) -> Request:
    """``GET {scheme}://{host}/auth/v1.0`` with ``X-Auth-User`` / ``X-Auth-Key`` (pure; headers repr-redacted)."""
    headers = _SecretHeaders({"X-Auth-User": credentials["username"], "X-Auth-Key": credentials["password"]})
    return Request("GET", URL.build(scheme=scheme, authority=host, path=C.SWIFT_AUTH_PATH), headers=headers)


def parse_swift_auth(resp: HttpResponse) -> str:
    """The token of a Swift auth answer (pure); AuthenticationError (``gdpr-util.auth-failed``) otherwise."""
    if not resp.ok:
        raise SWIFT_AUTH_ERRORS.error(
            resp.status, f"Authentication failed with response: {resp.excerpt()}. Status Code: {resp.status}"
        )
    token = resp.headers.get("x-auth-token", "").strip()
    if not token:
        raise AuthenticationError(COMPONENT, ErrorCodes.GDPR_AUTH_FAILED, "No Auth token returned", status=resp.status)
    return token


def _swift_token(token: str) -> HeaderCredential:
    return HeaderCredential("x-auth-token", token)


def swift_put_request(scheme: str, host: str, path: str, body: bytes, content_type: str) -> Request:
    """``PUT {scheme}://{host}{path}`` with the replacement bytes (pure); the ``x-auth-token`` credential is
    attached by the run's authorizer.

    The path is taken as a path: ``?`` or ``#`` in it are percent-encoded, never a query or fragment.
    """
    url = URL.build(scheme=scheme, authority=host, path=path)
    return Request("PUT", url, {"content-type": content_type}, ABSENT, body)


def _check_credentials(credentials: Any) -> dict[str, str]:
    if (
        not isinstance(credentials, Mapping)
        or not isinstance(credentials.get("username"), str)
        or not isinstance(credentials.get("password"), str)
        or not credentials["username"]
        or not credentials["password"]
    ):
        raise InvalidArgumentError(
            COMPONENT, ErrorCodes.GDPR_GENERAL, 'credentials must be {"username": ..., "password": ...} (non-empty)'
        )
    return {"username": credentials["username"], "password": credentials["password"]}


def _check_replacement(replacement_file: Any) -> tuple[bytes, str]:
    if replacement_file is None:
        return DEFAULT_REPLACEMENT_FILE
    if (
        isinstance(replacement_file, tuple | list)
        and len(replacement_file) == 2
        and isinstance(replacement_file[0], bytes | bytearray | memoryview)
        and isinstance(replacement_file[1], str)
        and replacement_file[1].strip()
    ):
        return bytes(replacement_file[0]), replacement_file[1].strip()
    raise InvalidArgumentError(
        COMPONENT, ErrorCodes.GDPR_GENERAL, "replacement_file must be (bytes, content_type), e.g. (png, 'image/png')"
    )


# --------------------------------------------------------------------------------------------------- the run
class GDPRUtil:
    """The Node toolbelt's GDPRUtil. Get it from ``tb.gdpr_util()`` (``concurrency`` defaults to 8)."""

    def __init__(
        self,
        transport: Transport,
        config: ToolbeltConfig,
        csds: CsdsClient,
        *,
        concurrency: int = C.GDPR_CONCURRENCY,
    ) -> None:
        if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
            raise InvalidArgumentError(COMPONENT, ErrorCodes.GDPR_GENERAL, "concurrency must be an int >= 1")
        self._transport = transport
        self._config = config
        self._csds = csds
        self.concurrency = concurrency

    @traced("gdpr_util")
    async def replace_conversation_files(
        self,
        conversation: Conversation | Mapping[str, Any],
        credentials: Mapping[str, str],
        should_replace: ReplacePredicate | None = None,
        replacement_file: tuple[bytes, str] | None = None,
        *,
        concurrency: int | None = None,
    ) -> list[str]:
        """Overwrite the conversation's hosted files; return the replaced paths (transcript order).

        Args:
            conversation: from ``get_conversation_by_id`` (or its raw JSON).
            credentials: the object storage account, ``{"username": ..., "password": ...}``.
            should_replace: ``path -> bool`` filter (default: every file).
            replacement_file: ``(bytes, content_type)`` (default: a 1x1 black PNG).
            concurrency: PUTs in flight at once (default: this util's, 8).

        Raises InvalidArgumentError (``gdpr-util-general``) for bad arguments or a record without messages,
        before any request; AuthenticationError (``gdpr-util.auth-failed``) when Swift refuses the credentials
        (nothing replaced); :class:`ReplaceFilesError` (``gdpr-util.replace-file-failed``) when some files failed
        — its ``details`` list the replaced and the failed paths.

        Example::

            replaced = await tb.gdpr_util().replace_conversation_files(
                conv,
                {"username": "swift-user", "password": password},
                should_replace=lambda path: path.endswith(".png"),
            )
        """
        creds = _check_credentials(credentials)
        body, content_type = _check_replacement(replacement_file)
        limit = self.concurrency if concurrency is None else concurrency
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise InvalidArgumentError(COMPONENT, ErrorCodes.GDPR_GENERAL, "concurrency must be an int >= 1")
        if should_replace is not None and not callable(should_replace):
            raise InvalidArgumentError(COMPONENT, ErrorCodes.GDPR_GENERAL, "should_replace must be callable")
        paths = collect_file_paths(conversation, should_replace)
        if not paths:
            return []

        reasons: dict[str, str] = {}
        statuses: dict[str, int | None] = {}
        valid: list[str] = []
        for path in paths:
            problem = _path_problem(path)
            if problem is None:
                valid.append(path)
            else:
                reasons[path], statuses[path] = problem, None

        replaced: set[str] = set()
        if valid:
            host = await self._csds.resolve(C.SWIFT_SERVICE)
            # One token for the run; after a 401, one re-authentication serves every refused PUT.
            auth = TokenAuthorizer(
                _swift_token, lambda: self._authenticate(host, creds), max_refreshes=1, keep_errors=True
            )
            await auth.credential()
            gate = asyncio.Semaphore(limit)

            async def replace(path: str) -> None:
                async with gate:
                    failure = await self._replace_one(auth, host, path, body, content_type)
                if failure is None:
                    replaced.add(path)
                else:
                    reasons[path], statuses[path] = failure

            async with asyncio.TaskGroup() as group:
                for path in valid:
                    group.create_task(replace(path))

        done = [p for p in paths if p in replaced]
        if reasons:
            failed = [p for p in paths if p in reasons]
            distinct = set(statuses.values())
            status = distinct.pop() if len(distinct) == 1 else None
            raise ReplaceFilesError(
                COMPONENT,
                ErrorCodes.GDPR_REPLACE_FILE_FAILED,
                f"replaced {len(done)} of {len(paths)} file(s); {len(failed)} failed: "
                + "; ".join(f"{p} ({reasons[p]})" for p in failed[:5])
                + (" ..." if len(failed) > 5 else ""),
                status=status,
                details={"replaced": done, "failed": failed, "reasons": {p: reasons[p] for p in failed}},
            )
        return done

    async def _authenticate(self, host: str, creds: Mapping[str, str]) -> str:
        request = swift_auth_request(self._config.scheme, host, creds)
        try:
            resp = await self._transport.send(request, component=COMPONENT, service=C.SWIFT_SERVICE)
        except ToolbeltError as err:
            raise AuthenticationError(
                COMPONENT, ErrorCodes.GDPR_AUTH_FAILED, f"Authentication failed: {err.message}", status=err.status
            ) from err
        return parse_swift_auth(resp)

    async def _replace_one(
        self, auth: TokenAuthorizer, host: str, path: str, body: bytes, content_type: str
    ) -> tuple[str, int | None] | None:
        """PUT one file; None when replaced, else ``(reason, status)``."""
        request = swift_put_request(self._config.scheme, host, path, body, content_type)
        try:
            resp = await self._transport.send(request, component=COMPONENT, auth=auth, service=C.SWIFT_SERVICE)
        except ToolbeltError as err:
            return err.message, err.status
        if resp.ok:
            return None
        if resp.status == 401 and auth.refresh_error is not None:
            return f"Swift answered 401 and re-authentication failed: {auth.refresh_error.message}", 401
        return f"Swift answered {resp.status}: {resp.excerpt(120)}", resp.status

    def __repr__(self) -> str:
        return f"GDPRUtil(concurrency={self.concurrency})"
