"""bench.metrics: pure metric functions (numpy/scipy/pandas/statsmodels only; no model, no I/O)."""
