"""Settings read from the environment: the media settings and their defaults."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings


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
