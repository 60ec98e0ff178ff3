"""``xueji serve --workers 2`` on PostgreSQL: one listening socket per process on the
same port, a process that dies is replaced, a second instance on the same port is
refused, and SIGTERM stops everything and frees the port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.conftest import TEST_MASTER_KEY
from tests.databases import migrated_engine
from tests.e2e.conftest import XUEJI, _free_port, _wait_until_up, cli_env


def listeners(port: int) -> list[str]:
    """Inodes of the TCP sockets listening on ``port`` (state 0A in /proc/net/tcp)."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            found.append(inode)
    return found


def serving_processes(port: int) -> set[int]:
    """The processes holding a socket that listens on ``port``."""
    inodes = {f"socket:[{inode}]" for inode in listeners(port)}
    holders = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in inodes:
                    holders.add(int(entry.name))
        except OSError:
            continue
    return holders


def wait_for(condition: Callable[[], object], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.2)


@pytest.fixture
def postgres_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with migrated_engine("postgresql", tmp_path) as engine:
        url = engine.url.render_as_string(hide_password=False)
        yield cli_env(tmp_path, XUEJI_DATABASE_URL=url, XUEJI_SECRET_KEY=TEST_MASTER_KEY.decode())


def test_two_processes_each_listen_and_are_replaced_and_stopped(
    postgres_env: dict[str, str], tmp_path: Path
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [str(XUEJI), "serve", "--port", str(port), "--workers", "2"],
            env=postgres_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(base, server)
        wait_for(lambda: len(serving_processes(port)) == 2)
        assert len(listeners(port)) == 2  # one socket each: the kernel spreads connections
        for _ in range(20):  # a new connection each time
            assert httpx.get(base + "/login").status_code == 200

        second = subprocess.run(
            [str(XUEJI), "serve", "--port", str(port), "--workers", "2"],
            env=postgres_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 1
        assert "SERVE_PORT_IN_USE" in second.stderr

        victim = min(serving_processes(port))
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: (now := serving_processes(port)) and len(now) == 2 and victim not in now)
        assert httpx.get(base + "/login").status_code == 200
        assert server.poll() is None
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
    assert listeners(port) == []
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
