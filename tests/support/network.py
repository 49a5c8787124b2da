"""Tests never reach beyond this machine (SECURITY.md 34): Stripe is localstripe on loopback,
PostgreSQL and Chromium run here. Once `guard_sockets()` has run (tests/fixtures/network.py
runs it), every socket connection the test process opens is checked; one elsewhere is refused,
and recorded, so the test that tried fails even if the error was swallowed."""

import ipaddress
import os
import socket

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
#: Connections refused during the current test: (address, test id).
NETWORK_VIOLATIONS: list[tuple[object, str]] = []


def is_loopback(address) -> bool:
    if isinstance(address, str | bytes):
        return True  # a Unix socket path
    host = address[0]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def _guarded(real):
    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address):
            NETWORK_VIOLATIONS.append((address, os.environ.get("PYTEST_CURRENT_TEST", "")))
            raise ConnectionRefusedError(
                f"tests may not connect beyond loopback (SECURITY.md 34): {address!r}"
            )
        return real(sock, address)

    return connect


def guard_sockets() -> None:
    socket.socket.connect = _guarded(_real_connect)
    socket.socket.connect_ex = _guarded(_real_connect_ex)
