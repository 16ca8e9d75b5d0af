from collections.abc import Mapping

from . import signature as signature
from . import utils as utils

class Client:
    client_key: str
    client_secret: str | None
    resource_owner_key: str | None
    resource_owner_secret: str | None
    signature_method: str
    nonce: str | None
    timestamp: str | None
    def __init__(
        self,
        client_key: str,
        client_secret: str | None = None,
        resource_owner_key: str | None = None,
        resource_owner_secret: str | None = None,
        callback_uri: str | None = None,
        signature_method: str = "HMAC-SHA1",
        signature_type: str = "AUTH_HEADER",
        rsa_key: str | None = None,
        verifier: str | None = None,
        realm: str | None = None,
        encoding: str = "utf-8",
        decoding: str | None = None,
        nonce: str | None = None,
        timestamp: str | None = None,
    ) -> None: ...
    def sign(
        self,
        uri: str,
        http_method: str = "GET",
        body: str | bytes | Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        realm: str | None = None,
    ) -> tuple[str, dict[str, str], str | None]: ...
