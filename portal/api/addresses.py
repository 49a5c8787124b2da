"""Where a webhook may go (SECURITY.md 50): no request forgery into the supplier's network.

In production an endpoint's URL is https:// and every address its host resolves to is public:
loopback, private, link-local (169.254.169.254, the cloud metadata service), shared, reserved,
multicast and unspecified addresses are refused, IPv4 written inside IPv6 included. The rule
holds when the endpoint is registered AND at each delivery: the host is resolved again, every
address checked, and the POST connects to the address that was checked (`pinned_session`), so
a name that resolves to a public address at the check and to 127.0.0.1 a moment later (DNS
rebinding) cannot swap it. Redirects are not followed (a 3xx is a failed attempt).

WEBHOOK_ALLOW_PRIVATE (development and tests only; config.check_production refuses it in
production) lets the demo and the tests post to http://127.0.0.1.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from flask_babel import gettext as _
from flask_babel import ngettext
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

MAX_URL_LENGTH = 500


class RefusedAddress(Exception):
    """The URL or an address its host resolves to is not one a webhook may go to."""


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why `url` cannot be an endpoint's (checked without resolving), or None."""
    if len(url) > MAX_URL_LENGTH:
        return ngettext(
            "A URL has at most %(num)d character.",
            "A URL has at most %(num)d characters.",
            MAX_URL_LENGTH,
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _("This is not a URL.")
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        return _("The URL must start with https://.")
    if not parts.hostname or any(c.isspace() for c in url):
        return _("This is not a URL.")
    if parts.username is not None or parts.password is not None:
        return _("The URL may not contain a user name or password.")
    if port == 0:
        return _("This is not a URL.")
    return None


def is_public(address: str) -> bool:
    """Whether a webhook may connect to `address` in production."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not is_public(str(embedded)):
            return False
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def resolve(url: str, *, allow_private: bool) -> str:
    """The address to connect to for `url`: its host resolved, every address checked; raises
    RefusedAddress for a bad URL, a name that does not resolve, or any address not public."""
    problem = url_problem(url, allow_private=allow_private)
    if problem:
        raise RefusedAddress(problem)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise RefusedAddress(_("The host %(host)s cannot be found.", host=parts.hostname)) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise RefusedAddress(_("The host %(host)s cannot be found.", host=parts.hostname))
    if not allow_private:
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise RefusedAddress(
                _(
                    "%(host)s resolves to %(address)s, which is not a public address.",
                    host=parts.hostname,
                    address=refused[0],
                )
            )
    return addresses[0]


def pinned_session(address: str) -> requests.Session:
    """A requests session whose every connection goes to `address`, whatever the URL's host
    resolves to by then; the URL's host still names the server (Host header, TLS server name
    and certificate check). No proxies from the environment, no redirects followed."""

    def pinned(connection_class):
        class Pinned(connection_class):
            def _new_conn(self):
                # Only the socket goes to the checked address; the name stays the host's.
                name, self._dns_host = self._dns_host, address
                try:
                    return super()._new_conn()
                finally:
                    self._dns_host = name

        return Pinned

    class HTTPPool(HTTPConnectionPool):
        ConnectionCls = pinned(HTTPConnection)

    class HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = pinned(HTTPSConnection)

    adapter = HTTPAdapter(max_retries=0)
    adapter.poolmanager.pool_classes_by_scheme = {"http": HTTPPool, "https": HTTPSPool}
    session = requests.Session()
    session.trust_env = False
    session.max_redirects = 0
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
