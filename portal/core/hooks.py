"""Events of a lower domain that a domain higher in the import stack acts on, such as payments
refunding the money of an order that ordering cancels: the lower domain runs the hook by name and
imports nothing above it; the higher one subscribes when its blueprint is registered."""

from collections.abc import Callable

from flask import Flask, current_app

_HOOKS = "portal_hooks"


def subscribe(app: Flask, name: str, handler: Callable[..., None]) -> None:
    """On every `run_hook(name, ...)`, also call `handler(...)`."""
    app.extensions.setdefault(_HOOKS, {}).setdefault(name, []).append(handler)


def run_hook(name: str, **subject) -> None:
    """Call every handler subscribed to `name`, in the caller's transaction."""
    for handler in current_app.extensions.get(_HOOKS, {}).get(name, ()):
        handler(**subject)
