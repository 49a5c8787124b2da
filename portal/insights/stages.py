"""Stages by wallet share, with the reason, and their history."""


def assign_stages(today=None) -> int:
    """Set each snapshot's stage and rule, record changes; returns how many changed."""
    raise NotImplementedError  # the stages part builds this
