"""``xueji serve --workers N``: N server processes, each with its own listening socket on
the same port (``SO_REUSEPORT``).

Why not one shared socket: with a shared socket, whichever process wakes first accepts
every connection waiting at that moment, so the long-lived keep-alive connections of a
proxy or a load generator often all end up in one process while the others idle — half
the machine unused on two cores. With one socket per process the kernel spreads new
connections across the processes.

The parent only supervises: it checks the port is free, starts the processes, starts a
new one if one dies, and on SIGTERM or SIGINT stops them all (each finishes its requests
in flight).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from typing import Any

from xueji.domain.errors import XuejiError

log = logging.getLogger("xueji.serve")

APP_FACTORY = "xueji.app:create_worker_app"
#: a process that dies sooner than this after starting counts as failing to start
STARTUP_GRACE_S = 10.0
MAX_QUICK_DEATHS = 3
STOP_TIMEOUT_S = 30.0


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def check_port_free(host: str, port: int) -> None:
    """Refuse to start on a port in use: sockets bound with ``SO_REUSEPORT`` would
    otherwise silently share the port with another instance. A bind without
    ``SO_REUSEPORT`` fails if anything listens there; ``SO_REUSEADDR`` lets it pass
    connections of a previous run still closing (TIME_WAIT), so a restart is not refused."""
    probe = socket.socket(_family(host), socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind((host, port))
    except OSError as error:
        raise XuejiError(
            f"端口 {host}:{port} 已被占用：{error.strerror}", code="SERVE_PORT_IN_USE"
        ) from None
    finally:
        probe.close()


def _listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _serve_one(host: str, port: int, workers: int, options: dict[str, Any]) -> None:
    """One server process: its own socket, its own application (``create_worker_app``
    builds the container and logging in this process), its share of the cores for
    password hashing."""
    import os

    import uvicorn

    from xueji.auth.passwords import set_hashing_slots

    set_hashing_slots((os.cpu_count() or 1) // workers)

    config = uvicorn.Config(APP_FACTORY, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[_listening_socket(host, port)])


class Supervisor:
    def __init__(self, host: str, port: int, workers: int, options: dict[str, Any]) -> None:
        self.host, self.port, self.workers, self.options = host, port, workers, options
        self.context = multiprocessing.get_context("spawn")
        self.stopping = threading.Event()
        self.quick_deaths = 0

    def _start(self) -> tuple[BaseProcess, float]:
        process = self.context.Process(
            target=_serve_one,
            args=(self.host, self.port, self.workers, self.options),
            daemon=False,
        )
        process.start()
        return process, time.monotonic()

    def run(self) -> int:
        """Supervise until asked to stop; the exit status for the command."""
        for received in (signal.SIGTERM, signal.SIGINT):
            signal.signal(received, lambda *_: self.stopping.set())
        processes = [self._start() for _ in range(self.workers)]
        log.info("%d 个服务进程监听 %s:%d", self.workers, self.host, self.port)
        status = 0
        while not self.stopping.wait(0.5):
            for slot, (process, started) in enumerate(processes):
                if process.is_alive():
                    continue
                quick = time.monotonic() - started < STARTUP_GRACE_S
                self.quick_deaths = self.quick_deaths + 1 if quick else 0
                if self.quick_deaths >= MAX_QUICK_DEATHS:
                    log.error("服务进程连续 %d 次启动后即退出，停止服务", self.quick_deaths)
                    self.stopping.set()
                    status = 1
                    break
                log.error("服务进程 %s 已退出（%s），重新启动", process.pid, process.exitcode)
                processes[slot] = self._start()
        self._stop([process for process, _ in processes])
        return status

    def _stop(self, processes: list[BaseProcess]) -> None:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()


def serve_processes(host: str, port: int, workers: int, options: dict[str, Any]) -> int:
    check_port_free(host, port)
    return Supervisor(host, port, workers, options).run()
