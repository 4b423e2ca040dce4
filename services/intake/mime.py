"""Reading an inbound RFC 5322 message (stdlib `email`, policy=default): who wrote, what, in
reply to what, whether a machine sent it, and which files it carried."""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import getaddresses

from services.intake.domain import ReceivedFile

AUTOMATED_PRECEDENCE = frozenset({"bulk", "junk", "list"})
KEPT_HEADERS = frozenset(
    {
        # who wrote, about what, in reply to what, when
        *("from", "sender", "subject", "date", "message-id", "in-reply-to", "references"),
        # whether a machine sent it (`automation_reason`)
        *("auto-submitted", "precedence", "x-autoreply", "x-autorespond"),
        *("list-id", "list-unsubscribe"),
        # how the body is built
        *("mime-version", "content-type", "content-transfer-encoding", "content-disposition"),
        *("content-id", "content-language"),
    }
)
"""The top-level headers intake keeps of a mail; the others (recipients and copies, relays
and their addresses, clients, signatures) hold personal data intake does not need (P2)."""
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_BLOCK_TAGS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)
_DROPPED = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")
_HEADER_LINE = re.compile(rb"^([\x21-\x39\x3b-\x7e]+:|[\t ])")


@dataclass(frozen=True)
class ParsedMail:
    """What intake needs from a mail; `automated` names why a machine sent it, if it did."""

    sender_email: str | None
    sender_name: str | None
    subject: str
    body: str
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    automated: str | None
    files: tuple[ReceivedFile, ...]


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse raw mail bytes; malformed headers degrade to None/empty, never raise."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    name, address = _sender(message)
    return ParsedMail(
        sender_email=address,
        sender_name=name,
        subject=_header(message, "Subject").strip(),
        body=_body_text(message),
        message_id=_first_id(_header(message, "Message-ID")),
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        automated=automation_reason(message),
        files=_files(message),
    )


def minimal_mail(raw: bytes) -> bytes:
    """The mail as intake keeps it: only the `KEPT_HEADERS` (folded lines with their header),
    and the body byte for byte. Who else it was sent or copied to, and where it passed, are not
    the sender's request (P2), and would outlive an erasure of those people in another person's
    mail. The headers end where the stdlib parser ends them: at a blank line or a line that is
    no header."""
    kept: list[bytes] = []
    keeping = False
    at = 0
    for number, line in enumerate(raw.splitlines(keepends=True)):
        text = line.rstrip(b"\r\n")
        if number == 0 and text.startswith(b"From "):  # an mbox separator, not a header
            at += len(line)
            continue
        if not text or _HEADER_LINE.match(text) is None:
            break
        if text[:1] in (b" ", b"\t"):  # a folded line belongs to the header above it
            keep = keeping
        else:
            name = text.split(b":", 1)[0].strip().lower().decode("ascii")
            keep = keeping = name in KEPT_HEADERS
        if keep:
            kept.append(line)
        at += len(line)
    return b"".join(kept) + raw[at:]


def automation_reason(message: Message) -> str | None:
    """Why this mail is an auto-reply or list mail (RFC 3834, Precedence), or None."""
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_submitted"
    if _header(message, "Precedence").strip().lower() in AUTOMATED_PRECEDENCE:
        return "precedence"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "auto_reply_header"
    if _header(message, "List-Id") or _header(message, "List-Unsubscribe"):
        return "mailing_list"
    return None


def html_to_text(markup: str) -> str:
    """Plain text of an HTML body: scripts and styles dropped, tags stripped, entities decoded."""
    text = _DROPPED.sub("", markup)
    text = _BLOCK_TAGS.sub("\n", text)
    text = html.unescape(_TAGS.sub("", text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):
        return ""
    return "" if value is None else str(value)


def _sender(message: Message) -> tuple[str | None, str | None]:
    for header in ("From", "Sender"):
        value = _header(message, header)
        if not value:
            continue
        for name, address in getaddresses([value]):
            if "@" in address:
                return (name.strip() or None), address.strip()
    return None, None


def _ids(value: str) -> tuple[str, ...]:
    return tuple(_MESSAGE_ID.findall(value))


def _first_id(value: str) -> str | None:
    found = _ids(value)
    return found[0] if found else (value.strip() or None)


def _body_text(message: EmailMessage) -> str:
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except (KeyError, LookupError):
        part = None
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return content.strip()


def _files(message: EmailMessage) -> tuple[ReceivedFile, ...]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        found.append(
            ReceivedFile(
                filename=part.get_filename(), content_type=part.get_content_type(), content=content
            )
        )
    return tuple(found)
