"""Settings: the one place that reads the environment (``PINGAN_*`` and an optional ``.env``)."""

from __future__ import annotations

import base64
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, PrivateAttr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pingan.kit.crypto import FieldCipher, derive_key, parse_key_ring

PLACEHOLDER_SECRET = "change-me-development-only"  # noqa: S105 - a marker, refused in production


class Environment(StrEnum):
    """Where the app runs; production turns on the strict checks."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ConfigError(RuntimeError):
    """Settings that the app refuses to start with."""


class Settings(BaseSettings):
    """Every setting of pingan, with laptop-friendly defaults."""

    model_config = SettingsConfigDict(env_prefix="PINGAN_", env_file=".env", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("./pingan-data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file pingan.db in data_dir"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    web_workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes for pingan serve")
    secret_key: str = PLACEHOLDER_SECRET
    field_encryption_key: str | None = Field(
        default=None,
        description="Key ring for personal-data fields: '<id>:<base64 32 bytes>[,…]', first one encrypts "
        "(required in production; development derives one from the secret key)",
    )
    blind_index_key: str | None = Field(
        default=None, description="Base64 32-byte HMAC key of the blind indexes; default derived from the field key"
    )
    audit_key: str | None = Field(
        default=None, description="HMAC key for the audit hash chain; default derived from secret_key"
    )
    default_locale: str = "zh_Hans_CN"
    display_timezone: str = "Asia/Shanghai"
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)

    # Sign-in policy (GB/T 22239 8.1.4.1; security.md S2, S5, S6).
    password_min_length: int = Field(default=12, ge=8)
    login_max_failures: int = Field(default=5, ge=1)
    login_lock_minutes: int = Field(default=15, ge=1)
    session_idle_minutes: int = Field(default=30, ge=1)
    session_idle_minutes_admin: int = Field(default=15, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    api_token_max_days: int = Field(default=365, ge=1)
    session_touch_seconds: int = Field(default=30, ge=0, description="Write last-seen at most this often per session")
    # The case hub (一网办理)
    case_number_prefix: str = Field(
        default="ZS", pattern=r"^[A-Z]{1,6}$", description="一事一码 prefix: ZS-2026-000123"
    )
    case_work_hours: str = Field(default="08:30-12:00,13:30-17:30", description="Working spans, local time")
    case_default_limits: dict[str, str] = Field(
        default={"register": "4h", "dispatch": "2h", "accept": "2h", "handle": "3d", "check": "1d", "visit": "5d"},
        description="Step limits for categories that set none (TimeLimit strings)",
    )
    case_warn_ratio: float = Field(default=0.8, gt=0, lt=1, description="预警 at this share of a step's limit")
    case_supervise_ratio: float = Field(default=2.0, gt=1, description="督办 at this multiple of a step's limit")
    case_nonpolice_response_minutes: int = Field(default=30, ge=1, description="110 transfer → first action")
    case_redo_limit: int = Field(default=3, ge=1, description="提级督办 after this many redos")
    case_decline_limit: int = Field(default=3, ge=1, description="提级督办 after this many units return a case")
    case_max_file_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    case_scheduler_seconds: float = Field(default=30.0, ge=0, description="Clock scan period; 0 = no scheduler")
    case_webhook_url: str | None = Field(default=None, description="POST every case event here (JSON)")
    case_sms_adapter: str = Field(default="log", pattern=r"^(log|none)$")
    mqtt_url: str | None = Field(default=None, description="mqtt://host:port of the sensor broker; None = off")
    mqtt_sensor_topic: str = Field(default="pingan/sensors/+/events")

    ais_ingest: bool = Field(default=True, description="Run the position pipeline inside pingan serve")
    ais_host: str = Field(default="127.0.0.1", description="Address the AIS UDP listener and TCP server bind to")
    ais_udp_port: int | None = Field(default=10110, ge=0, le=65535, description="NMEA over UDP; None = off")
    ais_tcp_port: int | None = Field(default=None, ge=0, le=65535, description="TCP server receivers push to")
    ais_tcp_sources: list[str] = Field(default_factory=list, description="host:port of receivers to connect to")
    ais_history_dir: Path | None = Field(default=None, description="Parquet position history; default data_dir/tracks")
    ais_max_speed_kn: float = Field(default=50.0, gt=0, description="Implied speed above this is a position jump")
    ais_fragment_timeout_s: float = Field(default=5.0, gt=0, description="Drop a partial multi-part message after")
    ais_flush_seconds: float = Field(default=2.0, gt=0, description="History flush and status period")
    ais_stale_minutes: float = Field(default=10.0, gt=0, description="A target not heard for this long is stale")
    ais_lost_minutes: float = Field(default=30.0, gt=0, description="… and lost after this long")
    ais_port_radius_m: float = Field(default=3000.0, gt=0, description="In port within this distance of a port")
    ais_mqtt_topic: str = Field(default="pingan/terminals/+/position", description="BeiDou/terminal JSON reports")
    ais_simulator: bool = Field(default=True, description="pingan demo runs the fleet simulator")
    alert_engine: bool = Field(default=True, description="Run the maritime alert rules beside the pipeline")
    alert_period_s: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="Seconds between passes of the full alert lane (every rule but distress and restricted waters)",
    )
    alert_fast_period_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="Seconds between fast alert lane passes (distress, restricted waters) when no report wakes it",
    )

    _cipher: FieldCipher | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if self.database_url is None:
            self.database_url = f"sqlite:///{(self.data_dir / 'pingan.db').as_posix()}"
        if self.ais_history_dir is None:
            self.ais_history_dir = self.data_dir / "tracks"
        return self

    @property
    def is_production(self) -> bool:
        """True when strict production checks apply."""
        return self.env is Environment.PRODUCTION

    @property
    def is_development(self) -> bool:
        """True on a developer's laptop (cookies may travel without TLS)."""
        return self.env is Environment.DEVELOPMENT

    @property
    def url(self) -> str:
        """The database URL, always set after validation."""
        assert self.database_url is not None
        return self.database_url

    def field_cipher(self) -> FieldCipher:
        """The cipher for personal-data fields, built once from the key settings and kept (it is immutable)."""
        if self._cipher is None:
            self._cipher = self._build_cipher()
        return self._cipher

    def _build_cipher(self) -> FieldCipher:
        if self.field_encryption_key:
            active, ring = parse_key_ring(self.field_encryption_key)
        else:
            active, ring = 1, {1: derive_key(self.secret_key, "field-encryption")}
        if self.blind_index_key:
            index_key = base64.b64decode(self.blind_index_key)
        else:
            index_key = derive_key(base64.b64encode(ring[min(ring)]).decode(), "blind-index")
        return FieldCipher(active, ring, index_key)

    def check_production(self) -> None:
        """Refuse to run in production with a placeholder secret or missing keys, naming the setting."""
        if not self.is_production:
            return
        problems = []
        if self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32:
            problems.append("PINGAN_SECRET_KEY is the placeholder or shorter than 32 characters")
        if not self.field_encryption_key:
            problems.append("PINGAN_FIELD_ENCRYPTION_KEY is missing")
        else:
            try:
                parse_key_ring(self.field_encryption_key)
            except ValueError as exc:
                problems.append(f"PINGAN_FIELD_ENCRYPTION_KEY is unusable: {exc}")
        # Derived, the blind-index key would change if the key it comes from were ever retired, silently breaking
        # every exact search and duplicate check: production sets it explicitly.
        if not self.blind_index_key:
            problems.append("PINGAN_BLIND_INDEX_KEY is missing")
        else:
            try:
                if len(base64.b64decode(self.blind_index_key, validate=True)) < 32:
                    problems.append("PINGAN_BLIND_INDEX_KEY must be at least 32 bytes (base64)")
            except ValueError:
                problems.append("PINGAN_BLIND_INDEX_KEY is not valid base64")
        if problems:
            raise ConfigError("refusing to start in production: " + "; ".join(problems))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
