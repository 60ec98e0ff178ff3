"""Reading a SQLite database's committed state in one snapshot, through reader processes
(``sqlite_reader``) that stream a batch of students at a time over pipes."""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import polars as pl
from sqlalchemy.orm import Session

from xueji.sync.reconcile import queries
from xueji.sync.reconcile.compare import BatchFrames, Once
from xueji.sync.reconcile.queries import BOUNDS_SQL, batches
from xueji.sync.reconcile.sqlite_reader import BATCHED, QUERIES, bound_argument, receive

#: one SQLite reader per large query (and one for the rest), so they run on all cores
READER_GROUPS = [[name] for name in QUERIES]


class _Readers:
    """SQLite reader processes (``xueji.sync.reconcile.sqlite_reader``), each streaming its
    queries over a pipe; ``groups`` says which reader reads which queries."""

    def __init__(
        self, database: str, low: int | None, high: int | None, groups: list[list[str]]
    ) -> None:
        self.batch_count = len(batches(low, high, queries.BATCH_STUDENTS))
        self.processes: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []
        self.by_query: dict[str, subprocess.Popen[bytes]] = {}
        # the reader cuts the batches itself from the same bounds and size
        command = [
            *(sys.executable, "-m", "xueji.sync.reconcile.sqlite_reader", database),
            *(bound_argument(low), bound_argument(high), str(queries.BATCH_STUDENTS)),
        ]
        try:
            for names in groups:
                errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
                try:
                    process = subprocess.Popen(
                        [*command, *names], stdout=subprocess.PIPE, stderr=errors
                    )
                except BaseException:
                    errors.close()
                    raise
                self.processes.append((process, errors))
                self.by_query |= dict.fromkeys(names, process)
            self.marks = {self._receive(process) for process, _ in self.processes}
        except BaseException:
            self.close()
            raise

    def _receive(self, process: subprocess.Popen[bytes]) -> bytes:
        assert process.stdout is not None
        data = receive(process.stdout)
        if data is None:
            raise self._failure(process)
        return data

    def _failure(self, process: subprocess.Popen[bytes]) -> RuntimeError:
        """A reader stopped early: its own error message, as far as it wrote one. The
        other readers may be waiting for this process to read from them: they are
        stopped."""
        process.wait()
        errors = next(errors for reader, errors in self.processes if reader is process)
        errors.seek(0)
        message = errors.read().decode(errors="replace")[-2000:]
        self.close()
        return RuntimeError(f"reading the database failed (exit {process.returncode}): {message}")

    def frame(self, query: str) -> pl.DataFrame:
        return pl.read_ipc(io.BytesIO(self._receive(self.by_query[query])))

    def once(self) -> Once:
        """What is read once; it comes first on its readers' streams (the waiting
        accounts on the active accounts' stream, so all accounts share a snapshot)."""
        pending, events = self.frame("accounts"), self.frame("once")
        return Once(pending, events, int(self._receive(self.by_query["once"])))

    def batches(self) -> Iterator[BatchFrames]:
        for _ in range(self.batch_count):
            registry, projection, accounts = (self.frame(name) for name in BATCHED)
            yield registry, projection, accounts

    def finish(self) -> None:
        """Every stream read to its end and every reader done: a reader still sending
        would otherwise wait on its pipe for ever."""
        for process, _ in self.processes:
            assert process.stdout is not None
            if process.stdout.read(1):
                self.close()
                raise RuntimeError("reading the database failed: a reader sent unread data")
            if process.wait() != 0:
                raise self._failure(process)

    def close(self) -> None:
        for process, errors in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
            errors.close()


@contextmanager
def sqlite_snapshot(session: Session) -> Iterator[tuple[Once, Iterator[BatchFrames]]]:
    """The reads of a SQLite database, through ADBC in child processes (see
    ``xueji.sync.reconcile.sqlite_reader`` for why not in this one), streamed a batch at a time.

    One reader per large query, so they run on all cores while this process compares.
    Each first sends the outbox's high-water mark (newest event, number handled) of its
    own snapshot; every registry change writes an event and every application stamps one,
    so equal marks mean the snapshots saw the same state. If they differ (something
    changed as the readers started), one reader reads everything in a single snapshot."""
    database = session.get_bind().engine.url.database
    assert database
    low, high = session.connection().exec_driver_sql(BOUNDS_SQL).one()
    readers = _Readers(database, low, high, READER_GROUPS)
    try:
        if len(readers.marks) != 1:
            readers.close()
            readers = _Readers(database, low, high, [list(QUERIES)])
        yield readers.once(), readers.batches()
        readers.finish()
    finally:
        readers.close()
