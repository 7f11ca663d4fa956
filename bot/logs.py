"""Logging hygiene: the bot token never reaches a log line or a printed error."""

from __future__ import annotations

import logging


class Redact(logging.Filter):
    """Replaces the bot token in every log record: it never reaches a log or an error
    message, whatever library formats it (PTB and httpx put it in request URLs)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "<token>"), None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self.secret in text:
                record.msg = f"{record.msg}\n{text.replace(self.secret, '<token>')}"
                record.exc_info = None
                record.exc_text = None
        return True


def install_redaction(token: str | None) -> None:
    if not token:
        return
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, Redact) for f in handler.filters):
            handler.addFilter(Redact(token))
