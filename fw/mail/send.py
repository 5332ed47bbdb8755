"""Hand a built message to the configured SMTP server, and say what it answered."""

from __future__ import annotations

import copy
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from .errors import MailError
from .message import POLICY, recipients_of
from .settings import MailSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """What the server said to the message: code, text, recipients it refused."""

    code: int
    text: str
    refused: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


def send(settings: MailSettings, message: EmailMessage) -> Reply:
    """Send `message` with TLS and login as configured; raise MailError on failure."""
    sender = parseaddr(str(message.get("Sender") or message["From"]))[1]
    recipients = recipients_of(message)
    if not sender or not recipients:
        raise MailError(
            "The message has no From or no recipient address; build it with "
            "fw.mail.build_message, which sets both."
        )

    payload = _payload(message)
    where = f"{settings.host}:{settings.port}"
    try:
        with _connect(settings) as server:
            return _transact(server, sender, recipients, payload, where)
    except smtplib.SMTPAuthenticationError as error:
        raise MailError(
            f"The mail server at {where} refused the login {settings.login!r} "
            f"({_said(error)}). Check mail.login and mail.password."
        ) from error
    except smtplib.SMTPNotSupportedError as error:
        raise MailError(
            f"The mail server at {where} does not support what the settings ask "
            f"(tls {settings.tls!r}, login): {error}. Change mail.tls or mail.login."
        ) from error
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(
            f"Cannot send mail through {where}: {_said(error)}. Check that the "
            "server runs and that mail.host, mail.port and mail.tls are right."
        ) from error


def _payload(message: EmailMessage) -> bytes:
    if "Bcc" in message:
        message = copy.deepcopy(message)
        del message["Bcc"]
    return message.as_bytes(policy=POLICY)


def _connect(settings: MailSettings) -> smtplib.SMTP:
    if settings.tls == "ssl":
        context = ssl.create_default_context()
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)

    try:
        server.ehlo_or_helo_if_needed()
        if settings.tls == "starttls":
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
        if settings.login:
            server.login(settings.login, settings.password or "")
    except BaseException:
        server.close()
        raise
    return server


def _transact(
    server: smtplib.SMTP, sender: str, recipients: list[str], payload: bytes, where: str
) -> Reply:
    code, text = server.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, text, sender)

    answers = {address: server.rcpt(address) for address in recipients}
    refused = tuple(a for a, (code, _) in answers.items() if code not in (250, 251))
    if len(refused) == len(recipients):
        server.rset()
        code, text = answers[refused[0]]
        raise MailError(
            f"The mail server at {where} refused every recipient "
            f"({', '.join(refused)}); it said {code} {text.decode(errors='replace')}. "
            "Check the addresses, and that the server relays mail for this sender."
        )

    code, text = server.data(payload)
    if code != 250:
        raise smtplib.SMTPDataError(code, text)
    if refused:
        logger.warning("The mail server at %s refused %s.", where, ", ".join(refused))
    return Reply(code, text.decode("utf-8", "replace"), refused)


def _said(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        return f"the server said {error.smtp_code} {text}"
    return str(error) or type(error).__name__
