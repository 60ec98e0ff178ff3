"""The key store port: where the master key comes from.

``XUEJI_SECRET_KEY`` wins; otherwise a random key is created on first run in
``var_dir/secret.key`` with mode 0600 and read from there afterwards. Tests use an
in-memory key. Losing the key means losing every encrypted value: back it up.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from xueji.db.private_files import FILE_MODE, private_directory

KEY_FILE_NAME = "secret.key"


def load_master_key(*, secret_key: str, var_dir: Path) -> bytes:
    if secret_key:
        return secret_key.encode("utf-8")
    path = var_dir / KEY_FILE_NAME
    if not path.exists():
        private_directory(var_dir)
        key = base64.b64encode(secrets.token_bytes(32))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key + b"\n")
    if path.stat().st_mode & 0o777 != FILE_MODE:
        path.chmod(FILE_MODE)
    return path.read_bytes().strip()
