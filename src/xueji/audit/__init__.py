"""Append-only, hash-chained audit log of every change and every full read."""
