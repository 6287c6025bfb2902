"""The core's notifier drivers. A driver is a class with ``send(message)``."""

from __future__ import annotations

import logging
import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

log = logging.getLogger("mash.notify")


class LogNotifier:
    """Logs that a message went out — recipient domain and subject only, never the body,
    which may carry a confirmation link."""

    def send(self, message) -> None:
        domain = message.to.rsplit("@", 1)[-1]
        log.info("notification to *@%s: %s (%d chars)", domain, message.subject, len(message.body))


class FileNotifier:
    """Writes each message as an .eml file into the instance's ``outbox`` folder (the demo's
    mailbox: open the newest file to find a confirmation link)."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def send(self, message) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        mail = _email(message, "noreply@mash.localhost")
        name = f"{time.time_ns()}.eml"
        path = self.folder / name
        path.write_bytes(bytes(mail))
        path.chmod(0o600)


class SmtpNotifier:
    """Sends e-mail through an SMTP server (STARTTLS when the server offers it)."""

    def __init__(self, host: str = "localhost", port: int = 25, sender: str = "noreply@mash.localhost",
                 timeout: float = 10.0):
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def send(self, message) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
            smtp.send_message(_email(message, self.sender))


def _email(message, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail.set_content(message.body)
    return mail
