"""Command-line composition root: the ``xueji`` command."""
