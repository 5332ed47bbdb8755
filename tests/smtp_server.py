"""A small real SMTP server on 127.0.0.1 for the mail tests (standard library only).

It speaks EHLO/HELO, MAIL FROM, RCPT TO, DATA (with dot-unstuffing), RSET,
NOOP, QUIT and, when given users, AUTH PLAIN and AUTH LOGIN. ``refuse``
makes it answer 550 to every recipient. Each accepted message is kept as
bytes in ``received``. Use it as a context manager, or call ``stop``.
"""

from __future__ import annotations

import base64
import socket
import socketserver
import threading
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Received:
    """One accepted message: the envelope and the bytes after DATA."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes


class SMTPServer:
    """Serve SMTP on a free loopback port in a thread until stopped."""

    def __init__(
        self, *, users: Mapping[str, str] | None = None, refuse: bool = False
    ) -> None:
        self.users = dict(users or {})
        self.refuse = refuse
        self.received: list[Received] = []
        self.commands: list[str] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> SMTPServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def closed_port() -> int:
    """Return a loopback port where nothing listens (a server that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: SMTPServer


class _Handler(socketserver.StreamRequestHandler):
    timeout = 10

    def handle(self) -> None:
        self.owner = self.server.owner
        self.sender: str | None = None
        self.recipients: list[str] = []
        self.authenticated = False
        self.reply("220 localhost fw test SMTP ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").rstrip("\r\n")
            self.owner.commands.append(command)
            if not self.dispatch(command):
                return

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def dispatch(self, command: str) -> bool:
        verb, _, argument = command.partition(" ")
        verb = verb.upper()
        if verb == "QUIT":
            self.reply("221 Bye")
            return False
        handler = getattr(self, f"do_{verb.lower()}", None)
        if handler is None:
            self.reply("502 Command not implemented")
        else:
            handler(argument)
        return True

    def do_ehlo(self, argument: str) -> None:
        lines = ["localhost", "8BITMIME", "HELP"]
        if self.owner.users:
            lines.insert(1, "AUTH PLAIN LOGIN")
        for line in lines[:-1]:
            self.reply(f"250-{line}")
        self.reply(f"250 {lines[-1]}")

    def do_helo(self, argument: str) -> None:
        self.reply("250 localhost")

    def do_noop(self, argument: str) -> None:
        self.reply("250 OK")

    def do_rset(self, argument: str) -> None:
        self.sender, self.recipients = None, []
        self.reply("250 OK")

    def do_mail(self, argument: str) -> None:
        if self.owner.users and not self.authenticated:
            self.reply("530 Authentication required")
            return
        self.sender = _address(argument, "FROM:")
        self.recipients = []
        self.reply("250 OK")

    def do_rcpt(self, argument: str) -> None:
        if self.sender is None:
            self.reply("503 MAIL first")
        elif self.owner.refuse:
            self.reply("550 5.1.1 Mailbox unavailable")
        else:
            self.recipients.append(_address(argument, "TO:"))
            self.reply("250 OK")

    def do_data(self, argument: str) -> None:
        if not self.recipients:
            self.reply("503 RCPT first")
            return
        self.reply("354 End data with <CR><LF>.<CR><LF>")

        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
            lines.append(line[1:] if line.startswith(b".") else line)
        self.owner.received.append(
            Received(self.sender or "", tuple(self.recipients), b"".join(lines))
        )
        self.sender, self.recipients = None, []
        self.reply(f"250 OK queued as {len(self.owner.received)}")

    def do_auth(self, argument: str) -> None:
        mechanism, _, initial = argument.partition(" ")
        if mechanism.upper() == "PLAIN":
            if not initial:
                self.reply("334 ")
                initial = self.rfile.readline().strip().decode()
            _, login, password = _decode(initial).split("\0")
        elif mechanism.upper() == "LOGIN":
            login = _decode(initial) if initial else self.ask("VXNlcm5hbWU6")
            password = self.ask("UGFzc3dvcmQ6")
        else:
            self.reply("504 Unrecognized authentication type")
            return
        self.authenticated = self.owner.users.get(login) == password
        self.reply("235 OK" if self.authenticated else "535 Authentication failed")

    def ask(self, prompt: str) -> str:
        self.reply(f"334 {prompt}")
        return _decode(self.rfile.readline().strip().decode())


def _address(argument: str, prefix: str) -> str:
    value = argument[len(prefix):] if argument.upper().startswith(prefix) else argument
    return value.strip().split(" ")[0].strip("<>")


def _decode(text: str) -> str:
    return base64.b64decode(text).decode("utf-8")
