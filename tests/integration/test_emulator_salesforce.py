"""The emulated Salesforce behaves as Salesforce does, checked with a raw aiohttp client (not our client).

From the contract (liveperson-surface.md, "Salesforce Client") and Salesforce's documentation: the refresh-token
grant at ``{loginUrl}/services/oauth2/token`` takes ``client_id`` (without it Salesforce answers ``400
{"error": "invalid_client_id", "error_description": "client identifier invalid"}``); the token answer's
``instance_url`` is where API calls go, not the login host, which answers an API call with ``400
URL_NOT_RESET``. In the emulator the login URL is ``http://localhost:PORT``, the instance ``http://127.0.0.1:PORT``.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from yarl import URL

from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.state import SALESFORCE_ACCESS_TOKEN, SALESFORCE_CLIENT_ID, SALESFORCE_REFRESH_TOKEN

QUERY = "/services/data/v60.0/query"
FORBIDDEN_BODY = "You do not have access to the page or resource you are trying to reach"
NO_CLIENT = {"error": "invalid_client_id", "error_description": "client identifier invalid"}


@pytest.fixture
def session(raw_session: aiohttp.ClientSession) -> aiohttp.ClientSession:
    return raw_session


async def refresh(session: aiohttp.ClientSession, login: URL, **form: str) -> tuple[int, Any]:
    data = {"grant_type": "refresh_token", "refresh_token": SALESFORCE_REFRESH_TOKEN, **form}
    async with session.post(login / "services/oauth2/token", data=data) as resp:
        return resp.status, await resp.json()


async def query(session: aiohttp.ClientSession, base: URL, token: str) -> tuple[int, Any]:
    url = URL(str(base) + QUERY).with_query(q="SELECT Id FROM Account LIMIT 1")
    async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.json()


async def test_login_and_instance_are_different_hosts(emu: Emulator) -> None:
    login = emu.salesforce_login_url
    assert login.host == "localhost"
    assert login.port == emu.port
    assert login != emu.base_url


@pytest.mark.parametrize("form", [{}, {"client_id": ""}, {"client_id": "someone-else"}])
async def test_a_refresh_needs_the_apps_client_id(
    emu: Emulator, session: aiohttp.ClientSession, form: dict[str, str]
) -> None:
    assert await refresh(session, emu.salesforce_login_url, **form) == (400, NO_CLIENT)
    assert emu.state.salesforce.refresh_count == 0


async def test_a_refresh_answers_an_instance_url_other_than_the_login_url(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    login = emu.salesforce_login_url
    status, body = await refresh(session, login, client_id=SALESFORCE_CLIENT_ID)
    assert status == 200
    assert body["token_type"] == "Bearer"
    instance = URL(body["instance_url"])
    assert instance == emu.base_url
    assert instance.host != login.host
    status, page = await query(session, instance, body["access_token"])
    assert (status, page["totalSize"]) == (200, 1)


@pytest.mark.parametrize("with_token", [True, False])
async def test_an_api_call_at_the_login_host_fails_as_salesforce_does(
    emu: Emulator, session: aiohttp.ClientSession, with_token: bool
) -> None:
    token = SALESFORCE_ACCESS_TOKEN if with_token else "nothing"
    status, body = await query(session, emu.salesforce_login_url, token)
    assert status == 400
    assert body == [
        {"message": "Destination URL not reset. The URL returned from login must be set", "errorCode": "URL_NOT_RESET"}
    ]
    assert (await query(session, emu.base_url, SALESFORCE_ACCESS_TOKEN))[0] == 200  # the same token, at the instance


async def test_the_instance_host_accepts_a_refresh_too(emu: Emulator, session: aiohttp.ClientSession) -> None:
    status, body = await refresh(session, emu.base_url, client_id=SALESFORCE_CLIENT_ID)
    assert (status, body["instance_url"]) == (200, str(emu.base_url))


async def test_a_confidential_app_needs_its_secret(emu: Emulator, session: aiohttp.ClientSession) -> None:
    emu.state.salesforce.client_secret = "app-secret-0123456789"
    login = emu.salesforce_login_url
    status, body = await refresh(session, login, client_id=SALESFORCE_CLIENT_ID, client_secret="wrong")
    assert (status, body["error"]) == (400, "invalid_client")
    status, _ = await refresh(session, login, client_id=SALESFORCE_CLIENT_ID, client_secret="app-secret-0123456789")
    assert status == 200


async def test_the_login_host_is_not_on_the_default_allowlist(session: aiohttp.ClientSession) -> None:
    async with Emulator({"secrets": {}, "whitelist": []}, rate_limit=None) as emu:
        url = emu.salesforce_login_url / "services/oauth2/token"
        form = {"grant_type": "refresh_token", "refresh_token": SALESFORCE_REFRESH_TOKEN, "client_id": "x"}
        async with session.post(url, data=form) as resp:
            assert (resp.status, await resp.text()) == (403, FORBIDDEN_BODY)
        emu.state.whitelist.append(f"localhost:{emu.port}")  # as a user whitelists login.salesforce.com
        assert (await refresh(session, emu.salesforce_login_url, client_id=SALESFORCE_CLIENT_ID))[0] == 200
