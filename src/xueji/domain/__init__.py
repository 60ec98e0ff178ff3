"""The pure core: identity numbers, names, enrollment status and capabilities.

Imports only the standard library and pure data libraries, so every rule here is
testable without a database or a web framework.
"""
