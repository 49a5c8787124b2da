"""Key-account insights: each account's figures kept as snapshots by the worker, its stage with
the reason, platinum earned by sales, KPIs per rep and team, a forecast, and the dashboard."""
