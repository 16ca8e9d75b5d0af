"""One error tree for everything the library raises.

Every failure is a :class:`ToolbeltError` carrying ``component``, ``code`` (the dotted codes LivePerson's Node
toolbelt uses, so logs and alerts stay comparable), ``message``, ``status`` (the HTTP status when one exists) and
``details`` (structured extra data, never secrets). ``str(err)`` is ``"<component>: <message>"``.

::

    ToolbeltError                      component, code, message, status, details
    ├── InvalidArgumentError           bad input, refused before any request (also a ValueError)
    ├── ConfigurationError             missing/invalid configuration (e.g. no account id, unreadable secrets file)
    ├── TransportError                 the request failed on the wire (status is None)
    │   └── RequestTimeoutError        deadline exceeded (also a TimeoutError)
    ├── HttpStatusError                the server answered with a non-2xx status (status is set)
    │   ├── ForbiddenHostError         403: host outside the proxy allowlist (raised before connecting)
    │   ├── RateLimitedError           429: the proxy's rate cap, after retries ran out
    │   ├── AuthenticationError        401/403: credentials refused
    │   └── SalesforceError            Salesforce's error body (``error_code``)
    │       └── SalesforceAuthError    401 after the one token refresh (also an AuthenticationError)
    ├── ResponseFormatError            a 2xx answer whose body is not what the API documents
    ├── NotFoundError                  the thing asked for does not exist (secret, conversation, CSDS service)
    └── ReplaceFilesError              GDPR run with failed files: ``details`` lists replaced/failed

A non-2xx answer becomes an error in one place, :meth:`StatusErrors.error`: each client declares its component's
codes and classes once (``StatusErrors(component, code, ...)``) and formats its own message.

Catch ``ToolbeltError`` for everything, a subclass for one kind of failure, or compare ``err.code`` with a
constant of :class:`ErrorCodes`::

    try:
        entry = await secrets.read_secret("my-key")
    except ToolbeltError as err:
        if err.code == ErrorCodes.SECRET_NOT_FOUND:
            ...
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "ErrorCodes",
    "ForbiddenHostError",
    "HttpStatusError",
    "InvalidArgumentError",
    "NotFoundError",
    "RateLimitedError",
    "ReplaceFilesError",
    "RequestTimeoutError",
    "ResponseFormatError",
    "SalesforceAuthError",
    "SalesforceError",
    "StatusErrors",
    "ToolbeltError",
    "TransportError",
]

_FAAS = "com.liveperson.faas"
_CTX = "com.liveperson.context-service-sdk"


class ErrorCodes:
    """The dotted error codes, as LivePerson's Node toolbelt names them (plus a few for Python-only parts)."""

    # transport / HTTP client (Python-side names under the same prefix)
    HTTP_FORBIDDEN_HOST = f"{_FAAS}.http-client.forbidden-host"
    HTTP_RATE_LIMITED = f"{_FAAS}.http-client.rate-limited"
    HTTP_TIMEOUT = f"{_FAAS}.http-client.op-timed-out"
    HTTP_OP_FAILED = f"{_FAAS}.http-client.op-failed"
    HTTP_STATUS = f"{_FAAS}.http-client.unexpected-status"
    HTTP_INVALID_ARGUMENT = f"{_FAAS}.http-client.invalid-argument"
    HTTP_RESPONSE_TOO_LARGE = f"{_FAAS}.http-client.response-too-large"
    HTTP_INVALID_JSON = f"{_FAAS}.http-client.invalid-json"
    CONFIG_INVALID = f"{_FAAS}.config.invalid"

    # CSDS
    CSDS_DOMAIN_NOT_FOUND = f"{_FAAS}.csds.domain.not-found"
    CSDS_OP_FAILED = f"{_FAAS}.csds.op-failed"

    # LP client
    LP_CLIENT_CREDENTIALS_WRONG_FORMAT = f"{_FAAS}.lp-client.credentials-wrong-format"
    LP_CLIENT_GET_CREDENTIALS_FAILURE = f"{_FAAS}.lp-client.get-credentials-failure"
    LP_CLIENT_AUTH_FAILED = f"{_FAAS}.lp-client.auth-failed"
    LP_CLIENT_OP_FAILED = f"{_FAAS}.lp-client.op-failed"

    # Secrets
    SECRET_NOT_FOUND = f"{_FAAS}.secret.not-found"
    SECRET_INVALID_FORMAT = f"{_FAAS}.secret.invalid-format"
    SECRET_FORBIDDEN = f"{_FAAS}.secret.forbidden"
    SECRET_OP_FAILED = f"{_FAAS}.secret.op-failed"
    SECRET_OP_TIMED_OUT = f"{_FAAS}.secret.op-timed-out"

    # Conversation util
    CONVERSATION_NOT_FOUND = f"{_FAAS}.conversation-util.conversation.not-found"
    CONVERSATION_UNEXPECTED_RESPONSE = f"{_FAAS}.conversation-util.unexpected-response"
    CONVERSATION_GENERAL = f"{_FAAS}.conversation-util-general"

    # SDE util
    SDES_UNEXPECTED_RESPONSE = f"{_FAAS}.sdes-util.unexpected-response"
    SDES_GENERAL = f"{_FAAS}.sdes-util-general"

    # GDPR util
    GDPR_AUTH_FAILED = f"{_FAAS}.gdpr-util.auth-failed"
    GDPR_REPLACE_FILE_FAILED = f"{_FAAS}.gdpr-util.replace-file-failed"
    GDPR_GENERAL = f"{_FAAS}.gdpr-util-general"

    # Context Session Store
    CONTEXT_AUTHORIZATION_INVALID = f"{_CTX}.authorization.invalid"
    CONTEXT_DATA_DOES_NOT_EXIST = f"{_CTX}.data.does-not-exist"
    CONTEXT_INTERNAL_SERVER_ERROR = f"{_CTX}.internal-server-error"
    CONTEXT_RESPONSE_TIMEOUT = f"{_CTX}.response-timeout"
    CONTEXT_PARAMETER_INVALID = f"{_CTX}.parameter.invalid"
    CONTEXT_UNKNOWN = f"{_CTX}.unknown"

    # Salesforce
    SALESFORCE_REQUEST_FAILED = f"{_FAAS}.sf-client.request-failed"
    SALESFORCE_AUTH_FAILED = f"{_FAAS}.sf-client.auth-failed"
    SALESFORCE_INVALID_ARGUMENT = f"{_FAAS}.sf-client.invalid-argument"

    # Functions V2: Orchestrator
    ORCHESTRATOR_GENERAL = f"{_FAAS}.orchestrator-fn-general"
    ORCHESTRATOR_TIMEOUT = f"{_FAAS}.orchestrator-fn.invoke.timeout"
    ORCHESTRATOR_STATUS_CODE_ERROR = f"{_FAAS}.orchestrator-fn.invoke.status-code-error"
    ORCHESTRATOR_CREDENTIALS_WRONG_FORMAT = f"{_FAAS}.orchestrator-fn.credentials-wrong-format"
    ORCHESTRATOR_GET_CREDENTIALS_FAILURE = f"{_FAAS}.orchestrator-fn.get-credentials-failure"

    # Functions V2: mTLS (own certificate) and LivePerson's mTLS gateway
    MTLS_INVALID_KEY = f"{_FAAS}.mtls.invalid-key"
    MTLS_INVALID_CERT = f"{_FAAS}.mtls.invalid-cert"
    MTLS_REMOTE_THREW = f"{_FAAS}.mtls.remote-threw"
    MTLS_INVALID_REQUEST = f"{_FAAS}.mtls.invalid-request"
    MTLS_MISSING_CONF = f"{_FAAS}.mtls.missing-conf"
    MTLS_REQUEST_TIMEOUT = f"{_FAAS}.mtls.request-timeout"
    MTLS_GENERAL_ISSUE = f"{_FAAS}.mtls.general-issue"
    LP_MTLS_CREDENTIALS_WRONG_FORMAT = f"{_FAAS}.lp-mtls.credentials-wrong-format"
    LP_MTLS_GET_CREDENTIALS_FAILURE = f"{_FAAS}.lp-mtls.get-credentials-failure"


class ToolbeltError(Exception):
    """Base of every error the library raises.

    Attributes:
        component: the part of the toolbelt that failed, e.g. ``"CSDSClient"``.
        code: a dotted code from :class:`ErrorCodes`.
        message: a human-readable sentence; never contains secrets.
        status: the HTTP status when the failure came from an HTTP answer, else ``None``.
        details: structured, secret-free extra data (e.g. replaced/failed paths of a GDPR run).

    Example::

        except ToolbeltError as err:
            log.warning("toolbelt failed", extra={"code": err.code, "status": err.status})
    """

    component: str
    code: str
    message: str
    status: int | None
    details: dict[str, Any]

    def __init__(
        self,
        component: str,
        code: str,
        message: str,
        *,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{component}: {message}")
        self.component = component
        self.code = code
        self.message = message
        self.status = status
        self.details = dict(details) if details else {}

    def __str__(self) -> str:
        return f"{self.component}: {self.message}"

    def __repr__(self) -> str:
        status = f", status={self.status}" if self.status is not None else ""
        return f"{type(self).__name__}(code={self.code!r}{status}, message={self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (type(self), self.component, self.code, self.message, self.status, self.details),
        )


def _rebuild(
    cls: type[ToolbeltError],
    component: str,
    code: str,
    message: str,
    status: int | None,
    details: dict[str, Any],
) -> ToolbeltError:
    err = cls.__new__(cls)
    ToolbeltError.__init__(err, component, code, message, status=status, details=details)
    return err


class InvalidArgumentError(ToolbeltError, ValueError):
    """A bad argument, refused before any request is made. Also a ``ValueError``."""


class ConfigurationError(ToolbeltError, ValueError):
    """The configuration cannot serve this call (e.g. no account id). Also a ``ValueError``."""


class TransportError(ToolbeltError):
    """The request did not produce an HTTP answer (connection refused/reset, truncated body...)."""


class RequestTimeoutError(TransportError, TimeoutError):
    """The call's deadline passed. Also a ``TimeoutError``."""


class HttpStatusError(ToolbeltError):
    """The server answered with a status the caller did not accept; ``status`` holds it."""


class ForbiddenHostError(HttpStatusError):
    """The host is not on the proxy allowlist (status 403). Raised before any connection is opened."""


class RateLimitedError(HttpStatusError):
    """The proxy's rate cap answered 429 and retries ran out."""


class AuthenticationError(HttpStatusError):
    """The server refused the credentials (401/403)."""


class ResponseFormatError(ToolbeltError):
    """A successful answer whose body does not have the documented shape."""


class NotFoundError(ToolbeltError):
    """What was asked for does not exist (secret, conversation, CSDS service...)."""


class SalesforceError(HttpStatusError):
    """Salesforce answered with an error: ``status`` and Salesforce's own ``error_code`` (e.g. ``NOT_FOUND``).

    ``details`` holds ``{"errorCode": ..., "errors": [{"message", "errorCode", ...}, ...]}``.

    Example::

        try:
            await con.query("SELEC Id FROM Account")
        except SalesforceError as err:
            assert err.status == 400 and err.error_code == "MALFORMED_QUERY"
    """

    @property
    def error_code(self) -> str | None:
        """Salesforce's ``errorCode`` of the first error (``None`` when the body had none)."""
        value = self.details.get("errorCode")
        return value if isinstance(value, str) else None


class SalesforceAuthError(SalesforceError, AuthenticationError):
    """Salesforce refused the token (401) or its refresh: both a SalesforceError and an AuthenticationError."""


class ReplaceFilesError(ToolbeltError):
    """Some files could not be replaced. ``replaced`` and ``failed`` list the paths; ``reasons`` maps each failed
    path to why (also in ``details``: ``{"replaced": [...], "failed": [...], "reasons": {...}}``).

    Example::

        except ReplaceFilesError as err:
            retry_later(err.failed)
    """

    @property
    def replaced(self) -> list[str]:
        """The paths that were replaced, in transcript order."""
        return list(self.details.get("replaced", []))

    @property
    def failed(self) -> list[str]:
        """The paths that could not be replaced, in transcript order."""
        return list(self.details.get("failed", []))

    @property
    def reasons(self) -> dict[str, str]:
        """Why each failed path failed."""
        return dict(self.details.get("reasons", {}))


@dataclass(frozen=True, slots=True)
class StatusErrors:
    """The one status → error mapper, configured once per component.

    ``error(status, message)`` picks the code and class for a non-2xx answer: ``by_status`` first (status →
    ``(code, class)``), then ``AuthenticationError`` for ``auth_statuses``, else ``cls`` with ``code``.

    Example::

        CONTEXT = StatusErrors("ContextServiceClient", ErrorCodes.CONTEXT_UNKNOWN, by_status={
            403: (ErrorCodes.CONTEXT_AUTHORIZATION_INVALID, AuthenticationError),
            404: (ErrorCodes.CONTEXT_DATA_DOES_NOT_EXIST, NotFoundError),
        })
        raise CONTEXT.error(resp.status, f"delete namespace answered {resp.status}")
    """

    component: str
    code: str
    cls: type[ToolbeltError] = HttpStatusError
    by_status: Mapping[int, tuple[str, type[ToolbeltError]]] = field(default_factory=dict)
    auth_statuses: frozenset[int] = frozenset()

    def error(self, status: int, message: str, *, details: Mapping[str, Any] | None = None) -> ToolbeltError:
        """The error for an answer with ``status`` (``message`` is the component's own sentence)."""
        code, cls = self.by_status.get(status, (self.code, self.cls))
        if status in self.auth_statuses and status not in self.by_status:
            cls = AuthenticationError
        return cls(self.component, code, message, status=status, details=details)
