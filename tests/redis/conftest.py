"""A real ``redis-server`` for the Redis backend tests: started on 127.0.0.1 and a free port, stopped after.

The binary comes from the Debian package ``redis-server`` (``make redis-server`` installs it). Without it the tests
skip with the reason — except under ``CI=true``, where a missing binary (or a missing ``redis`` package) fails them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

STARTUP_TIMEOUT = 10.0


def _require(what: str, hint: str) -> None:
    message = f"{what} is not available: {hint}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the Redis tests must run)")
    pytest.skip(message)


def require_redis_package() -> None:
    """Skip the calling test module (fail it under CI) when the ``redis`` package is not installed."""
    try:
        import redis  # noqa: F401 - the optional extra the backend needs
    except ImportError:
        message = "the redis package is not installed: pip install 'lp-toolbelt[redis]'"
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(message, allow_module_level=True)


def redis_binary() -> str:
    """The redis-server path, or skip/fail (see the module docstring)."""
    path = shutil.which("redis-server")
    if path is None:
        _require("the redis-server binary", "run `make redis-server` (apt-get install redis-server)")
    assert path is not None
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_command(port: int, *args: str, timeout: float = 1.0) -> bytes:
    """Send one command over a plain socket (RESP) and return the raw first reply line."""
    payload = f"*{len(args)}\r\n".encode() + b"".join(
        f"${len(a.encode())}\r\n".encode() + a.encode() + b"\r\n" for a in args
    )
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
        return reply


class RedisServer:
    """One redis-server process on 127.0.0.1:``port`` (no persistence). ``kill()`` then ``start()`` restarts it
    on the same port."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.process is None, "already running"
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = (self.workdir / "redis.log").open("ab")
        with log:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.workdir),
                    "--daemonize",
                    "no",
                    "--loglevel",
                    "warning",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self.process.poll() is not None:
                text = (self.workdir / "redis.log").read_text(errors="replace")[-2000:]
                self.process = None
                raise RuntimeError(f"redis-server exited at start:\n{text}")
            try:
                if redis_command(self.port, "PING").startswith(b"+PONG"):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("redis-server did not answer PING in time")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: the server vanishes mid-run (no graceful shutdown)."""
        process, self.process = self.process, None
        if process is not None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def flush(self) -> None:
        assert redis_command(self.port, "FLUSHALL").startswith(b"+OK")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """The shared redis-server of the session (flushed before each test by ``redis_url``)."""
    server = RedisServer(redis_binary(), tmp_path_factory.mktemp("redis-shared"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of the shared, freshly flushed redis-server."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def redis_factory(tmp_path: Path) -> Iterator[Callable[[], RedisServer]]:
    """Start dedicated redis-servers (for tests that kill them); all are stopped after the test."""
    binary = redis_binary()
    servers: list[RedisServer] = []

    def make() -> RedisServer:
        server = RedisServer(binary, tmp_path / f"redis-{len(servers)}")
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()
