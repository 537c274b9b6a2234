"""Log filtering that keeps credentials out of log lines."""

import logging
import re

# Anything that looks like one of our API keys, or a credential header echoed into a message.
_PATTERNS = [
    re.compile(r"psa_[A-Za-z0-9]{12}_[A-Za-z0-9_\-]{20,}"),
    re.compile(r"(?i)(x-api-key|authorization|cookie|password|secret|token)(['\"]?\s*[:=]\s*['\"]?)([^\s'\",}]+)"),
]


def redact(text: str) -> str:
    text = _PATTERNS[0].sub("psa_[REDACTED]", text)
    return _PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}[REDACTED]", text)


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
