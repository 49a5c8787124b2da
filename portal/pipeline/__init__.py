"""The sales pipeline: leads with products, value, expected close and probability, and the
visits field sales plan and log on an account."""
