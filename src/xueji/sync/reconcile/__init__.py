"""Reconciliation: does the platform agree with the registry?

Both sides are read in bulk into polars frames and compared with joins, so a province's
million students take seconds. They are read a batch of students at a time (a range of
student ids) and only the disagreements are kept across batches, so memory follows the
batch, not the province. Every class of disagreement is counted with a few examples (ids
only, no personal data):

- ``projection_missing``: a registry student the platform has no projection of;
- ``projection_stale``: status, school, region or class out of date;
- ``projection_behind``: the projection has not seen the student's latest event;
- ``active_account_mismatch``: an active account whose five fields no longer match;
- ``pending_account_matches``: a waiting account whose five fields now match;
- ``events_never_applied``: events older than the grace period still not handled
  (dead letters included);
- ``events_applied_twice``: an event handled more than once.

Students with an event not yet applied are in flight: counted apart, not compared, not
repaired; events waiting past the grace period and dead letters are reported as
``events_never_applied``. All of it is read from one snapshot of the database.

The repair never writes platform tables: it asks the registry to publish a
``student.resync`` event for each student concerned, and the normal consumer applies it.

Rooms: ``report`` (what was found), ``compare`` (pure, on frames), ``read_postgres`` and
``read_sqlite`` (bulk reads of both sides: this package is the one documented reader of
the registry's and the platform's tables), ``service``
(running it). Nothing is imported here, so that
``python -m xueji.sync.reconcile.sqlite_reader`` starts with polars alone.
"""
