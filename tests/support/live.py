"""The portal with the demo data, served on a free loopback port in a thread, for the browser
tests."""

import threading
from contextlib import contextmanager

from werkzeug.serving import make_server

from portal import create_app
from portal.demo import seed_demo
from portal.extensions import db
from tests.support.web import make_config


@contextmanager
def demo_site(path, setup=None, port=0, **config):
    """(app, base URL) of the demo on SQLite at `path`, on `port` (0: a free one); `setup()`
    runs in the app context after seeding, to add what the demo data lacks."""
    app = create_app(make_config(f"sqlite:///{path}", WTF_CSRF_ENABLED=True, **config))
    with app.app_context():
        db.create_all()
        seed_demo(history=False)
        if setup is not None:
            setup()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


@contextmanager
def demo_site_with_stripe(path, setup=None, **config):
    """`demo_site` as `make demo` serves it without Stripe keys: card payments through
    localstripe on loopback, which sends its signed webhooks to the portal."""
    import uuid

    from tests.support.card_payments import running_localstripe, stripe_settings
    from tests.support.environment import free_port

    port = free_port()
    secret = "whsec_demo_" + uuid.uuid4().hex
    webhook = f"http://127.0.0.1:{port}/webhooks/stripe"
    with running_localstripe("--webhook-url", webhook, "--webhook-secret", secret) as base:
        settings = {**stripe_settings(base), "STRIPE_WEBHOOK_SECRET": secret, **config}
        with demo_site(path, setup, port=port, **settings) as site:
            yield site
