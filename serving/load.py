"""Concurrent clients asking a server without pause: what the rollout test and the serving benchmark send.

    with ConcurrentLoad(url, texts, clients=8) as load:
        ...                      # deploy, roll back
    load.failures, load.versions_after(when)

Each client is a thread with its own gRPC connection and no retries, so every failure counts.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from mtassist.contracts import TRITON_ASSISTANT_MODEL


@dataclass(frozen=True)
class Reply:
    """One request: when it was sent and answered (time.monotonic), and what came back."""

    client: int
    sent: float
    answered: float
    version: str | None
    error: str | None = None

    @property
    def latency_ms(self) -> float:
        return (self.answered - self.sent) * 1000


class ConcurrentLoad:
    """`clients` threads, each asking one text at a time, in turn, until stopped.

    Args:
        url: Triton's gRPC address.
        texts: the utterances, cycled through.
        clients: concurrent clients.
        model: the model asked.
        timeout_s: each request's deadline.
    """

    def __init__(
        self,
        url: str,
        texts: Sequence[str],
        clients: int = 8,
        model: str = TRITON_ASSISTANT_MODEL,
        timeout_s: float = 30.0,
    ) -> None:
        if not texts:
            raise ValueError("ConcurrentLoad needs at least one text")
        self.url = url
        self.texts = list(texts)
        self.clients = clients
        self.model = model
        self.timeout_s = timeout_s
        self.replies: list[Reply] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.started: float | None = None
        self.stopped: float | None = None

    def __enter__(self) -> ConcurrentLoad:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> ConcurrentLoad:
        self.started = time.monotonic()
        self._threads = [
            threading.Thread(target=self._ask_until_stopped, args=(index,), daemon=True, name=f"load-{index}")
            for index in range(self.clients)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout_s + 5)
        self.stopped = time.monotonic()

    def wait_for(self, replies: int, timeout_s: float = 60.0) -> None:
        """Block until at least `replies` more requests have been answered (or failed)."""
        target = len(self.replies) + replies
        deadline = time.monotonic() + timeout_s
        while len(self.replies) < target:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.replies)} replies after {timeout_s:.0f}s, waiting for {target}")
            time.sleep(0.01)

    @property
    def failures(self) -> list[Reply]:
        return [reply for reply in self.replies if reply.error is not None]

    def versions_sent_after(self, moment: float) -> set[str | None]:
        """The versions that answered the requests sent after `moment` (time.monotonic)."""
        return {reply.version for reply in self.replies if reply.sent > moment and reply.error is None}

    def throughput(self) -> float:
        """Answered requests per second between start and stop."""
        elapsed = (self.stopped or time.monotonic()) - (self.started or 0.0)
        answered = sum(1 for reply in self.replies if reply.error is None)
        return answered / elapsed if elapsed > 0 else 0.0

    def _ask_until_stopped(self, index: int) -> None:
        from mtassist.serving.client import AssistantClient

        with AssistantClient(self.url, model=self.model, timeout_s=self.timeout_s, retries=0) as client:
            for text in itertools.cycle(self.texts[index:] + self.texts[:index]):
                if self._stop.is_set():
                    return
                sent = time.monotonic()
                try:
                    answer = client.ask([text])[0]
                    reply = Reply(index, sent, time.monotonic(), str(answer.get("model_version")))
                except Exception as error:  # every failure is a figure here, whatever its kind
                    reply = Reply(index, sent, time.monotonic(), None, f"{type(error).__name__}: {error}")
                with self._lock:
                    self.replies.append(reply)
