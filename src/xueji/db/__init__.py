"""Database layer: engine, transaction scope, declarative base, encrypted columns."""
