"""Two browser tabs on one edit form: each tab opens the page, keeps the form as the browser
shows it (hidden fields included) and posts it back with what the person typed."""

import re
from html.parser import HTMLParser


class _FormReader(HTMLParser):
    """The fields a browser would submit from the page's post forms, one dict per form."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict]] = []
        self._fields: dict | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form" and attrs.get("method", "").lower() == "post":
            self._fields = {}
            self.forms.append((attrs.get("action", ""), self._fields))
        if self._fields is None or "name" not in attrs and tag != "option":
            return
        name = attrs.get("name")
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "file", "button"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._fields[name] = attrs.get("value", "on")
                return
            self._fields[name] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self._fields[name] = ""
        elif tag == "select":
            self._select = name
        elif (
            tag == "option"
            and self._select
            and ("selected" in attrs or self._select not in self._fields)
        ):
            self._fields[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea and self._fields is not None:
            if not self._fields[self._textarea]:  # as browsers do, drop the first line break
                data = data[2:] if data.startswith("\r\n") else data.removeprefix("\n")
            self._fields[self._textarea] += data


def post_forms(html: str) -> list[tuple[str, dict]]:
    """(action, fields) of each post form on the page, in page order."""
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


class Tab:
    """One tab of `client` showing the edit form at `url` (the first post form without an
    action, which posts back to the page)."""

    def __init__(self, client, url: str):
        self.client, self.url = client, url
        page = client.get(url)
        assert page.status_code == 200, f"{url} answered {page.status_code}"
        self.fields = form_of(page.get_data(as_text=True))

    def save(self, **typed):
        """Post the form with `typed` replacing what was shown (None leaves a field out, as a
        browser does with an unticked box)."""
        data = {**self.fields, **typed}
        return self.client.post(self.url, data={k: v for k, v in data.items() if v is not None})


def form_of(html: str) -> dict:
    """The fields of the page's edit form (the first post form that posts back to the page)."""
    return next(fields for action, fields in post_forms(html) if not action)


def differences(response) -> dict[str, tuple[str, str]]:
    """{field label: (what was typed, what is saved now)} from a conflict page."""
    rows = re.findall(
        r'<tr data-field="([^"]*)"><td>[^<]*</td><td[^>]*data-yours>([^<]*)</td>'
        r"<td[^>]*data-saved>([^<]*)</td></tr>",
        response.get_data(as_text=True),
    )
    return {label: (yours, saved) for label, yours, saved in rows}


def saved_by(response) -> list[str]:
    """The e-mails of who saved meanwhile, as a conflict page lists them, newest first."""
    return re.findall(r'data-saved-by="([^"]*)"', response.get_data(as_text=True))
