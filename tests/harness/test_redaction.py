"""Credentials in URLs are masked wherever bench records or reports them."""

from __future__ import annotations

import logging

import pytest
from bench.harness.redaction import RedactingFilter, redact_secrets, redact_text, redact_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pass@api.example.com/v1", "https://user:***@api.example.com/v1"),
        ("https://user:p@ss:w0rd@host:8443/v1", "https://user:***@host:8443/v1"),
        ("https://sk-TOKEN@host/v1", "https://***@host/v1"),
        ("https://host/v1?api_key=abc&model=x", "https://host/v1?api_key=***&model=x"),
        ("https://host/v1?API-KEY=abc", "https://host/v1?API-KEY=***"),
        ("https://host/v1?sig=abc&token=def", "https://host/v1?sig=***&token=***"),
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
        ("https://host/v1?model=x&temperature=0", "https://host/v1?model=x&temperature=0"),
    ],
)
def test_redact_url(url, expected):
    assert redact_url(url) == expected


def test_redact_text_masks_every_url_in_a_command_line():
    command = "bench eval --model-args base_url=https://u:hunter2@h/v1,timeout=3 --cache-path /tmp/x"
    assert redact_text(command) == "bench eval --model-args base_url=https://u:***@h/v1,timeout=3 --cache-path /tmp/x"


def test_redact_secrets_walks_nested_data_and_leaves_other_values_alone():
    document = {"model": {"source": "https://a:b@h/v1 (m)", "n": 3, "ok": True},
                "list": ["http://x:y@h", 1.5, None], "tuple": ("https://h/?token=t",)}
    redacted = redact_secrets(document)
    assert redacted == {"model": {"source": "https://a:***@h/v1 (m)", "n": 3, "ok": True},
                        "list": ["http://x:***@h", 1.5, None], "tuple": ("https://h/?token=***",)}
    assert document["model"]["source"] == "https://a:b@h/v1 (m)"  # the input is not modified


def test_logging_filter_redacts_formatted_messages(caplog):
    logger = logging.getLogger("bench.test.redaction")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="bench.test.redaction"):
        logger.info("HTTP Request: %s %s", "GET", "http://u:secret@h/v1/models?api_key=k")
    assert caplog.messages == ["HTTP Request: GET http://u:***@h/v1/models?api_key=***"]
