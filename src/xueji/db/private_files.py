"""The service's files on disk are its own: the var directory is 0700; the SQLite
database, its WAL and shared-memory files, the key file and the development SMS outbox
are 0600. Children's data is encrypted where it is sensitive, but names, classes and the
shape of the data are not, and nobody else on the machine has any business reading them.

SQLite creates ``-wal`` and ``-shm`` with the database file's own mode, so a database
created 0600 keeps all three private; files left by an older version are tightened when
the service next opens them."""

from __future__ import annotations

import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def private_directory(path: Path) -> None:
    """Create ``path`` (and its parents) if need be; the directory itself becomes 0700."""
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIRECTORY_MODE:
        path.chmod(DIRECTORY_MODE)


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist, else make it 0600."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        if path.stat().st_mode & 0o777 != FILE_MODE:
            path.chmod(FILE_MODE)


def private_sqlite(database: Path) -> None:
    """The database file created 0600 before SQLite opens it (its companions follow its
    mode); companions an older version left readable are made 0600."""
    private_file(database)
    for suffix in SQLITE_COMPANIONS[1:]:
        companion = database.with_name(database.name + suffix)
        if companion.exists() and companion.stat().st_mode & 0o777 != FILE_MODE:
            companion.chmod(FILE_MODE)
