"""Two browser tabs on one edit form: each tab opens the page, keeps the form as the browser
shows it (hidden fields included) and posts it back with what the person typed."""

import re
from html.parser import HTMLParser


class _FormReader(HTMLParser):
    """The fields a browser would submit from the page's post forms: (action, id, fields)
    each, a field with a `form` attribute going to the form of that id."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, str, dict]] = []
        self._fields: dict | None = None  # of the form being read
        self._target: dict | None = None  # where the field being read goes
        self._textarea: str | None = None
        self._select: str | None = None

    def _by_id(self, form_id: str) -> dict | None:
        return next((fields for _a, i, fields in self.forms if i == form_id), None)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form" and attrs.get("method", "").lower() == "post":
            self._fields = {}
            self.forms.append((attrs.get("action", ""), attrs.get("id", ""), self._fields))
            return
        if tag == "option":
            if (
                self._select
                and self._target is not None
                and ("selected" in attrs or self._select not in self._target)
            ):
                self._target[self._select] = attrs.get("value", "")
            return
        target = self._by_id(attrs["form"]) if "form" in attrs else self._fields
        name = attrs.get("name")
        if target is None or not name:
            return
        self._target = target
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "file", "button"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    target[name] = attrs.get("value", "on")
                return
            target[name] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            target[name] = ""
        elif tag == "select":
            self._select = name

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea and self._target is not None:
            if not self._target[self._textarea]:  # as browsers do, drop the first line break
                data = data[2:] if data.startswith("\r\n") else data.removeprefix("\n")
            self._target[self._textarea] += data


def post_forms(html: str) -> list[tuple[str, str, dict]]:
    """(action, id, fields) of each post form on the page, in page order."""
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


class Tab:
    """One tab of `client` showing the edit form at `url`: the first post form without an
    action, which posts back to the page, or the form with the id `form_id`."""

    def __init__(self, client, url: str, form_id: str | None = None):
        self.client, self.url = client, url
        page = client.get(url)
        assert page.status_code == 200, f"{url} answered {page.status_code}"
        self.fields = form_of(page.get_data(as_text=True), form_id)
        if form_id:
            self.url = next(
                a for a, i, _f in post_forms(page.get_data(as_text=True)) if i == form_id
            )

    def save(self, **typed):
        """Post the form with `typed` replacing what was shown (None leaves a field out, as a
        browser does with an unticked box)."""
        data = {**self.fields, **typed}
        return self.client.post(self.url, data={k: v for k, v in data.items() if v is not None})


def form_of(html: str, form_id: str | None = None) -> dict:
    """The fields of the page's edit form: the first post form that posts back to the page,
    or the one with the id `form_id`."""
    forms = post_forms(html)
    if form_id:
        return next(fields for _action, i, fields in forms if i == form_id)
    return next(fields for action, _i, fields in forms if not action)


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
