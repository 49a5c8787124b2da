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
def demo_site(path, setup=None, **config):
    """(app, base URL) of the demo on SQLite at `path`; `setup()` runs in the app context after
    seeding, to add what the demo data lacks."""
    app = create_app(make_config(f"sqlite:///{path}", WTF_CSRF_ENABLED=True, **config))
    with app.app_context():
        db.create_all()
        seed_demo(history=False)
        if setup is not None:
            setup()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()
