"""Demo data for ``make run``: loads idempotently through the normal services."""
