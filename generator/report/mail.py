"""Mailing the HTML report (`aicost report --send`) through the spec's SMTP settings."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from generator.model import Spec
from generator.errors import ReportError


def recipients(spec: Spec) -> list[str]:
    """Every team owner and finance, each once, in a stable order."""
    return sorted({t.owner for t in spec.teams} | set(spec.finance_emails))


def message(spec: Spec, subject: str, text: str, html: str) -> EmailMessage:
    """The mail: a plain-text part and the self-contained HTML report."""
    if spec.smtp is None:
        raise ReportError("--send needs smtp settings in alerting.yaml (smarthost, from)")
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, spec.smtp.sender, ", ".join(recipients(spec))
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def send(spec: Spec, msg: EmailMessage) -> None:
    """Deliver through smtp.smarthost (STARTTLS when require_tls; password from its file)."""
    s = spec.smtp
    host, _, port = s.smarthost.rpartition(":")
    try:
        with smtplib.SMTP(host or s.smarthost, int(port or 25), timeout=30) as smtp:
            if s.require_tls:
                smtp.starttls()
            if s.auth_username:
                password = Path(s.auth_password_file).read_text().strip() if s.auth_password_file else ""
                smtp.login(s.auth_username, password)
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise ReportError(f"smtp://{s.smarthost}: cannot send the report ({exc})") from None
