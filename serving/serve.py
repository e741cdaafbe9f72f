"""`mtassist serve`: deploy a registered version into the local repository and serve it until stopped."""

from __future__ import annotations

import signal
import sys

from mtassist.contracts import Ports
from mtassist.settings import Settings


def serve_forever(settings: Settings, reference: str, ports: Ports) -> None:
    """Deploy `reference` (an alias or a version) and run Triton on it until SIGINT or SIGTERM.

    The server runs in explicit model-control mode, so that `mtassist deploy` can roll another
    version out to it (or roll back) while it serves.
    """
    from mtassist.registry import use_tracking
    from mtassist.serving.deploy import deploy
    from mtassist.serving.launcher import TritonServer, check_ports_free

    check_ports_free(ports)
    use_tracking(settings.resolved_tracking_uri, settings.resolved_artifact_root)
    version = deploy(settings.model_repository, reference=reference)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started with SIGINT ignored
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with TritonServer(
        settings.model_repository, ports=ports, model_control_mode="explicit", load_models=["*"]
    ) as server:
        print(
            f"Triton serves {reference} (version {version}) on gRPC {server.grpc_url}, HTTP {server.http_url}, "
            f"metrics {server.metrics_url}; log in {server.log_path}. `mtassist deploy --version N` rolls "
            "another version out to it. Ctrl-C stops it.",
            flush=True,
        )
        signal.pause()
