"""Salesforce's wire format (pure): argument checks, the token refresh request and answer, error bodies, query pages.

Everything here is a function without I/O; :mod:`lp_toolbelt.clients.salesforce` sends what it builds through the
Toolbelt's transport. Tokens and the client secret never appear in a repr or an error.

Example::

    request = refresh_request(URL("https://login.salesforce.com"), refresh_token, "3MVG9...", client_secret)
    token, instance_url, rotated = parse_token_refresh(resp.json())
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from yarl import URL

from ..errors import (
    ErrorCodes,
    InvalidArgumentError,
    ResponseFormatError,
    SalesforceAuthError,
    SalesforceError,
    StatusErrors,
    ToolbeltError,
)
from ..transport.auth import HeaderCredential
from ..transport.request import ABSENT, Request

__all__ = [
    "API_VERSION",
    "COMPONENT",
    "FIELD_NAME",
    "METHOD",
    "NEXT_RECORDS",
    "RECORD_ID",
    "SALESFORCE_STATUS_ERRORS",
    "SOBJECT_NAME",
    "BearerMiddleware",
    "check_base_url",
    "check_fields",
    "check_record_id",
    "check_secret",
    "check_soql",
    "invalid",
    "parse_query_result",
    "parse_salesforce_errors",
    "parse_token_refresh",
    "refresh_request",
    "salesforce_error",
]

COMPONENT: Final = "SalesforceClient"
API_VERSION = re.compile(r"v\d{1,3}\.\d{1,2}")
SOBJECT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,119}")
NEXT_RECORDS = re.compile(r"/services/data/v\d{1,3}\.\d{1,2}/query(?:All)?/[A-Za-z0-9-]{1,200}")
METHOD = re.compile(r"[A-Za-z]{1,20}")


class BearerMiddleware(HeaderCredential):
    """aiohttp client middleware that adds ``Authorization: Bearer <token>``; ``repr()`` hides the token.

    The token lives here rather than in the :class:`Request` value, so no request repr or error can show it.
    """

    __slots__ = ()

    def __init__(self, token: str) -> None:
        super().__init__("Authorization", f"Bearer {token}")

    def __repr__(self) -> str:
        return "<bearer token middleware>"


SALESFORCE_STATUS_ERRORS: Final = StatusErrors(
    COMPONENT,
    ErrorCodes.SALESFORCE_REQUEST_FAILED,
    cls=SalesforceError,
    by_status={401: (ErrorCodes.SALESFORCE_AUTH_FAILED, SalesforceAuthError)},
)


# --------------------------------------------------------------------------------------------------- arguments
def invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(COMPONENT, ErrorCodes.SALESFORCE_INVALID_ARGUMENT, message)


def check_base_url(value: Any, what: str) -> URL:
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{what} must be a non-empty URL string")
    try:
        url = URL(value.strip())
    except (TypeError, ValueError) as err:
        raise invalid(f"{what} is not a valid URL") from err
    if not url.absolute or url.scheme not in ("http", "https") or url.query_string or url.fragment:
        raise invalid(f"{what} must be an absolute http(s) URL without query or fragment")
    if url.user is not None or url.password is not None:
        raise invalid(f"{what} must not carry credentials")
    return url.with_path(url.raw_path.rstrip("/"), encoded=True)


def check_secret(value: Any, what: str, *, optional: bool) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{what} must be a non-empty string")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise invalid(f"{what} must not contain control characters")
    return value


def check_fields(fields: Any) -> dict[str, Any]:
    if not isinstance(fields, Mapping):
        raise invalid("fields must be a mapping of field names to values")
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if not isinstance(key, str) or not FIELD_NAME.fullmatch(key):
            raise invalid("field names must be Salesforce API names")
        out[key] = value
    try:
        json.dumps(out, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise invalid("field values must be JSON-serializable") from err
    return out


def check_record_id(record_id: Any) -> str:
    if not isinstance(record_id, str) or not RECORD_ID.fullmatch(record_id):
        raise invalid("record_id must be a 15- or 18-character Salesforce id")
    return record_id


def check_soql(soql: Any) -> str:
    if not isinstance(soql, str) or not soql.strip():
        raise invalid("soql must be a non-empty string")
    return soql


# --------------------------------------------------------------------------------------------------- pure parts
def refresh_request(
    login_url: URL, refresh_token: str, client_id: str | None = None, client_secret: str | None = None
) -> Request:
    """``POST {login_url}/services/oauth2/token`` form ``grant_type=refresh_token`` (pure)."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if client_id is not None:
        form["client_id"] = client_id
    if client_secret is not None:
        form["client_secret"] = client_secret
    url = login_url.with_path(login_url.raw_path.rstrip("/") + "/services/oauth2/token", encoded=True)
    return Request("POST", url, {"Accept": "application/json"}, ABSENT, form)


def parse_token_refresh(payload: Any) -> tuple[str, str | None, str | None]:
    """``(access_token, instance_url or None, rotated refresh_token or None)`` from a token answer (pure).

    Raises ValueError when there is no access token or the instance URL is not an absolute http(s) URL.
    """
    if not isinstance(payload, dict):
        raise ValueError("the token answer is not a JSON object")
    token = payload.get("access_token")
    if not isinstance(token, str) or not token:
        raise ValueError("the token answer has no access_token")
    instance = payload.get("instance_url")
    if instance is not None:
        if not isinstance(instance, str):
            raise ValueError("instance_url is not a string")
        url = URL(instance)
        if not url.absolute or url.scheme not in ("http", "https"):
            raise ValueError("instance_url is not an absolute http(s) URL")
    refresh = payload.get("refresh_token")
    return token, instance, refresh if isinstance(refresh, str) and refresh else None


def parse_salesforce_errors(content: bytes) -> list[dict[str, Any]]:
    """Salesforce's error list ``[{"message", "errorCode", ...}]`` (also the OAuth ``{"error",
    "error_description"}`` shape, as one item); ``[]`` when the body is neither (pure)."""
    try:
        payload = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return []
    if isinstance(payload, dict):
        if isinstance(payload.get("error"), str):
            return [{"errorCode": payload["error"], "message": str(payload.get("error_description", ""))}]
        payload = [payload]
    if not isinstance(payload, list):
        return []
    return [item for item in payload if isinstance(item, dict) and ("errorCode" in item or "message" in item)]


def salesforce_error(status: int, content: bytes, operation: str) -> ToolbeltError:
    """The error for a non-2xx Salesforce answer (pure)."""
    errors = parse_salesforce_errors(content)
    first = errors[0] if errors else {}
    sf_code = first.get("errorCode")
    sf_message = first.get("message")
    text = f"{operation} answered {status}"
    if isinstance(sf_code, str) and sf_code:
        text += f" {sf_code}"
    if isinstance(sf_message, str) and sf_message:
        text += f": {sf_message[:300]}"
    details: dict[str, Any] = {"errors": errors}
    if isinstance(sf_code, str):
        details["errorCode"] = sf_code
    return SALESFORCE_STATUS_ERRORS.error(status, text, details=details)


def parse_query_result(payload: Any, status: int = 200) -> dict[str, Any]:
    """A query page ``{"totalSize", "done", "records", "nextRecordsUrl"?}`` (pure; ResponseFormatError otherwise)."""
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("records"), list)
        or not isinstance(payload.get("done"), bool)
    ):
        raise ResponseFormatError(
            COMPONENT, ErrorCodes.SALESFORCE_REQUEST_FAILED, "the query answer is not a query result", status=status
        )
    return payload
