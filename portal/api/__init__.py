"""The API domain: JSON API v1 with its OpenAPI document, webhooks to the customer, and cXML
PunchOut."""
