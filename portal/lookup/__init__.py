"""Call-centre lookup and the account 360 view."""
