"""Triton's ports: free ones for tests and checks that the wanted ones are free."""

from __future__ import annotations

import socket

from mtassist.contracts import Ports
from mtassist.serving.server_tree import TritonServerError

_ANY_HOST = "0.0.0.0"


class PortInUseError(TritonServerError):
    """A port Triton needs is taken."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_ports(host: str = "127.0.0.1") -> Ports:
    """Three distinct ports nothing listens on right now, for one server (for tests)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(3)]
    try:
        for sock in sockets:
            sock.bind((host, 0))
        grpc, http, metrics = (int(sock.getsockname()[1]) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
    return Ports(grpc=grpc, http=http, metrics=metrics)


def check_ports_free(ports: Ports) -> None:
    """Raise PortInUseError naming the first of Triton's ports that is taken."""
    for name in ("grpc", "http", "metrics"):
        port = getattr(ports, name)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((_ANY_HOST, port))
            except OSError:
                raise PortInUseError(f"port {port} is in use: stop the other server or pass --{name}-port") from None
