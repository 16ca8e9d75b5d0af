"""Salesforce client: argument checks, pure request/answer helpers, the refresh-once logic (aioresponses), and the
emulator's strict SOQL parser."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from lp_toolbelt import ErrorCodes, Toolbelt, ToolbeltConfig, ToolbeltError
from lp_toolbelt._constants import DEFAULT_ALLOWLIST
from lp_toolbelt.clients.salesforce import SalesforceConnection
from lp_toolbelt.clients.salesforce_wire import (
    BearerMiddleware,
    parse_query_result,
    parse_salesforce_errors,
    parse_token_refresh,
    refresh_request,
    salesforce_error,
)
from lp_toolbelt.emulator.routes.salesforce import SoqlError, SoqlQuery, parse_soql
from lp_toolbelt.errors import (
    AuthenticationError,
    ForbiddenHostError,
    InvalidArgumentError,
    ResponseFormatError,
    SalesforceAuthError,
    SalesforceError,
)
from tests.unit.fakes import CountingLimiter, FakeClock

LOGIN = "https://login.example-sf.com"
INSTANCE = "https://acme.example-sf.com"
NEW_INSTANCE = "https://acme2.example-sf.com"
ACCESS = "00Dxx!access-token-AAAA"
FRESH = "00Dxx!fresh-token-BBBB"
REFRESH = "5Aep-refresh-token-CCCC"
SECRET = "client-secret-DDDD"
SECRETS = (ACCESS, FRESH, REFRESH, SECRET)
QUERY_URL = f"{INSTANCE}/services/data/v60.0/query"
ACC_ID = "001000000000001AAA"


@pytest.fixture
async def tb() -> AsyncIterator[Toolbelt]:
    clock = FakeClock()
    config = ToolbeltConfig(
        account_id="1",
        allowlist=(*DEFAULT_ALLOWLIST, "*.example-sf.com"),
        secrets_file=None,
    )
    async with Toolbelt(config, limiter=CountingLimiter(), clock=clock, sleep=clock.sleep, rand=lambda: 1.0) as t:
        yield t


@pytest.fixture
def con(tb: Toolbelt) -> SalesforceConnection:
    return tb.sf_client().connect_to_salesforce(
        login_url=LOGIN, access_token=ACCESS, refresh_token=REFRESH, instance_url=INSTANCE, client_id="cid"
    )


def sent(m: aioresponses) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, str(url), call.kwargs) for (method, url), items in m.requests.items() for call in items]


async def bearer_of(kwargs: dict[str, Any]) -> str | None:
    """Run the request's middlewares on a stand-in request and read the Authorization they set."""
    req = SimpleNamespace(headers={})

    async def handler(_: Any) -> None:
        return None

    for middleware in kwargs.get("middlewares") or ():
        if isinstance(middleware, BearerMiddleware):
            await middleware(req, handler)  # type: ignore[arg-type]
    value: str | None = req.headers.get("Authorization")
    return value


def assert_no_secret(err: BaseException) -> None:
    seen: BaseException | None = err
    while seen is not None:
        for secret in SECRETS:
            assert secret not in str(seen)
            assert secret not in repr(seen)
            if isinstance(seen, ToolbeltError):
                assert secret not in json.dumps(seen.details, default=str)
        seen = seen.__cause__


def page(records: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"totalSize": 5, "done": next_url is None, "records": records}
    if next_url:
        body["nextRecordsUrl"] = next_url
    return body


# --------------------------------------------------------------------------------------------------- arguments
@pytest.mark.parametrize(
    "overrides",
    [
        {"login_url": "login.example-sf.com"},
        {"login_url": "ftp://login.example-sf.com"},
        {"login_url": "https://login.example-sf.com?x=1"},
        {"login_url": "https://user:pw@login.example-sf.com"},
        {"login_url": ""},
        {"instance_url": "/relative"},
        {"access_token": ""},
        {"access_token": None},
        {"access_token": "tok\r\nX-Injected: 1"},
        {"refresh_token": ""},
        {"client_secret": "  "},
        {"api_version": "60.0"},
        {"api_version": "v60.0/../x"},
    ],
)
def test_connect_refuses_bad_arguments(tb: Toolbelt, overrides: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {"login_url": LOGIN, "access_token": ACCESS, "refresh_token": REFRESH, "client_id": "cid"}
    kwargs.update(overrides)
    with pytest.raises(InvalidArgumentError) as info:
        tb.sf_client().connect_to_salesforce(**kwargs)
    assert info.value.code == ErrorCodes.SALESFORCE_INVALID_ARGUMENT
    assert_no_secret(info.value)


def test_connection_defaults_and_repr(tb: Toolbelt) -> None:
    con = tb.sf_client().connect_to_salesforce(
        login_url=LOGIN + "/", access_token=ACCESS, refresh_token=REFRESH, client_id="cid", client_secret=SECRET
    )
    assert con.instance_url is None  # learnt from the token refresh's instance_url, never the login host by default
    assert con.api_version == "v60.0"
    explicit = tb.sf_client().connect_to_salesforce(login_url=LOGIN, access_token=ACCESS, instance_url=LOGIN + "/")
    assert explicit.instance_url == LOGIN  # the caller said so; trailing slash dropped
    for text in (repr(con), repr(tb.sf_client()), repr(con.sobject("Account")), repr(BearerMiddleware(ACCESS))):
        for secret in SECRETS:
            assert secret not in text


async def test_bad_calls_refused_before_any_request(con: SalesforceConnection) -> None:
    accounts = con.sobject("Account")
    bad: list[Any] = [
        con.query(""),
        con.query(None),  # type: ignore[arg-type]
        accounts.retrieve("not-an-id"),
        accounts.retrieve(ACC_ID, fields="Name"),
        accounts.retrieve(ACC_ID, fields=["Name; DROP"]),
        accounts.update("001000000000001AAA/../x", {"Name": "x"}),
        accounts.delete(""),
        accounts.create({"Bad Name": 1}),
        accounts.create(["Name"]),  # type: ignore[arg-type]
        accounts.create({"Name": object()}),
        con.request("GET", "/services/data/v60.0/query?q=x"),
        con.request("GET", "/services/data/../../admin"),
        con.request("GET", "https://evil.example.com/services/x"),
        con.request("GET /x", "/services/data"),
    ]
    with aioresponses() as m:
        for coro in bad:
            with pytest.raises(InvalidArgumentError) as info:
                await coro
            assert info.value.code == ErrorCodes.SALESFORCE_INVALID_ARGUMENT
        with pytest.raises(InvalidArgumentError):
            con.query_all("  ")
        assert not m.requests


@pytest.mark.parametrize("name", ["", "Account/../User", "1Account", "Acc ount", "Account?x"])
def test_sobject_name_checked(con: SalesforceConnection, name: str) -> None:
    with pytest.raises(InvalidArgumentError):
        con.sobject(name)


def test_custom_object_names_accepted(con: SalesforceConnection) -> None:
    assert con.sobject("ns__My_Object__c").name == "ns__My_Object__c"


# --------------------------------------------------------------------------------------------------- pure parts
def test_refresh_request_shape() -> None:
    bare = refresh_request(URL(LOGIN), REFRESH)
    assert (bare.method, str(bare.url)) == ("POST", f"{LOGIN}/services/oauth2/token")
    assert bare.data == {"grant_type": "refresh_token", "refresh_token": REFRESH}
    full = refresh_request(URL(LOGIN + "/base"), REFRESH, "cid", SECRET)
    assert str(full.url) == f"{LOGIN}/base/services/oauth2/token"
    assert full.data == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
        "client_id": "cid",
        "client_secret": SECRET,
    }


def test_parse_token_refresh() -> None:
    assert parse_token_refresh({"access_token": FRESH, "instance_url": NEW_INSTANCE}) == (FRESH, NEW_INSTANCE, None)
    assert parse_token_refresh({"access_token": FRESH, "refresh_token": "rotated"}) == (FRESH, None, "rotated")
    bad: list[Any] = [{}, [], {"access_token": ""}, {"access_token": FRESH, "instance_url": "/x"}, {"access_token": 1}]
    for payload in bad:
        with pytest.raises(ValueError, match=r"."):
            parse_token_refresh(payload)


def test_parse_salesforce_errors_shapes() -> None:
    listed = b'[{"message": "unexpected token: FORM", "errorCode": "MALFORMED_QUERY"}]'
    assert parse_salesforce_errors(listed) == [{"message": "unexpected token: FORM", "errorCode": "MALFORMED_QUERY"}]
    oauth = b'{"error": "invalid_grant", "error_description": "expired access/refresh token"}'
    assert parse_salesforce_errors(oauth) == [{"errorCode": "invalid_grant", "message": "expired access/refresh token"}]
    assert parse_salesforce_errors(b"<html>oops</html>") == []
    assert parse_salesforce_errors(b"[1, 2]") == []


def test_salesforce_error_carries_status_and_salesforce_code() -> None:
    err = salesforce_error(400, b'[{"message": "bad", "errorCode": "MALFORMED_QUERY"}]', "query")
    assert isinstance(err, SalesforceError)
    assert (err.status, err.error_code, err.code) == (400, "MALFORMED_QUERY", ErrorCodes.SALESFORCE_REQUEST_FAILED)
    assert str(err) == "SalesforceClient: query answered 400 MALFORMED_QUERY: bad"
    assert err.details["errors"] == [{"message": "bad", "errorCode": "MALFORMED_QUERY"}]
    auth = salesforce_error(401, b'[{"message": "Session expired", "errorCode": "INVALID_SESSION_ID"}]', "query")
    assert isinstance(auth, SalesforceAuthError)
    assert isinstance(auth, AuthenticationError)
    assert (auth.code, auth.error_code) == (ErrorCodes.SALESFORCE_AUTH_FAILED, "INVALID_SESSION_ID")
    plain = salesforce_error(502, b"Bad Gateway", "query")
    assert isinstance(plain, SalesforceError)
    assert (plain.status, plain.error_code) == (502, None)


@pytest.mark.parametrize("payload", [None, [], {"records": []}, {"records": {}, "done": True}, {"done": True}])
def test_parse_query_result_rejects_other_shapes(payload: Any) -> None:
    with pytest.raises(ResponseFormatError):
        parse_query_result(payload)


# --------------------------------------------------------------------------------------------------- calls
async def test_query_sends_soql_with_the_bearer_token(con: SalesforceConnection) -> None:
    soql = "SELECT Id, Name FROM Account WHERE Id = '001000000000001AAA'"
    with aioresponses() as m:
        m.get(URL(QUERY_URL).with_query(q=soql), payload=page([{"Id": ACC_ID}]))
        result = await con.query(soql)
        (method, url, kwargs), *_ = sent(m)
    assert result["records"] == [{"Id": ACC_ID}]
    assert method == "GET"
    assert URL(url).query["q"] == soql
    assert await bearer_of(kwargs) == f"Bearer {ACCESS}"


async def test_query_all_follows_next_records_url(con: SalesforceConnection) -> None:
    soql = "SELECT Id FROM Account"
    more = "/services/data/v60.0/query/01gD0000002HU6KIAW-2"
    last = "/services/data/v60.0/query/01gD0000002HU6KIAW-4"
    with aioresponses() as m:
        m.get(URL(QUERY_URL).with_query(q=soql), payload=page([{"Id": "1"}, {"Id": "2"}], more))
        m.get(INSTANCE + more, payload=page([{"Id": "3"}, {"Id": "4"}], last))
        m.get(INSTANCE + last, payload=page([{"Id": "5"}]))
        ids = [record["Id"] async for record in con.query_all(soql)]
        assert len(sent(m)) == 3
    assert ids == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example.com/services/data/v60.0/query/01g-2", "/services/data/v60.0/query/../../x", "//evil.com/x"],
)
async def test_query_all_never_follows_a_foreign_next_url(con: SalesforceConnection, next_url: str) -> None:
    soql = "SELECT Id FROM Account"
    with aioresponses() as m:
        m.get(URL(QUERY_URL).with_query(q=soql), payload=page([{"Id": "1"}], next_url))
        records = con.query_all(soql)
        assert await anext(records) == {"Id": "1"}
        with pytest.raises(ResponseFormatError):
            await anext(records)
        assert len(sent(m)) == 1


async def test_401_refreshes_once_updates_instance_and_retries(tb: Toolbelt) -> None:
    con = tb.sf_client().connect_to_salesforce(
        login_url=LOGIN,
        access_token=ACCESS,
        refresh_token=REFRESH,
        instance_url=INSTANCE,
        client_id="cid",
        client_secret=SECRET,
    )
    soql = "SELECT Id FROM Account"
    with aioresponses() as m:
        m.get(
            URL(QUERY_URL).with_query(q=soql),
            status=401,
            payload=[{"message": "expired", "errorCode": "INVALID_SESSION_ID"}],
        )
        m.post(f"{LOGIN}/services/oauth2/token", payload={"access_token": FRESH, "instance_url": NEW_INSTANCE})
        m.get(URL(f"{NEW_INSTANCE}/services/data/v60.0/query").with_query(q=soql), payload=page([{"Id": "1"}]))
        result = await con.query(soql)
        calls = sent(m)
    assert result["records"] == [{"Id": "1"}]
    assert [(method, URL(url).host) for method, url, _ in calls] == [
        ("GET", "acme.example-sf.com"),
        ("POST", "login.example-sf.com"),
        ("GET", "acme2.example-sf.com"),
    ]
    assert calls[1][2]["data"] == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
        "client_id": "cid",
        "client_secret": SECRET,
    }
    assert await bearer_of(calls[0][2]) == f"Bearer {ACCESS}"
    assert await bearer_of(calls[2][2]) == f"Bearer {FRESH}"
    assert con.instance_url == NEW_INSTANCE
    assert con.refresh_count == 1


async def test_concurrent_401s_share_one_refresh(con: SalesforceConnection) -> None:
    soql = "SELECT Id FROM Account"
    refreshes = 0

    async def token(url: URL, **kwargs: Any) -> CallbackResult:
        nonlocal refreshes
        refreshes += 1
        for _ in range(5):
            await asyncio.sleep(0)
        return CallbackResult(payload={"access_token": FRESH})

    with aioresponses() as m:
        for _ in range(6):
            m.get(URL(QUERY_URL).with_query(q=soql), status=401, payload=[{"errorCode": "INVALID_SESSION_ID"}])
        m.post(f"{LOGIN}/services/oauth2/token", callback=token, repeat=True)
        for _ in range(6):
            m.get(URL(QUERY_URL).with_query(q=soql), payload=page([]))
        results = await asyncio.gather(*(con.query(soql) for _ in range(6)))
    assert len(results) == 6
    assert refreshes == 1
    assert con.refresh_count == 1


async def test_401_without_refresh_token_is_an_auth_error(tb: Toolbelt) -> None:
    con = tb.sf_client().connect_to_salesforce(login_url=LOGIN, access_token=ACCESS, instance_url=INSTANCE)
    soql = "SELECT Id FROM Account"
    with aioresponses() as m:
        m.get(
            URL(QUERY_URL).with_query(q=soql),
            status=401,
            payload=[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
        )
        with pytest.raises(SalesforceAuthError) as info:
            await con.query(soql)
        assert len(sent(m)) == 1
    assert (info.value.status, info.value.error_code) == (401, "INVALID_SESSION_ID")
    assert_no_secret(info.value)


async def test_refused_refresh_is_an_auth_error(con: SalesforceConnection) -> None:
    soql = "SELECT Id FROM Account"
    with aioresponses() as m:
        m.get(URL(QUERY_URL).with_query(q=soql), status=401, payload=[{"errorCode": "INVALID_SESSION_ID"}])
        m.post(
            f"{LOGIN}/services/oauth2/token",
            status=400,
            payload={"error": "invalid_grant", "error_description": "expired access/refresh token"},
        )
        with pytest.raises(SalesforceAuthError) as info:
            await con.query(soql)
        assert len(sent(m)) == 2
    assert (info.value.code, info.value.status, info.value.error_code) == (
        ErrorCodes.SALESFORCE_AUTH_FAILED,
        400,
        "invalid_grant",
    )
    assert "expired access/refresh token" in info.value.message
    assert_no_secret(info.value)


async def test_still_401_after_refresh_gives_up(con: SalesforceConnection) -> None:
    soql = "SELECT Id FROM Account"
    with aioresponses() as m:
        m.get(URL(QUERY_URL).with_query(q=soql), status=401, payload=[{"errorCode": "INVALID_SESSION_ID"}], repeat=True)
        m.post(f"{LOGIN}/services/oauth2/token", payload={"access_token": FRESH}, repeat=True)
        with pytest.raises(SalesforceAuthError):
            await con.query(soql)
        methods = sorted(method for method, _, _ in sent(m))
    assert methods == ["GET", "GET", "POST"]  # one refresh, one retry, then the 401 stands


async def test_refresh_without_access_token_is_an_auth_error(con: SalesforceConnection) -> None:
    soql = "SELECT Id FROM Account"
    with aioresponses() as m:
        m.get(URL(QUERY_URL).with_query(q=soql), status=401, payload=[{"errorCode": "INVALID_SESSION_ID"}])
        m.post(f"{LOGIN}/services/oauth2/token", payload={"token_type": "Bearer"})
        with pytest.raises(SalesforceAuthError) as info:
            await con.query(soql)
    assert info.value.code == ErrorCodes.SALESFORCE_AUTH_FAILED


async def test_error_bodies_become_salesforce_errors(con: SalesforceConnection) -> None:
    url = f"{INSTANCE}/services/data/v60.0/sobjects/Account/{ACC_ID}"
    with aioresponses() as m:
        m.get(url, status=404, payload=[{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
        with pytest.raises(SalesforceError) as info:
            await con.sobject("Account").retrieve(ACC_ID)
    assert (info.value.status, info.value.error_code) == (404, "NOT_FOUND")
    assert info.value.component == "SalesforceClient"


async def test_crud_paths_and_bodies(con: SalesforceConnection) -> None:
    base = f"{INSTANCE}/services/data/v60.0/sobjects/Account"
    with aioresponses() as m:
        m.post(base, status=201, payload={"id": ACC_ID, "success": True, "errors": []})
        m.get(f"{base}/{ACC_ID}?fields=Name,Industry", payload={"Name": "Acme", "Industry": "x"})
        m.patch(f"{base}/{ACC_ID}", status=204)
        m.delete(f"{base}/{ACC_ID}", status=204)
        m.get(f"{base}/describe", payload={"name": "Account", "fields": []})
        accounts = con.sobject("Account")
        assert (await accounts.create({"Name": "Acme"}))["id"] == ACC_ID
        assert (await accounts.retrieve(ACC_ID, ["Name", "Industry"]))["Name"] == "Acme"
        await accounts.update(ACC_ID, {"Name": "Acme 2"})
        await accounts.delete(ACC_ID)
        assert (await accounts.describe())["name"] == "Account"
        calls = sent(m)
    assert [(method, URL(url).path) for method, url, _ in calls] == [
        ("POST", "/services/data/v60.0/sobjects/Account"),
        ("GET", f"/services/data/v60.0/sobjects/Account/{ACC_ID}"),
        ("PATCH", f"/services/data/v60.0/sobjects/Account/{ACC_ID}"),
        ("DELETE", f"/services/data/v60.0/sobjects/Account/{ACC_ID}"),
        ("GET", "/services/data/v60.0/sobjects/Account/describe"),
    ]
    assert calls[0][2]["json"] == {"Name": "Acme"}
    assert calls[2][2]["json"] == {"Name": "Acme 2"}


async def test_non_json_success_is_a_format_error(con: SalesforceConnection) -> None:
    with aioresponses() as m:
        m.get(f"{INSTANCE}/services/data/v60.0/sobjects/Account/describe", body="<html/>")
        with pytest.raises(ResponseFormatError) as info:
            await con.sobject("Account").describe()
    assert info.value.code == ErrorCodes.SALESFORCE_REQUEST_FAILED


async def test_hosts_outside_the_allowlist_are_refused(tb: Toolbelt) -> None:
    con = tb.sf_client().connect_to_salesforce(
        login_url="https://login.salesforce.com", access_token=ACCESS, instance_url="https://na1.salesforce.com"
    )
    tb.csds_cache.set("1", {"msgHist": "va.msghist.liveperson.net"}, 600)  # the account's CSDS answer, known
    with aioresponses() as m:
        with pytest.raises(ForbiddenHostError):
            await con.query("SELECT Id FROM Account")
        assert not m.requests


async def test_bearer_middleware_sets_the_header() -> None:
    assert await bearer_of({"middlewares": (BearerMiddleware(FRESH),)}) == f"Bearer {FRESH}"


# --------------------------------------------------------------------------------------------------- emulator SOQL
@pytest.mark.parametrize(
    ("soql", "expected"),
    [
        ("SELECT Id FROM Account", SoqlQuery(("Id",), "Account")),
        ("select id, name from account limit 3", SoqlQuery(("id", "name"), "account", None, 3)),
        (
            "  SELECT Id,Name ,  Industry FROM Account WHERE Id = '001000000000001AAA' LIMIT 1  ",
            SoqlQuery(("Id", "Name", "Industry"), "Account", "001000000000001AAA", 1),
        ),
        ("SELECT Id FROM Contact WHERE id='003000000000001'", SoqlQuery(("Id",), "Contact", "003000000000001")),
    ],
)
def test_soql_subset_parses(soql: str, expected: SoqlQuery) -> None:
    assert parse_soql(soql) == expected


@pytest.mark.parametrize(
    "soql",
    [
        "",
        "SELECT FROM Account",
        "SELECT * FROM Account",
        "SELECT Id FROM",
        "SELEC Id FROM Account",
        "SELECT Id, FROM Account",
        "SELECT Id FROM Account WHERE Name = 'Acme'",
        "SELECT Id FROM Account WHERE Id = 'x' OR Id = 'y'",
        "SELECT Id FROM Account WHERE Id = '001000000000001AAA' AND Name = 'x'",
        "SELECT Id FROM Account ORDER BY Name",
        "SELECT Id FROM Account LIMIT -1",
        "SELECT Id FROM Account LIMIT 99999999",
        "SELECT Id FROM Account LIMIT 1 LIMIT 2",
        "SELECT Id, id FROM Account",
        "SELECT COUNT() FROM Account",
        "SELECT Account.Name FROM Contact",
        "SELECT Id FROM Account; DELETE",
        "SELECT from FROM Account",
        "SELECT Id FROM Account WHERE Id = '001\\' OR 1=1'",
    ],
)
def test_soql_outside_the_subset_is_malformed(soql: str) -> None:
    with pytest.raises(SoqlError) as info:
        parse_soql(soql)
    assert info.value.code == "MALFORMED_QUERY"


def test_soql_bad_id_literal() -> None:
    with pytest.raises(SoqlError) as info:
        parse_soql("SELECT Id FROM Account WHERE Id = 'abc'")
    assert info.value.code == "INVALID_QUERY_FILTER_OPERATOR"
