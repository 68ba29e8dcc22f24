"""Tortoise CLI config (`tortoise -c config.tortoise.TORTOISE_ORM makemigrations`)."""

from __future__ import annotations

from app.db import tortoise_config
from app.embedded_pg import start_embedded_postgres
from config.settings import Settings

_settings = Settings.from_env()
TORTOISE_ORM = tortoise_config(
    _settings.database_url or start_embedded_postgres(_settings.var_dir / "pg"))
