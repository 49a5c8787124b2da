"""Platinum earned: the top accounts by T12M, with a buffer, and directors' overrides."""


def recompute(today=None) -> int:
    """Rank, apply the buffer and overrides, record and tell; returns how many changed."""
    raise NotImplementedError  # the stages part builds this
