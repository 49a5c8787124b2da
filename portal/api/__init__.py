"""Procurement systems connecting: the JSON API v1, webhooks to the customer, cXML PunchOut."""
