"""Which frozen clocks each date-sensitive test runs at (tests/fixtures/clock.py)."""

import zlib


def sampled(settings: list, count: int, name: str) -> list:
    """`count` of `settings` for the test called `name`: spread out over the list (which runs
    zone by zone within each instant), so that one test meets different instants and zones,
    and starting at a place the name decides, so that the tests between them meet every
    setting. The same name always gets the same ones, so a failure can be run again."""
    start = zlib.crc32(name.encode())
    stride = len(settings) // count + 1
    chosen = {(start + step * stride) % len(settings) for step in range(count)}
    return [settings[index] for index in sorted(chosen)]
