"""The statistics extract: every entered field of the requests in scope, as CSV (UTF-8 with BOM, « ; »,
French headers), produced row by row from a server-side cursor: memory stays flat whatever the volume."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlmodel import Session

from app.db import streamed
from app.documents.spreadsheet import csv_chunks
from app.domain.aac import AAC_STATES, age_from
from app.domain.inputs import parse_int
from app.models import Filing

HEADERS = ("Référence", "État", "Déposée le", "Décidée le", "Décision automatique", "Initiale du nom",
           "Initiale du prénom", "Sexe", "Âge au dépôt", "Poids (kg)", "Code médicament", "Médicament hors référentiel",
           "Indication", "Posologie", "Durée demandée (jours)", "Critères attestés", "Justification", "Différable",
           "Essais en cours", "Durée accordée (jours)", "Fin de traitement", "Motif de refus", "PUI (identifiant)",
           "Renouvellement de")
BATCH = 1000


def _row(reference, state, deposited, decided, structure_id, payload) -> list:
    patient, med = payload.get("patient") or {}, payload.get("medicament") or {}
    rx, decision = payload.get("prescription") or {}, payload.get("decision") or {}
    month, year = str(patient.get("mois_naissance", "")), str(patient.get("annee_naissance", ""))
    month, year = parse_int(month, high=12), parse_int(year, high=9999)
    age = age_from(month, year, deposited.date()) if deposited and month is not None and year is not None else ""
    return [reference or "", AAC_STATES.get(state, state), deposited.strftime("%d/%m/%Y") if deposited else "",
            decided.strftime("%d/%m/%Y") if decided else "", "oui" if decision.get("automatique") else "non",
            patient.get("initiale_nom", ""), patient.get("initiale_prenom", ""), patient.get("sexe", ""),
            "" if age is None else age, patient.get("poids", ""), med.get("code", ""), med.get("nom", ""),
            med.get("indication") or med.get("indication_libre", ""), rx.get("posologie", ""), rx.get("duree", ""),
            " | ".join(rx.get("criteres") or []), rx.get("justification", ""), rx.get("differable", ""),
            rx.get("essais", ""), decision.get("duree", ""), decision.get("fin", ""), decision.get("motif", ""),
            structure_id or "", payload.get("renouvellement_de") or ""]


def export_rows(db: Session, scope: sa.ColumnElement) -> Iterator[str]:
    """CSV text in chunks; ``scope`` restricts the requests (own, the PUI's, or all for the agency)."""
    table = Filing.__table__
    query = (sa.select(table.c.reference, table.c.state, table.c.deposited_at, table.c.decided_at,
                       table.c.structure_id, table.c.payload)
             .where(table.c.form == "AAC", table.c.state != "brouillon", scope).order_by(table.c.id))
    yield from csv_chunks(HEADERS, ((_row(*row) for row in partition) for partition in streamed(db, query, BATCH)))
