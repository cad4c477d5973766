"""The ANSM decision on a compassionate-access request: what the grant or refusal says, with a QR code and
a short link to its public verification page. ``draft`` marks the evaluator's preview « PROJET »."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.domain.aac import APPEAL_ROUTES, REFUSAL_REASONS, age_from


def _qr(link: str, size: float = 32 * mm) -> Drawing:
    widget = QrCodeWidget(link)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _watermark(canvas, _doc) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica-Bold", 90)
    canvas.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.25))
    canvas.translate(A4[0] / 2, A4[1] / 2)
    canvas.rotate(45)
    canvas.drawCentredString(0, 0, "PROJET")
    canvas.restoreState()


def render_decision(*, filing, prescriber, pharmacist, structure, medicine, link: str, draft: bool) -> bytes:
    styles = getSampleStyleSheet()
    cell = styles["BodyText"]
    payload = filing.payload
    patient, med, rx = payload["patient"], payload["medicament"], payload["prescription"]
    decision = payload.get("decision") or {}
    granted = decision.get("issue") == "octroi"
    issued = date.fromisoformat(decision.get("date", date.today().isoformat()))
    age = age_from(int(patient["mois_naissance"]), int(patient["annee_naissance"]), issued)
    indication = next((i["label"] for i in (medicine.indications if medicine else [])
                       if i.get("code") == med.get("indication")), med.get("indication_libre", ""))
    name = medicine.name if medicine else med.get("nom", "")
    form = medicine.pharmaceutical_form if medicine else med.get("forme", "")
    strength = medicine.strength if medicine else med.get("dosage", "")
    laboratory = medicine.laboratory if medicine else med.get("laboratoire", "")

    contact = pharmacist.email or "courriel non renseigné"

    def table(pairs):
        rows = [[Paragraph(escape(k), cell), Paragraph(escape(str(v)).replace("\n", "<br/>"), cell)] for k, v in pairs]
        return Table(rows, colWidths=[55 * mm, 119 * mm], style=TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)]))

    title = ("Autorisation d’accès compassionnel" if granted else "Refus d’autorisation d’accès compassionnel")
    story = [Paragraph("Agence nationale de sécurité du médicament et des produits de santé", styles["Normal"]),
             Paragraph(escape(title), styles["Title"]),
             Paragraph(escape(f"Décision n° {filing.reference} du {issued:%d/%m/%Y}"
                              + (" – décision automatique" if decision.get("automatique") and granted else "")),
                       styles["Heading3"]),
             table([("Prescripteur", f"{prescriber.shown_name} ({prescriber.national_id})"
                     f" – {payload['engagement'].get('fonction', '')}"),
                    ("Pharmacie à usage intérieur", f"{structure.name} – {pharmacist.given_name} "
                                                    f"{pharmacist.family_name}, {contact}"),
                    ("Patient", f"{patient['initiale_nom'].upper()}.{patient['initiale_prenom'].upper()}., "
                                f"{'femme' if patient['sexe'] == 'F' else 'homme'}, {age} ans, {patient['poids']} kg"),
                    ("Médicament", f"{name} – {form}, {strength}"),
                    ("Indication", indication), ("Posologie", rx.get("posologie", ""))]),
             Spacer(1, 8)]
    if granted:
        end = date.fromisoformat(decision["fin"])
        story += [table([("Durée du traitement", f"{decision['duree']} jours, jusqu’au {end:%d/%m/%Y}"),
                         ("Laboratoire", laboratory),
                         ("Conditions de prescription et de délivrance", decision.get("conditions") or "—"),
                         ("Protocole", "Le protocole d’utilisation thérapeutique et de suivi des patients (PUT-SP) "
                                       "s’applique."),
                         ("Importation", "La présente autorisation vaut autorisation d’importation.")])]
    else:
        story += [table([("Motif", dict(REFUSAL_REASONS).get(decision.get("motif"), "")),
                         ("Commentaire", decision.get("commentaire") or "—"),
                         ("Voies de recours", APPEAL_ROUTES)])]
    story += [Spacer(1, 10), Paragraph(escape(f"Vérifier cette décision : {link}"), cell), _qr(link)]
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=f"{title} {filing.reference}", author="ANSM – Portail santé",
                            lang="fr-FR", leftMargin=18 * mm, rightMargin=18 * mm)
    doc.build(story, onFirstPage=_watermark if draft else (lambda c, d: None),
              onLaterPages=_watermark if draft else (lambda c, d: None))
    return buffer.getvalue()
