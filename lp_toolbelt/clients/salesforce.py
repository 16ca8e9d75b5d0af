"""Salesforce client: a native async Salesforce REST API connection on the Toolbelt's session and rate limiter.

``tb.sf_client().connect_to_salesforce(...)`` gives a :class:`SalesforceConnection` (no I/O until used) that runs
SOQL (``query``, ``query_all`` following ``nextRecordsUrl``) and sObject CRUD / describe. When a call answers 401
and a refresh token was given, the access token is refreshed once (OAuth 2 ``grant_type=refresh_token`` with
``client_id`` at ``{login_url}/services/oauth2/token``, one refresh however many calls hit the 401 together), the
instance URL is taken from the answer's ``instance_url``, and the call is retried once, there.

API calls go to the org's instance URL, never to the login host unless the caller says so (``instance_url=
login_url``): without ``instance_url`` the first call refreshes the token to learn it, as jsforce does. Salesforce's
refresh-token grant needs the app's ``client_id`` (and ``client_secret`` for a confidential app), so a connection
with a refresh token but no ``client_id`` is refused when it is built, not two hours later.

Salesforce's hosts are not on the proxy allowlist by default: add the login and instance hosts to the settings.json
``whitelist``. Salesforce error bodies ``[{"message", "errorCode"}]`` become :class:`SalesforceError`
(``err.status``, ``err.error_code`` such as ``"MALFORMED_QUERY"``). Tokens and the client secret never appear in
errors or reprs.

The wire format (argument checks, the refresh request, error bodies) is pure, in
:mod:`lp_toolbelt.clients.salesforce_wire`; its public names are re-exported here.

Example::

    con = tb.sf_client().connect_to_salesforce(
        login_url="https://login.salesforce.com", access_token=token, refresh_token=refresh,
        instance_url="https://mydomain.my.salesforce.com",
    )
    result = await con.query("SELECT Id, Name FROM Account LIMIT 10")
    async for account in con.query_all("SELECT Id, Name FROM Account"):
        ...
    created = await con.sobject("Account").create({"Name": "Acme"})
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from yarl import URL

from .. import _constants as C
from ..errors import ErrorCodes, ResponseFormatError, SalesforceAuthError
from ..telemetry import instrument
from ..transport.auth import TokenAuthorizer
from ..transport.request import ABSENT, Request
from ..transport.response import HttpResponse
from ..transport.send import Transport
from .salesforce_wire import (
    API_VERSION,
    COMPONENT,
    FIELD_NAME,
    METHOD,
    NEXT_RECORDS,
    SOBJECT_NAME,
    BearerMiddleware,
    check_base_url,
    check_fields,
    check_record_id,
    check_secret,
    check_soql,
    invalid,
    parse_query_result,
    parse_token_refresh,
    refresh_request,
    salesforce_error,
)

__all__ = ["SObject", "SalesforceClient", "SalesforceConnection"]


# --------------------------------------------------------------------------------------------------- the client
class SalesforceClient:
    """Makes Salesforce connections that share the Toolbelt's session, rate limiter and allowlist.

    Example::

        con = tb.sf_client().connect_to_salesforce(login_url="https://login.salesforce.com", access_token=token)
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def connect_to_salesforce(
        self,
        *,
        login_url: str,
        access_token: str,
        refresh_token: str | None = None,
        instance_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        api_version: str = C.SALESFORCE_API_VERSION,
    ) -> SalesforceConnection:
        """A connection (no I/O yet).

        API calls go to ``instance_url`` (your org's ``https://<domain>.my.salesforce.com``). Without it, the first
        call refreshes the token to learn it from the answer (that needs ``refresh_token`` and ``client_id``); to
        call the login host itself, pass ``instance_url=login_url``. A refresh token without ``client_id`` is
        refused here: Salesforce's refresh grant needs it.

        Example::

            con = sf.connect_to_salesforce(login_url="https://test.salesforce.com", access_token=token,
                                           refresh_token=refresh, client_id=cid, client_secret=csecret)
        """
        login = check_base_url(login_url, "login_url")
        instance = check_base_url(instance_url, "instance_url") if instance_url is not None else None
        if not isinstance(api_version, str) or not API_VERSION.fullmatch(api_version):
            raise invalid("api_version must look like 'v60.0'")
        refresh = check_secret(refresh_token, "refresh_token", optional=True)
        cid = check_secret(client_id, "client_id", optional=True)
        if refresh is not None and cid is None:
            raise invalid(
                "a refresh_token needs the connected app's client_id: Salesforce refuses a refresh without it"
            )
        if instance is None and refresh is None:
            raise invalid("instance_url is required without a refresh_token (pass instance_url=login_url to call it)")
        return SalesforceConnection(
            self._transport,
            login_url=login,
            instance_url=instance,
            access_token=str(check_secret(access_token, "access_token", optional=False)),
            refresh_token=refresh,
            client_id=cid,
            client_secret=check_secret(client_secret, "client_secret", optional=True),
            api_version=api_version,
        )

    def __repr__(self) -> str:
        return "SalesforceClient()"


@instrument("sf_client", "query", "request")
class SalesforceConnection:
    """One Salesforce org: SOQL queries and sObject access (see the module docstring)."""

    def __init__(
        self,
        transport: Transport,
        *,
        login_url: URL,
        instance_url: URL | None,
        access_token: str,
        refresh_token: str | None,
        client_id: str | None,
        client_secret: str | None,
        api_version: str,
    ) -> None:
        self._transport = transport
        self._login_url = login_url
        self._instance_url = instance_url
        self._refresh_token = refresh_token
        self._client_id = client_id
        self._client_secret = client_secret
        self.api_version = api_version
        self._auth = TokenAuthorizer(
            BearerMiddleware,
            self._refresh,
            token=access_token,
            max_refreshes=None if refresh_token is not None else 0,
            rebase=self._rebase,
        )

    @property
    def instance_url(self) -> str | None:
        """The org's instance URL (from the token refresh's ``instance_url``; ``None`` until known)."""
        return None if self._instance_url is None else str(self._instance_url)

    @property
    def refresh_count(self) -> int:
        """Successful or attempted token refreshes so far (observability and tests)."""
        return self._auth.refreshes

    # ---- queries
    async def query(self, soql: str) -> dict[str, Any]:
        """Run a SOQL query: ``{"totalSize", "done", "records", "nextRecordsUrl"?}`` (the first page).

        Example::

            result = await con.query("SELECT Id, Name FROM Account WHERE Id = '001000000000001AAA'")
            names = [r["Name"] for r in result["records"]]
        """
        q = check_soql(soql)
        resp = await self.request("GET", self._data_path("query"), params={"q": q}, operation="query")
        return parse_query_result(self._json(resp), resp.status)

    def query_all(self, soql: str) -> AsyncIterator[dict[str, Any]]:
        """Every record of a SOQL query, following ``nextRecordsUrl`` page after page.

        Example::

            async for account in con.query_all("SELECT Id, Name FROM Account"):
                print(account["Name"])
        """
        return self._iterate(check_soql(soql))

    async def _iterate(self, soql: str) -> AsyncIterator[dict[str, Any]]:
        page = await self.query(soql)
        while True:
            for record in page["records"]:
                yield record
            next_url = page.get("nextRecordsUrl")
            if page["done"] or not next_url:
                return
            if not isinstance(next_url, str) or not NEXT_RECORDS.fullmatch(next_url):
                raise ResponseFormatError(
                    COMPONENT,
                    ErrorCodes.SALESFORCE_REQUEST_FAILED,
                    "nextRecordsUrl is not a Salesforce query path",
                )
            resp = await self.request("GET", next_url, operation="query (next page)")
            page = parse_query_result(self._json(resp), resp.status)

    def sobject(self, name: str) -> SObject:
        """CRUD and describe for one sObject type (no I/O).

        Example::

            accounts = con.sobject("Account")
        """
        if not isinstance(name, str) or not SOBJECT_NAME.fullmatch(name):
            raise invalid("the sObject name must be a Salesforce API name such as 'Account' or 'My_Object__c'")
        return SObject(self, name)

    # ---- the one send path
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = ABSENT,
        operation: str | None = None,
    ) -> HttpResponse:
        """Send ``method`` to ``{instance_url}{path}`` (``path`` already percent-encoded, starting with
        ``/services/``) with the bearer token; refresh + retry once on 401; raise on any non-2xx answer.

        Example::

            resp = await con.request("GET", "/services/data/v60.0/limits")
        """
        if not isinstance(method, str) or not METHOD.fullmatch(method):
            raise invalid("method must be an HTTP method name")
        if not isinstance(path, str) or not path.startswith("/services/") or any(c in path for c in "?#\\"):
            raise invalid("path must start with /services/ and carry no query or fragment")
        if ".." in path.split("/"):
            raise invalid("path must not contain dot segments")
        operation = operation or f"{method.upper()} {path}"
        base = self._instance_url
        if base is None:  # no instance URL yet: the token refresh tells it (as jsforce does)
            await self._auth.renew(self._auth.current)
            base = self._instance_url
            if base is None:
                raise SalesforceAuthError(
                    COMPONENT, ErrorCodes.SALESFORCE_AUTH_FAILED, "the token refresh answered without an instance_url"
                )
        url = base.with_path(base.raw_path.rstrip("/") + path, encoded=True)
        if params:
            url = url.with_query(params)
        request = Request(method.upper(), url, {"Accept": "application/json"}, json)
        resp = await self._transport.send(request, component=COMPONENT, auth=self._auth)
        if not resp.ok:
            raise salesforce_error(resp.status, resp.content, operation)
        return resp

    def _rebase(self, sent: Request) -> Request:
        """A request refused with an old token, sent again to the instance URL the refresh answered."""
        base = self._instance_url
        path_qs = sent.url.raw_path_qs
        start = path_qs.find("/services/")
        if base is None or start < 0:
            return sent
        url = URL(str(base).rstrip("/") + path_qs[start:], encoded=True)
        return Request(sent.method, url, sent.headers, sent.json, sent.data, sent.retry_safe, sent.middlewares)

    async def _refresh(self) -> str:
        """The refresh-token grant: a new access token; the instance URL and a rotated refresh token kept."""
        if self._refresh_token is None:
            raise SalesforceAuthError(COMPONENT, ErrorCodes.SALESFORCE_AUTH_FAILED, "no refresh token to refresh with")
        request = refresh_request(self._login_url, self._refresh_token, self._client_id, self._client_secret)
        resp = await self._transport.send(request, component=COMPONENT)
        if not resp.ok:
            err = salesforce_error(resp.status, resp.content, "token refresh")
            raise SalesforceAuthError(
                COMPONENT, ErrorCodes.SALESFORCE_AUTH_FAILED, err.message, status=resp.status, details=err.details
            )
        try:
            token, instance, rotated = parse_token_refresh(self._json(resp))
        except ValueError as err:
            raise SalesforceAuthError(
                COMPONENT,
                ErrorCodes.SALESFORCE_AUTH_FAILED,
                "the token refresh answered without a usable access token",
                status=resp.status,
            ) from err
        if instance is not None:
            self._instance_url = check_base_url(instance, "instance_url")
        if rotated is not None:
            self._refresh_token = rotated
        return token

    def _data_path(self, *segments: str) -> str:
        return f"/services/data/{self.api_version}/" + "/".join(quote(s, safe="") for s in segments)

    @staticmethod
    def _json(resp: HttpResponse) -> Any:
        try:
            return resp.json()
        except ResponseFormatError as err:
            raise ResponseFormatError(
                COMPONENT, ErrorCodes.SALESFORCE_REQUEST_FAILED, err.message, status=resp.status
            ) from err

    def __repr__(self) -> str:
        return f"SalesforceConnection(instance_url={self.instance_url!r}, api_version={self.api_version!r})"


@instrument("sf_client", "create", "retrieve", "update", "delete", "describe")
class SObject:
    """One sObject type of a connection: ``create``, ``retrieve``, ``update``, ``delete``, ``describe``.

    Example::

        accounts = con.sobject("Account")
        new = await accounts.create({"Name": "Acme"})                     # {"id": "001...", "success": True, ...}
        acme = await accounts.retrieve(new["id"], fields=["Name"])
        await accounts.update(new["id"], {"Name": "Acme Corp"})
        await accounts.delete(new["id"])
    """

    def __init__(self, connection: SalesforceConnection, name: str) -> None:
        self._con = connection
        self.name = name

    async def create(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Create a record: ``{"id", "success", "errors"}``."""
        body = check_fields(fields)
        resp = await self._con.request("POST", self._path(), json=body, operation=f"create {self.name}")
        return self._object(resp)

    async def retrieve(self, record_id: str, fields: Sequence[str] | None = None) -> dict[str, Any]:
        """One record by id (all fields, or only ``fields``)."""
        rid = check_record_id(record_id)
        params = None
        if fields is not None:
            if isinstance(fields, str) or not all(isinstance(f, str) and FIELD_NAME.fullmatch(f) for f in fields):
                raise invalid("fields must be a sequence of Salesforce field names")
            if fields:
                params = {"fields": ",".join(fields)}
        resp = await self._con.request("GET", self._path(rid), params=params, operation=f"retrieve {self.name}")
        return self._object(resp)

    async def update(self, record_id: str, fields: Mapping[str, Any]) -> None:
        """Update fields of a record (Salesforce answers 204)."""
        rid = check_record_id(record_id)
        body = check_fields(fields)
        await self._con.request("PATCH", self._path(rid), json=body, operation=f"update {self.name}")

    async def delete(self, record_id: str) -> None:
        """Delete a record (Salesforce answers 204)."""
        rid = check_record_id(record_id)
        await self._con.request("DELETE", self._path(rid), operation=f"delete {self.name}")

    async def describe(self) -> dict[str, Any]:
        """The sObject's metadata: ``{"name", "label", "fields": [...], ...}``."""
        resp = await self._con.request("GET", self._path("describe"), operation=f"describe {self.name}")
        return self._object(resp)

    def _path(self, *extra: str) -> str:
        return self._con._data_path("sobjects", self.name, *extra)

    def _object(self, resp: HttpResponse) -> dict[str, Any]:
        payload = self._con._json(resp)
        if not isinstance(payload, dict):
            raise ResponseFormatError(
                COMPONENT, ErrorCodes.SALESFORCE_REQUEST_FAILED, "the answer is not a JSON object", status=resp.status
            )
        return payload

    def __repr__(self) -> str:
        return f"SObject({self.name!r})"
