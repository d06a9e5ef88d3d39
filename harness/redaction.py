"""Credentials never reach a result document, a log line or an error message.

`redact_url` masks the password of a `scheme://user:password@host` URL (and a lone token in the
user part, `https://TOKEN@host`), and the values of query parameters that carry secrets
(`api_key=`, `token=`, `sig=`, ...). `redact_text` does the same for every URL inside free text (a
command line, an exception message); `redact_secrets` walks JSON-like data (dicts, lists, tuples,
strings) and returns a redacted copy. What is masked becomes `***`, so a reader still sees that a
credential was given and where.

Pure functions, no I/O: the scheduler applies `redact_secrets` to the whole result document
before it is written, and backends apply `redact_url` to what they record and report.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"

# Query parameters whose value is a credential (compared case-insensitively, `-` read as `_`).
SECRET_QUERY_KEYS = frozenset(
    {
        "api_key", "apikey", "key", "token", "access_token", "auth", "authorization", "password", "passwd",
        "pass", "pwd", "secret", "client_secret", "sig", "signature", "x_api_key", "code", "session",
    }
)

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def redact_url(url: str) -> str:
    """`url` with its password (or lone user token) and secret query values replaced by `***`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _redact_userinfo_fallback(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0] if ":" in userinfo else ""
        netloc = f"{user}:{MASK}@{host}" if user else f"{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_is_secret_key(k) for k, _ in pairs):
            query = urlencode([(k, MASK if _is_secret_key(k) else v) for k, v in pairs], safe="*")
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """`text` with every URL in it passed through `redact_url`."""
    if "://" not in text:
        return text
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def redact_secrets(value: Any) -> Any:
    """A copy of JSON-like `value` with credentials in every string (keys included) redacted."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {redact_secrets(k) if isinstance(k, str) else k: redact_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_secrets(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_secrets(v) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that redacts credentials in URLs of a record's message (for libraries such
    as httpx that log every request URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _is_secret_key(key: str) -> bool:
    return key.lower().replace("-", "_") in SECRET_QUERY_KEYS


def _redact_userinfo_fallback(url: str) -> str:
    """For strings urlsplit rejects (bad IPv6 brackets): mask anything between `//` and `@`."""
    return re.sub(r"(//)[^/@\s]*@", rf"\g<1>{MASK}@", url)
