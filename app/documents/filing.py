"""The PDF of a deposited form: the paper form's sections, then who signed, when and how they logged in."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.domain.forms.schema import FormSpec, shown_value


@dataclass(frozen=True)
class Signature:
    name: str
    national_id: str
    at: str  # already formatted, French
    method: str  # French label of how they authenticated


def render_filing(spec: FormSpec, *, reference: str, structure: list[tuple[str, str]], payload: dict,
                  signature: Signature, attachments: list[str], about: str = "Structure",
                  received: str = "Accusé de réception") -> bytes:
    styles = getSampleStyleSheet()
    cell = styles["BodyText"]
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=f"{spec.code} – {reference}", author="Portail santé",
                            lang="fr-FR", leftMargin=18 * mm, rightMargin=18 * mm)
    style = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)])

    def table(pairs):
        data = [[Paragraph(escape(k), cell), Paragraph(escape(str(v)).replace("\n", "<br/>"), cell)] for k, v in pairs]
        return Table(data, colWidths=[60 * mm, 114 * mm], style=style)

    story = [Paragraph(escape(f"Formulaire {spec.code} – {spec.title}"), styles["Title"]),
             Paragraph(escape(f"{received} n° {reference}"), styles["Heading3"]),
             Paragraph(escape(about), styles["Heading2"]), table(structure)]
    for step in spec.steps:
        story.append(Paragraph(escape(step.title), styles["Heading2"]))
        data = payload.get(step.name)
        if step.repeated:
            for i, row in enumerate(data or [], start=1):
                story += [Paragraph(escape(f"{step.row_label} {i}"), styles["Heading4"]),
                          table([(f.label, shown_value(f, row.get(f.name))) for f in step.fields])]
        else:
            story.append(table([(f.label, shown_value(f, (data or {}).get(f.name))) for f in step.fields]))
    if attachments:
        story += [Paragraph("Pièces jointes", styles["Heading2"]), table([("Fichier", a) for a in attachments])]
    story += [Spacer(1, 8), Paragraph("Signature", styles["Heading2"]), table([
        ("Signataire", f"{signature.name} ({signature.national_id})"),
        ("Date du dépôt", signature.at),
        ("Authentification", signature.method),
        ("Scellement", "Document scellé électroniquement par le portail (PAdES), à la demande du signataire."),
    ])]
    doc.build(story)
    return buffer.getvalue()
