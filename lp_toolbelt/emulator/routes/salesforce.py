"""Emulated Salesforce: OAuth 2 token refresh and a minimal REST API over ``state.salesforce`` (a SalesforceOrg).

**Login URL and instance URL are two Host names of the one server**, as Salesforce's are two hosts
(``login.salesforce.com`` and ``MyDomain.my.salesforce.com``):

* the login URL is ``http://localhost:PORT`` (``state.unlisted_host``, or ``org.login_host``). Like every host
  outside LivePerson's default allowlist, the proxy refuses it unless the whitelist names it (the demo seed
  whitelists ``localhost``; live, a user whitelists ``login.salesforce.com``). It serves the token endpoint only:
  a REST call sent there answers ``400 [{"errorCode": "URL_NOT_RESET", "message": "Destination URL not reset. The
  URL returned from login must be set"}]``, Salesforce's answer to an API call at a login host.
* the instance URL, answered as ``instance_url`` by every refresh, is ``http://127.0.0.1:PORT`` (the emulator's
  own address, ``Emulator.base_url``; ``org.instance_url`` overrides it). It serves the REST API, and the token
  endpoint too (Salesforce accepts a refresh at a My Domain host). The emulator allows it as the CSDS host; live,
  the instance host must be whitelisted as well.

The refresh-token grant requires ``client_id`` (Salesforce lists it; jsforce refuses to refresh without one): a
refresh without it, or naming another app than ``org.client_id``, answers ``400 {"error": "invalid_client_id",
"error_description": "client identifier invalid"}``; with ``org.client_secret`` set, a wrong or missing secret
answers ``400 invalid_client``. REST calls need ``Authorization: Bearer <token>`` with a live token of
``org.access_tokens`` (the seed token is ``SALESFORCE_ACCESS_TOKEN``; ``org.expire_access_tokens()`` expires them
all), else 401 ``INVALID_SESSION_ID``. Errors use Salesforce's body ``[{"message", "errorCode"}]``.

==================================================================  ===============================================
``POST /services/oauth2/token`` form ``grant_type=refresh_token``   200 ``{"access_token", "instance_url", ...}``;
``refresh_token``, ``client_id`` [, ``client_secret``]              400 ``{"error", "error_description"}``
``GET /services/data/{v}/query?q=SOQL``                             200 ``{"totalSize", "done", "records",
                                                                    "nextRecordsUrl"?}`` (pages of ``page_size``)
``GET /services/data/{v}/query/{locator}``                          the next page
``POST /services/data/{v}/sobjects/{name}``                         201 ``{"id", "success", "errors"}``
``GET|PATCH|DELETE /services/data/{v}/sobjects/{name}/{id}``        200 record / 204 / 204; 404 ``NOT_FOUND``
``GET /services/data/{v}/sobjects/{name}/describe``                 200 the sObject's metadata
==================================================================  ===============================================

The SOQL parser is deliberately small and strict: ``SELECT f1, f2 FROM Object [WHERE Id = '<id>'] [LIMIT n]``
(keywords case-insensitive, plain field names only); anything else answers 400 ``MALFORMED_QUERY``, an unknown
object ``INVALID_TYPE``, an unknown field ``INVALID_FIELD``.

Route names: ``sf-token``, ``sf-query``, ``sf-query-more``, ``sf-create``, ``sf-record``, ``sf-describe``.
"""

from __future__ import annotations

import json
import re
import secrets as _secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from ..faults import Handler
from ..state import EmulatorState, SalesforceOrg

__all__ = [
    "ROUTE_SF_CREATE",
    "ROUTE_SF_DESCRIBE",
    "ROUTE_SF_QUERY",
    "ROUTE_SF_QUERY_MORE",
    "ROUTE_SF_RECORD",
    "ROUTE_SF_TOKEN",
    "SoqlError",
    "SoqlQuery",
    "parse_soql",
    "setup",
]

ROUTE_SF_TOKEN: Final = "sf-token"
ROUTE_SF_QUERY: Final = "sf-query"
ROUTE_SF_QUERY_MORE: Final = "sf-query-more"
ROUTE_SF_CREATE: Final = "sf-create"
ROUTE_SF_RECORD: Final = "sf-record"
ROUTE_SF_DESCRIBE: Final = "sf-describe"

_VERSION = re.compile(r"v\d{1,3}\.\d")
_RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_SOQL = re.compile(
    rf"""\s*SELECT\s+(?P<fields>{_NAME}(?:\s*,\s*{_NAME})*)
    \s+FROM\s+(?P<object>{_NAME})
    (?:\s+WHERE\s+(?P<where_field>{_NAME})\s*=\s*'(?P<where_value>[^'\\]*)')?
    (?:\s+LIMIT\s+(?P<limit>\d{{1,6}}))?\s*""",
    re.IGNORECASE | re.VERBOSE,
)
_KEYWORDS: Final = frozenset({"select", "from", "where", "limit", "and", "or", "order", "by", "group", "having"})
MAX_LIMIT: Final = 50_000


# --------------------------------------------------------------------------------------------------- SOQL
class SoqlError(ValueError):
    """A query the emulator refuses: ``code`` is Salesforce's errorCode."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class SoqlQuery:
    """A parsed ``SELECT ... FROM ... [WHERE Id = '...'] [LIMIT n]``."""

    fields: tuple[str, ...]
    sobject: str
    record_id: str | None = None
    limit: int | None = None


def parse_soql(text: str) -> SoqlQuery:
    """Parse the supported SOQL subset (pure); SoqlError ``MALFORMED_QUERY`` for anything else.

    >>> parse_soql("SELECT Id, Name FROM Account WHERE Id = '001000000000001AAA' LIMIT 1").limit
    1
    """
    match = _SOQL.fullmatch(text)
    if match is None:
        raise SoqlError(
            "MALFORMED_QUERY",
            "unsupported query: the emulator understands SELECT <fields> FROM <object> [WHERE Id = '<id>'] [LIMIT n]",
        )
    fields = tuple(f.strip() for f in match["fields"].split(","))
    for name in (*fields, match["object"]):
        if name.lower() in _KEYWORDS:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: {name!r}")
    lowered = [f.lower() for f in fields]
    if len(set(lowered)) != len(lowered):
        raise SoqlError("MALFORMED_QUERY", "duplicate field selected")
    record_id = None
    if match["where_field"] is not None:
        if match["where_field"].lower() != "id":
            raise SoqlError("MALFORMED_QUERY", "the emulator supports WHERE Id = '<id>' only")
        record_id = match["where_value"]
        if not _RECORD_ID.fullmatch(record_id):
            raise SoqlError("INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {record_id}")
    limit = int(match["limit"]) if match["limit"] is not None else None
    if limit is not None and limit > MAX_LIMIT:
        raise SoqlError("MALFORMED_QUERY", f"LIMIT must be at most {MAX_LIMIT}")
    return SoqlQuery(fields=fields, sobject=match["object"], record_id=record_id, limit=limit)


# --------------------------------------------------------------------------------------------------- helpers
def _error(status: int, code: str, message: str, fields: Sequence[str] | None = None) -> web.Response:
    item: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        item["fields"] = list(fields)
    return web.Response(status=status, text=json.dumps([item]), content_type="application/json")


def _oauth_error(error: str, description: str) -> web.Response:
    body = json.dumps({"error": error, "error_description": description})
    return web.Response(status=400, text=body, content_type="application/json")


class _Reject(Exception):
    """Raised by helpers to answer with an error response."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _not_found() -> _Reject:
    return _Reject(_error(404, "NOT_FOUND", "The requested resource does not exist"))


def _now_text() -> str:
    return datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _schema(org: SalesforceOrg, name: str) -> tuple[str, dict[str, Any]]:
    """(canonical name, schema) of an sObject, case-insensitively; 404 otherwise."""
    for canonical, schema in org.schema.items():
        if canonical.lower() == name.lower():
            return canonical, schema
    raise _not_found()


def _field_names(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"].lower(): f for f in schema["fields"]}


def _resolve_fields(schema: dict[str, Any], sobject: str, names: Sequence[str]) -> list[str]:
    known = _field_names(schema)
    out = []
    for name in names:
        found = known.get(name.lower())
        if found is None:
            raise _Reject(_error(400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'"))
        out.append(found["name"])
    return out


def _record(org: SalesforceOrg, sobject: str, record_id: str) -> dict[str, Any]:
    records = org.records.setdefault(sobject, {})
    if len(record_id) == 18:
        found = records.get(record_id)
    else:
        found = next((r for rid, r in records.items() if rid[:15] == record_id), None)
    if found is None:
        raise _not_found()
    return found


def _project(sobject: str, record: dict[str, Any], fields: Sequence[str], version: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "attributes": {"type": sobject, "url": f"/services/data/{version}/sobjects/{sobject}/{record['Id']}"}
    }
    for name in fields:
        out[name] = record.get(name)
    return out


def _writable(schema: dict[str, Any], sobject: str, body: Any, *, creating: bool) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _Reject(_error(400, "JSON_PARSER_ERROR", "the body must be a JSON object of field values"))
    known = _field_names(schema)
    values: dict[str, Any] = {}
    for name, value in body.items():
        spec = known.get(str(name).lower())
        if spec is None:
            raise _Reject(_error(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}"))
        allowed = spec["createable"] if creating else spec["updateable"]
        if not allowed:
            raise _Reject(
                _error(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {spec['name']}. Please check the security settings of this "
                    "field and verify that it is read/write for your profile or permission set.",
                    [spec["name"]],
                )
            )
        values[spec["name"]] = value
    return values


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read())
    except (ValueError, UnicodeDecodeError) as err:
        raise _Reject(_error(400, "JSON_PARSER_ERROR", "the body is not valid JSON")) from err


# --------------------------------------------------------------------------------------------------- routes
def setup(app: web.Application, state: EmulatorState) -> None:
    """Add the Salesforce token and REST routes."""

    def authorize(request: web.Request) -> str:
        """The API version of a REST request, once the host (not the login host), the bearer token and the
        version are checked."""
        login_host = state.salesforce.login_host or state.unlisted_host
        if login_host is not None and request.host.lower() == login_host.lower():
            raise _Reject(
                _error(400, "URL_NOT_RESET", "Destination URL not reset. The URL returned from login must be set")
            )
        scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or not state.salesforce.access_token_valid(token.strip()):
            raise _Reject(_error(401, "INVALID_SESSION_ID", "Session expired or invalid"))
        version = request.match_info["version"]
        if not _VERSION.fullmatch(version):
            raise _not_found()
        return version

    def guarded(handler: Callable[[web.Request], Awaitable[web.Response]]) -> Handler:
        async def run(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except _Reject as rejected:
                return rejected.response

        return run

    async def token(request: web.Request) -> web.Response:
        org = state.salesforce
        form = await request.post()
        if form.get("grant_type") != "refresh_token":
            return _oauth_error("unsupported_grant_type", "grant type not supported")
        client_id = form.get("client_id")
        known = org.client_id is None or client_id == org.client_id
        if not isinstance(client_id, str) or not client_id or not known:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if org.client_secret is not None and form.get("client_secret") != org.client_secret:
            return _oauth_error("invalid_client", "invalid client credentials")
        refresh = form.get("refresh_token")
        if not isinstance(refresh, str) or refresh not in org.refresh_tokens:
            return _oauth_error("invalid_grant", "expired access/refresh token")
        access = org.issue_access_token()
        org.refresh_count += 1
        instance = org.instance_url or f"{request.scheme}://{state.host or request.host}"
        return web.json_response(
            {
                "access_token": access,
                "instance_url": instance,
                "id": f"{instance}/id/00D000000000001AAA/005000000000001AAA",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "signature": _secrets.token_urlsafe(24),
                "scope": "api refresh_token",
            }
        )

    def page(records: list[dict[str, Any]], version: str, offset: int, locator: str | None = None) -> dict[str, Any]:
        org = state.salesforce
        size = max(1, org.page_size)
        chunk = records[offset : offset + size]
        result: dict[str, Any] = {"totalSize": len(records), "done": offset + size >= len(records), "records": chunk}
        if not result["done"]:
            locator = locator or "01g" + _secrets.token_hex(8)
            org.cursors[locator] = records
            result["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{offset + size}"
        return result

    async def query(request: web.Request) -> web.Response:
        version = authorize(request)
        org = state.salesforce
        text = request.query.get("q")
        if not text:
            return _error(400, "MALFORMED_QUERY", "the q parameter is required")
        try:
            parsed = parse_soql(text)
        except SoqlError as err:
            return _error(400, err.code, err.message)
        names = [name for name in org.schema if name.lower() == parsed.sobject.lower()]
        if not names:
            return _error(400, "INVALID_TYPE", f"sObject type '{parsed.sobject}' is not supported.")
        sobject = names[0]
        fields = _resolve_fields(org.schema[sobject], sobject, parsed.fields)
        records = list(org.records.get(sobject, {}).values())
        if parsed.record_id is not None:
            wanted = parsed.record_id[:15]
            records = [r for r in records if str(r.get("Id", ""))[:15] == wanted]
        if parsed.limit is not None:
            records = records[: parsed.limit]
        projected = [_project(sobject, r, fields, version) for r in records]
        return web.json_response(page(projected, version, 0))

    async def query_more(request: web.Request) -> web.Response:
        version = authorize(request)
        locator, _, offset = request.match_info["locator"].rpartition("-")
        records = state.salesforce.cursors.get(locator)
        if records is None or not offset.isdigit() or int(offset) > len(records):
            return _error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        result = page(records, version, int(offset), locator)
        if result["done"]:
            state.salesforce.cursors.pop(locator, None)
        return web.json_response(result)

    async def create(request: web.Request) -> web.Response:
        authorize(request)
        org = state.salesforce
        sobject, schema = _schema(org, request.match_info["sobject"])
        values = _writable(schema, sobject, await _json_body(request), creating=True)
        missing = [f for f in schema.get("required", []) if values.get(f) in (None, "")]
        if missing:
            return _error(
                400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
            )
        org.id_counter += 1
        record_id = f"{schema['keyPrefix']}{org.id_counter:012d}AAA"
        now = _now_text()
        record: dict[str, Any] = {f["name"]: None for f in schema["fields"]}
        record.update(values)
        record.update({"Id": record_id, "CreatedDate": now, "LastModifiedDate": now})
        org.records.setdefault(sobject, {})[record_id] = record
        return web.json_response({"id": record_id, "success": True, "errors": []}, status=201)

    async def record(request: web.Request) -> web.Response:
        version = authorize(request)
        org = state.salesforce
        sobject, schema = _schema(org, request.match_info["sobject"])
        found = _record(org, sobject, request.match_info["id"])
        if request.method == "GET":
            wanted = request.query.get("fields")
            names = [f["name"] for f in schema["fields"]]
            if wanted:
                names = _resolve_fields(schema, sobject, [n.strip() for n in wanted.split(",")])
            return web.json_response(_project(sobject, found, names, version))
        if request.method == "PATCH":
            values = _writable(schema, sobject, await _json_body(request), creating=False)
            missing = [f for f in schema.get("required", []) if f in values and values[f] in (None, "")]
            if missing:
                return _error(
                    400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
                )
            found.update(values)
            found["LastModifiedDate"] = _now_text()
            return web.Response(status=204)
        if request.method == "DELETE":
            del org.records[sobject][found["Id"]]
            return web.Response(status=204)
        return _error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed")

    async def describe(request: web.Request) -> web.Response:
        version = authorize(request)
        sobject, schema = _schema(state.salesforce, request.match_info["sobject"])
        base = f"/services/data/{version}/sobjects/{sobject}"
        return web.json_response(
            {
                "name": sobject,
                "label": schema.get("label", sobject),
                "labelPlural": schema.get("labelPlural", sobject),
                "keyPrefix": schema.get("keyPrefix"),
                "custom": sobject.endswith("__c"),
                "createable": True,
                "updateable": True,
                "deletable": True,
                "queryable": True,
                "fields": schema["fields"],
                "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
            }
        )

    data = "/services/data/{version}"
    app.router.add_post("/services/oauth2/token", guarded(token), name=ROUTE_SF_TOKEN)
    app.router.add_get(data + "/query", guarded(query), name=ROUTE_SF_QUERY)
    app.router.add_get(data + "/query/{locator}", guarded(query_more), name=ROUTE_SF_QUERY_MORE)
    app.router.add_post(data + "/sobjects/{sobject}", guarded(create), name=ROUTE_SF_CREATE)
    app.router.add_get(data + "/sobjects/{sobject}/describe", guarded(describe), name=ROUTE_SF_DESCRIBE)
    app.router.add_route("*", data + "/sobjects/{sobject}/{id}", guarded(record), name=ROUTE_SF_RECORD)
