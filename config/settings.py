"""Parley's settings: one frozen `Settings`, read once from the environment.

- Defaults are the dataclass defaults below, written once; `Settings.from_env()` parses every
  environment variable Parley reads (the `VARIABLES` table: each listed in README.md) and
  raises `SettingsError` naming the variable and what it expects when a value is bad.
- The running app keeps its settings in `app.extensions["settings"]`. Read them with
  `settings_of(app)`, or `current_settings()` inside a request or app context; `attach(app,
  settings)` stores them (create_app does, and a test may swap in a `dataclasses.replace` copy).
- Actions never read the app: blueprints pass them what they need (a page size, a media root, the
  presence grace) taken from these settings.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from quart import Quart, current_app

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = "settings"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
RUN_AS_UID = 10001  # the container's `parley` user (Dockerfile)
# Who may sign up after the first account (the values of app.models.SignupPolicy); SIGNUPS
# fixes one for the instance, unset leaves it to the administrator (join link by default).
SIGNUP_POLICIES = ("link", "open", "closed")
# The libpq URL parameters Parley accepts in DATABASE_URL: those asyncpg reads itself, and
# connect_timeout (which app/db.py hands asyncpg as its own timeout). Any other would reach the
# server as a setting of the session, which PostgreSQL (or a pooler) refuses at every connect.
DATABASE_URL_PARAMETERS = (
    "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslcrl", "sslnegotiation",
    "ssl_min_protocol_version", "ssl_max_protocol_version", "connect_timeout",
    "application_name", "options", "target_session_attrs", "host", "port", "dbname", "user",
    "password", "passfile", "service", "krbsrvname", "gsslib",
)
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# DB_POOLER: what stands between Parley and PostgreSQL (unset: nothing, or a session pooler).
DB_POOLERS = ("transaction",)


class SettingsError(ValueError):
    """A setting has a value Parley cannot use; the message names it and says what it expects."""


@dataclass(frozen=True)
class SmtpTarget:
    """How to reach the mail server; TLS is never opportunistic (forced or plainly off)."""

    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # smtps://: TLS from the first byte
    start_tls: bool = False  # smtp:// to anything but loopback: STARTTLS is required
    ca_file: str | None = None  # SMTP_CA_FILE: certificates trusted besides the system's


@dataclass(frozen=True)
class Settings:
    """Everything Parley reads from its environment, with the defaults a fresh checkout runs on."""

    database_url: str | None = None  # None: the embedded PostgreSQL under var_dir/pg
    db_pooler: str | None = None  # "transaction": DATABASE_URL is a transaction-mode pooler
    bus_url: str | None = None  # None: LISTEN/NOTIFY on the database
    host: str = "127.0.0.1"
    port: int = 8000
    # None: the instance's own, made at the first start and kept in the database
    secret_key: str | None = field(default=None, repr=False)
    var_dir: Path = ROOT / "var"
    cookie_secure: bool = False
    rate_limits: bool = True
    db_pool_max: int = 10
    web_concurrency: int = 1
    forwarded_allow_ips: str = "127.0.0.1"
    log_level: str = "info"
    message_max_chars: int = 10_000
    history_page_size: int = 50
    media_root: Path | None = None  # None: var_dir / "media"
    upload_max_bytes: int = 10 * 1024 * 1024
    image_max_pixels: int = 40_000_000
    sockets_per_user: int = 50  # live sockets one person may keep open per app process
    sockets_per_session: int = 20  # ... and one browser (log-in session) of theirs
    smtp_url: str | None = field(default=None, repr=False)  # None: the log and GET /dev/mail
    smtp_ca_file: Path | None = None  # None: the system's trusted CAs only
    mail_from: str = "Parley <parley@localhost>"
    base_url: str | None = None  # None: http://HOST:PORT
    allowed_hosts: tuple[str, ...] = ()  # host names answered besides BASE_URL's
    notify_delay_seconds: float = 120.0
    presence_grace_seconds: float = 60.0
    mail_poll_seconds: float = 5.0
    mail_retry_seconds: float = 30.0
    signups: str | None = None  # None: the administrator's choice (join link by default)
    access_log: bool = False  # a log line per request costs ~5% of the CPU under load
    vapid_private_key: str | None = field(default=None, repr=False)  # None: the database's
    vapid_subject: str | None = None  # None: mailto: the MAIL_FROM address
    push_poll_seconds: float = 2.0
    push_timeout_seconds: float = 10.0
    push_retry_seconds: float = 30.0
    bot_poll_seconds: float = 1.0  # how often the bot channel looks for calls to make
    bot_retry_seconds: float = 10.0  # first retry after a bot's URL failed; doubles each time
    # Private networks Parley may connect to at a user's behest (push endpoints, bots): none by default.
    outbound_allowed_networks: tuple[str, ...] = ()
    # name -> address pairs resolved without DNS for those connections (a private hosts file).
    outbound_hosts: tuple[tuple[str, str], ...] = ()
    link_previews: bool = True  # a card under a room message's first link (app/previews/)
    # A Slack export may unpack to at most this many bytes, in at most this many files.
    import_max_bytes: int = 8 * 1024**3
    import_max_files: int = 500_000
    testing: bool = False

    @property
    def signing_key(self) -> str:
        """The key that signs sessions and e-mailed links: SECRET_KEY, or the instance's own,
        which the app reads from its database before it serves anything."""
        if not self.secret_key:
            raise RuntimeError("no secret key yet: create_app() reads it from the database")
        return self.secret_key

    def __post_init__(self) -> None:
        # Derived defaults; object.__setattr__ is how a frozen dataclass fills its own fields.
        if self.media_root is None:
            object.__setattr__(self, "media_root", self.var_dir / "media")
        base = (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")
        object.__setattr__(self, "base_url", base)
        self.smtp  # noqa: B018 - a bad SMTP_URL fails here, at start, not at the first e-mail
        self._check_pooler()

    @property
    def transaction_pooler(self) -> bool:
        """True when DATABASE_URL leads to a transaction-mode pooler (DB_POOLER=transaction)."""
        return self.db_pooler == "transaction"

    def _check_pooler(self) -> None:
        """A pooler that hands each transaction its own server connection cannot carry LISTEN:
        refuse at start, rather than run with nothing delivered live."""
        if not self.transaction_pooler:
            return
        if self.database_url is None:
            raise SettingsError("DB_POOLER=transaction needs DATABASE_URL: the pooler's URL")
        if self.bus_url is None or same_database(self.bus_url, self.database_url):
            raise SettingsError(
                "DB_POOLER=transaction: the live bus cannot LISTEN through a transaction "
                "pooler; set BUS_URL to the database's direct postgres:// URL (past the pooler) "
                "or to a redis:// URL")

    @property
    def media_dir(self) -> Path:
        """Where uploads are stored (media_root, resolved)."""
        assert self.media_root is not None  # set by __post_init__
        return self.media_root

    @property
    def smtp(self) -> SmtpTarget | None:
        """The mail server from SMTP_URL; None sends e-mails to the log and GET /dev/mail."""
        target = parse_smtp_url(self.smtp_url)
        if target is None or self.smtp_ca_file is None:
            return target
        return replace(target, ca_file=str(self.smtp_ca_file))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (os.environ by default).

        Unset or empty variables take the defaults above. SECRET_KEY and VAPID_PRIVATE_KEY, when
        unset, are the instance's own, which the app reads from the database when it starts.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, (attribute, parse) in VARIABLES.items():
            raw = env.get(name, "").strip()
            if raw:
                try:
                    values[attribute] = parse(raw)
                except ValueError as exc:
                    raise SettingsError(f"{name}={redacted(raw)!r}: {exc}") from None
        return cls(**values)


def attach(app: Quart, settings: Settings) -> None:
    """Make `settings` the ones `app` runs on."""
    app.extensions[EXTENSION] = settings


def settings_of(app: Quart) -> Settings:
    """The settings `app` runs on."""
    settings: Settings = app.extensions[EXTENSION]
    return settings


def current_settings() -> Settings:
    """The settings of the app handling the current request (or app context)."""
    return settings_of(current_app)


def parse_smtp_url(url: str | None) -> SmtpTarget | None:
    """smtp://user:pass@host:587 (STARTTLS forced), smtps://host (TLS), smtp://127.0.0.1:1025."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise SettingsError("SMTP_URL must look like smtp://user:pass@host:587 "
                            "or smtps://host:465")
    implicit = parts.scheme == "smtps"
    loopback = parts.hostname in {"127.0.0.1", "::1", "localhost"}
    return SmtpTarget(hostname=parts.hostname, port=parts.port or (465 if implicit else 587),
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None,
                      use_tls=implicit, start_tls=not implicit and not loopback)


def same_database(url: str, other: str) -> bool:
    """True when two postgres URLs name the same server address and database."""
    def where(raw: str) -> tuple[str | None, int | None, str, str | None]:
        parts = urlsplit(raw)
        return (parts.hostname, parts.port, parts.path,
                dict(parse_qsl(parts.query)).get("host"))
    return where(url) == where(other)


def database_url_problem(url: str) -> str | None:
    """What is wrong with a DATABASE_URL (a scheme, a parameter, a value), or None."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "asyncpg"}:
        return "expected postgres://user:pass@host:5432/db"
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in DATABASE_URL_PARAMETERS:
            return (f"unknown parameter {name!r} (Parley takes libpq's "
                    f"{', '.join(DATABASE_URL_PARAMETERS[:5])}, … listed in README.md)")
        if name == "sslmode" and value not in SSL_MODES:
            return f"sslmode={value!r}: expected one of {', '.join(SSL_MODES)}"
        if name == "connect_timeout" and not value.isdigit():
            return f"connect_timeout={value!r}: expected a whole number of seconds"
    return None


def _database_url(raw: str) -> str:
    problem = database_url_problem(raw)
    if problem:
        raise ValueError(problem)
    return raw


def _db_pooler(raw: str) -> str | None:
    value = raw.lower()
    if value in {"none", "off"}:
        return None
    if value not in DB_POOLERS:
        raise ValueError("expected transaction (or none)")
    return value


def redacted(url: str) -> str:
    """A URL with its password, if any, replaced by ***: fit for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def _whole(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError("expected a whole number") from None
        if value < low or (high is not None and value > high):
            raise ValueError(f"expected a whole number from {low}"
                             + (f" to {high}" if high is not None else " up"))
        return value
    return parse


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("expected a number of seconds, e.g. 30 or 0.5") from None
    if not value >= 0 or value == float("inf"):  # also refuses nan
        raise ValueError("expected a number of seconds, e.g. 30 or 0.5")
    return value


def _flag(raw: str) -> bool:
    value = raw.lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected on/off (or true/false, yes/no, 1/0)")


def _log_level(raw: str) -> str:
    if raw.lower() not in LOG_LEVELS:
        raise ValueError("expected one of " + ", ".join(LOG_LEVELS))
    return raw.lower()


def _text(raw: str) -> str:
    return raw


def _bus_url(raw: str) -> str:
    if urlsplit(raw).scheme not in {"redis", "rediss", "postgres", "postgresql"}:
        raise ValueError("expected redis://host:6379/0 (or rediss://, or a postgres:// URL)")
    return raw


def _pem_file(raw: str) -> Path:
    path = Path(raw)
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise ValueError(f"cannot read it ({exc.strerror or exc})") from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ValueError("expected a PEM file of CA certificates (-----BEGIN CERTIFICATE-----)")
    return path


def _signups(raw: str) -> str:
    if raw.lower() not in SIGNUP_POLICIES:
        raise ValueError("expected one of " + ", ".join(SIGNUP_POLICIES))
    return raw.lower()


def _host_names(raw: str) -> tuple[str, ...]:
    names = tuple(name.strip().lower() for name in raw.split(",") if name.strip())
    if any("/" in name or " " in name for name in names):
        raise ValueError("expected host names separated by commas, e.g. chat.internal,10.0.0.5")
    return names


def _networks(raw: str) -> tuple[str, ...]:
    networks = tuple(part.strip() for part in raw.split(",") if part.strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f"expected networks separated by commas, e.g. 10.0.0.0/8,fd00::/8 "
                             f"({network!r} is not one)") from None
    return networks


def _host_addresses(raw: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        name, _, address = (text.strip() for text in part.partition("="))
        try:
            ipaddress.ip_address(address)
        except ValueError:
            name = ""
        if not name or "/" in name or " " in name:
            raise ValueError(f"expected name=address pairs separated by commas, e.g. "
                             f"push.internal=10.0.0.7 ({part!r} is not one)") from None
        pairs.append((name.lower().removesuffix("."), address))
    return tuple(pairs)


# Environment variable -> (Settings field, parser).
VARIABLES: dict[str, tuple[str, Callable[[str], Any]]] = {
    "SECRET_KEY": ("secret_key", _text),
    "DATABASE_URL": ("database_url", _database_url),
    "DB_POOLER": ("db_pooler", _db_pooler),
    "BUS_URL": ("bus_url", _bus_url),
    "HOST": ("host", _text),
    "PORT": ("port", _whole(1, 65535)),
    "VAR_DIR": ("var_dir", Path),
    "COOKIE_SECURE": ("cookie_secure", _flag),
    "RATE_LIMITS": ("rate_limits", _flag),
    "DB_POOL_MAX": ("db_pool_max", _whole(1)),
    "WEB_CONCURRENCY": ("web_concurrency", _whole(1)),
    "FORWARDED_ALLOW_IPS": ("forwarded_allow_ips", _text),
    "LOG_LEVEL": ("log_level", _log_level),
    "ACCESS_LOG": ("access_log", _flag),
    "MEDIA_ROOT": ("media_root", Path),
    "UPLOAD_MAX_BYTES": ("upload_max_bytes", _whole(1)),
    "IMAGE_MAX_PIXELS": ("image_max_pixels", _whole(1)),
    "SOCKETS_PER_USER": ("sockets_per_user", _whole(1)),
    "SOCKETS_PER_SESSION": ("sockets_per_session", _whole(1)),
    "SMTP_URL": ("smtp_url", _text),
    "SMTP_CA_FILE": ("smtp_ca_file", _pem_file),
    "MAIL_FROM": ("mail_from", _text),
    "BASE_URL": ("base_url", _text),
    "ALLOWED_HOSTS": ("allowed_hosts", _host_names),
    "NOTIFY_DELAY_SECONDS": ("notify_delay_seconds", _seconds),
    "PRESENCE_GRACE_SECONDS": ("presence_grace_seconds", _seconds),
    "MAIL_POLL_SECONDS": ("mail_poll_seconds", _seconds),
    "MAIL_RETRY_SECONDS": ("mail_retry_seconds", _seconds),
    "SIGNUPS": ("signups", _signups),
    "VAPID_PRIVATE_KEY": ("vapid_private_key", _text),
    "VAPID_SUBJECT": ("vapid_subject", _text),
    "PUSH_POLL_SECONDS": ("push_poll_seconds", _seconds),
    "PUSH_TIMEOUT_SECONDS": ("push_timeout_seconds", _seconds),
    "PUSH_RETRY_SECONDS": ("push_retry_seconds", _seconds),
    "BOT_POLL_SECONDS": ("bot_poll_seconds", _seconds),
    "BOT_RETRY_SECONDS": ("bot_retry_seconds", _seconds),
    "OUTBOUND_ALLOWED_NETWORKS": ("outbound_allowed_networks", _networks),
    "OUTBOUND_HOSTS": ("outbound_hosts", _host_addresses),
    "LINK_PREVIEWS": ("link_previews", _flag),
    "IMPORT_MAX_BYTES": ("import_max_bytes", _whole(1)),
    "IMPORT_MAX_FILES": ("import_max_files", _whole(1)),
}


def require_writable(var_dir: Path) -> None:
    """Refuse to start, saying what to do, when Parley cannot write in VAR_DIR."""
    try:
        var_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=var_dir):
            pass
    except PermissionError:
        raise SettingsError(not_writable(var_dir)) from None


def not_writable(var_dir: Path) -> str:
    """What to do when VAR_DIR belongs to someone else (typically a root-owned host folder)."""
    uid = os.getuid()
    return (f"{var_dir} (VAR_DIR) is not writable by uid {uid}, the user Parley runs as; it "
            f"keeps its embedded database and uploads there. Give the folder to that "
            f"user, e.g. `sudo chown -R {uid}:{uid} <the host folder mounted at {var_dir}>` "
            f"(in the container Parley runs as uid {RUN_AS_UID}), or use a named volume.")

