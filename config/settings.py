"""Settings for Parley, read once from the environment (every variable is listed in README.md)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Settings:
    """Everything Parley reads from its environment, with the defaults a fresh checkout runs on."""

    database_url: str | None = None
    bus_url: str | None = None  # None: LISTEN/NOTIFY on the database
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    var_dir: Path = ROOT / "var"
    cookie_secure: bool = False
    rate_limits: bool = True
    db_pool_max: int = 10
    message_max_chars: int = 10_000
    history_page_size: int = 50
    media_root: Path | None = None  # None: var_dir / "media"
    upload_max_bytes: int = 10 * 1024 * 1024
    image_max_pixels: int = 40_000_000
    smtp_url: str | None = None  # None: e-mails go to the log and GET /dev/mail
    mail_from: str = "Parley <parley@localhost>"
    base_url: str | None = None  # None: http://HOST:PORT
    notify_delay_seconds: float = 120.0
    presence_grace_seconds: float = 60.0
    mail_poll_seconds: float = 5.0
    mail_retry_seconds: float = 30.0
    testing: bool = False

    def __post_init__(self) -> None:
        if self.media_root is None:
            self.media_root = self.var_dir / "media"
        if self.base_url is None:
            self.base_url = f"http://{self.host}:{self.port}"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from environment variables (os.environ by default)."""
        env = dict(os.environ if env is None else env)
        var_dir = Path(env.get("VAR_DIR", str(ROOT / "var")))
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            bus_url=env.get("BUS_URL") or None,
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            secret_key=env.get("SECRET_KEY") or _persistent_secret(var_dir),
            var_dir=var_dir,
            cookie_secure=_flag(env.get("COOKIE_SECURE", "false")),
            rate_limits=env.get("RATE_LIMITS", "on").lower() != "off",
            db_pool_max=int(env.get("DB_POOL_MAX", "10")),
            media_root=Path(env["MEDIA_ROOT"]) if env.get("MEDIA_ROOT") else var_dir / "media",
            upload_max_bytes=int(env.get("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024))),
            image_max_pixels=int(env.get("IMAGE_MAX_PIXELS", "40000000")),
            smtp_url=env.get("SMTP_URL") or None,
            mail_from=env.get("MAIL_FROM") or "Parley <parley@localhost>",
            base_url=(env.get("BASE_URL") or "").rstrip("/") or None,
            notify_delay_seconds=float(env.get("NOTIFY_DELAY_SECONDS", "120")),
            presence_grace_seconds=float(env.get("PRESENCE_GRACE_SECONDS", "60")),
            mail_poll_seconds=float(env.get("MAIL_POLL_SECONDS", "5")),
            mail_retry_seconds=float(env.get("MAIL_RETRY_SECONDS", "30")),
        )


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _persistent_secret(var_dir: Path) -> str:
    """A secret kept under var/ so sessions survive restarts when SECRET_KEY is not set."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
