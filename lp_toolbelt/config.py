"""ToolbeltConfig: everything a Toolbelt needs to know, frozen, read from the environment by ``from_env``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import _constants as C
from .errors import ConfigurationError, ErrorCodes

__all__ = ["ToolbeltConfig", "context_zone_host"]


def _default_secrets_file() -> Path | None:
    path = Path(C.DEFAULT_SECRETS_FILE)
    return path if path.is_file() else None


class ToolbeltConfig(BaseModel):
    """Configuration of one :class:`~lp_toolbelt.Toolbelt` (frozen; build a new one to change it).

    All fields are optional. ``from_env()`` reads the variables a LivePerson function runs with.
    Secret values never appear in ``repr()``.

    Example::

        config = ToolbeltConfig(account_id="12345678", secrets={"my-key": {"a": 1}})
        config = ToolbeltConfig.from_env(rate_limit=10)
    """

    # hide_input_in_errors: a rejected value may be a secret; no error (chained or not) repeats it.
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=False, hide_input_in_errors=True)

    account_id: str | None = Field(default=None, description="LivePerson account (brand) id.")
    csds_domain: str = Field(default=C.DEFAULT_CSDS_DOMAIN, description="CSDS host or host:port.")
    scheme: Literal["https", "http"] = Field(
        default=C.DEFAULT_SCHEME, description="'http' exists for local emulators and tests."
    )
    allowlist: tuple[str, ...] = Field(
        default=(),
        description="Extra hosts the proxy lets through ('host', 'host:port' or '*.domain'), added to LivePerson's "
        "default (the hosts CSDS gives the account for the default services) and the secrets file's whitelist.",
    )
    trace_propagation_hosts: tuple[str, ...] = Field(
        default=(),
        description="Hosts that receive the OpenTelemetry trace context (traceparent), same entries as allowlist; "
        "none by default: a third party never learns your trace ids.",
    )
    enforce_allowlist: bool = Field(
        default=True,
        description="False lets requests reach any host: only for services that run behind no proxy (see README).",
    )
    proxy: str | None = Field(
        default=None,
        repr=False,
        description="Egress proxy URL for every request; None: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (if trust_env).",
    )
    trust_env: bool = Field(default=True, description="Read HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment.")
    rate_limit: float = Field(default=C.DEFAULT_RATE_LIMIT, gt=0, description="Requests per second.")
    secrets_file: Path | None = Field(
        default_factory=_default_secrets_file,
        description="A LivePerson Functions CLI settings.json (secrets + whitelist).",
    )
    secrets: Mapping[str, Any] | None = Field(
        default=None, repr=False, description="In-memory secret store; wins over the file."
    )
    timeout: float = Field(default=C.DEFAULT_TIMEOUT, gt=0, description="Seconds for one call, retries included.")
    max_retries: int = Field(default=C.DEFAULT_MAX_RETRIES, ge=0, le=20)
    retry_backoff_base: float = Field(default=C.RETRY_BACKOFF_BASE, ge=0)
    retry_backoff_cap: float = Field(default=C.RETRY_BACKOFF_CAP, ge=0)
    function_uuid: str | None = Field(default=None, description="The function's id, sent as User-Agent.")
    context_domain: str | None = Field(
        default=None,
        description="Context Session Store host, e.g. 'z1.context.liveperson.net'; default: CSDS 'mavenContext'.",
    )
    rate_limit_backend: Literal["local", "redis"] = Field(
        default="local",
        description="'redis' shares the rate cap between processes (extra lp-toolbelt[redis]).",
    )
    redis_url: str | None = Field(default=None, repr=False, description="Redis URL for the 'redis' backend.")
    expected_workers: int = Field(
        default=1, ge=1, description="Processes sharing the cap; the Redis fallback uses rate_limit / this."
    )

    if not TYPE_CHECKING:

        def __init__(self, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as err:
                raise _config_error(err) from err

    @field_validator("csds_domain")
    @classmethod
    def _check_host(cls, value: str) -> str:
        value = value.strip()
        if not value or "/" in value or "@" in value or " " in value:
            raise ValueError("must be a host or host:port, without scheme or path")
        return value

    @field_validator("allowlist", "trace_propagation_hosts", mode="before")
    @classmethod
    def _split_allowlist(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> ToolbeltConfig:
        """Build a config from the function's environment; keyword overrides win.

        Reads ``BRAND_ID`` / ``X_LIVEPERSON_BRAND_ID``, ``X_LIVEPERSON_CSDS_DOMAIN``, ``LP_TOOLBELT_SCHEME``,
        ``LP_TOOLBELT_RATE_LIMIT``, ``LP_TOOLBELT_SECRETS_FILE``, ``LP_TOOLBELT_REDIS_URL``,
        ``LAMBDA_UUID`` / ``X_LIVEPERSON_FUNCTION_UUID``, ``LP_TOOLBELT_CONTEXT_DOMAIN`` (else
        ``CONTEXT_SERVICE_ENVIRONMENT``: ``z1``/``z2``/``z3`` → ``{zone}.context.liveperson.net``),
        ``LP_TOOLBELT_ALLOWLIST`` (comma-separated entries added to the default allowlist),
        ``LP_TOOLBELT_ENFORCE_ALLOWLIST``, ``LP_TOOLBELT_PROXY`` and ``LP_TOOLBELT_TRACE_PROPAGATION_HOSTS``
        (comma-separated).

        Example::

            config = ToolbeltConfig.from_env(timeout=10)
        """
        source = os.environ if env is None else env
        values: dict[str, Any] = {}
        origins: dict[str, str] = {}  # field -> the variable it was read from, for error messages
        account_var = next((var for var in ("BRAND_ID", "X_LIVEPERSON_BRAND_ID") if source.get(var)), None)
        if account_var:
            values["account_id"], origins["account_id"] = source[account_var], account_var
        mapping = {
            "X_LIVEPERSON_CSDS_DOMAIN": "csds_domain",
            "LP_TOOLBELT_SCHEME": "scheme",
            "LP_TOOLBELT_RATE_LIMIT": "rate_limit",
            "LP_TOOLBELT_SECRETS_FILE": "secrets_file",
            "LP_TOOLBELT_CONTEXT_DOMAIN": "context_domain",
            "LP_TOOLBELT_REDIS_URL": "redis_url",
            "LP_TOOLBELT_RATE_LIMIT_BACKEND": "rate_limit_backend",
            "LP_TOOLBELT_EXPECTED_WORKERS": "expected_workers",
            "LP_TOOLBELT_ENFORCE_ALLOWLIST": "enforce_allowlist",
            "LP_TOOLBELT_PROXY": "proxy",
            "LP_TOOLBELT_TRACE_PROPAGATION_HOSTS": "trace_propagation_hosts",
        }
        for var, field in mapping.items():
            if source.get(var):
                values[field], origins[field] = source[var], var
        extra_allow = source.get("LP_TOOLBELT_ALLOWLIST")
        if extra_allow:
            values["allowlist"] = tuple(p.strip() for p in extra_allow.split(",") if p.strip())
            origins["allowlist"] = "LP_TOOLBELT_ALLOWLIST"
        zone = source.get("CONTEXT_SERVICE_ENVIRONMENT", "").strip()
        if zone and "context_domain" not in values:
            values["context_domain"] = context_zone_host(zone)
        uuid_var = next((var for var in ("X_LIVEPERSON_FUNCTION_UUID", "LAMBDA_UUID") if source.get(var)), None)
        if uuid_var:
            values["function_uuid"], origins["function_uuid"] = source[uuid_var], uuid_var
        if "redis_url" in values and "rate_limit_backend" not in values:
            values["rate_limit_backend"] = "redis"
        values.update(overrides)
        for field in overrides:
            origins.pop(field, None)
        try:
            return cls(**values)
        except ConfigurationError as err:
            if not isinstance(err.__cause__, ValidationError) or not origins:
                raise
            raise _config_error(err.__cause__, origins) from err.__cause__

    def require_account(self, component: str) -> str:
        """The account id, or a ConfigurationError naming the component that needed it."""
        if not self.account_id:
            raise ConfigurationError(
                component,
                ErrorCodes.CONFIG_INVALID,
                "no account id configured (set BRAND_ID or ToolbeltConfig(account_id=...))",
            )
        return self.account_id


def context_zone_host(zone: str) -> str:
    """The Context Session Store host of a ``CONTEXT_SERVICE_ENVIRONMENT`` zone: ``z1`` (US), ``z2`` (EMEA),
    ``z3`` (APAC) → ``{zone}.context.liveperson.net``; ConfigurationError for anything that is not a zone name.

    >>> context_zone_host("z2")
    'z2.context.liveperson.net'
    """
    name = zone.strip().lower()
    if not name or not all(ch.isalnum() or ch == "-" for ch in name):
        raise ConfigurationError(
            "ToolbeltConfig",
            ErrorCodes.CONFIG_INVALID,
            "CONTEXT_SERVICE_ENVIRONMENT must be a zone name such as z1 (US), z2 (EMEA) or z3 (APAC)",
        )
    return f"{name}.context.liveperson.net"


def _config_error(err: ValidationError, origins: Mapping[str, str] | None = None) -> ConfigurationError:
    # include_input=False: a bad value may be a secret; only locations and reasons are reported. A field read from
    # the environment is named with its variable: "rate_limit (environment variable LP_TOOLBELT_RATE_LIMIT): ...".
    parts = []
    for item in err.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in item["loc"]) or "config"
        origin = (origins or {}).get(str(item["loc"][0])) if item["loc"] else None
        if origin:
            loc = f"{loc} (environment variable {origin})"
        parts.append(f"{loc}: {item['msg']}")
    return ConfigurationError("ToolbeltConfig", ErrorCodes.CONFIG_INVALID, "invalid configuration: " + "; ".join(parts))
