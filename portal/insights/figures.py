"""Each account's figures (DESIGN.md section 4, "Key-account insights"), kept as snapshots."""


def refresh_snapshots(today=None) -> int:
    """Recompute MonthlySales and AccountSnapshot for every account; returns how many."""
    raise NotImplementedError  # the figures part builds this
