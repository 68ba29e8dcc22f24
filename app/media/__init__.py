"""Media: image checks and re-encoding (images.py), files on disk (storage.py), uploads (uploads.py)."""
