"""One schema field rendered in Python, for every wizard of the portal (the ANS forms, the compassionate-access
request, the certificate request): a step calls it for every field of every row (30 fields on a page), where a
Jinja macro cost ten times as much per call. Same markup as the DSFR components: label, hint, input, the error
beside it, and the htmx attributes of the inline check (which also saves the draft)."""

from __future__ import annotations

import functools

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from app.domain.forms.schema import PLAIN, shown, shown_value

INPUT_TYPES = {"email": "email", "date": "date", "phone": "tel"}
CODE_KINDS = ("national_id", "finess", "siret", "postal_code")
INPUT_MODES = {"integer": "numeric", "decimal": "decimal"}


@functools.lru_cache(maxsize=4096)
def _fixed(name: str, step_name: str, action: str) -> tuple[str, str]:
    """The escaped id and htmx attributes of one input: the same on every render of a draft's step."""
    if not action:  # a choice made by a plain GET form (the certificate request's first steps): no inline check
        return escape("champ-" + name), ""
    vals = htmlsafe_json_dumps({"_step": step_name, "_name": name}, sort_keys=True)
    return escape("champ-" + name), (f' hx-post="{escape(action)}" hx-trigger="change" '
                                     f'hx-target="closest .portal-field" hx-swap="outerHTML" hx-vals=\'{vals}\'')


def form_field(spec_field, name: str, value, error: str | None, action: str, step_name: str,
               oob: bool = False, situation=None, autofocus: bool = False) -> Markup:
    """The field's block (``#groupe-<name>``), out of band when ``oob`` (the records filling a row); choices and
    hint from the wizard's ``situation`` when the field takes them from the draft.

    A pure function of its arguments: without a situation it is memoised (a step's blank fields and the values
    drafts share are rendered once per process, not on every page)."""
    if situation is None or situation is PLAIN:
        try:
            return _plain_field(spec_field, name, value, error, action, step_name, oob, autofocus)
        except TypeError:  # an unhashable value (a list of checked boxes): rendered each time
            pass
    return _render_field(spec_field, name, value, error, action, step_name, oob, situation or PLAIN, autofocus)


@functools.lru_cache(maxsize=8192)
def _plain_field(spec_field, name, value, error, action, step_name, oob, autofocus) -> Markup:
    return _render_field(spec_field, name, value, error, action, step_name, oob, PLAIN, autofocus)


def _render_field(spec_field, name: str, value, error: str | None, action: str, step_name: str, oob: bool,
                  situation, autofocus: bool) -> Markup:
    fid, htmx = _fixed(name, step_name, action)
    if autofocus:  # after adding or removing a row: the browser (and htmx after a swap) puts the focus here
        htmx += " autofocus"
    kind = spec_field.kind
    if kind in ("radio", "checks"):
        body = _choice_list(spec_field, fid, name, value, error, htmx, situation)
    else:
        body = _single(spec_field, fid, name, value, error, htmx, situation)
    swap = ' hx-swap-oob="true"' if oob else ""
    half = (" portal-field--half" if spec_field.half else "") + (
        f" portal-reveal-{escape(spec_field.reveal)}" if spec_field.reveal else "")
    return Markup(f'<div class="portal-field{half}" id="groupe-{escape(name)}"{swap}>{body}</div>')  # noqa: S704 - every value escaped


def _single(spec_field, fid, name, value, error, htmx, situation) -> str:
    described = f' aria-describedby="{fid}-erreur"' if error else ""
    required = ' aria-required="true"' if spec_field.required else ""
    message = f'<p id="{fid}-erreur" class="fr-error-text">{escape(error)}</p>' if error else ""
    label = escape(spec_field.label)
    kind = spec_field.kind
    if kind == "checkbox":
        document = (f'<p class="fr-hint-text fr-mb-0"><a href="{escape(spec_field.link[1])}" target="_blank" '
                    f'rel="noopener">{escape(spec_field.link[0])} (nouvel onglet)</a></p>') if spec_field.link else ""
        return (f'<div class="fr-checkbox-group{" fr-checkbox-group--error" if error else ""} fr-mb-2w">'
                f'<input type="checkbox" id="{fid}" name="{escape(name)}" value="1"{" checked" if value else ""}'
                f'{htmx}{described}><label class="fr-label" for="{fid}">{label}</label>{document}{message}</div>')
    star = ' <span aria-hidden="true">*</span>' if spec_field.required else ""
    hint_text = situation.hint_of(spec_field)
    hint = f'<span class="fr-hint-text">{escape(hint_text)}</span>' if hint_text else ""
    head = f'<label class="fr-label" for="{fid}">{label}{star}{hint}</label>'
    if kind == "select":
        options = "".join(f'<option value="{escape(choice[0])}"{" selected" if value == choice[0] else ""}>'
                          f"{escape(choice[1])}</option>" for choice in situation.choices_of(spec_field))
        return (f'<div class="fr-select-group{" fr-select-group--error" if error else ""}">{head}'
                f'<select class="fr-select{" fr-select--error" if error else ""}" id="{fid}" name="{escape(name)}"'
                f'{htmx}{described}{required}><option value=""{"" if value else " selected"}>'
                f"{escape(spec_field.placeholder)}</option>{options}</select>{message}</div>")
    css = f'fr-input{" fr-input--error" if error else ""}'
    if kind in ("textarea", "csr"):
        extra = ' spellcheck="false"' if kind == "csr" else ""
        css += " portal-mono" if kind == "csr" else ""
        control = (f'<textarea class="{css}" id="{fid}" name="{escape(name)}" rows="{6 if kind == "csr" else 3}"'
                   f"{extra}{htmx}{described}{required}>{escape(value or '')}</textarea>")
    else:
        extra = (f' autocomplete="{escape(spec_field.autocomplete)}"' if spec_field.autocomplete else "") + (
            ' inputmode="text" spellcheck="false"' if kind in CODE_KINDS else "") + (
            f' inputmode="{INPUT_MODES[kind]}"' if kind in INPUT_MODES else "") + (
            f' maxlength="{spec_field.max_length}"' if spec_field.max_length < 10 else "")
        control = (f'<input class="{css}" id="{fid}" name="{escape(name)}" value="{escape(value or "")}"'
                   f' type="{INPUT_TYPES.get(kind, "text")}"{extra}{htmx}{described}{required}>')
    return f'<div class="fr-input-group{" fr-input-group--error" if error else ""}">{head}{control}{message}</div>'


def _choice_list(spec_field, fid, name, value, error, htmx, situation) -> str:
    """Radio buttons or check boxes in a fieldset (the DSFR's), the inline check on the fieldset."""
    multiple = spec_field.kind == "checks"
    chosen = set(value or ()) if multiple else {value}
    box = "checkbox" if multiple else "radio"
    inline = " fr-fieldset__element--inline" if spec_field.inline else ""
    items = []
    for index, choice in enumerate(situation.choices_of(spec_field)):
        code, text = choice[0], choice[1]
        hint = f'<span class="fr-hint-text">{escape(choice[2])}</span>' if len(choice) > 2 and choice[2] else ""
        item_id = f"{fid}-{index}"
        items.append(f'<div class="fr-fieldset__element{inline}"><div class="fr-{box}-group">'
                     f'<input type="{box}" id="{item_id}" name="{escape(name)}" value="{escape(code)}"'
                     f'{" checked" if code in chosen else ""}><label class="fr-label" for="{item_id}">'
                     f"{escape(text)}{hint}</label></div></div>")
    if not items and spec_field.empty:
        items.append(f'<div class="fr-fieldset__element"><p>{escape(spec_field.empty)}</p></div>')
    hint_text = situation.hint_of(spec_field)
    hint = f'<span class="fr-hint-text">{escape(hint_text)}</span>' if hint_text else ""
    star = ' <span aria-hidden="true">*</span>' if spec_field.required else ""
    message = (f'<div class="fr-messages-group" id="{fid}-erreur"><p class="fr-message fr-message--error">'
               f"{escape(error)}</p></div>") if error else ""
    error_css = " fr-fieldset--error" if error else ""
    described = f' aria-describedby="{fid}-erreur"' if error else ""
    return (f'<fieldset class="fr-fieldset{error_css}" id="{fid}" aria-labelledby="{fid}-legende"{described}{htmx}>'
            f'<legend class="fr-fieldset__legend" id="{fid}-legende">{escape(spec_field.label)}{star}{hint}</legend>'
            f'{"".join(items)}{message}</fieldset>')


def step_fields(step, data, errors: dict, action: str, situation=PLAIN) -> Markup:
    """Every field a plain step shows, in a grid where ``half`` fields pair up on a wide screen."""
    data = data or {}
    return Markup('<div class="portal-fields">{}</div>').format(Markup("").join(  # noqa: S704 - fields escape
        form_field(f, f.name, data.get(f.name), errors.get(f.name), action, step.name, situation=situation)
        for f in shown(step, situation)))


def step_rows(step, rows, errors: dict, action: str, focus: int | None = None) -> Markup:
    """A repeated step's rows (holders, administrators), each a fieldset of its fields and its remove button;
    the first field of row ``focus`` takes the focus."""
    label = escape(step.row_label)
    blocks = []
    for i, row in enumerate(rows or []):
        fields = "".join(form_field(f, f"rows-{i}-{f.name}", row.get(f.name), errors.get(f"rows-{i}-{f.name}"),
                                    action, step.name, autofocus=i == focus and j == 0)
                         for j, f in enumerate(step.fields))
        blocks.append(f'<fieldset class="fr-fieldset portal-row" aria-labelledby="ligne-{i}-titre">'
                      f'<legend class="fr-fieldset__legend" id="ligne-{i}-titre">{label} {i + 1}</legend>'
                      f'<div class="fr-fieldset__element">{fields}'
                      f'<button class="fr-btn fr-btn--tertiary fr-btn--sm fr-icon-delete-line fr-btn--icon-left" '
                      f'type="submit" name="_supprimer" value="{i}">Retirer {label.lower()} {i + 1}</button>'
                      f"</div></fieldset>")
    return Markup("".join(blocks))  # noqa: S704 - every value escaped


def step_answers(step, data, situation=PLAIN) -> Markup:
    """What a step holds, as the summary and the file's page show it: a description list (one per row)."""
    def listing(row) -> str:
        row = row or {}
        return '<dl class="portal-summary">' + "".join(
            f"<dt>{escape(f.label)}</dt><dd>{escape(shown_value(f, row.get(f.name), situation))}</dd>"
            for f in shown(step, situation)) + "</dl>"

    if not step.repeated:
        return Markup(listing(data))  # noqa: S704 - every value escaped
    label = escape(step.row_label)
    rows = [f'<h3 class="fr-h6">{label} {i + 1}</h3>{listing(row)}' for i, row in enumerate(data or [])]
    return Markup("".join(rows) or "<p>Aucune ligne.</p>")  # noqa: S704 - every value escaped


def filing_answers(spec, payload: dict, errors: dict, edit_url: str | None = None) -> Markup:
    """A form's content step by step (summary, file page, back office): each step's title, its « Modifier » link
    when ``edit_url`` (a step's address, ``{step}`` in place of its name), its errors, its answers."""
    sections = []
    for step in spec.steps:
        title = escape(step.title)
        link = (f' <a class="fr-link fr-text--sm fr-ml-1w" href="{escape(edit_url.replace("{step}", step.name))}">'
                f'Modifier<span class="fr-sr-only"> « {title} »</span></a>') if edit_url else ""
        found = (errors or {}).get(step.name) or {}
        alert = (f'<div class="fr-alert fr-alert--error fr-alert--sm fr-mb-2w" id="etape-{escape(step.name)}-erreur">'
                 f'<ul>{"".join(f"<li>{escape(m)}</li>" for m in found.values())}</ul></div>') if found else ""
        sections.append(f'<section class="fr-mb-3w" id="etape-{escape(step.name)}"><h2 class="fr-h5">{title}{link}'
                        f"</h2>{alert}{step_answers(step, payload.get(step.name))}</section>")
    return Markup("".join(sections))  # noqa: S704 - every value escaped
