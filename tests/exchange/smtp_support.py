"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1, a free port, scripted answers.

``Recorder`` keeps every message the server accepted (parsed), can answer a recipient with a
scripted refusal (``451 …`` then ``250``, or ``550 …``) and can hold the n-th message in its DATA
step until the test releases it (to kill the sender while the server has not accepted it yet).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


class Recorder:
    """An aiosmtpd handler that records what it accepts."""

    def __init__(self) -> None:
        self.accepted: list[EmailMessage] = []
        self.refusals: dict[str, list[str]] = {}  # recipient -> answers to its next RCPT commands
        self.block_on: int | None = None  # the n-th DATA (from 1) waits for ``release``
        self.blocked = threading.Event()
        self.release = threading.Event()
        self.data_seen = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        script = self.refusals.get(address)
        if script:
            answer = script.pop(0)
            if answer:
                return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_seen += 1
        if self.block_on == self.data_seen:
            self.blocked.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 not accepted"
        message = message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.accepted.append(message)
        return "250 OK accepted"

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.accepted]

    def recipients(self) -> list[str]:
        return [str(m["To"]) for m in self.accepted]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    """A running server and its port; stopped at the end (a held message is released first)."""
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        recorder.release.set()
        controller.stop()
