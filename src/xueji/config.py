"""Settings from the environment (``XUEJI_*``) or a settings file.

The settings file is ``XUEJI_SETTINGS_FILE`` if set, else ``./xueji.env`` when present.
Paths are resolved once, at load, so the service behaves the same from any working
directory once started.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from xueji.domain import regions


def _settings_file() -> str:
    return os.environ.get("XUEJI_SETTINGS_FILE", "xueji.env")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XUEJI_", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="data, key file and logs")
    database_url: str = Field(default="", description="SQLAlchemy URL; SQLite under var_dir")
    secret_key: str = Field(default="", description="master key; else var_dir/secret.key")
    region_codes_file: str = Field(
        default="", description="a newer list of division codes (code,name), without a release"
    )
    new_secret_key: str = Field(
        default="", description="the key being rotated to (xueji keys rotate); both are read"
    )
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    cookie_secure: bool = False
    pdf_font: Path = Field(
        default=Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
        description="CJK font for PDFs (Debian: fonts-noto-cjk); covers Extension B names",
    )
    sync_sla_hours: float = Field(
        default=24, gt=0, description="an event pending longer than this is an alarm"
    )
    sync_max_attempts: int = Field(
        default=8, ge=1, le=100, description="failures before an event is dead-lettered"
    )
    sms_sender: str = Field(
        default="dev", pattern="^(dev|http)$", description="dev: log and var/sms-outbox.jsonl"
    )
    sms_gateway_url: str = Field(default="", description="HTTP gateway for sms_sender=http")
    sms_gateway_token: str = Field(default="", description="bearer token of the gateway")
    erasure_cooling_days: int = Field(
        default=15,
        ge=0,
        le=90,
        description="days between a family's erasure request and the erasure (cancellable)",
    )
    retention_days_after_leaving: int = Field(
        default=3 * 365,
        ge=1,
        description="days after a child left (graduated, withdrew) before the platform's "
        "accounts and learning records of the child are purged",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    max_upload_mb: int = Field(
        default=20, ge=1, le=1024, description="largest file a page or the API accepts (MiB)"
    )
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses whose X-Forwarded-For is believed; none by default",
    )

    def uvicorn_proxy_options(self) -> dict[str, object]:
        """``X-Forwarded-For`` and ``-Proto`` are honoured only from the listed proxies:
        anyone else could otherwise pick the address their sign-in attempts are throttled
        and audited under."""
        proxies = ",".join(p.strip() for p in self.trusted_proxies.split(",") if p.strip())
        if not proxies:
            return {"proxy_headers": False}
        return {"proxy_headers": True, "forwarded_allow_ips": proxies}

    def model_post_init(self, __context: object) -> None:
        if self.region_codes_file and not os.environ.get(regions.LIST_VARIABLE):
            # the codes module, and every helper process, read it from the environment
            os.environ[regions.LIST_VARIABLE] = self.region_codes_file
            regions.forget()
        self.var_dir = self.var_dir.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'xueji.db'}"
        self.database_url = normalise_database_url(self.database_url)


def normalise_database_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3, the driver we ship."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def load_settings() -> Settings:
    env_file = _settings_file()
    return Settings(_env_file=env_file if Path(env_file).is_file() else None)  # type: ignore[call-arg]


@cache
def get_settings() -> Settings:
    return load_settings()
