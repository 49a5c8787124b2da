"""HTML to PDF (WeasyPrint), offline: a document may read the portal's own static files and
nothing else, so rendering never waits on the network and a value someone typed (an address,
a PO number) can never make the server fetch a URL (SECURITY.md: no outbound requests).

Fonts come from the system through fontconfig: the PDF stylesheet names them ("Noto Sans CJK
SC" for Chinese, from Debian's fonts-noto-cjk), and WeasyPrint embeds the subset it used.
"""

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template

#: The data: scheme, which carries its content in the URL itself (no fetch).
_DATA_URL = re.compile(r"^data:", re.IGNORECASE)


class RefusedURL(ValueError):
    """A document asked for something outside the static folder."""


def _fetcher_class():
    from weasyprint.urls import URLFetcher

    class LocalFetcher(URLFetcher):
        """Reads file: URLs inside `root` (and data: URLs); refuses everything else, before
        any connection is made."""

        def __init__(self, root: Path):
            super().__init__(timeout=1, allowed_protocols=("file", "data"), allow_redirects=False)
            self.root = root.resolve()

        def fetch(self, url, headers=None):
            if not _DATA_URL.match(url):
                parts = urlsplit(url)
                if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
                    raise RefusedURL(f"not a local file: {url[:200]}")
                path = Path(unquote(parts.path)).resolve()
                if not path.is_relative_to(self.root):
                    raise RefusedURL(f"outside the static folder: {url[:200]}")
            return super().fetch(url, headers)

    return LocalFetcher


def local_fetcher(root: Path | None = None):
    """A WeasyPrint URL fetcher that reads only the static folder (or `root`)."""
    return _fetcher_class()(Path(root or current_app.static_folder))


def static_base_url() -> str:
    """The base URL relative links of a document resolve against: the static folder."""
    return Path(current_app.static_folder).resolve().as_uri() + "/"


def html_to_pdf(html: str) -> bytes:
    """`html` as a PDF; its links resolve inside the static folder, and only there."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=static_base_url(), url_fetcher=local_fetcher())
    return document.write_pdf()


def render_pdf(template: str, **context) -> bytes:
    """A template rendered (in the locale in force) and turned into a PDF."""
    return html_to_pdf(render_template(template, **context))


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """The Content-Disposition of a download: an ASCII filename every client reads, made of
    letters, digits, dots, dashes and underscores only (no quote, path or header break can
    pass), plus the RFC 5987 form for clients that read UTF-8."""
    from urllib.parse import quote

    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip(".-") or "document"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{safe}\"; filename*=UTF-8''{quote(filename, safe='')}"
