"""In-app notices to users (e-mail delivery comes with the hotline)."""
