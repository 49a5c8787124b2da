"""The worker's insights sweep: every account's figures as of its today, then the stages, then
platinum. Owned by the figures part; stages and platinum are called in this order."""

from portal.insights import figures, platinum, stages


def refresh_insights() -> str:
    """Commits its own work; returns what it did, for the worker's log."""
    counted = figures.refresh_snapshots()
    moved = stages.assign_stages()
    changed = platinum.recompute()
    return f"{counted} accounts, {moved} stage changes, {changed} platinum changes"
