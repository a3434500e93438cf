"""A real local SMTP server (aiosmtpd) for tests: keeps what it is given, refuses on demand."""
import contextlib
import email
import socket
import threading
from email import policy

from aiosmtpd.controller import Controller

TRY_LATER = "451 4.3.0 Mailbox busy, try again later"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def smtp(port, **more):
    """The SMTP setting for a server on this machine at `port`."""
    return {"host": "127.0.0.1", "port": port, "from": "kiosk@school.example",
            "timeout": 5, **more}


class Inbox:
    """An SMTP handler that keeps every message it accepts.

    `refuse_all` (a reply such as TRY_LATER) refuses every message; `refuse` maps an
    address to the reply its recipient gets. `tries` counts every message offered."""

    def __init__(self):
        self.messages, self.tries = [], 0
        self.refuse_all, self.refuse = "", {}
        self._changed = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._changed:
            self.tries += 1
            if self.refuse_all:
                return self.refuse_all
            message = email.message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append((list(envelope.rcpt_tos), message))
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def recipients(self, subject=""):
        """Every address given a message (whose subject has `subject` in it), in order."""
        return [to for tos, message in self.messages for to in tos
                if subject in message["Subject"]]

    def with_subject(self, subject):
        return [message for _, message in self.messages if subject in message["Subject"]]

    def wait_for(self, count, seconds=10):
        """Wait until at least `count` messages have arrived; True if they did."""
        return self.wait_until(lambda messages: len(messages) >= count, seconds)

    def wait_until(self, check, seconds=10):
        """Wait until check(messages) holds, woken by each message; True if it did."""
        with self._changed:
            return self._changed.wait_for(lambda: check(self.messages), seconds)


class Server:
    """An aiosmtpd server on a port, started and stopped by the test."""

    def __init__(self, inbox, port=None):
        self.inbox, self.port = inbox, port or free_port()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@contextlib.contextmanager
def running_inbox():
    """An Inbox behind a started server for the length of the block; `.port` is its port."""
    box = Inbox()
    server = Server(box).start()
    box.port = server.port
    try:
        yield box
    finally:
        server.stop()
