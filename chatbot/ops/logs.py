"""Log records as JSON lines, and a filter that scrubs personal data from every record.

``CHATBOT_LOG_FORMAT=json`` prints one object per line: ``time``, ``level``, ``logger``,
``message``, the ``extra`` fields of the call (``event``, ``platform``, ``job_id``,
``duration_ms``, ...) and ``exception`` when there is one. Whatever the format,
`ScrubFilter` replaces e-mail addresses, phone-number-like digit runs, IP addresses,
Bearer and JWT tokens and app passwords (``xxxx-xxxx-xxxx-xxxx``) with placeholders;
``did:plc:`` identifiers are public and stay.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import re
import sys
from typing import Any

import orjson

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_APP_PASSWORD = re.compile(r"(?<![\w-])[A-Za-z0-9]{4}(?:-[A-Za-z0-9]{4}){3}(?![\w-])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
# 9 to 15 digits, optionally after + and with spaces, dots, dashes or brackets between
_PHONE = re.compile(r"(?<![\w.+])\+?\(?\d(?:[ .()-]{0,2}\d){8,14}(?![\w.:-]*\d)")


def _valid_ip(match: re.Match[str]) -> str:
    try:
        ipaddress.ip_address(match[0])
    except ValueError:
        return match[0]
    return "[ip]"


def scrub(text: str) -> str:
    """`text` without personal data (order matters: tokens before the digit runs)."""
    text = _BEARER.sub("Bearer [token]", text)
    text = _JWT.sub("[token]", text)
    text = _EMAIL.sub("[email]", text)
    text = _APP_PASSWORD.sub("[app-password]", text)
    text = _IPV6.sub(_valid_ip, text)
    text = _IPV4.sub(_valid_ip, text)
    return _PHONE.sub("[phone]", text)


class ScrubFilter(logging.Filter):
    """Scrubs the message, the string extras and the traceback text of each record.

    Install it on handlers (`configure_logging` does): a filter on a logger only sees the
    records logged on that very logger, not those propagated from its children.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, scrub(value))
        return True


_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def configure_logging(level: str, log_format: str = "text") -> None:
    """The root logger's handler on stderr, JSON or text, always scrubbed."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for handler in logging.getLogger().handlers:
        if log_format == "json":
            handler.setFormatter(JsonFormatter())
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())
