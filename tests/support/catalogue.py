"""A small Simplified Chinese catalogue for tests: the project's own zh_Hans catalogue is
filled by translators, so tests that need a message translated bring theirs."""

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from portal.extensions import babel


def use_chinese_catalogue(monkeypatch, apps, directory: Path, messages: dict[str, str]) -> None:
    """Compile `messages` (msgid -> Chinese) into `directory` and make `apps` translate from it
    alone until the test ends (monkeypatch undoes it; translations are cached per language, so
    the cache is emptied for the test too)."""
    folder = directory / "zh_Hans" / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(locale="zh_Hans")
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    with open(folder / "messages.mo", "wb") as mo:
        write_mo(mo, catalog)
    for app in apps:
        monkeypatch.setattr(app.extensions["babel"], "translation_directories", [str(directory)])
    monkeypatch.setattr(babel.domain_instance, "cache", {})
