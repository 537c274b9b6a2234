"""Postal addresses written the way each country writes them, and phone numbers as ``tel:`` links."""

from __future__ import annotations

import re

from django.utils.html import format_html
from django.utils.safestring import SafeString

# Countries that put the postal code before the town ("10115 Berlin"); elsewhere it follows ("Seattle, WA 98101").
CODE_FIRST = {
    "AT", "BE", "CH", "CZ", "DE", "DK", "ES", "FI", "FR", "GR", "IT", "LU", "NL", "NO", "PL", "PT", "SE",
    "AUSTRIA", "BELGIUM", "SWITZERLAND", "GERMANY", "DENMARK", "SPAIN", "FINLAND", "FRANCE", "ITALY", "NETHERLANDS",
    "NORWAY", "POLAND", "PORTUGAL", "SWEDEN",
}  # fmt: skip
# Countries that write "Town, ST 12345" with a region abbreviation.
REGION_STYLE = {"US", "USA", "UNITED STATES", "CA", "CANADA", "AU", "AUSTRALIA", ""}


def locality(city: str, state: str, postal_code: str, country: str) -> str:
    """The town line: ``Seattle, WA 98101`` (US, CA, AU; also when no country is given), ``10115 Berlin``, ..."""
    key = (country or "").strip().upper()
    if key in CODE_FIRST:
        return " ".join(part for part in (postal_code, city) if part)
    if key in REGION_STYLE:
        region = " ".join(part for part in (state, postal_code) if part)
        return ", ".join(part for part in (city, region) if part)
    return " ".join(part for part in (city, state, postal_code) if part)


def format_address(address1: str, address2: str, city: str, state: str, postal_code: str, country: str) -> str:
    country_line = "" if (country or "").strip().upper() in {"US", "USA", "UNITED STATES", ""} else country
    parts = [address1, address2, locality(city, state, postal_code, country), country_line]
    return ", ".join(part for part in parts if part)


def tel_link(number: str) -> SafeString:
    """``+1 206 555 0100`` as a link a phone or softphone dials (digits and a leading + only in the href)."""
    dial = re.sub(r"[^\d+]", "", number or "")
    return format_html('<a href="tel:{}">{}</a>', dial, number) if dial else format_html("{}", number)
