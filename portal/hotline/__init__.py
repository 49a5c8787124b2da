"""The key-account hotline: requests routed to the account's sales staff, deadlines, leads,
sample units and customer care."""
