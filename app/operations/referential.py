"""The ANSM evaluator keeps the référentiel: products, their indications and criteria, the end of an AAC."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import Session, select

from app.domain.codes import REFERENTIAL_FRAMEWORKS
from app.domain.inputs import parse_int
from app.domain.protocol import CRPV, Protocol, check_protocol, cpc_end
from app.domain.refusals import Refusal
from app.models import ReferentialMedicine
from app.operations import audit

CODE = re.compile(r"^(AAC|AAP|CPC)-\d{4}$")


def parse_indications(text: str) -> list[dict]:
    """Blocks separated by a blank line: the label on the first line, then one criterion per line ("- …").
    A label ending with « (terminée) » marks the indication as ended."""
    found = []
    for number, block in enumerate([b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()], start=1):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        label = lines[0]
        ended = label.lower().endswith("(terminée)")
        found.append({"code": f"I{number}", "label": re.sub(r"\s*\(terminée\)$", "", label, flags=re.I),
                      "status": "terminee" if ended else "en_cours",
                      "criteria": [line.lstrip("-• ").strip() for line in lines[1:] if line.lstrip("-• ").strip()]})
    return found


def protocol_values(product: ReferentialMedicine) -> dict:
    """The PUT-SP as the edit form's fields."""
    protocol = Protocol.of(product.protocol, collects=product.collects_data)
    return {"collecte": protocol.collects, "suivi_mois": str(protocol.every_months),
            "delegues": sorted(protocol.delegates), "effets_vers": protocol.effects_to,
            "rapport_mois": str(protocol.report_months),
            "cpc_until": product.cpc_until.isoformat() if product.cpc_until else ""}


def format_indications(indications: list[dict]) -> str:
    return "\n\n".join("\n".join([i["label"] + (" (terminée)" if i.get("status") == "terminee" else "")]
                                 + [f"- {c}" for c in i.get("criteria", [])]) for i in indications)


def save_product(db: Session, form: dict, *, actor: str, existing: ReferentialMedicine | None) -> ReferentialMedicine:
    """Create or update; a :class:`Refusal` names every field to correct, with nothing stored."""
    errors: dict[str, str] = {}
    code = existing.code if existing else form.get("code", "").strip().upper()
    if not existing:
        if not CODE.match(code):
            errors["code"] = "Code du type AAC-0001, AAP-0001 ou CPC-0001."
        elif db.exec(select(ReferentialMedicine.id).where(ReferentialMedicine.code == code)).first():
            errors["code"] = "Ce code existe déjà."
    for key, label in (("name", "le nom"), ("dci", "la DCI"), ("pharmaceutical_form", "la forme"),
                       ("strength", "le dosage")):
        if not form.get(key, "").strip():
            errors[key] = f"Indiquez {label}."
    status = form.get("status", "")
    if status not in REFERENTIAL_FRAMEWORKS:
        errors["status"] = "Choisissez le cadre (AAC, AAP ou CPC)."
    max_days = form.get("max_days", "")
    if parse_int(max_days, low=1, high=365) is None:
        errors["max_days"] = "Durée maximale d’une autorisation : 1 à 365 jours."
    ended_on = None
    if form.get("ended_on", "").strip():
        try:
            ended_on = date.fromisoformat(form["ended_on"].strip())
        except ValueError:
            errors["ended_on"] = "Date de fin au format AAAA-MM-JJ."
    delegates = form.getlist("delegues") if hasattr(form, "getlist") else form.get("delegues", [])
    errors |= check_protocol(every_months=form.get("suivi_mois", "3"), report_months=form.get("rapport_mois", "6"),
                             delegates=delegates, effects_to=form.get("effets_vers", CRPV))
    cpc_until = None
    if form.get("cpc_until", "").strip():
        try:
            cpc_until = date.fromisoformat(form["cpc_until"].strip())
        except ValueError:
            errors["cpc_until"] = "Date de fin du CPC au format AAAA-MM-JJ."
    indications = parse_indications(form.get("indications", ""))
    if status == "AAC" and not indications:
        errors["indications"] = "Une AAC porte au moins une indication."
    if errors:
        raise Refusal(errors=errors)
    product = existing or ReferentialMedicine(code=code, name="", dci="", pharmaceutical_form="", strength="",
                                              status=status)
    before = existing.model_dump(exclude={"id"}, mode="json") if existing else None
    product.name, product.dci = form["name"].strip(), form["dci"].strip()
    product.pharmaceutical_form, product.strength = form["pharmaceutical_form"].strip(), form["strength"].strip()
    product.status, product.laboratory = status, form.get("laboratory", "").strip()
    product.therapeutic_area, product.conditions = form.get("therapeutic_area", "").strip(), \
        form.get("conditions", "").strip()
    product.max_days, product.ended_on, product.indications = parse_int(max_days), ended_on, indications
    product.collects_data = bool(form.get("collecte"))
    product.protocol = Protocol(product.collects_data, parse_int(form.get("suivi_mois", "3")), frozenset(delegates),
                                form.get("effets_vers", CRPV), parse_int(form.get("rapport_mois", "6"))).as_json()
    if status == "CPC":  # three years from its entry, unless the agency says otherwise
        product.cpc_until = cpc_until or product.cpc_until or cpc_end(date.today())
    else:
        product.cpc_until = cpc_until
    product.indication = indications[0]["label"] if indications else product.indication
    product.granting_criteria = indications[0]["criteria"] if indications else []
    db.add(product)
    db.flush()
    audit.record(db, actor=actor, action="referential.saved", object_type="referential_medicine",
                 object_id=product.id, before=before, after=product.model_dump(exclude={"id"}, mode="json"))
    return product
