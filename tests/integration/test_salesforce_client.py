"""Salesforce client against the emulated Salesforce: SOQL with paging, sObject CRUD and describe, Salesforce
error bodies, and the token path (expiry → refresh → retry, single-flight, client credentials, new instance URL)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from lp_toolbelt import ErrorCodes, Toolbelt, ToolbeltError
from lp_toolbelt._constants import DEFAULT_ALLOWLIST
from lp_toolbelt.clients.salesforce import SalesforceConnection
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.state import SALESFORCE_ACCESS_TOKEN, SALESFORCE_CLIENT_ID, SALESFORCE_REFRESH_TOKEN
from lp_toolbelt.errors import ForbiddenHostError, SalesforceAuthError, SalesforceError

ACME = "001000000000001AAA"
ACCOUNT_NAMES = ["Acme Corporation", "Globex", "Initech", "Umbrella Health", "Stark Logistics"]


@pytest.fixture
def con(emu: Emulator, tb: Toolbelt) -> SalesforceConnection:
    return tb.sf_client().connect_to_salesforce(
        login_url=str(emu.base_url),
        access_token=SALESFORCE_ACCESS_TOKEN,
        refresh_token=SALESFORCE_REFRESH_TOKEN,
        client_id=SALESFORCE_CLIENT_ID,  # Salesforce's refresh-token grant requires it
        instance_url=str(emu.base_url),
    )


def routes(emu: Emulator) -> list[tuple[str | None, int | None]]:
    return [(r.route, r.status) for r in emu.state.requests if (r.route or "").startswith("sf-")]


def assert_no_secret(err: BaseException, *secrets: str) -> None:
    seen: BaseException | None = err
    while seen is not None:
        for secret in secrets:
            assert secret not in str(seen)
            assert secret not in repr(seen)
            if isinstance(seen, ToolbeltError):
                assert secret not in json.dumps(seen.details, default=str)
        seen = seen.__cause__


# --------------------------------------------------------------------------------------------------- queries
async def test_query_first_page_and_records(emu: Emulator, con: SalesforceConnection) -> None:
    result = await con.query("SELECT Id, Name, Industry FROM Account LIMIT 2")
    assert result["totalSize"] == 2
    assert result["done"] is True
    assert "nextRecordsUrl" not in result
    first = result["records"][0]
    assert first == {
        "attributes": {"type": "Account", "url": f"/services/data/v60.0/sobjects/Account/{ACME}"},
        "Id": ACME,
        "Name": "Acme Corporation",
        "Industry": "Manufacturing",
    }
    recorded = emu.state.requests[-1]
    assert recorded.auth_scheme == "Bearer"


async def test_query_by_id_accepts_15_and_18_character_ids(con: SalesforceConnection) -> None:
    for record_id in (ACME, ACME[:15]):
        result = await con.query(f"select name from account where id = '{record_id}'")
        assert [r["Name"] for r in result["records"]] == ["Acme Corporation"]


async def test_paging_with_next_records_url(emu: Emulator, con: SalesforceConnection) -> None:
    emu.state.salesforce.page_size = 2
    first = await con.query("SELECT Name FROM Account")
    assert (first["totalSize"], first["done"], len(first["records"])) == (5, False, 2)
    assert first["nextRecordsUrl"].startswith("/services/data/v60.0/query/")
    names = [record["Name"] async for record in con.query_all("SELECT Name FROM Account")]
    assert names == ACCOUNT_NAMES
    assert emu.state.count("sf-query-more") == 2
    limited = [record["Id"] async for record in con.query_all("SELECT Id FROM Account LIMIT 3")]
    assert len(limited) == 3


@pytest.mark.parametrize(
    ("soql", "error_code"),
    [
        ("SELEC Id FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name = 'Acme'", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account ORDER BY Name", "MALFORMED_QUERY"),
        ("SELECT Id, Nope FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Nope", "INVALID_TYPE"),
    ],
)
async def test_query_errors_carry_salesforce_codes(con: SalesforceConnection, soql: str, error_code: str) -> None:
    with pytest.raises(SalesforceError) as info:
        await con.query(soql)
    assert (info.value.status, info.value.error_code) == (400, error_code)
    assert info.value.code == ErrorCodes.SALESFORCE_REQUEST_FAILED
    assert_no_secret(info.value, SALESFORCE_ACCESS_TOKEN, SALESFORCE_REFRESH_TOKEN)


# --------------------------------------------------------------------------------------------------- sObjects
async def test_sobject_crud_cycle(emu: Emulator, con: SalesforceConnection) -> None:
    contacts = con.sobject("Contact")
    created = await contacts.create({"FirstName": "Katherine", "LastName": "Johnson", "AccountId": ACME})
    assert created["success"] is True
    new_id = created["id"]
    assert new_id.startswith("003")
    assert len(new_id) == 18
    record = await contacts.retrieve(new_id)
    assert (record["FirstName"], record["LastName"], record["Email"]) == ("Katherine", "Johnson", None)
    await contacts.update(new_id, {"Email": "kj@example.com"})
    assert await contacts.retrieve(new_id, fields=["Email"]) == {
        "attributes": {"type": "Contact", "url": f"/services/data/v60.0/sobjects/Contact/{new_id}"},
        "Email": "kj@example.com",
    }
    found = await con.query(f"SELECT Email FROM Contact WHERE Id = '{new_id}'")
    assert found["records"][0]["Email"] == "kj@example.com"
    await contacts.delete(new_id)
    with pytest.raises(SalesforceError) as info:
        await contacts.retrieve(new_id)
    assert (info.value.status, info.value.error_code) == (404, "NOT_FOUND")
    assert new_id not in emu.state.salesforce.records["Contact"]


async def test_describe(con: SalesforceConnection) -> None:
    described = await con.sobject("Account").describe()
    assert (described["name"], described["keyPrefix"]) == ("Account", "001")
    fields = {f["name"]: f for f in described["fields"]}
    assert {"Id", "Name", "Industry"} <= set(fields)
    assert fields["Id"]["createable"] is False


@pytest.mark.parametrize(
    ("fields", "error_code"),
    [
        ({"Industry": "x"}, "REQUIRED_FIELD_MISSING"),
        ({"Name": "x", "Nope": 1}, "INVALID_FIELD"),
        ({"Name": "x", "Id": ACME}, "INVALID_FIELD_FOR_INSERT_UPDATE"),
    ],
)
async def test_create_errors(con: SalesforceConnection, fields: dict[str, Any], error_code: str) -> None:
    with pytest.raises(SalesforceError) as info:
        await con.sobject("Account").create(fields)
    assert (info.value.status, info.value.error_code) == (400, error_code)


async def test_update_and_delete_of_unknown_records(con: SalesforceConnection) -> None:
    calls: list[Callable[[], Awaitable[Any]]] = [
        lambda: con.sobject("Account").update("001999999999999AAA", {"Name": "x"}),
        lambda: con.sobject("Account").delete("001999999999999AAA"),
        lambda: con.sobject("Nope").describe(),
    ]
    for call in calls:
        with pytest.raises(SalesforceError) as info:
            await call()
        assert (info.value.status, info.value.error_code) == (404, "NOT_FOUND")


# --------------------------------------------------------------------------------------------------- tokens
async def test_expired_token_is_refreshed_once_and_the_call_retried(emu: Emulator, con: SalesforceConnection) -> None:
    emu.state.salesforce.expire_access_tokens()
    result = await con.query("SELECT Id FROM Account LIMIT 1")
    assert result["records"][0]["Id"] == ACME
    assert routes(emu) == [("sf-query", 401), ("sf-token", 200), ("sf-query", 200)]
    assert (con.refresh_count, emu.state.salesforce.refresh_count) == (1, 1)
    await con.sobject("Account").retrieve(ACME)  # the new token keeps working
    assert emu.state.salesforce.refresh_count == 1


async def test_expiry_in_the_middle_of_paging(emu: Emulator, con: SalesforceConnection) -> None:
    emu.state.salesforce.page_size = 2
    names = []
    async for record in con.query_all("SELECT Name FROM Account"):
        names.append(record["Name"])
        if len(names) == 2:
            emu.state.salesforce.expire_access_tokens()
    assert names == ACCOUNT_NAMES
    assert ("sf-query-more", 401) in routes(emu)
    assert con.refresh_count == 1


async def test_concurrent_401s_share_one_refresh(emu: Emulator, con: SalesforceConnection) -> None:
    emu.state.salesforce.expire_access_tokens()
    results = await asyncio.gather(*(con.query("SELECT Id FROM Account") for _ in range(8)))
    assert all(r["totalSize"] == 5 for r in results)
    assert emu.state.salesforce.refresh_count == 1
    assert emu.state.count("sf-token") == 1


async def test_refresh_with_client_credentials(emu: Emulator, tb: Toolbelt) -> None:
    org = emu.state.salesforce
    org.client_id, org.client_secret = "3MVG9-connected-app", "connected-app-secret-XYZ"
    good = tb.sf_client().connect_to_salesforce(
        login_url=str(emu.base_url),
        access_token=SALESFORCE_ACCESS_TOKEN,
        refresh_token=SALESFORCE_REFRESH_TOKEN,
        client_id=org.client_id,
        client_secret=org.client_secret,
        instance_url=str(emu.base_url),
    )
    bad = tb.sf_client().connect_to_salesforce(
        login_url=str(emu.base_url),
        access_token=SALESFORCE_ACCESS_TOKEN,
        refresh_token=SALESFORCE_REFRESH_TOKEN,
        client_id=org.client_id,
        client_secret="wrong-secret-123456",
        instance_url=str(emu.base_url),
    )
    org.expire_access_tokens()
    assert (await good.query("SELECT Id FROM Account LIMIT 1"))["totalSize"] == 1
    org.expire_access_tokens()
    with pytest.raises(SalesforceAuthError) as info:
        await bad.query("SELECT Id FROM Account LIMIT 1")
    assert (info.value.code, info.value.status, info.value.error_code) == (
        ErrorCodes.SALESFORCE_AUTH_FAILED,
        400,
        "invalid_client",
    )
    assert_no_secret(info.value, "wrong-secret-123456", SALESFORCE_REFRESH_TOKEN, SALESFORCE_ACCESS_TOKEN)


async def test_refresh_moves_to_the_new_instance_url(emu: Emulator) -> None:
    async with Emulator(rate_limit=None) as moved:
        moved.state.salesforce = emu.state.salesforce  # the same org, now served by another instance
        emu.state.salesforce.instance_url = str(moved.base_url)
        config = emu.config(allowlist=(*DEFAULT_ALLOWLIST, emu.host, moved.host))
        async with Toolbelt(config) as tb:
            con = tb.sf_client().connect_to_salesforce(
                login_url=str(emu.base_url),
                access_token=SALESFORCE_ACCESS_TOKEN,
                refresh_token=SALESFORCE_REFRESH_TOKEN,
                client_id=SALESFORCE_CLIENT_ID,
                instance_url=str(emu.base_url),
            )
            emu.state.salesforce.expire_access_tokens()
            await con.query("SELECT Id FROM Account LIMIT 1")
            assert con.instance_url == str(moved.base_url)
            await con.sobject("Account").describe()
        assert routes(emu) == [("sf-query", 401), ("sf-token", 200)]
        assert routes(moved) == [("sf-query", 200), ("sf-describe", 200)]


async def test_no_refresh_token_means_auth_error(emu: Emulator, tb: Toolbelt) -> None:
    base = str(emu.base_url)
    con = tb.sf_client().connect_to_salesforce(login_url=base, access_token=SALESFORCE_ACCESS_TOKEN, instance_url=base)
    emu.state.salesforce.expire_access_tokens()
    with pytest.raises(SalesforceAuthError) as info:
        await con.query("SELECT Id FROM Account")
    assert (info.value.status, info.value.error_code) == (401, "INVALID_SESSION_ID")
    assert emu.state.count("sf-token") == 0
    assert_no_secret(info.value, SALESFORCE_ACCESS_TOKEN)


async def test_revoked_refresh_token_means_auth_error(emu: Emulator, con: SalesforceConnection) -> None:
    emu.state.salesforce.refresh_tokens.clear()
    emu.state.salesforce.expire_access_tokens()
    with pytest.raises(SalesforceAuthError) as info:
        await con.query("SELECT Id FROM Account")
    assert info.value.error_code == "invalid_grant"
    assert "expired access/refresh token" in str(info.value)
    assert routes(emu) == [("sf-query", 401), ("sf-token", 400)]
    assert_no_secret(info.value, SALESFORCE_ACCESS_TOKEN, SALESFORCE_REFRESH_TOKEN)


async def test_salesforce_hosts_must_be_allowlisted(emu: Emulator) -> None:
    # The emulator serves Salesforce too; under another name than its LivePerson services' host, it is a third party.
    base = f"http://localhost:{emu.port}"
    async with Toolbelt(emu.config(allowlist=DEFAULT_ALLOWLIST)) as tb:
        con = tb.sf_client().connect_to_salesforce(
            login_url=base, access_token=SALESFORCE_ACCESS_TOKEN, instance_url=base
        )
        with pytest.raises(ForbiddenHostError):
            await con.query("SELECT Id FROM Account")
    assert routes(emu) == []
