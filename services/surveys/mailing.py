"""The invitation mail: response link, one-click opt-out (RFC 8058), a stable Message-ID."""

from __future__ import annotations

from email.message import EmailMessage

from services.surveys.domain import SurveyKeys
from shared.mail import MailSender

SUBJECT = "How did we do? A short question about your support request"


class InvitationLinks:
    """Builds the links of one invitation from the service's public address and secret."""

    def __init__(self, *, base_url: str, secrets: SurveyKeys) -> None:
        self._base = base_url.rstrip("/")
        self._secrets = secrets

    def respond_url(self, invitation_id: str) -> str:
        return f"{self._base}/surveys/respond/{self._secrets.token(invitation_id, 'respond')}"

    def opt_out_url(self, invitation_id: str) -> str:
        return f"{self._base}/surveys/opt-out/{self._secrets.token(invitation_id, 'opt_out')}"


def message_id(*, invitation_id: str, domain: str) -> str:
    """The same for every attempt of one invitation, so a resend is recognisable as the same mail."""
    return f"<survey-{invitation_id}@{domain}>"


def invitation_message(
    *, sender: MailSender, to: str, invitation_id: str, links: InvitationLinks, domain: str
) -> EmailMessage:
    respond = links.respond_url(invitation_id)
    opt_out = links.opt_out_url(invitation_id)
    body = (
        "Hello,\n\n"
        "your support request was resolved recently. Would you tell us how it went?\n"
        "One click, a score from 1 to 5, and a comment if you like:\n\n"
        f"  {respond}\n\n"
        "The link works once and expires after a while.\n\n"
        "If you do not want satisfaction surveys from us any more, follow this link and we\n"
        f"will never ask you again:\n\n  {opt_out}\n"
    )
    message = sender.message(to=to, subject=SUBJECT, body=body)
    message["Message-ID"] = message_id(invitation_id=invitation_id, domain=domain)
    message["List-Unsubscribe"] = f"<{opt_out}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    return message
