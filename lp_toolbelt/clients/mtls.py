"""mTLS with your own certificate (Functions V2's ``MTLSClient``): the HTTP client's API over one SSL context.

``tb.mtls_client(cert=..., key=..., ca=None)`` builds one ``ssl.SSLContext`` from a PEM client certificate (chain)
and private key — each given as PEM text, bytes or a file path — and, for a server whose certificate no public CA
signed, the CA to trust instead of the system's. A bad key raises ``mtls.invalid-key``, a bad certificate or CA (or a
certificate that does not match the key) ``mtls.invalid-cert``, when the client is built, before any I/O. The
client then has the HTTP client's ``request`` / ``get`` / ``post`` / ``put`` / ``patch`` / ``delete``: the
allowlist, the shared rate limiter, the retries and the deadlines apply as for ``tb.http_client()``; a request that
gets no answer raises ``mtls.general-issue``, one past its deadline ``mtls.request-timeout``.

**One session, a context per request.** The context travels in :attr:`Request.tls
<lp_toolbelt.transport.request.Request.tls>` and the sender hands it to aiohttp as ``ssl=`` on the Toolbelt's one
session, rather than through a session and connector of the client's own. So the one send path (allowlist, limiter,
retries, redirects, deadlines, the ``Sender`` seam tests replace) serves mTLS unchanged, and there is nothing more to
close: a dropped client leaks no connector. aiohttp keys its connection pool by the SSL context, so a connection
opened with the client certificate is reused by this client's requests only, never by a request without it.

**Key material stays in memory.** ``SSLContext.load_cert_chain`` reads files only, so the PEM goes, once, to an
anonymous memory file (Linux ``memfd_create``: no name, never on disk, closed right after loading) or, where there is
none, to a temporary file created with mode 0600 and deleted right after loading. The client keeps the context, not
the PEM; neither the key nor the certificate appears in a ``repr``, an error or a log. An encrypted key needs
``password=`` (OpenSSL never prompts). LivePerson's ``allowSelfSigned`` (no verification) is not offered: pass the
server's CA as ``ca``.

Example::

    partner = tb.mtls_client(cert=pem_cert, key=pem_key, ca=partner_ca_pem)
    resp = await partner.post("https://api.partner.example/orders", json={"id": 42}, raise_for_status=True)
"""

from __future__ import annotations

import contextlib
import os
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final, TypeAlias

from ..errors import (
    ErrorCodes,
    InvalidArgumentError,
    RequestTimeoutError,
    StatusErrors,
    ToolbeltError,
    TransportError,
)
from ..transport.send import Transport
from .http import HttpClient

__all__ = ["COMPONENT", "MtlsClient", "PemSource", "client_ssl_context", "mtls_transport_error"]

COMPONENT: Final = "MTLSClient"
MTLS_STATUS_ERRORS: Final = StatusErrors(COMPONENT, ErrorCodes.HTTP_STATUS)

PemSource: TypeAlias = str | bytes | os.PathLike[str]
"""PEM text (a ``str`` holding ``-----BEGIN``), PEM bytes, or the path of a PEM file (``str`` or ``Path``)."""

_MEMFD_DIR: Final = "/proc/self/fd"


def _invalid(code: str, message: str) -> InvalidArgumentError:
    return InvalidArgumentError(COMPONENT, code, message)


def _pem(source: object, what: str, code: str) -> bytes:
    """The PEM bytes of ``source`` (text, bytes, or a file read now)."""
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if isinstance(source, str) and "-----BEGIN" in source:
        return source.encode("utf-8")
    if isinstance(source, str | os.PathLike):
        try:
            return Path(source).read_bytes()
        except (OSError, ValueError):
            pass
        # Raised outside the except on purpose: the OSError names the "path", which may be a mistyped key.
        raise _invalid(code, f"the {what} is neither PEM text nor the path of a readable file")
    raise _invalid(code, f"{what} must be PEM text, PEM bytes or the path of a PEM file")


def _check_certificates(pem: bytes, what: str) -> str:
    """The PEM text if it holds at least one certificate OpenSSL parses; ``mtls.invalid-cert`` otherwise."""
    try:
        text = pem.decode("ascii")
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=text)
    except (UnicodeDecodeError, ssl.SSLError, ValueError) as err:
        raise _invalid(ErrorCodes.MTLS_INVALID_CERT, f"the {what} is not a PEM certificate OpenSSL can load") from err
    return text


@contextlib.contextmanager
def _private_file(data: bytes) -> Iterator[str]:
    """A path holding ``data`` for as long as the block runs: a memfd, else a 0600 temporary file; gone after."""
    memfd = getattr(os, "memfd_create", None)
    if memfd is not None and os.path.isdir(_MEMFD_DIR):
        fd = memfd("lp-toolbelt-mtls", getattr(os, "MFD_CLOEXEC", 0))
        try:
            _write_all(fd, data)
            yield f"{_MEMFD_DIR}/{fd}"
        finally:
            os.close(fd)
        return
    fd, path = tempfile.mkstemp(prefix="lp-toolbelt-mtls-", suffix=".pem")  # mode 0600, owner only
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def client_ssl_context(
    cert: PemSource,
    key: PemSource,
    ca: PemSource | None = None,
    *,
    password: str | bytes | None = None,
) -> ssl.SSLContext:
    """A client ``SSLContext`` presenting ``cert`` (with its chain) and ``key``, trusting ``ca`` (else the system's
    CAs), TLS 1.2 or later, hostnames checked. No network I/O; raises ``mtls.invalid-cert`` / ``mtls.invalid-key``.

    Example::

        context = client_ssl_context(Path("client.pem"), Path("client.key"), ca=Path("partner-ca.pem"))
    """
    cert_pem = _pem(cert, "certificate", ErrorCodes.MTLS_INVALID_CERT)
    key_pem = _pem(key, "private key", ErrorCodes.MTLS_INVALID_KEY)
    _check_certificates(cert_pem, "certificate")
    if b"PRIVATE KEY-----" not in key_pem:
        raise _invalid(ErrorCodes.MTLS_INVALID_KEY, "the private key is not a PEM private key")
    ca_text = None if ca is None else _check_certificates(_pem(ca, "CA", ErrorCodes.MTLS_INVALID_CERT), "CA")
    if password is not None and not isinstance(password, str | bytes):
        raise _invalid(ErrorCodes.MTLS_INVALID_KEY, "password must be str or bytes")
    context = ssl.create_default_context(cadata=ca_text)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    secret = password if password is not None else b""  # a callable: OpenSSL must never prompt on a terminal
    try:
        with _private_file(cert_pem + b"\n" + key_pem) as path:
            context.load_cert_chain(path, password=lambda: secret)
    except ssl.SSLError as err:
        if err.reason == "KEY_VALUES_MISMATCH":
            raise _invalid(ErrorCodes.MTLS_INVALID_CERT, "the certificate does not match the private key") from err
        raise _invalid(
            ErrorCodes.MTLS_INVALID_KEY, "the private key does not load (not PEM, or encrypted: check password)"
        ) from err
    except (ValueError, OSError) as err:
        raise _invalid(ErrorCodes.MTLS_INVALID_KEY, f"the private key does not load ({type(err).__name__})") from err
    return context


def mtls_transport_error(err: TransportError, component: str) -> ToolbeltError:
    """A transport failure of an mTLS request with the mTLS codes: past the deadline → ``mtls.request-timeout``,
    no answer → ``mtls.general-issue``; others (an oversized answer) keep theirs."""
    if isinstance(err, RequestTimeoutError):
        return RequestTimeoutError(component, ErrorCodes.MTLS_REQUEST_TIMEOUT, err.message)
    if err.code == ErrorCodes.HTTP_OP_FAILED:
        return TransportError(component, ErrorCodes.MTLS_GENERAL_ISSUE, err.message)
    return err


class MtlsClient(HttpClient):
    """The HTTP client's API with a client certificate (see the module docstring); one context, reused.

    Example::

        resp = await tb.mtls_client(cert=cert_pem, key=key_pem).get("https://api.partner.example/status")
    """

    _component = COMPONENT
    _status_errors = MTLS_STATUS_ERRORS

    def __init__(self, transport: Transport, context: ssl.SSLContext) -> None:
        super().__init__(transport)
        self._tls: ssl.SSLContext = context

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The client's one SSL context (certificate and key loaded; the PEM is not kept)."""
        return self._tls

    def _transport_error(self, err: TransportError) -> ToolbeltError:
        return mtls_transport_error(err, COMPONENT)

    def __repr__(self) -> str:
        return "MtlsClient()"
