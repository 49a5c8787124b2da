"""localstripe on loopback for the demo and the tests: `python -m portal.payments.emulator`.

localstripe's own command listens on every interface and keeps its state in a file shared by
every run (/tmp/localstripe.pickle); this starts its application on 127.0.0.1 only, in memory,
optionally registers a webhook endpoint with its signing secret, and records what each API
request carried (method, path, Idempotency-Key) at GET /_config/requests (localstripe leaves
/_config/ unauthenticated), so tests can see what the real client sent. Needs the `demo` or
`dev` extra (localstripe); never used in production.

Its stand-in for stripe.js declares a top-level `class Element`, which shadows the DOM's
`Element` for every script of the page and so breaks Bootstrap's (the menu on the pay page);
the real stripe.js declares no such name. It is served inside a block, where its classes and
constants stay; `Stripe` is still set on the window.
"""

import argparse
import logging
from pathlib import Path

#: The requests seen, oldest first: {"method", "path", "idempotency_key"}.
REQUESTS: list[dict] = []


def build_app():
    from aiohttp import web
    from localstripe import resources, server

    # In memory only: no file shared between runs, nothing read back from an earlier one.
    resources.store.dump_to_disk = lambda: None
    resources.store.try_load_from_disk = lambda: None

    @web.middleware
    async def record_requests(request, handler):
        if request.path.startswith("/v1/"):
            REQUESTS.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "idempotency_key": request.headers.get("Idempotency-Key"),
                }
            )
        return await handler(request)

    stripe_js = (Path(server.__file__).parent / "localstripe-v3.js").read_text()
    block_scoped_js = "{\n" + stripe_js + "\n}\n"

    @web.middleware
    async def serve_block_scoped_js(request, handler):
        if request.path == "/js.stripe.com/v3/":
            return web.Response(text=block_scoped_js, content_type="application/javascript")
        return await handler(request)

    async def list_requests(request):
        return web.json_response(REQUESTS)

    async def forget_requests(request):
        REQUESTS.clear()
        return web.Response()

    _send_charge_refunded(resources)
    app = server.app
    app.middlewares.insert(0, record_requests)
    app.middlewares.insert(0, serve_block_scoped_js)
    app.router.add_get("/_config/requests", list_requests)
    app.router.add_delete("/_config/requests", forget_requests)
    return app


def _send_charge_refunded(resources) -> None:
    """Stripe sends `charge.refunded` when a refund is made; localstripe makes the refund (and
    counts it in the charge's `amount_refunded`) but sends nothing, so this sends it."""
    from localstripe.webhooks import schedule_webhook

    refund_init = resources.Refund.__init__
    if getattr(refund_init, "sends_charge_refunded", False):
        return

    def init(self, *args, **kwargs):
        refund_init(self, *args, **kwargs)
        charge = resources.Charge._api_retrieve(self.charge)
        schedule_webhook(resources.Event("charge.refunded", charge))

    init.sends_charge_refunded = True
    resources.Refund.__init__ = init


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8421)
    parser.add_argument("--webhook-url", help="where to send signed events")
    parser.add_argument("--webhook-secret", help="the webhook signing secret (whsec_...)")
    args = parser.parse_args(argv)

    from aiohttp import web
    from localstripe.webhooks import register_webhook

    if args.webhook_url:
        if not args.webhook_secret:
            parser.error("--webhook-url needs --webhook-secret")
        register_webhook("portal", args.webhook_url, args.webhook_secret, None)
    logging.basicConfig(level=logging.INFO, format="localstripe: %(message)s")
    web.run_app(build_app(), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
