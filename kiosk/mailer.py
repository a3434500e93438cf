"""Plain-text email through the school's own SMTP server (config SMTP; None: no email).

What is sent, to whom and when is the outbox's business (outbox.py); this module only
talks to the server and turns its failures into plain reasons."""
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

DEFAULT_TIMEOUT = 10


class MailError(Exception):
    """Email could not be sent; the message says why in plain words, never a password."""

    def __init__(self, reason, sent=0):
        super().__init__(reason)
        self.sent = sent  # how many messages went before the failure


class Mailer:
    """Sends messages over one SMTP connection, configured like the SMTP setting."""

    def __init__(self, settings):
        self.settings = dict(settings)

    @classmethod
    def from_config(cls, config):
        """A Mailer for the app's SMTP setting, or None when email is off."""
        settings = config.get("SMTP")
        return cls(settings) if settings else None

    @property
    def sender(self):
        return self.settings.get("from") or ""

    @property
    def server(self):
        """host:port, for messages; never the login."""
        return f"{self.settings.get('host', '')}:{self._port()}"

    def problem(self):
        """Why this setting cannot work, or "" (checked before connecting)."""
        for key in ("host", "from"):
            if not self.settings.get(key):
                return f"the SMTP setting has no '{key}'"
        if self.settings.get("ssl") and self.settings.get("starttls"):
            return "the SMTP setting has both 'ssl' and 'starttls': choose one"
        if bool(self.settings.get("username")) != bool(self.settings.get("password")):
            return "the SMTP setting needs both 'username' and 'password', or neither"
        return ""

    def message(self, to, subject, body):
        """A plain-text email from the configured sender."""
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, to, subject
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        msg.set_content(body)
        return msg

    def send(self, messages):
        """Send each message; returns how many went. Raises MailError naming what failed."""
        problem = self.problem()
        if problem:
            raise MailError(problem)
        sent, refused = 0, []
        try:
            with self._connect() as smtp:
                for msg in messages:
                    try:
                        smtp.send_message(msg)
                        sent += 1
                    except smtplib.SMTPRecipientsRefused:
                        refused.append(msg["To"])
        except MailError as exc:
            exc.sent = sent
            raise
        except Exception as exc:  # smtplib raises several unrelated types
            raise MailError(self._reason(exc, sent), sent) from None
        if refused:
            raise MailError(f"the SMTP server at {self.server} refused "
                            f"{', '.join(refused)}", sent)
        return sent

    def deliver(self, messages):
        """Send each message over one connection; for each, "" once sent, or why not.

        Unlike send, a refused message does not hide how the others went: the outbox
        retries only the ones that did not go."""
        problem = self.problem()
        if problem:
            return [problem] * len(messages)
        results = []
        try:
            with self._connect() as smtp:
                for msg in messages:
                    results.append(self._one(smtp, msg))
        except MailError as exc:
            reason = str(exc)
        except Exception as exc:  # smtplib raises several unrelated types
            reason = self._reason(exc, 0)
        else:
            return results
        return results + [reason] * (len(messages) - len(results))

    def _one(self, smtp, msg):
        """Send one message on an open connection: "" or why the server would not take it."""
        try:
            smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused:
            return f"the SMTP server at {self.server} refused {msg['To']}"
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # closing the connection: nothing more will go
                raise
            return self._reason(exc, 0)
        return ""

    def _port(self):
        default = 465 if self.settings.get("ssl") else 25
        return int(self.settings.get("port") or default)

    def _connect(self):
        host, port = self.settings["host"], self._port()
        timeout = self.settings.get("timeout") or DEFAULT_TIMEOUT
        context = ssl.create_default_context()
        if self.settings.get("ssl"):
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if self.settings.get("starttls"):
                smtp.starttls(context=context)
            if self.settings.get("username"):
                try:
                    smtp.login(self.settings["username"], self.settings["password"])
                except smtplib.SMTPAuthenticationError:
                    raise MailError(f"the SMTP server at {self.server} refused the login "
                                    f"for '{self.settings['username']}': check the username "
                                    "and password") from None
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _reason(self, exc, sent):
        """A plain reason for a failure, with anything like the password taken out."""
        after = f" (after sending {sent})" if sent else ""
        if isinstance(exc, (socket.timeout, TimeoutError)):
            reason = f"the SMTP server at {self.server} did not answer in time"
        elif isinstance(exc, ssl.SSLError):
            reason = f"could not make a secure connection to {self.server}: {exc.reason}"
        elif isinstance(exc, smtplib.SMTPNotSupportedError):
            reason = f"the SMTP server at {self.server} does not offer STARTTLS"
        elif isinstance(exc, smtplib.SMTPResponseException):
            reason = f"the SMTP server at {self.server} said {exc.smtp_code}: " + \
                exc.smtp_error.decode("utf-8", "replace")
        elif isinstance(exc, OSError):
            reason = f"could not connect to {self.server}: {exc.strerror or exc}"
        else:
            reason = f"sending through {self.server} failed: {exc}"
        password = self.settings.get("password")
        if password:
            reason = reason.replace(str(password), "***")
        return reason + after
