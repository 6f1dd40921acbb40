"""Mailing the HTML report (`aicost report --send`) through the spec's SMTP settings."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from generator.model import Model
from generator.report_sources import ReportError


def recipients(model: Model) -> list[str]:
    """Every team owner and finance, each once, in a stable order."""
    return sorted({t.owner for t in model.teams} | set(model.finance_emails))


def message(model: Model, subject: str, text: str, html: str) -> EmailMessage:
    """The mail: a plain-text part and the self-contained HTML report."""
    if model.smtp is None:
        raise ReportError("--send needs smtp settings in alerting.yaml (smarthost, from)")
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, model.smtp.sender, ", ".join(recipients(model))
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def send(model: Model, msg: EmailMessage) -> None:
    """Deliver through smtp.smarthost (STARTTLS when require_tls; password from its file)."""
    s = model.smtp
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
