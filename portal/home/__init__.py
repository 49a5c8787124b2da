"""Pages that compose other domains: key-account landing pages, the staff dashboard, health."""
