"""Helper processes that prepare the chunks of a large import file while the importing
process writes (see ``prepare``).

Each helper is a new interpreter (never a fork: the parent may be a server with threads
and polars' own pool), started as ``python -P -m`` of this module with its orders and the
master key on stdin. Helpers hold no database connection and write nothing, so killing
any process at any moment leaves the registry as it was: the parent's transaction rolls
back.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from multiprocessing.connection import Connection
from pathlib import Path

from xueji.db.bulk import BULK_GC_THRESHOLD
from xueji.db.crypto import install_keyring, keyring, keyring_from
from xueji.domain.errors import ValidationFailed
from xueji.registry.imports.csv_shape import inspect_csv
from xueji.registry.imports.prepare import (
    CHUNK_ROWS,
    PreparedChunk,
    prepared_here,
)

#: Files at least this large are prepared by helper processes (about 80,000 rows).
HELPER_MIN_BYTES = 8 * 1024 * 1024
#: Helper processes for a large file: one per core, at most four.
HELPERS = max(1, min(4, os.cpu_count() or 1))
#: Helpers yield the CPU to the importing process: it is the one everything waits on
#: (writing is serial); they share what it leaves.
HELPER_NICENESS = 10
HELPER_DIED = "导入文件的预处理进程意外退出，导入未生效，请重试"


@contextmanager
def prepared_by_helpers(
    path: Path, import_id: int, today: dt.date
) -> Iterator[Iterator[PreparedChunk]]:
    """The file's chunks prepared by helper processes, which work on the next chunks
    while the caller stages this one. Helper k prepares chunks k, k + n, k + 2n… and the
    caller takes them in turn, so the order is the file's. Each pipe holds at most one
    chunk in flight: memory stays bounded by a few chunks per helper whatever the file's
    size. Even on two cores two helpers pay: the caller waits on them half the time.

    The helpers are fresh ``python -m`` runs of this module rather than multiprocessing
    spawns, which would re-run the parent's main script in each."""
    helpers: list[tuple[subprocess.Popen[bytes], Connection]] = []
    try:
        for _ in range(HELPERS):
            helpers.append(_start_helper())
        # read once, here, while the helpers start, rather than by each of them
        inspected = inspect_csv(path)
        for part, (child, _) in enumerate(helpers):
            orders = (str(path), import_id, today, (part, HELPERS), CHUNK_ROWS, inspected)
            _send_orders(child, orders)
        yield _in_turn([receiver for _, receiver in helpers])
    finally:
        # Closing our ends makes a helper still sending stop at once (broken pipe).
        for _, receiver in helpers:
            receiver.close()
        for child, _ in helpers:
            if child.stdin is not None:
                with suppress(OSError):
                    child.stdin.close()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _start_helper() -> tuple[subprocess.Popen[bytes], Connection]:
    """A helper, started; it waits for its orders on stdin (``_send_orders``). ``-P``:
    the helper imports nothing from the working directory, since it is trusted with the
    key."""
    read_end, write_end = os.pipe()
    try:
        child = subprocess.Popen(
            [sys.executable, "-P", "-m", __name__, str(write_end)],
            stdin=subprocess.PIPE,
            pass_fds=(write_end,),
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    return child, Connection(read_end, writable=False)


def _send_orders(child: subprocess.Popen[bytes], orders: tuple[object, ...]) -> None:
    """The helper's orders and the master key, on its stdin."""
    assert child.stdin is not None
    try:
        with child.stdin as stdin:
            pickle.dump((*orders, keyring().material()), stdin)
    except BrokenPipeError:
        raise RuntimeError(HELPER_DIED) from None


def prepared_chunks(
    path: Path, import_id: int, today: dt.date
) -> AbstractContextManager[Iterator[PreparedChunk]]:
    """The file's chunks, prepared by helper processes for a large CSV file and in this
    one otherwise. Not for an .xlsx: each helper would load the whole sheet."""
    if path.suffix.lower() == ".csv" and path.stat().st_size >= HELPER_MIN_BYTES:
        return prepared_by_helpers(path, import_id, today)
    return prepared_here(path, import_id, today)


def _in_turn(receivers: list[Connection]) -> Iterator[PreparedChunk]:
    """Chunk i from helper i mod n. The first helper to have no chunk for its turn
    marks the end of the file."""
    for turn in itertools.count():
        try:
            kind, payload = receivers[turn % len(receivers)].recv()
        except EOFError:
            raise RuntimeError(HELPER_DIED) from None
        if kind == "chunk":
            yield payload
        elif kind == "refused":
            message, code, details = payload
            raise ValidationFailed(message, code=code, **details)
        elif kind == "failed":
            raise RuntimeError(f"导入文件预处理失败：{payload}")
        else:
            return


def _child_main(write_fd: int) -> None:
    """Entry point of a helper: reads its orders from stdin, sends each of its chunks,
    then "done" — or the reason it stopped. A closed pipe means the parent is gone or
    no longer needs it: stop quietly."""
    sender = Connection(write_fd, readable=False)
    with suppress(OSError):
        os.nice(HELPER_NICENESS)
    gc.set_threshold(BULK_GC_THRESHOLD)  # a helper only builds rows (``few_collections``)
    try:
        orders = pickle.load(sys.stdin.buffer)
    except EOFError:  # the parent stopped before sending them
        return
    path, import_id, today, share, chunk_rows, inspected, material = orders
    install_keyring(keyring_from(material))
    try:
        with prepared_here(Path(path), import_id, today, share, chunk_rows, inspected) as chunks:
            for chunk in chunks:
                sender.send(("chunk", chunk))
        sender.send(("done", None))
    except BrokenPipeError:
        return
    except ValidationFailed as error:
        _send_quietly(sender, ("refused", (error.message, error.code, error.details)))
    except Exception as error:  # reported to the parent, which fails the import
        _send_quietly(sender, ("failed", f"{type(error).__name__}: {error}"))
    finally:
        with suppress(OSError):
            sender.close()


def _send_quietly(sender: Connection, message: tuple[str, object]) -> None:
    with suppress(BrokenPipeError):
        sender.send(message)


if __name__ == "__main__":
    # Run from the module under its own name, so that what it sends unpickles as
    # ``xueji.registry.imports.prepare.PreparedChunk`` rather than ``__main__.PreparedChunk``.
    from xueji.registry.imports import helpers

    helpers._child_main(int(sys.argv[1]))
