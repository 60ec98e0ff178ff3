"""Operators' view of the service: propagation status, metrics, dead letters."""
