"""Every string the pages show, in one place per language, so Norwegian can follow English."""
# ruff: noqa: S106  (labels that name passwords are not passwords)

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """The portal's words in one language (templates read them as `t.<name>`)."""

    language: str
    site: str
    skip_to_content: str
    sign_in: str
    sign_out: str
    email: str
    password: str
    password_again: str
    sign_in_failed: str
    sign_in_throttled: str
    forgot_password: str
    forgot_password_intro: str
    send_link: str
    link_sent: str
    set_password: str
    set_password_intro: str
    password_rules: str
    passwords_differ: str
    password_set: str
    link_expired_title: str
    link_expired: str
    my_requests: str
    no_requests: str
    of_my_organisation: str
    reference: str
    subject: str
    status: str
    channel: str
    updated: str
    received: str
    thread: str
    correspondent: str
    files: str
    unnamed_file: str
    file_not_kept: str
    reply: str
    send: str
    reply_sent: str
    profile: str
    profile_intro: str
    your_details: str
    not_given: str
    picture: str
    picture_upload: str
    picture_remove: str
    picture_none: str
    picture_rejected: str
    my_data: str
    my_data_intro: str
    kept_why: str
    export: str
    export_intro: str
    export_request: str
    export_collecting: str
    export_ready: str
    export_download: str
    rectify: str
    rectify_intro: str
    name: str
    phone: str
    company: str
    erase: str
    erase_intro: str
    erase_confirm: str
    object: str
    erasure_started: str
    erasure_refused: str
    kept_grounds: dict[str, str]
    inbox: str
    filter: str
    any_value: str
    organisation: str
    updated_since: str
    next_page: str
    change_status: str
    status_changed: str
    resolution: str
    share: str
    share_intro: str
    colleague: str
    reason: str
    expires: str
    revoke: str
    shared_with: str
    audit_trail: str
    reader: str
    ground: str
    read_at: str
    legal_holds: str
    place_hold: str
    scope: str
    case_reference: str
    release: str
    active: str
    retention_status: str
    certificate: str
    certificate_lookup: str
    data_subject_requests: str
    person_id: str
    form_expired: str
    problems: dict[int, str]

    def problem(self, status: int) -> str:
        return self.problems.get(status, self.problems[0])


ENGLISH = Text(
    language="en",
    site="Support",
    skip_to_content="Skip to content",
    sign_in="Sign in",
    sign_out="Sign out",
    email="Email address",
    password="Password",
    password_again="Password again",
    sign_in_failed="That email address and password do not match an account.",
    sign_in_throttled="Too many failed attempts. Wait a few minutes and try again.",
    forgot_password="Forgotten your password?",
    forgot_password_intro="We will mail a link to set a new password to this address, if it "
    "belongs to an account.",
    send_link="Send me a link",
    link_sent="If that address belongs to an account, a link to set its password is on its "
    "way. It works once, for a limited time.",
    set_password="Set your password",
    set_password_intro="Choose a password for your support account.",
    password_rules="At least 12 characters.",
    passwords_differ="The two passwords differ.",
    password_set="Your password is set. You can sign in now.",
    link_expired_title="This link no longer works",
    link_expired="The link was used already, or it expired. Ask for a new one below.",
    my_requests="My requests",
    no_requests="You have no requests.",
    of_my_organisation="Your organisation's",
    reference="Reference",
    subject="Subject",
    status="Status",
    channel="Channel",
    updated="Updated",
    received="Received",
    thread="Messages",
    correspondent="written by data subject",
    files="Files",
    unnamed_file="file",
    file_not_kept="not kept: not a PDF, image or text file, too large, or one too many",
    reply="Reply",
    send="Send",
    reply_sent="Your reply was added.",
    profile="Profile",
    profile_intro="The details we keep to answer you, and your picture, which is optional and "
    "which you can remove at any time.",
    your_details="Your details",
    not_given="not given",
    picture="Profile picture",
    picture_upload="Upload a picture (PNG or JPEG)",
    picture_remove="Remove the picture",
    picture_none="No picture.",
    picture_rejected="That file is not a picture we can use (PNG or JPEG, not too large).",
    my_data="My data",
    my_data_intro="What we keep about you, why, and your rights over it.",
    kept_why="We keep your requests and your contact details to answer you. Requests you made "
    "for a customer organisation stay with that organisation's records while its contract "
    "runs, and for one year after it ends. Other requests are deleted one year after their "
    "last activity. A legal hold keeps what it covers until it is released.",
    export="Download my data",
    export_intro="We collect what every part of the service holds about you into one file.",
    export_request="Collect my data",
    export_collecting="Collecting your data; reload this page in a moment.",
    export_ready="Your data is ready.",
    export_download="Download (works once)",
    rectify="Correct my details",
    rectify_intro="Give your correct details; every part of the service applies them.",
    name="Name",
    phone="Phone",
    company="Company",
    erase="Erase my data",
    erase_intro="We erase your data everywhere, keeping only what we must keep, and say why.",
    erase_confirm="I understand this cannot be undone",
    object="Object to processing",
    erasure_started="Your erasure is under way.",
    erasure_refused="We cannot erase your data now:",
    kept_grounds={
        "legal_hold": "kept under a legal hold",
        "customer_records": "kept in a customer organisation's records",
    },
    inbox="Inbox",
    filter="Filter",
    any_value="any",
    organisation="Organisation",
    updated_since="Updated since",
    next_page="Next page",
    change_status="Change status",
    status_changed="The status is now {status}. Lists follow within moments.",
    resolution="Resolution",
    share="Share with a colleague",
    share_intro="The colleague can read this request until the share expires or is revoked.",
    colleague="Colleague's id",
    reason="Reason",
    expires="Expires (UTC)",
    revoke="Revoke",
    shared_with="Shared with",
    audit_trail="Who read this request",
    reader="Reader",
    ground="Ground",
    read_at="When",
    legal_holds="Legal holds",
    place_hold="Place a legal hold",
    scope="Scope",
    case_reference="Case reference",
    release="Release",
    active="Active",
    retention_status="Retention",
    certificate="Deletion certificate",
    certificate_lookup="Look up an erasure",
    data_subject_requests="Data-subject requests",
    person_id="Person's id",
    form_expired="This form expired. Go back, reload the page and send it again.",
    problems={
        0: "Something went wrong on our side. Try again in a moment.",
        403: "You may not see or do that.",
        404: "There is nothing here.",
        409: "That cannot be done yet.",
        410: "That is no longer available.",
        422: "Something in the form was not right. Go back and check it.",
        429: "Too many attempts. Wait a few minutes and try again.",
    },
)

LANGUAGES: dict[str, Text] = {"en": ENGLISH}


def text_for(language: str) -> Text:
    """The strings of a language the portal has (English otherwise)."""
    return LANGUAGES.get(language, ENGLISH)
