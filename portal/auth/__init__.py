"""Sign-in, sessions, password changes and the sign-in throttle."""
