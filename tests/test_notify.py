"""Notifier drivers (stevedore group ``mash.notifiers``): log, file and SMTP against a local server."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import socketserver
import stat
import threading

import pytest
from stevedore.exception import NoMatches

from fixture_plugins import post_form
from mash_core.notify import Message, get_notifier
from mash_core.notify.drivers import FileNotifier, LogNotifier, SmtpNotifier
from mash_core.testing import host_client

SECRET_LINK = "http://localhost/bestaetigen/GEHEIM-abc123"


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 localhost test SMTP ready")
        sender, recipients = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-localhost" if verb == "EHLO" else "250 localhost")
                if verb == "EHLO":
                    self.reply("250 8BITMIME")  # no STARTTLS: the driver must cope without it
            elif verb == "MAIL":
                sender, recipients = re.search(r"<([^>]*)>", command).group(1), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(re.search(r"<([^>]*)>", command).group(1))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    data = self.rfile.readline()
                    if data in (b".\r\n", b".\n", b""):
                        break
                    lines.append(data[1:] if data.startswith(b"..") else data)
                self.server.messages.append((sender, recipients, b"".join(lines)))
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[tuple[str, list[str], bytes]] = []


@pytest.fixture
def smtp_server():
    server = _SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_drivers_are_loaded_by_name(tmp_path):
    assert isinstance(get_notifier("log"), LogNotifier)
    assert isinstance(get_notifier("file", folder=str(tmp_path)), FileNotifier)
    smtp = get_notifier("smtp", host="127.0.0.1", port=2525, sender="a@example.org")
    assert isinstance(smtp, SmtpNotifier) and (smtp.host, smtp.port, smtp.sender) == ("127.0.0.1", 2525, "a@example.org")
    with pytest.raises(NoMatches):
        get_notifier("carrier-pigeon")


def test_smtp_driver_delivers_to_a_local_server(smtp_server):
    port = smtp_server.server_address[1]
    notifier = get_notifier("smtp", host="127.0.0.1", port=port, sender="noreply@heidelberg.example")
    notifier.send(Message(to="buerger@example.org", subject="Registrierung bestätigen",
                          body=f"Guten Tag,\n\nbitte öffnen Sie {SECRET_LINK}\n.\nGrüße"))
    [(sender, recipients, raw)] = smtp_server.messages
    assert sender == "noreply@heidelberg.example" and recipients == ["buerger@example.org"]
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Subject"] == "Registrierung bestätigen"
    assert mail["From"] == "noreply@heidelberg.example" and mail["To"] == "buerger@example.org"
    body = mail.get_content().replace("\r\n", "\n")
    assert SECRET_LINK in body and "Grüße" in body and "\n.\n" in body  # dot-stuffing survived


def test_smtp_driver_reports_an_unreachable_server(smtp_server):
    port = smtp_server.server_address[1]
    smtp_server.shutdown()
    smtp_server.server_close()
    with pytest.raises(OSError):
        SmtpNotifier(host="127.0.0.1", port=port, timeout=2).send(Message("a@example.org", "s", "b"))


def test_log_driver_never_logs_the_body(caplog):
    caplog.set_level(logging.DEBUG)
    LogNotifier().send(Message(to="max.mustermann@example.org", subject="Ihr Termin",
                               body=f"Bestätigen Sie hier: {SECRET_LINK}"))
    assert "Ihr Termin" in caplog.text and "example.org" in caplog.text
    assert SECRET_LINK not in caplog.text and "GEHEIM" not in caplog.text
    assert "max.mustermann" not in caplog.text  # the address' local part is personal data too


def test_file_driver_writes_private_eml(tmp_path):
    FileNotifier(str(tmp_path / "outbox")).send(Message("a@example.org", "Betreff", "Inhalt äöü"))
    [path] = (tmp_path / "outbox").glob("*.eml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert mail["Subject"] == "Betreff" and mail.get_content().strip() == "Inhalt äöü"


def _register(client, address):
    return post_form(client, "/registrieren", {"email": address, "password": "lange genug 123",
                                               "password2": "lange genug 123", "privacy": "1"},
                     token_from="/registrieren")


def test_portal_sends_confirmation_through_the_configured_smtp_driver(mash_app_factory, smtp_server):
    app = mash_app_factory(plugins=())
    settings = app.extensions["mash"].settings
    settings.notifier, settings.smtp_host, settings.smtp_port = "smtp", "127.0.0.1", smtp_server.server_address[1]
    settings.mail_from = "portal@heidelberg.example"
    assert _register(host_client(app), "smtp@example.org").status_code == 200
    [(sender, recipients, raw)] = smtp_server.messages
    assert sender == "portal@heidelberg.example" and recipients == ["smtp@example.org"]
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Subject"] == "Registrierung bestätigen"
    assert "/bestaetigen/" in mail.get_content()


def test_portal_with_log_driver_logs_no_link(mash_app_factory, caplog):
    app = mash_app_factory(plugins=())
    app.extensions["mash"].settings.notifier = "log"
    caplog.set_level(logging.DEBUG)
    assert _register(host_client(app), "log@example.org").status_code == 200
    assert "Registrierung bestätigen" in caplog.text
    assert "/bestaetigen/" not in caplog.text


def test_facade_notify_uses_the_configured_driver(mash_app_factory):
    from mash_core.api import notify

    app = mash_app_factory(plugins=())
    with app.test_request_context("/"):
        notify("x@example.org", "Hallo", "Text")
    [path] = (app.extensions["mash"].settings.instance / "outbox").glob("*.eml")
    assert "Subject: Hallo" in path.read_text()
