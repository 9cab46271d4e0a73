"""Settings: laptop defaults, and production refusing placeholder or missing keys by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from pingan.config import PLACEHOLDER_SECRET, ConfigError, Settings
from tests.conftest import run_cli

RING = "1:" + "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # 32 bytes 0..31, base64
INDEX_KEY = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="  # 32 bytes 32..63, base64


def test_laptop_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PINGAN_DATA_DIR", "PINGAN_DATABASE_URL", "PINGAN_HOST", "PINGAN_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.data_dir == Path("pingan-data")
    assert settings.url == "sqlite:///pingan-data/pingan.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINGAN_PORT", "8123")
    monkeypatch.setenv("PINGAN_SESSION_IDLE_MINUTES", "20")
    settings = Settings(_env_file=None)
    assert settings.port == 8123
    assert settings.session_idle_minutes == 20


@pytest.mark.parametrize(
    ("secret", "field_key", "named"),
    [
        (PLACEHOLDER_SECRET, RING, "PINGAN_SECRET_KEY"),
        ("x" * 40, "1:bm90LWEta2V5", "PINGAN_FIELD_ENCRYPTION_KEY is unusable"),
        ("x" * 40, None, "PINGAN_FIELD_ENCRYPTION_KEY"),
    ],
)
def test_production_refuses_placeholder_secret_or_missing_key(secret: str, field_key: str | None, named: str) -> None:
    settings = Settings(
        _env_file=None, env="production", secret_key=secret, field_encryption_key=field_key, blind_index_key=INDEX_KEY
    )
    with pytest.raises(ConfigError, match=named):
        settings.check_production()


def test_production_accepts_real_keys() -> None:
    Settings(
        _env_file=None, env="production", secret_key="s" * 40, field_encryption_key=RING, blind_index_key=INDEX_KEY
    ).check_production()


@pytest.mark.parametrize(
    ("index_key", "named"), [(None, "missing"), ("c2hvcnQ=", "at least 32 bytes"), ("%%%", "base64")]
)
def test_production_needs_its_own_blind_index_key(index_key: str | None, named: str) -> None:
    settings = Settings(
        _env_file=None, env="production", secret_key="s" * 40, field_encryption_key=RING, blind_index_key=index_key
    )
    with pytest.raises(ConfigError, match=f"PINGAN_BLIND_INDEX_KEY.*{named}"):
        settings.check_production()


def test_serve_refuses_to_start_in_production_with_the_placeholder(tmp_path: Path) -> None:
    result = run_cli(
        "serve",
        env={"PINGAN_ENV": "production", "PINGAN_SECRET_KEY": PLACEHOLDER_SECRET, "PINGAN_DATA_DIR": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "PINGAN_SECRET_KEY" in result.stderr
    assert "PINGAN_FIELD_ENCRYPTION_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_value_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("stats", env={"PINGAN_PORT": "eighty", "PINGAN_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "port" in result.stderr.lower()
    assert "Traceback" not in result.stderr
