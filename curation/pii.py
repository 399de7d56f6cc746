"""E-mail and IP addresses replaced by placeholders, as dolma and datatrove scrub web and code text.

Only what identifies someone is replaced: IPv4 addresses that are public (`ipaddress`'s is_global: private,
loopback, link-local, reserved and documentation ranges stay) and well-formed (no leading zeros, no fifth part),
and not a version or section number (`v1.2.3.4`, `version 2.0.0.1`, `__version__ = "1.2.3.4"`, `pkg==1.2.3.4`,
`Table 2.3.1.5`). The placeholders are reserved for
examples (RFC 2606's example.com, RFC 5737's 192.0.2.0/24), so the text stays natural and points at nobody.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

EMAIL = "email@example.com"
IP = "192.0.2.1"

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][\w.%+-]*@"  # local part
    r"(?!\d+x\.)"  # image@2x.png is a file name, not an address
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}\b(?![@-])")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.-])(?<!==){_OCTET}(?:\.{_OCTET}){{3}}(?![\w-]|\.\d)")
_DOTTED_QUAD = re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d")  # a cheap first look: most pages have none
_NUMBERED_BEFORE = re.compile(r"(?i)(?:\bv|\bver|version|\brelease|\bbuild|\brev|\btable|\bsection|\bsec|\bfig(?:ure)?|"
                              r"\bchapter|\bstep|\bitem|§)[\W_]{0,6}$")


@dataclass(frozen=True)
class Scrubbed:
    text: str
    emails: int
    ips: int


def _public_ip(match: re.Match, text: str) -> bool:
    if _NUMBERED_BEFORE.search(text[max(0, match.start() - 20):match.start()]):
        return False
    return ipaddress.ip_address(match.group()).is_global


def scrub(text: str, emails: bool = True, ips: bool = True) -> Scrubbed:
    """`text` with e-mail and public IP addresses replaced, and how many of each."""
    n_emails = n_ips = 0
    if emails and "@" in text:
        text, n_emails = _EMAIL.subn(EMAIL, text)
    if ips and _DOTTED_QUAD.search(text):
        parts, last = [], 0
        for m in _IPV4.finditer(text):
            if _public_ip(m, text):
                parts += [text[last:m.start()], IP]
                last = m.end()
                n_ips += 1
        if n_ips:
            text = "".join(parts) + text[last:]
    return Scrubbed(text, n_emails, n_ips)
