"""Telling users what happened: in-app notices and e-mail through a transactional outbox."""
