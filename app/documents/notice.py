"""A plain one-page notice: title, reference and paragraphs, in French."""

from __future__ import annotations

from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer


def render_notice(title: str, reference: str, paragraphs: list[str]) -> bytes:
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=title, author="Portail santé", lang="fr-FR")
    styles = getSampleStyleSheet()
    story = [Paragraph(title, styles["Title"]), Paragraph(f"Référence : {reference}", styles["Normal"]),
             Spacer(1, 12)]
    story += [Paragraph(p, styles["BodyText"]) for p in paragraphs]
    doc.build(story)
    return buffer.getvalue()
