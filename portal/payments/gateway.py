"""Stripe as the portal talks to it: whether card payments are configured, the official client
at the configured API base (localstripe in the demo and tests), its PaymentIntent statuses in
the portal's words, and the webhook's signature check (SECURITY.md 27)."""

import json
import time

import stripe
from flask import current_app

#: Stripe's PaymentIntent statuses as the portal's card payment statuses.
INTENT_STATUSES = {
    "requires_payment_method": "open",
    "requires_confirmation": "open",
    "requires_action": "open",
    "requires_capture": "processing",
    "processing": "processing",
    "succeeded": "succeeded",
    "canceled": "canceled",
}


def is_configured() -> bool:
    config = current_app.config
    return bool(
        config.get("STRIPE_SECRET_KEY")
        and config.get("STRIPE_PUBLISHABLE_KEY")
        and config.get("STRIPE_WEBHOOK_SECRET")
    )


def stripe_client() -> stripe.StripeClient:
    """The official client, at the configured API base (localstripe in the demo and tests).
    Network retries resend the same idempotency key."""
    config = current_app.config
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base} if base else None,
        max_network_retries=2,
    )


def as_dict(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def verified_event(payload: bytes, signature: str | None) -> dict:
    """The event in the raw body when its signature is good and fresh (SECURITY.md 27);
    ValueError otherwise."""
    config = current_app.config
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"),
            signature or "",
            config["STRIPE_WEBHOOK_SECRET"],
            config["STRIPE_WEBHOOK_TOLERANCE"],
        )
        # stripe-python refuses old timestamps only; one from the future is as suspect.
        stamp = int(dict(p.split("=", 1) for p in signature.split(",") if "=" in p)["t"])
        if stamp > time.time() + config["STRIPE_WEBHOOK_TOLERANCE"]:
            raise ValueError("timestamp in the future")
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError, KeyError) as error:
        raise ValueError(str(error)) from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise ValueError("not an event")
    return event
