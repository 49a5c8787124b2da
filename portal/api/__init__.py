"""What procurement systems connect to: the JSON API v1 and its OpenAPI document (Bearer
tokens), the account's webhooks, and cXML PunchOut."""
