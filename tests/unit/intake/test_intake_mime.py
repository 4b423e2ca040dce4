"""Reading inbound mail: senders, bodies, threading headers, automation and attachments."""

from __future__ import annotations

from email.message import EmailMessage

from services.intake.mime import html_to_text, parse_mail


def message(**headers: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Ada Example <ada@example.org>"
    mail["To"] = "support@support.example"
    mail["Subject"] = "Help"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content("Plain text.")
    return mail


def test_sender_subject_body_and_ids_are_read() -> None:
    mail = message(
        Message_ID="<a1@x.org>", In_Reply_To="<ack.1@intake>", References="<r1@x> <r2@x>"
    )
    parsed = parse_mail(mail.as_bytes())
    assert (parsed.sender_name, parsed.sender_email) == ("Ada Example", "ada@example.org")
    assert parsed.subject == "Help"
    assert parsed.body == "Plain text."
    assert parsed.message_id == "<a1@x.org>"
    assert parsed.in_reply_to == ("<ack.1@intake>",)
    assert parsed.references == ("<r1@x>", "<r2@x>")
    assert parsed.automated is None


def test_auto_replies_and_bulk_mail_are_recognised() -> None:
    assert (
        parse_mail(message(Auto_Submitted="auto-replied").as_bytes()).automated == "auto_submitted"
    )
    assert parse_mail(message(Auto_Submitted="no").as_bytes()).automated is None
    for precedence in ("bulk", "junk", "list", "BULK"):
        assert parse_mail(message(Precedence=precedence).as_bytes()).automated == "precedence"
    assert parse_mail(message(List_Id="<news.example.org>").as_bytes()).automated == "mailing_list"


def test_html_only_mail_is_turned_into_text() -> None:
    mail = EmailMessage()
    mail["From"] = "ada@example.org"
    mail.set_content(
        "<html><head><style>p{}</style></head><body><p>Hi&nbsp;there</p>"
        "<script>x()</script><div>Line <i>two</i></div></body></html>",
        subtype="html",
    )
    parsed = parse_mail(mail.as_bytes())
    assert parsed.body == "Hi there\nLine two"
    assert parsed.sender_name is None


def test_attachments_are_recorded_by_name_type_and_size_only() -> None:
    mail = message()
    mail.add_attachment(
        b"%PDF" + b"1" * 96, maintype="application", subtype="pdf", filename="a.pdf"
    )
    [attachment] = parse_mail(mail.as_bytes()).attachments
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "a.pdf",
        "application/pdf",
        100,
    )


def test_encoded_words_and_base64_bodies_are_decoded() -> None:
    mail = EmailMessage()
    mail["From"] = "=?utf-8?q?J=C3=B8rn?= <jorn@example.no>"
    mail["Subject"] = "=?utf-8?b?w5hsIG9nIGJyw7hk?="
    mail.set_content("Blåbærsyltetøy", cte="base64")
    parsed = parse_mail(mail.as_bytes())
    assert parsed.sender_name == "Jørn"
    assert parsed.subject == "Øl og brød"
    assert parsed.body == "Blåbærsyltetøy"


def test_garbage_does_not_raise() -> None:
    parsed = parse_mail(b"\xff\xfe not a mail at all")
    assert parsed.sender_email is None
    assert html_to_text("") == ""
