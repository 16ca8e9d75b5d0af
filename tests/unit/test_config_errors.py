from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from lp_toolbelt import ErrorCodes, ToolbeltConfig, ToolbeltError
from lp_toolbelt.errors import ConfigurationError, InvalidArgumentError, NotFoundError


def test_defaults() -> None:
    cfg = ToolbeltConfig()
    assert cfg.csds_domain == "api.liveperson.net"
    assert cfg.scheme == "https"
    assert cfg.rate_limit == 20.0
    assert cfg.allowlist == ()  # extra entries only: LivePerson's default comes from CSDS (by service)
    assert cfg.enforce_allowlist is True
    assert cfg.timeout == 30.0
    assert cfg.max_retries == 3


def test_from_env_reads_function_variables(tmp_path: Path) -> None:
    env = {
        "BRAND_ID": "111",
        "X_LIVEPERSON_BRAND_ID": "222",
        "X_LIVEPERSON_CSDS_DOMAIN": "127.0.0.1:9000",
        "LP_TOOLBELT_SCHEME": "http",
        "LP_TOOLBELT_RATE_LIMIT": "5.5",
        "LP_TOOLBELT_SECRETS_FILE": str(tmp_path / "s.json"),
        "X_LIVEPERSON_FUNCTION_UUID": "fn-1",
    }
    cfg = ToolbeltConfig.from_env(env)
    assert cfg.account_id == "111"
    assert cfg.csds_domain == "127.0.0.1:9000"
    assert cfg.scheme == "http"
    assert cfg.rate_limit == 5.5
    assert cfg.secrets_file == tmp_path / "s.json"
    assert cfg.function_uuid == "fn-1"
    assert ToolbeltConfig.from_env({"X_LIVEPERSON_BRAND_ID": "222"}).account_id == "222"
    assert ToolbeltConfig.from_env(env, account_id="333").account_id == "333"
    extended = ToolbeltConfig.from_env({"LP_TOOLBELT_ALLOWLIST": "127.0.0.1:9000, *.crm.test"})
    assert extended.allowlist == ("127.0.0.1:9000", "*.crm.test")


def test_frozen() -> None:
    cfg = ToolbeltConfig()
    with pytest.raises(Exception):  # pydantic's frozen-instance error
        cfg.account_id = "x"  # type: ignore[misc]


def test_secrets_never_in_repr_or_errors() -> None:
    cfg = ToolbeltConfig(secrets={"k": "TOPSECRET-VALUE"}, redis_url="redis://:PASSWORD@localhost")
    assert "TOPSECRET" not in repr(cfg)
    assert "PASSWORD" not in repr(cfg)
    with pytest.raises(ConfigurationError) as info:
        ToolbeltConfig(secrets="TOPSECRET-VALUE")  # type: ignore[arg-type]
    assert "TOPSECRET" not in str(info.value)
    assert isinstance(info.value, ValueError)
    assert info.value.code == ErrorCodes.CONFIG_INVALID


@pytest.mark.parametrize(
    "bad",
    [{"rate_limit": 0}, {"timeout": -1}, {"scheme": "ftp"}, {"csds_domain": "https://x/y"}, {"unknown": 1}],
)
def test_invalid_config_is_a_toolbelt_error(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        ToolbeltConfig(**bad)  # type: ignore[arg-type]


def test_require_account() -> None:
    with pytest.raises(ConfigurationError):
        ToolbeltConfig().require_account("X")
    assert ToolbeltConfig(account_id="1").require_account("X") == "1"


def test_allowlist_from_comma_string() -> None:
    assert ToolbeltConfig(allowlist="a.com, *.b.com").allowlist == ("a.com", "*.b.com")  # type: ignore[arg-type]


def test_error_shape_and_pickle() -> None:
    err = NotFoundError("SecretClient", ErrorCodes.SECRET_NOT_FOUND, "secret 'x' does not exist", status=404)
    assert str(err) == "SecretClient: secret 'x' does not exist"
    assert err.component == "SecretClient"
    assert err.status == 404
    assert isinstance(err, ToolbeltError)
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is NotFoundError
    assert (clone.code, clone.status, str(clone)) == (err.code, err.status, str(err))
    assert "status=404" in repr(err)


def test_invalid_argument_is_value_error() -> None:
    err = InvalidArgumentError("C", "code", "bad", details={"field": "x"})
    assert isinstance(err, ValueError)
    assert err.details == {"field": "x"}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"LP_TOOLBELT_RATE_LIMIT": "fast"}, "rate_limit (environment variable LP_TOOLBELT_RATE_LIMIT): "),
        ({"LP_TOOLBELT_RATE_LIMIT": "-1"}, "rate_limit (environment variable LP_TOOLBELT_RATE_LIMIT): "),
        ({"LP_TOOLBELT_SCHEME": "ftp"}, "scheme (environment variable LP_TOOLBELT_SCHEME): "),
        ({"X_LIVEPERSON_CSDS_DOMAIN": "https://x/"}, "csds_domain (environment variable X_LIVEPERSON_CSDS_DOMAIN): "),
        ({"LP_TOOLBELT_EXPECTED_WORKERS": "0"}, "expected_workers (environment variable LP_TOOLBELT_EXPECTED_WORKERS)"),
        ({"LP_TOOLBELT_RATE_LIMIT_BACKEND": "memcached"}, "(environment variable LP_TOOLBELT_RATE_LIMIT_BACKEND)"),
    ],
)
def test_a_bad_environment_variable_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        ToolbeltConfig.from_env({"BRAND_ID": "1", **env})
    assert named in info.value.message
    assert info.value.code == ErrorCodes.CONFIG_INVALID
    assert next(iter(env.values())) not in info.value.message  # a bad value is never repeated: it may be a secret


def test_a_bad_override_is_not_blamed_on_the_environment() -> None:
    with pytest.raises(ConfigurationError) as info:
        ToolbeltConfig.from_env({"LP_TOOLBELT_RATE_LIMIT": "5"}, rate_limit=-1)
    assert "rate_limit: " in info.value.message
    assert "environment variable" not in info.value.message
