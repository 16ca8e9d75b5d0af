"""GDPRUtil against the emulated Swift: one auth per run, bounded concurrency, re-auth once, no silent skips."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lp_toolbelt import Conversation, ErrorCodes, Toolbelt
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.routes.msghist import FIXTURE_CONVERSATION_ID, add_conversation
from lp_toolbelt.errors import AuthenticationError, InvalidArgumentError
from lp_toolbelt.transport.limiter import RateLimiter
from lp_toolbelt.transport.response import HttpResponse
from lp_toolbelt.transport.send import Request
from lp_toolbelt.utils.gdpr import DEFAULT_REPLACEMENT_FILE, ReplaceFilesError

CREDENTIALS = {"username": "swift-user", "password": "swift-key"}


async def conversation_with_files(emu: Emulator, tb: Toolbelt, files: int, **extra: Any) -> Conversation:
    messages: list[str | dict[str, Any]] = []
    for i in range(files):
        messages.append(f"text {i}")
        messages.append({"caption": f"file {i}", "content": f"original {i}".encode(), **extra})
    conv_id = add_conversation(emu.state, messages)
    return await tb.conversation_util().get_conversation_by_id(conv_id)


def hosted_paths(conv: Conversation) -> list[str]:
    record = conv.first_record
    assert record is not None
    return [p for m in record.message_records or [] if (p := m.relative_path) is not None]


async def test_replaces_every_file_with_the_default_png_using_one_token(emu: Emulator, tb: Toolbelt) -> None:
    conv = await conversation_with_files(emu, tb, 20)
    paths = hosted_paths(conv)
    emu.state.clear_requests()
    replaced = await tb.gdpr_util().replace_conversation_files(conv, CREDENTIALS)
    assert replaced == paths
    assert all(emu.state.swift_files[p] == (DEFAULT_REPLACEMENT_FILE[0], "image/png") for p in paths)
    assert emu.state.count("swift_auth") == 1
    assert len(emu.state.swift_tokens) == 1  # one token, reused by every PUT
    puts = [r for r in emu.state.requests if r.route == "swift_object"]
    assert len(puts) == 20
    assert {r.method for r in puts} == {"PUT"}
    assert all(r.status == 201 for r in puts)


async def test_filter_and_custom_replacement_and_read_back(emu: Emulator, tb: Toolbelt) -> None:
    conv = await conversation_with_files(emu, tb, 4)
    paths = hosted_paths(conv)
    keep = {p: emu.state.swift_files[p] for p in paths[2:]}
    replaced = await tb.gdpr_util().replace_conversation_files(
        conv,
        CREDENTIALS,
        should_replace=lambda p: p in paths[:2],
        replacement_file=(b"%PDF-redacted", "application/pdf"),
    )
    assert replaced == paths[:2]
    assert {p: emu.state.swift_files[p] for p in paths[2:]} == keep  # untouched

    # The bytes are readable back through Swift with a token of our own.
    http = tb.http_client()
    auth = await http.get(
        f"http://{emu.host}/auth/v1.0", headers={"X-Auth-User": "swift-user", "X-Auth-Key": "swift-key"}
    )
    token = auth.headers["X-Auth-Token"]
    stored = await http.get(f"http://{emu.host}{paths[0]}", headers={"X-Auth-Token": token})
    assert (stored.status, stored.content, stored.content_type) == (200, b"%PDF-redacted", "application/pdf")
    untouched = await http.get(f"http://{emu.host}{paths[3]}", headers={"X-Auth-Token": token})
    assert untouched.content == b"original 3"
    refused = await http.get(f"http://{emu.host}{paths[0]}", headers={"X-Auth-Token": "forged"})
    missing = await http.get(f"http://{emu.host}/v1/AUTH_x/none.png", headers={"X-Auth-Token": token})
    assert (refused.status, missing.status) == (401, 404)


async def test_concurrency_is_bounded_and_every_request_uses_the_shared_limiter(emu: Emulator) -> None:
    class CountingLimiter:
        def __init__(self) -> None:
            self.acquired = 0

        async def acquire(self) -> None:
            self.acquired += 1

        async def aclose(self) -> None:
            return None

    limiter = CountingLimiter()
    limiter_protocol: RateLimiter = limiter
    async with Toolbelt(emu.config(), limiter=limiter_protocol) as tb:
        conv = await conversation_with_files(emu, tb, 12)
        before = limiter.acquired
        in_flight = peak = 0
        original = tb.transport.send

        async def counting_send(request: Request, **kw: Any) -> HttpResponse:
            nonlocal in_flight, peak
            is_put = request.method == "PUT"
            in_flight += is_put
            peak = max(peak, in_flight)
            try:
                return await original(request, **kw)
            finally:
                in_flight -= is_put

        tb.transport.send = counting_send  # type: ignore[method-assign]
        emu.state.faults.add("swift_object", "latency", delay=0.05, times=None)
        replaced = await tb.gdpr_util(concurrency=3).replace_conversation_files(conv, CREDENTIALS)
        assert len(replaced) == 12
        assert peak == 3
        assert limiter.acquired - before == 1 + 12  # the auth and every PUT went through the shared limiter

        peak = 0
        await tb.gdpr_util().replace_conversation_files(conv, CREDENTIALS, concurrency=1)
        assert peak == 1


async def test_swift_401_re_authenticates_and_retries_the_refused_put(emu: Emulator, tb: Toolbelt) -> None:
    conv = await conversation_with_files(emu, tb, 6)
    emu.state.faults.add("swift_object", "status", status=401, body="token expired")
    replaced = await tb.gdpr_util(concurrency=1).replace_conversation_files(conv, CREDENTIALS)
    assert replaced == hosted_paths(conv)
    assert emu.state.count("swift_auth") == 2
    assert emu.state.count("swift_object") == 6 + 1


async def test_concurrent_401s_share_one_re_authentication(emu: Emulator, tb: Toolbelt) -> None:
    conv = await conversation_with_files(emu, tb, 6)
    original = tb.transport.send
    auths = 0

    async def expiring_send(request: Request, **kw: Any) -> HttpResponse:
        nonlocal auths
        resp = await original(request, **kw)
        if request.url.path == "/auth/v1.0":
            auths += 1
            if auths == 1:
                emu.state.swift_tokens.clear()  # the first token is dead on arrival
        return resp

    tb.transport.send = expiring_send  # type: ignore[method-assign]
    replaced = await tb.gdpr_util(concurrency=3).replace_conversation_files(conv, CREDENTIALS)
    assert replaced == hosted_paths(conv)
    assert auths == 2  # three PUTs were refused at once; one re-authentication served them all
    statuses = sorted(r.status or 0 for r in emu.state.requests if r.route == "swift_object")
    assert statuses == [201] * 6 + [401] * 3


async def test_token_revoked_mid_run_is_renewed_by_the_real_swift_route(emu: Emulator, tb: Toolbelt) -> None:
    conv = await conversation_with_files(emu, tb, 4)
    original = tb.transport.send
    puts = 0

    async def revoking_send(request: Request, **kw: Any) -> HttpResponse:
        nonlocal puts
        resp = await original(request, **kw)
        if request.method == "PUT":
            puts += 1
            if puts == 2:
                emu.state.swift_tokens.clear()  # the token expires after the second file
        return resp

    tb.transport.send = revoking_send  # type: ignore[method-assign]
    replaced = await tb.gdpr_util(concurrency=1).replace_conversation_files(conv, CREDENTIALS)
    assert replaced == hosted_paths(conv)
    statuses = [r.status for r in emu.state.requests if r.route == "swift_object"]
    assert statuses == [201, 201, 401, 201, 201]
    assert emu.state.count("swift_auth") == 2
    assert all(emu.state.swift_files[p][0] == DEFAULT_REPLACEMENT_FILE[0] for p in replaced)


async def test_persistent_401_fails_every_file_after_one_re_auth(emu: Emulator, tb: Toolbelt) -> None:
    conv = await conversation_with_files(emu, tb, 4)
    emu.state.faults.add("swift_object", "status", status=401, times=None)
    with pytest.raises(ReplaceFilesError) as info:
        await tb.gdpr_util().replace_conversation_files(conv, CREDENTIALS)
    err = info.value
    assert err.code == ErrorCodes.GDPR_REPLACE_FILE_FAILED
    assert err.details["replaced"] == []
    assert err.details["failed"] == hosted_paths(conv)
    assert err.status == 401
    assert emu.state.count("swift_auth") == 2


async def test_partial_failure_lists_replaced_and_failed_paths(emu: Emulator, tb: Toolbelt) -> None:
    conv = await conversation_with_files(emu, tb, 5)
    paths = hosted_paths(conv)
    emu.state.faults.add("swift_object", "status", status=500, times=2, body="disk full")
    with pytest.raises(ReplaceFilesError) as info:
        await tb.gdpr_util(concurrency=1).replace_conversation_files(conv, CREDENTIALS)
    err = info.value
    assert err.code == ErrorCodes.GDPR_REPLACE_FILE_FAILED
    assert err.failed == paths[:2]  # concurrency 1: the first two PUTs met the fault
    assert err.replaced == paths[2:]
    assert sorted(err.failed + err.replaced) == sorted(paths)  # nothing skipped
    assert set(err.reasons) == set(paths[:2])
    assert "disk full" in err.reasons[paths[0]]
    assert err.status == 500
    assert "swift-key" not in str(err)
    assert "swift-key" not in repr(err)
    assert all(emu.state.swift_files[p][0] == DEFAULT_REPLACEMENT_FILE[0] for p in paths[2:])
    assert all(emu.state.swift_files[p][0] != DEFAULT_REPLACEMENT_FILE[0] for p in paths[:2])


async def test_invalid_paths_are_reported_not_skipped(emu: Emulator, tb: Toolbelt) -> None:
    conv_id = add_conversation(
        emu.state,
        [{"relativePath": "/v1/AUTH_a/ok.png"}, {"relativePath": "//evil.example.com/x"}, {"relativePath": "/v1/../x"}],
    )
    conv = await tb.conversation_util().get_conversation_by_id(conv_id)
    with pytest.raises(ReplaceFilesError) as info:
        await tb.gdpr_util().replace_conversation_files(conv, CREDENTIALS)
    assert info.value.replaced == ["/v1/AUTH_a/ok.png"]
    assert info.value.failed == ["//evil.example.com/x", "/v1/../x"]
    assert info.value.status is None


async def test_wrong_credentials_fail_before_any_put(emu: Emulator, tb: Toolbelt) -> None:
    conv = await conversation_with_files(emu, tb, 2)
    before = dict(emu.state.swift_files)
    with pytest.raises(AuthenticationError) as info:
        await tb.gdpr_util().replace_conversation_files(conv, {"username": "swift-user", "password": "nope-SECRET"})
    assert info.value.code == ErrorCodes.GDPR_AUTH_FAILED
    assert info.value.status == 401
    assert "nope-SECRET" not in str(info.value)
    assert emu.state.count("swift_object") == 0
    assert emu.state.swift_files == before


async def test_no_hosted_files_means_no_swift_traffic(emu: Emulator, tb: Toolbelt) -> None:
    conv = await tb.conversation_util().get_conversation_by_id(FIXTURE_CONVERSATION_ID)
    assert await tb.gdpr_util().replace_conversation_files(conv, CREDENTIALS) == []
    assert await tb.gdpr_util().replace_conversation_files({"conversationHistoryRecords": []}, CREDENTIALS) == []
    assert emu.state.count("swift_auth") == 0


@pytest.mark.parametrize(
    ("credentials", "replacement", "concurrency"),
    [
        ({"username": "u"}, None, None),
        ({"username": "", "password": "p"}, None, None),
        (CREDENTIALS, (b"x",), None),
        (CREDENTIALS, ("not bytes", "text/plain"), None),
        (CREDENTIALS, None, 0),
    ],
)
async def test_bad_arguments_fail_before_any_request(
    emu: Emulator, tb: Toolbelt, credentials: Any, replacement: Any, concurrency: Any
) -> None:
    conv = {
        "conversationHistoryRecords": [
            {"messageRecords": [{"type": "HOSTED_FILE", "messageData": {"file": {"relativePath": "/v1/AUTH_a/x"}}}]}
        ]
    }
    with pytest.raises(InvalidArgumentError) as info:
        await tb.gdpr_util().replace_conversation_files(conv, credentials, None, replacement, concurrency=concurrency)
    assert info.value.code == ErrorCodes.GDPR_GENERAL
    assert emu.state.requests == []


async def test_record_without_messages_is_a_general_error(tb: Toolbelt) -> None:
    with pytest.raises(InvalidArgumentError):
        await tb.gdpr_util().replace_conversation_files({"conversationHistoryRecords": [{"info": {}}]}, CREDENTIALS)


async def test_cancellation_stops_the_run(emu: Emulator, tb: Toolbelt) -> None:
    conv = await conversation_with_files(emu, tb, 4)
    emu.state.faults.add("swift_object", "stall", seconds=5, times=None)
    original = tb.transport.send
    started = asyncio.Event()

    async def signalling_send(request: Request, **kw: Any) -> HttpResponse:
        if request.method == "PUT":
            started.set()
        return await original(request, **kw)

    tb.transport.send = signalling_send  # type: ignore[method-assign]
    task = asyncio.create_task(tb.gdpr_util().replace_conversation_files(conv, CREDENTIALS))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert all(content[1] != "image/png" for content in emu.state.swift_files.values())
