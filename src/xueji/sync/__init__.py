"""Change events from the registry to the platform: outbox, worker, reconciliation."""
