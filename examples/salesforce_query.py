"""Handler: look up Salesforce accounts with SOQL (one by id, or a page-following list).

The connection details come from a secret (default name ``salesforce-credentials``)::

    {"loginUrl": "https://login.salesforce.com", "accessToken": "...", "refreshToken": "...",
     "instanceUrl": "https://mydomain.my.salesforce.com", "clientId": "...", "clientSecret": "..."}

(``refreshToken``, ``instanceUrl``, ``clientId`` and ``clientSecret`` are optional; a refresh needs ``clientId``,
and API calls go to the instance URL, not the login URL). When the access token has expired, the client refreshes
it with the refresh token and retries. The Salesforce hosts must be on the allowlist
(settings.json ``whitelist``). Run it against a local emulator (which plays Salesforce too)::

    python examples/salesforce_query.py

Payload: ``accountId`` (optional: one account), ``limit`` (1-2000, default 10), ``credentialsSecret`` (optional).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from typing import Any

from lp_toolbelt import Toolbelt

DEFAULT_CREDENTIALS_SECRET = "salesforce-credentials"
_RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


def _summary(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": record.get("Id"), "name": record.get("Name"), "industry": record.get("Industry")}


async def handler(toolbelt: Toolbelt, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Accounts as ``{"id", "name", "industry"}``: one by ``accountId``, else up to ``limit``.

    Example::

        await handler(tb, {"limit": 3})                             # {"count": 3, "accounts": [...], ...}
        await handler(tb, {"accountId": "001000000000001AAA"})      # {"count": 1, "accounts": [{"name": ...}], ...}
    """
    secret_name = str(payload.get("credentialsSecret") or DEFAULT_CREDENTIALS_SECRET)
    creds = (await toolbelt.secret_client().read_secret(secret_name)).value
    if not isinstance(creds, Mapping) or not creds.get("loginUrl") or not creds.get("accessToken"):
        raise ValueError(f"secret {secret_name!r} must hold at least loginUrl and accessToken")
    con = toolbelt.sf_client().connect_to_salesforce(
        login_url=creds["loginUrl"],
        access_token=creds["accessToken"],
        refresh_token=creds.get("refreshToken"),
        instance_url=creds.get("instanceUrl"),
        client_id=creds.get("clientId"),
        client_secret=creds.get("clientSecret"),
    )

    account_id = payload.get("accountId")
    if account_id is not None:
        # Never paste unchecked input into SOQL: an id is 15 or 18 letters/digits, nothing else.
        if not isinstance(account_id, str) or not _RECORD_ID.fullmatch(account_id):
            raise ValueError("payload.accountId must be a 15- or 18-character Salesforce id")
        result = await con.query(f"SELECT Id, Name, Industry FROM Account WHERE Id = '{account_id}'")
        accounts = [_summary(r) for r in result["records"]]
    else:
        limit = payload.get("limit", 10)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 2000:
            raise ValueError("payload.limit must be an integer from 1 to 2000")
        # query_all follows nextRecordsUrl, however many pages Salesforce splits the answer into.
        accounts = [_summary(r) async for r in con.query_all(f"SELECT Id, Name, Industry FROM Account LIMIT {limit}")]
    return {"count": len(accounts), "accounts": accounts, "tokenRefreshed": con.refresh_count > 0}


async def main() -> None:
    """Run the handler against a local emulator, with an expired access token to show the refresh."""
    from lp_toolbelt.emulator import Emulator
    from lp_toolbelt.emulator.state import SALESFORCE_ACCESS_TOKEN, SALESFORCE_CLIENT_ID, SALESFORCE_REFRESH_TOKEN

    async with Emulator() as emu:
        emu.state.secrets[DEFAULT_CREDENTIALS_SECRET] = {
            "loginUrl": str(emu.salesforce_login_url),  # login host: token refreshes only
            "instanceUrl": str(emu.base_url),  # the org's instance: API calls
            "accessToken": SALESFORCE_ACCESS_TOKEN,
            "refreshToken": SALESFORCE_REFRESH_TOKEN,
            "clientId": SALESFORCE_CLIENT_ID,  # a refresh names the connected app
        }
        emu.state.salesforce.page_size = 2  # small pages, so query_all has pages to follow
        emu.state.salesforce.expire_access_tokens()
        async with Toolbelt(emu.config()) as toolbelt:
            print(json.dumps(await handler(toolbelt, {"limit": 5}), indent=2))
            print(json.dumps(await handler(toolbelt, {"accountId": "001000000000001AAA"}), indent=2))


if __name__ == "__main__":
    asyncio.run(main())
