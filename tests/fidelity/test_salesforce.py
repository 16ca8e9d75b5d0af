"""Issue 11.11 against an independent fake Salesforce: a login host and instance hosts on different ports.

As Salesforce documents its refresh-token grant: ``POST {login}/services/oauth2/token`` with ``grant_type=
refresh_token``, ``refresh_token``, ``client_id`` (and ``client_secret`` for a confidential app) answers a new
``access_token`` and the org's ``instance_url``; REST calls go to the instance, and the login host answers them
``400 URL_NOT_RESET``. A connection that could never refresh (a refresh token without ``client_id``) is refused when
it is built.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from lp_toolbelt import ErrorCodes, InvalidArgumentError, SalesforceError, Toolbelt
from lp_toolbelt.clients.salesforce import SalesforceConnection
from tests.fidelity.fakes import FakeServer, Seen, World

LOGIN = "login.salesforce.com"
INSTANCE = "acme.my.salesforce.com"
MOVED = "acme2.my.salesforce.com"
CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN = "3MVG9-connected-app", "app-secret", "5Aep-refresh"
QUERY = "/services/data/v60.0/query"
RECORDS = {"totalSize": 1, "done": True, "records": [{"Id": "001000000000001AAA", "Name": "Acme"}]}


@dataclass
class Org:
    """The org: tokens it accepts, the instance its token endpoint names, the refreshes it saw."""

    instance: str = INSTANCE
    valid: set[str] = field(default_factory=set)
    refreshes: list[dict[str, str]] = field(default_factory=list)
    _n: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def token(self, seen: Seen) -> web.StreamResponse:
        form = seen.form()
        self.refreshes.append(form)
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != REFRESH_TOKEN:
            return web.json_response({"error": "invalid_grant", "error_description": "expired"}, status=400)
        if form.get("client_id") != CLIENT_ID:
            return web.json_response(
                {"error": "invalid_client_id", "error_description": "client identifier invalid"}, status=400
            )
        if form.get("client_secret") != CLIENT_SECRET:
            return web.json_response(
                {"error": "invalid_client", "error_description": "invalid client credentials"}, status=400
            )
        token = f"00D-at-{next(self._n)}"
        self.valid.add(token)
        return web.json_response(
            {"access_token": token, "instance_url": f"http://{self.instance}", "token_type": "Bearer", "scope": "api"}
        )

    async def rest(self, seen: Seen) -> web.StreamResponse:
        if seen.headers.get("Authorization", "").removeprefix("Bearer ") not in self.valid:
            return web.json_response(
                [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], status=401
            )
        return web.json_response(RECORDS)

    async def not_here(self, seen: Seen) -> web.StreamResponse:
        return web.json_response([{"message": "Destination URL not reset", "errorCode": "URL_NOT_RESET"}], status=400)


@dataclass
class Salesforce:
    org: Org
    login: FakeServer
    instances: FakeServer
    tb: Toolbelt

    def connect(self, **options: Any) -> SalesforceConnection:
        """A connection to the org's login host that can refresh (``options`` override or add settings)."""
        settings: dict[str, Any] = {
            "login_url": f"http://{LOGIN}",
            "refresh_token": REFRESH_TOKEN,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            **options,
        }
        return self.tb.sf_client().connect_to_salesforce(**settings)


@pytest.fixture
async def sf() -> AsyncIterator[Salesforce]:
    org = Org()
    async with World() as world, FakeServer() as login, FakeServer() as instances:
        login.route("POST", "/services/oauth2/token", org.token)
        login.route("*", re.compile("/services/data/.*"), org.not_here)
        instances.route("*", re.compile("/services/data/.*"), org.rest)
        world.resolver.names.update({LOGIN: login.port, INSTANCE: instances.port, MOVED: instances.port})
        async with world.toolbelt(allowlist=(LOGIN, "*.my.salesforce.com")) as tb:
            yield Salesforce(org, login, instances, tb)


async def test_without_instance_url_the_refresh_names_the_instance_and_calls_go_there(sf: Salesforce) -> None:
    con = sf.connect(access_token="stale")
    assert await con.query("SELECT Id, Name FROM Account") == RECORDS
    assert await con.query("SELECT Id FROM Account") == RECORDS
    assert sf.org.refreshes == [
        {
            "grant_type": "refresh_token",
            "refresh_token": REFRESH_TOKEN,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
    ]
    assert [s.path for s in sf.login.requests] == ["/services/oauth2/token"]  # the login host: the token only
    assert [(s.host, s.path) for s in sf.instances.requests] == [(INSTANCE, QUERY)] * 2
    assert con.instance_url == f"http://{INSTANCE}"


async def test_a_401_refreshes_and_retries_at_the_instance_the_token_answer_names(sf: Salesforce) -> None:
    sf.org.instance = MOVED  # the org moved: the next token answer names its new instance
    con = sf.connect(instance_url=f"http://{INSTANCE}", access_token="expired")
    assert await con.query("SELECT Id FROM Account") == RECORDS
    assert [s.host for s in sf.instances.requests] == [INSTANCE, MOVED]
    assert [s.headers["Authorization"] for s in sf.instances.requests] == ["Bearer expired", "Bearer 00D-at-1"]
    assert [s.path for s in sf.login.requests] == ["/services/oauth2/token"]
    assert len(sf.org.refreshes) == 1


async def test_a_valid_token_and_instance_url_need_no_login_host(sf: Salesforce) -> None:
    sf.org.valid.add("fresh")
    con = sf.tb.sf_client().connect_to_salesforce(
        login_url=f"http://{LOGIN}", instance_url=f"http://{INSTANCE}", access_token="fresh"
    )
    assert await con.query("SELECT Id FROM Account") == RECORDS
    assert sf.login.requests == []


async def test_the_login_host_is_called_only_when_passed_as_instance_url(sf: Salesforce) -> None:
    con = sf.tb.sf_client().connect_to_salesforce(
        login_url=f"http://{LOGIN}", instance_url=f"http://{LOGIN}", access_token="fresh"
    )
    with pytest.raises(SalesforceError) as info:  # the login host answers as Salesforce's does
        await con.query("SELECT Id FROM Account")
    assert (info.value.status, info.value.details["errorCode"]) == (400, "URL_NOT_RESET")
    assert [(s.host, s.path) for s in sf.login.requests] == [(LOGIN, QUERY)]
    assert sf.instances.requests == []


@pytest.mark.parametrize("client_id", [None, ""])
async def test_a_refresh_token_without_client_id_is_refused_when_the_connection_is_built(
    sf: Salesforce, client_id: str | None
) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        sf.tb.sf_client().connect_to_salesforce(
            login_url=f"http://{LOGIN}", access_token="at", refresh_token=REFRESH_TOKEN, client_id=client_id
        )
    assert info.value.code == ErrorCodes.SALESFORCE_INVALID_ARGUMENT
    assert "client_id" in info.value.message
    assert REFRESH_TOKEN not in str(info.value)
    assert sf.login.requests == sf.instances.requests == []
