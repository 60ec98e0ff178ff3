"""Preparing an import file for staging: reading, checking, indexing and encrypting it,
chunk by chunk.

That work is pure Python and CPU-bound (a million rows are about ten seconds of it),
while writing a chunk to the database is mostly the driver's and the database's. For a
large file it therefore runs in helper processes that prepare the next chunks while this
one writes the previous. A small file stays in-process, where starting an interpreter
would cost more than it saves.

Each helper is a new interpreter (never a fork: the parent may be a server with threads
and polars' own pool). Helpers hold no database connection and write nothing, so killing
any process at any moment leaves the registry as it was: the parent's transaction rolls
back.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import polars as pl

from xueji.db.crypto import Keyring, install_keyring, keyring
from xueji.domain.errors import ValidationFailed
from xueji.registry import import_files
from xueji.registry.import_files import COLUMNS, absent_columns, read_chunks
from xueji.registry.import_rules import check_chunk, message_for
from xueji.registry.service import PHONE_PURPOSE, REGISTRY_NO_PURPOSE

#: Files at least this large are prepared by helper processes (about 80,000 rows).
HELPER_MIN_BYTES = 8 * 1024 * 1024
#: Helper processes for a large file: one per core, at most four.
HELPERS = max(1, min(4, os.cpu_count() or 1))
#: Rows per chunk that a helper prepares. A helper holds about 4.5 KB per row of its chunk
#: (the frame's intermediate columns, the staging tuples and their pickled copy) on top of
#: about 100 MiB of libraries: 25,000 rows keep it near 240 MiB, 50,000 near 330 MiB, and
#: were no faster.
CHUNK_ROWS = 25_000
HELPER_DIED = "导入文件的预处理进程意外退出，导入未生效，请重试"


@dataclass(frozen=True, slots=True)
class PreparedChunk:
    """One chunk ready to stage: how many rows it read, the rejected rows as (row, code,
    Chinese reason), the accepted rows as staging tuples (see ``STAGE_COLUMNS``), and the
    columns the file does not have."""

    height: int
    errors: list[tuple[int, str, str]]
    rows: list[tuple[object, ...]]
    absent: frozenset[str] = frozenset()


def prepare(chunk: pl.DataFrame, import_id: int, today: dt.date) -> PreparedChunk:
    """A blank row (every cell empty or spaces: a separator row, a line of commas) is
    skipped, neither imported nor rejected."""
    blank = pl.all_horizontal(
        pl.col(column).fill_null("").str.strip_chars() == "" for column in COLUMNS
    )
    checked = check_chunk(chunk.filter(~blank), today=today)
    rejected = checked.filter(pl.col("code").is_not_null())
    errors = [
        (row, code, message_for(code, raw, today=today))
        for row, code, raw in rejected.select("row", "code", "registry_no").iter_rows()
    ]
    rows = stage_rows(import_id, checked.filter(pl.col("code").is_null()))
    return PreparedChunk(chunk.height, errors, rows, absent_columns(chunk))


def stage_rows(import_id: int, good: pl.DataFrame) -> list[tuple[object, ...]]:
    """Encrypt and index the accepted rows of a chunk into staging tuples."""
    if good.height == 0:
        return []
    ring = keyring()
    numbers = good["number"].to_list()
    phones1 = good["g1_phone_n"].to_list()
    second = _second_guardians(good)
    columns = (
        good["row"].to_list(),
        ring.blind_index_many(numbers, purpose=REGISTRY_NO_PURPOSE),
        ring.encrypt_many(numbers, purpose="student.registry_no"),
        good["name_n"].to_list(),
        good["gender_n"].to_list(),
        good["birth_n"].dt.to_string("%Y-%m-%d").to_list(),
        good["grade_n"].to_list(),
        good["class_n"].to_list(),
        good["g1_name_n"].to_list(),
        good["g1_relation_n"].to_list(),
        ring.encrypt_many(phones1, purpose="guardian.phone"),
        ring.blind_index_many(phones1, purpose=PHONE_PURPOSE),
        *second,
    )
    return [(import_id, *values) for values in zip(*columns, strict=True)]


def _second_guardians(good: pl.DataFrame) -> tuple[list[object], ...]:
    """Name, relation, encrypted phone and phone index of the optional second guardian
    (None where absent); only the present phones are encrypted and indexed."""
    present = (good["g2_phone_n"].fill_null("") != "").to_list()
    where = [index for index, given in enumerate(present) if given]
    phones = [good["g2_phone_n"][index] for index in where]
    ring = keyring()
    ciphers = dict(zip(where, ring.encrypt_many(phones, purpose="guardian.phone"), strict=True))
    indexes = dict(zip(where, ring.blind_index_many(phones, purpose=PHONE_PURPOSE), strict=True))
    names, relations = good["g2_name_n"].to_list(), good["g2_relation_n"].to_list()
    return (
        [names[i] if given else None for i, given in enumerate(present)],
        [relations[i] if given else None for i, given in enumerate(present)],
        [ciphers.get(i) for i in range(len(present))],
        [indexes.get(i) for i in range(len(present))],
    )


@contextmanager
def prepared_here(
    path: Path,
    import_id: int,
    today: dt.date,
    share: tuple[int, int] = (0, 1),
    chunk_rows: int = import_files.CHUNK_ROWS,
) -> Iterator[Iterator[PreparedChunk]]:
    """The file's chunks prepared in this process, one at a time; with ``share`` (part,
    parts) only every parts-th chunk from the part-th on (the others are read, to count
    rows, but not prepared)."""
    part, parts = share
    with read_chunks(path, chunk_rows) as chunks:
        yield (
            prepare(chunk, import_id, today)
            for number, chunk in enumerate(chunks)
            if number % parts == part
        )


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
        for part in range(HELPERS):
            orders = (str(path), import_id, today, (part, HELPERS), CHUNK_ROWS)
            helpers.append(_start_helper(orders))
        yield _in_turn([receiver for _, receiver in helpers])
    finally:
        # Closing our ends makes a helper still sending stop at once (broken pipe).
        for _, receiver in helpers:
            receiver.close()
        for child, _ in helpers:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _start_helper(orders: tuple[object, ...]) -> tuple[subprocess.Popen[bytes], Connection]:
    """A helper with its orders and the master key on stdin. ``-P``: the helper imports
    nothing from the working directory, since it is trusted with the key."""
    read_end, write_end = os.pipe()
    child: subprocess.Popen[bytes] | None = None
    try:
        child = subprocess.Popen(
            [sys.executable, "-P", "-m", __name__, str(write_end)],
            stdin=subprocess.PIPE,
            pass_fds=(write_end,),
        )
        os.close(write_end)
        write_end = -1
        assert child.stdin is not None
        with child.stdin as stdin:
            pickle.dump((*orders, keyring().master_key()), stdin)
        return child, Connection(read_end, writable=False)
    except BaseException as error:
        for end in (read_end, write_end):
            if end >= 0:
                os.close(end)
        if child is not None:
            child.kill()
            child.wait()
        if isinstance(error, BrokenPipeError):
            raise RuntimeError(HELPER_DIED) from None
        raise


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
    path, import_id, today, share, chunk_rows, master = pickle.load(sys.stdin.buffer)
    install_keyring(Keyring(master))
    try:
        with prepared_here(Path(path), import_id, today, share, chunk_rows) as chunks:
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
    # ``xueji.registry.import_prep.PreparedChunk`` rather than ``__main__.PreparedChunk``.
    from xueji.registry import import_prep

    import_prep._child_main(int(sys.argv[1]))
