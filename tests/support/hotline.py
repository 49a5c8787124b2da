"""Moments the hotline tests work at."""

from datetime import UTC, datetime

#: A Thursday morning in Shanghai (02:00 UTC is 10:00 there).
THURSDAY_10 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
