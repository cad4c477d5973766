"""How an online request is described: steps, fields, repeated rows (holders, administrators), and the
checks each field carries. Plain Python: the views render any wizard (the ANS forms, the compassionate-access
request, the certificate request) from its description, the operations validate a draft with it.

What depends on the draft itself (choices read from the referential, fields shown only for a renewal, a hint
naming a medicine's maximum) comes from the wizard's plug-in as a :class:`Situation`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from stdnum.exceptions import ValidationError

from app.domain.certificates import CertificateRequestError, parse_domains
from app.domain.clock import fr_date
from app.domain.identifiers import InvalidIdentifier, parse_national_id, validate_finess, validate_siret
from app.domain.inputs import parse_int

EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}$")
POSTAL_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
PHONE = re.compile(r"^\+?[\d .-]{10,20}$")


@dataclass(frozen=True)
class Field:
    """One input. ``kind`` decides the widget and the check: text, email, textarea, select, checkbox, radio,
    checks (several boxes, a list), integer, decimal, national_id, finess, siret, postal_code, phone, date (a past
    date, ISO), domains (DNS domains, spaces), csr (a PEM pasted or a file).

    ``when`` names a flag of the :class:`Situation` (``"!flag"``: its absence) without which the field is not
    shown, read nor checked; ``message`` replaces « Ce champ est obligatoire. »; ``half`` puts two fields side by
    side on a wide screen; ``choices`` may come from the situation, each ``(code, label)`` or
    ``(code, label, hint)``."""

    name: str
    label: str
    kind: str = "text"
    required: bool = True
    choices: tuple[tuple[str, ...], ...] = ()
    hint: str = ""
    autocomplete: str | None = None
    max_length: int = 200
    when: str = ""
    message: str = ""
    half: bool = False
    inline: bool = False
    placeholder: str = "Sélectionner une option"
    empty: str = ""  # what a radio list says when the situation offers no choice
    reveal: str = ""  # shown in the page only once the step's box above is ticked (« checked ») or an option chosen
    link: tuple[str, str] = ()  # (text, address) of the document a box accepts, opened in a new tab


@dataclass(frozen=True)
class Situation:
    """What a wizard's plug-in knows of the draft when a step is shown or checked."""

    flags: frozenset[str] = frozenset()
    choices: Mapping[str, tuple] = field(default_factory=dict)
    hints: Mapping[str, str] = field(default_factory=dict)

    def shows(self, spec_field: Field) -> bool:
        flag = spec_field.when
        return not flag or (flag[1:] not in self.flags if flag.startswith("!") else flag in self.flags)

    def choices_of(self, spec_field: Field) -> tuple:
        return spec_field.choices or tuple(self.choices.get(spec_field.name, ()))

    def hint_of(self, spec_field: Field) -> str:
        return self.hints.get(spec_field.name, spec_field.hint)


PLAIN = Situation()


@dataclass(frozen=True)
class Step:
    """A stepper step: plain fields, or a list of rows (``repeated``) each made of ``fields``."""

    name: str
    title: str
    fields: tuple[Field, ...]
    intro: str = ""
    repeated: bool = False
    row_label: str = ""
    add_label: str = ""  # the button that adds a row (« Ajouter une commande »); else built from row_label
    min_rows: int = 1
    max_rows: int = 30


@dataclass(frozen=True)
class FormSpec:
    code: str
    title: str
    purpose: str
    filed_by: frozenset[str]  # habilitation roles on the structure; empty: any logged-in professional
    steps: tuple[Step, ...]
    attachment: str = ""  # what the proof attached must show; empty: no attachment asked
    effects: str = ""  # what accepting the form does, as the agent confirms it
    needs_contract: bool = True  # the structure must have signed the ANS contract (F101) first

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def index(self, name: str) -> int:
        return [s.name for s in self.steps].index(name)

    def neighbour(self, name: str, *, back: bool) -> str | None:
        """The step before (``back``) or after ``name``; None past either end."""
        index = self.index(name) + (-1 if back else 1)
        return self.steps[index].name if 0 <= index < len(self.steps) else None

    @property
    def titles(self) -> list[str]:
        return [s.title for s in self.steps]


def shown(step: Step, situation: Situation = PLAIN) -> tuple[Field, ...]:
    """The step's fields this draft shows (one name may have two variants, under opposite flags)."""
    return tuple(f for f in step.fields if situation.shows(f))


def field_named(step: Step, name: str, situation: Situation = PLAIN) -> Field | None:
    return next((f for f in shown(step, situation) if f.name == name), None)


def read(step: Step, form, situation: Situation = PLAIN) -> dict:
    """A plain step's values as posted: only the fields shown, text stripped, boxes as booleans or lists."""
    data: dict = {}
    for f in shown(step, situation):
        if f.kind == "checks":
            offered = {c[0] for c in situation.choices_of(f)}
            data[f.name] = [v for v in form.getlist(f.name) if v in offered]
        else:
            data[f.name] = clean(f, form.get(f.name, ""))
    return data


def labels(step: Step, data, situation: Situation = PLAIN) -> dict[str, str]:
    """What the error summary calls each input of the step: « Titulaire 2 – Nom d’usage » for a row's field."""
    if not step.repeated:
        return {f.name: f.label for f in shown(step, situation)}
    return {"rows": step.row_label + "s"} | {f"rows-{i}-{f.name}": f"{step.row_label} {i + 1} – {f.label}"
                                             for i in range(len(data or [])) for f in step.fields}


def shown_value(spec_field: Field, value, situation: Situation = PLAIN) -> str:
    """A stored answer as people read it (pages and sealed PDFs alike): Oui/Non, a choice's label, a date as
    14/07/1985, « — » when empty."""
    kind = spec_field.kind
    if kind == "checkbox":
        return "Oui" if value else "Non"
    if kind in ("select", "radio"):
        return next((c[1] for c in situation.choices_of(spec_field) if c[0] == value), value or "—")
    if kind == "checks":
        return " ; ".join(value or ()) or "—"
    if kind == "date" and value:
        return fr_date(value)
    if kind == "national_id" and value and value[:1] in ("8", "0"):  # say what was read: RPPS or ADELI
        try:
            read = parse_national_id(value)
        except InvalidIdentifier:
            return value
        return f"{value} ({read.kind} {read.number})"
    return value or "—"


def row_index(step: Step, value) -> int | None:
    """A posted row index (``rows-<i>-…``, a row count, a row to remove): within the step's rows, else None."""
    return parse_int(value, high=step.max_rows - 1) if step.repeated else None


def check(spec_field: Field, value, situation: Situation = PLAIN) -> str | None:
    """The French message for a bad value, or None."""
    kind = spec_field.kind
    if kind in ("checkbox", "checks"):
        missing = spec_field.required and not value
        return (spec_field.message or "Cette case doit être cochée pour continuer.") if missing else None
    value = (value or "").strip()
    if not value:
        return (spec_field.message or "Ce champ est obligatoire.") if spec_field.required else None
    if len(value) > limit(spec_field):
        return f"Ce texte est trop long ({limit(spec_field)} caractères au plus)."
    if kind == "email" and not EMAIL.match(value):
        return "Adresse électronique invalide (exemple : prenom.nom@etablissement.fr)."
    if kind in ("select", "radio") and value not in {c[0] for c in situation.choices_of(spec_field)}:
        return spec_field.message or "Choisissez une valeur dans la liste."
    if kind == "integer" and parse_int(value) is None:
        return spec_field.message or "Indiquez un nombre entier."
    if kind == "decimal" and not re.fullmatch(r"\d{1,4}([.,]\d{1,3})?", value):
        return spec_field.message or "Indiquez un nombre (ex. 72 ou 3,4)."
    if kind == "postal_code" and not POSTAL_CODE.match(value):
        return "Le code postal comporte 5 chiffres."
    if kind == "phone" and not PHONE.match(value):
        return "Numéro de téléphone invalide (10 chiffres)."
    if kind == "date":
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            return "Date invalide (format attendu : AAAA-MM-JJ)."
        if not date(1900, 1, 1) <= parsed <= date.today():  # today included: a card lost this morning
            return "La date ne peut pas être dans le futur."
    try:
        if kind == "domains":
            parse_domains(value)
        elif kind == "national_id":
            parse_national_id(value)
        elif kind == "finess":
            validate_finess(value)
        elif kind == "siret":
            validate_siret(value)
    except (InvalidIdentifier, ValidationError, CertificateRequestError) as exc:
        return str(exc)
    return None


def limit(spec_field: Field) -> int:
    """The longest value a field accepts (its check says « trop long » beyond)."""
    return 2000 if spec_field.kind == "textarea" else 64 * 1024 if spec_field.kind == "csr" else spec_field.max_length


def clean(spec_field: Field, value) -> str | bool | list:
    """A posted value as a draft keeps it: stripped, and never more than one character beyond the field's limit,
    so that the check still says it is too long while no draft grows with what a client sends."""
    if spec_field.kind == "checks":
        return [str(v)[:200] for v in value][:100] if isinstance(value, (list, tuple)) else []
    if spec_field.kind == "checkbox":
        return bool(value) and value not in ("0", "false", "")
    value = (value if isinstance(value, str) else "").strip()[:limit(spec_field) + 1]
    if spec_field.kind == "domains" and value:
        try:
            return " ".join(parse_domains(value))
        except ValueError:
            return value
    if spec_field.kind == "national_id" and value:
        try:
            return str(parse_national_id(value))
        except InvalidIdentifier:
            return value
    return value


def step_errors(step: Step, data, situation: Situation = PLAIN) -> dict[str, str]:
    """Errors of one step's data, keyed ``field`` or ``rows-<i>-field`` (the input names)."""
    errors: dict[str, str] = {}
    if step.repeated:
        rows = data or []
        if len(rows) < step.min_rows:
            errors["rows"] = f"Ajoutez au moins {step.min_rows} {step.row_label.lower()}."
        if len(rows) > step.max_rows:
            errors["rows"] = f"Au plus {step.max_rows} lignes par dossier : déposez-en un autre pour la suite."
        for i, row in enumerate(rows):
            for f in step.fields:
                if (message := check(f, row.get(f.name))) is not None:
                    errors[f"rows-{i}-{f.name}"] = message
        return errors
    for f in shown(step, situation):
        if (message := check(f, (data or {}).get(f.name), situation)) is not None:
            errors[f.name] = message
    return errors


def all_errors(spec: FormSpec, payload: dict) -> dict[str, dict[str, str]]:
    """Every step's errors; empty when the whole draft may be deposited."""
    found = {s.name: step_errors(s, payload.get(s.name)) for s in spec.steps}
    return {name: errs for name, errs in found.items() if errs}


CARRIED = re.compile(r"champ-([a-z_]+)-(?:(\d{1,2})-)?([a-z_]+)")
_CARRIED_KINDS = frozenset({"text", "national_id", "email", "date", "postal_code", "phone", "select", "radio"})


def carried(spec: FormSpec, source) -> list[tuple[str, str]]:
    """The ``champ-<step>-[<row>-]<field>`` values a link pre-fills (the card fleet's « déclarer un incident »),
    kept only for a field of the form that takes typed text or a choice, and cut to its length."""
    found = []
    for name, value in source.items():
        match = CARRIED.fullmatch(name)
        if not match:
            continue
        step_name, row, field_name = match.groups()
        try:
            step = spec.step(step_name)
        except KeyError:
            continue
        spec_field = next((f for f in step.fields if f.name == field_name), None)
        if spec_field is None or spec_field.kind not in _CARRIED_KINDS or (row is not None) != step.repeated \
                or (row is not None and int(row) >= step.max_rows):
            continue
        found.append((name, str(value)[:spec_field.max_length]))
    return found


def carried_values(spec: FormSpec, source, payload: dict) -> dict:
    """``payload`` with the carried values set where it holds nothing yet."""
    payload = dict(payload)
    for name, value in carried(spec, source):
        step_name, row, field_name = CARRIED.fullmatch(name).groups()
        if row is None:
            part = payload.setdefault(step_name, {})
            part.setdefault(field_name, value)
        else:
            rows = payload.setdefault(step_name, [])
            while len(rows) <= int(row):
                rows.append({})
            rows[int(row)].setdefault(field_name, value)
    return payload
