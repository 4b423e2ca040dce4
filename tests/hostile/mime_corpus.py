"""Malformed and hostile messages for intake's SMTP server, as raw bytes (CRLF line ends)."""

from __future__ import annotations

from uuid import uuid4

TO = "support@support.example"


def _mail(sender: str, headers: str, body: str | bytes) -> bytes:
    head = (
        f"From: {sender}\r\nTo: {TO}\r\nMessage-ID: <{uuid4().hex}@mail.example.org>\r\n{headers}"
    )
    payload = body if isinstance(body, bytes) else body.encode()
    return head.encode() + b"\r\n" + payload


def corpus(sender: str, *, oversize_bytes: int) -> list[tuple[str, bytes]]:
    """(what it is, raw message) of hostile mail; each from `sender` unless it forges another."""
    boundary = "b0undary"
    return [
        ("no headers at all", b"just a body line\r\n"),
        ("empty message", b"\r\n"),
        (
            "broken multipart: boundary never closed",
            _mail(
                sender,
                f'Subject: broken\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n',
                f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nhalf a part",
            ),
        ),
        (
            "multipart without a boundary parameter",
            _mail(sender, "Subject: nb\r\nContent-Type: multipart/mixed\r\n", "body"),
        ),
        (
            "deeply nested multiparts",
            _mail(
                sender,
                f'Subject: nest\r\nContent-Type: multipart/mixed; boundary="{boundary}0"\r\n',
                "".join(
                    f'--{boundary}{i}\r\nContent-Type: multipart/mixed; boundary="{boundary}{i + 1}"\r\n\r\n'
                    for i in range(300)
                )
                + "deep",
            ),
        ),
        (
            "header injection in the subject",
            _mail(sender, "Subject: hi\r\n Bcc: victim@example.net\r\n", "folded header trick"),
        ),
        (
            "bare LF and NUL bytes in headers",
            _mail(sender, "Subject: a\nBcc: x@example.net\x00\r\n", "nul\x00body"),
        ),
        (
            "encoded-word abuse",
            _mail(
                sender,
                "Subject: =?utf-8?B?"
                + "QUFB" * 5000
                + "?= =?x-unknown?Q?=FF=FE?= =?utf-8?Q?=0D=0ABcc:_x?=\r\n",
                "encoded words",
            ),
        ),
        (
            "encoded-word in the From name with CRLF inside",
            _mail(
                f"=?utf-8?Q?Evil=0D=0ABcc=3A_x=40example.net?= <{sender}>",
                "Subject: from\r\n",
                "name",
            ),
        ),
        (
            "unknown and lying charsets",
            _mail(
                sender,
                "Subject: cs\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n"
                "Content-Transfer-Encoding: 8bit\r\n",
                b"\xff\xfe\xfa invalid bytes \xc3\x28",
            ),
        ),
        (
            "base64 that is not base64",
            _mail(
                sender,
                "Subject: b64\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: base64\r\n",
                "!!!not*base64***\r\n",
            ),
        ),
        (
            "attachment with a traversal filename",
            _mail(
                sender,
                f'Subject: att\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n',
                f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Disposition: attachment; filename=\"../../../etc/passwd\"; filename*=utf-8''%FF%FE\r\n"
                f"Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--{boundary}--\r\n",
            ),
        ),
        (
            "mail loop: auto-submitted reply to our own acknowledgement",
            _mail(
                sender,
                "Subject: Re: [Automatic reply]\r\nAuto-Submitted: auto-replied\r\n"
                "In-Reply-To: <ack.loop@intake.support.example>\r\n",
                "I am out of office",
            ),
        ),
        (
            "mail loop: forged as from our own address",
            _mail(TO, "Subject: loop\r\nPrecedence: bulk\r\n", "from ourselves"),
        ),
        (
            "a hundred thousand references",
            _mail(sender, "Subject: refs\r\nReferences: " + "<a@b> " * 20_000 + "\r\n", "refs"),
        ),
        (
            "html with script",
            _mail(
                sender,
                "Subject: html\r\nContent-Type: text/html; charset=utf-8\r\n",
                "<script>alert(1)</script><p>hello</p>" + "<div>" * 10_000,
            ),
        ),
        (
            "oversize",
            _mail(sender, "Subject: big\r\n", (b"A" * 76 + b"\r\n") * (oversize_bytes // 78)),
        ),
    ]
