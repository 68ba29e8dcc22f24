"""Settings: one frozen object, defaults written once, every variable parsed with a clear error."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from config.settings import ROOT, VARIABLES, Settings, SettingsError, settings_of


def test_media_settings_default_under_var_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"VAR_DIR": str(tmp_path), "SECRET_KEY": "k"})

    assert settings.media_root == tmp_path / "media"
    assert settings.upload_max_bytes == 10 * 1024 * 1024
    assert settings.image_max_pixels == 40_000_000


def test_media_settings_come_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"VAR_DIR": str(tmp_path), "SECRET_KEY": "k",
                                  "MEDIA_ROOT": "/srv/media", "UPLOAD_MAX_BYTES": "2097152",
                                  "IMAGE_MAX_PIXELS": "1000000"})

    assert settings.media_root == Path("/srv/media")
    assert (settings.upload_max_bytes, settings.image_max_pixels) == (2 * 1024 * 1024, 1_000_000)


def test_an_empty_environment_gives_the_dataclass_defaults(tmp_path: Path) -> None:
    from_env = Settings.from_env({"VAR_DIR": str(tmp_path), "SECRET_KEY": "k"})
    built = Settings(var_dir=tmp_path, secret_key="k")

    assert from_env == built
    assert from_env.base_url == "http://127.0.0.1:8000"
    assert (from_env.log_level, from_env.web_concurrency, from_env.forwarded_allow_ips) == \
        ("info", 1, "127.0.0.1")


def test_server_process_settings_come_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"VAR_DIR": str(tmp_path), "SECRET_KEY": "k",
                                  "LOG_LEVEL": "WARNING", "WEB_CONCURRENCY": "3",
                                  "FORWARDED_ALLOW_IPS": "10.0.0.1,10.0.0.2",
                                  "RATE_LIMITS": "off", "COOKIE_SECURE": "true",
                                  "BASE_URL": "https://chat.example.com/",
                                  "SMTP_URL": "smtps://me:p%40ss@mail.example.com"})

    assert (settings.log_level, settings.web_concurrency) == ("warning", 3)
    assert settings.forwarded_allow_ips == "10.0.0.1,10.0.0.2"
    assert (settings.rate_limits, settings.cookie_secure) == (False, True)
    assert settings.base_url == "https://chat.example.com"
    assert settings.smtp is not None
    assert (settings.smtp.hostname, settings.smtp.port, settings.smtp.password,
            settings.smtp.use_tls) == ("mail.example.com", 465, "p@ss", True)
    assert settings.smtp.ca_file is None  # the system's CAs only


def test_smtp_ca_file_is_the_file_the_mail_server_is_checked_against(tmp_path: Path) -> None:
    ca = tmp_path / "private-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")

    settings = Settings.from_env({"SMTP_URL": "smtp://mail.internal", "SMTP_CA_FILE": str(ca)})

    assert settings.smtp is not None and settings.smtp.ca_file == str(ca)


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("PORT", "eighty", "PORT='eighty': expected a whole number"),
    ("PORT", "70000", "PORT='70000': expected a whole number from 1 to 65535"),
    ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY='0': expected a whole number from 1 up"),
    ("COOKIE_SECURE", "maybe", "COOKIE_SECURE='maybe': expected on/off"),
    ("LOG_LEVEL", "loud", "LOG_LEVEL='loud': expected one of critical, error, warning"),
    ("NOTIFY_DELAY_SECONDS", "-1", "NOTIFY_DELAY_SECONDS='-1': expected a number of seconds"),
    ("MAIL_POLL_SECONDS", "nan", "MAIL_POLL_SECONDS='nan': expected a number of seconds"),
    ("SMTP_URL", "http://mail.example.com", "SMTP_URL must look like smtp://"),
    ("BUS_URL", "amqp://rabbit", "BUS_URL='amqp://rabbit': expected redis://host:6379/0"),
    ("SMTP_CA_FILE", "/nonexistent/ca.pem", "SMTP_CA_FILE='/nonexistent/ca.pem': cannot read it"),
    ("SMTP_CA_FILE", "/etc/hostname", "SMTP_CA_FILE='/etc/hostname': expected a PEM file"),
])
def test_a_bad_value_is_refused_naming_the_variable(tmp_path: Path, name: str, value: str,
                                                    expected: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"VAR_DIR": str(tmp_path), "SECRET_KEY": "k", name: value})

    assert expected in str(refused.value)


def test_settings_cannot_be_changed_once_made() -> None:
    settings = Settings(secret_key="k")

    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.port = 9000  # type: ignore[misc]


def test_without_secret_key_the_instances_own_is_left_to_the_database(tmp_path: Path) -> None:
    settings = Settings.from_env({"VAR_DIR": str(tmp_path)})

    assert settings.secret_key is None and settings.vapid_private_key is None
    assert not (tmp_path / "secret_key").exists()  # tests/test_instance_keys.py: the database's
    assert Settings.from_env({"SECRET_KEY": "mine"}).secret_key == "mine"


def test_the_app_keeps_its_settings_and_only_quarts_own_keys_in_config(tmp_path: Path) -> None:
    settings = Settings(secret_key="k", var_dir=tmp_path, upload_max_bytes=1024)
    app = create_app(settings, database_url="postgresql://db.example/parley")

    assert settings_of(app) == dataclasses.replace(
        settings, database_url="postgresql://db.example/parley")
    assert app.config["SECRET_KEY"] == "k"  # quart-auth signs with it
    assert app.config["MAX_CONTENT_LENGTH"] > 1024
    parley_keys = {"DATABASE_URL", "MEDIA_ROOT", "UPLOAD_MAX_BYTES", "RATE_LIMITS",
                   "HISTORY_PAGE_SIZE", "MESSAGE_MAX_CHARS", "IMAGE_MAX_PIXELS"}
    assert not parley_keys & set(app.config)


def test_every_variable_read_is_in_the_readme_configuration_table() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, re.MULTILINE))

    assert {*VARIABLES, "SECRET_KEY"} <= documented


def test_the_server_refuses_to_start_on_a_bad_value_and_says_why(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "app"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path),
                                 "SECRET_KEY": "k", "PORT": "eighty"})

    assert result.returncode != 0
    assert result.stderr.strip() == "Parley cannot start: PORT='eighty': expected a whole number"
