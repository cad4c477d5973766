"""One schema field rendered in Python: the ANS forms' steps call it for every field of every row (30 fields on a
page), where a Jinja macro cost ten times as much per call. Same markup as the DSFR components: label, hint,
input, the error beside it, and the htmx attributes of the inline check."""

from __future__ import annotations

import functools

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

INPUT_TYPES = {"email": "email", "date": "date", "phone": "tel"}
CODE_KINDS = ("national_id", "finess", "siret", "postal_code")


@functools.lru_cache(maxsize=4096)
def _fixed(name: str, step_name: str, action: str) -> tuple[str, str]:
    """The escaped id and htmx attributes of one input: the same on every render of a draft's step."""
    vals = htmlsafe_json_dumps({"_step": step_name, "_name": name}, sort_keys=True)
    return escape("champ-" + name), (f' hx-post="{escape(action)}" hx-trigger="change" '
                                     f'hx-target="closest .portal-field" hx-swap="outerHTML" hx-vals=\'{vals}\'')


def form_field(spec_field, name: str, value, error: str | None, action: str, step_name: str,
               oob: bool = False) -> Markup:
    """The field's block (``#groupe-<name>``), out of band when ``oob`` (the records filling a row)."""
    fid, htmx = _fixed(name, step_name, action)
    described = f' aria-describedby="{fid}-erreur"' if error else ""
    required = ' aria-required="true"' if spec_field.required else ""
    message = f'<p id="{fid}-erreur" class="fr-error-text">{escape(error)}</p>' if error else ""
    label = escape(spec_field.label)
    kind = spec_field.kind
    if kind == "checkbox":
        body = (f'<div class="fr-checkbox-group{" fr-checkbox-group--error" if error else ""} fr-mb-2w">'
                f'<input type="checkbox" id="{fid}" name="{escape(name)}" value="1"{" checked" if value else ""}'
                f'{htmx}{described}><label class="fr-label" for="{fid}">{label}</label>{message}</div>')
    else:
        star = ' <span aria-hidden="true">*</span>' if spec_field.required else ""
        hint = f'<span class="fr-hint-text">{escape(spec_field.hint)}</span>' if spec_field.hint else ""
        head = f'<label class="fr-label" for="{fid}">{label}{star}{hint}</label>'
        if kind == "select":
            options = "".join(f'<option value="{escape(code)}"{" selected" if value == code else ""}>'
                              f"{escape(text)}</option>" for code, text in spec_field.choices)
            body = (f'<div class="fr-select-group{" fr-select-group--error" if error else ""}">{head}'
                    f'<select class="fr-select{" fr-select--error" if error else ""}" id="{fid}" name="{escape(name)}"'
                    f'{htmx}{described}{required}><option value=""{"" if value else " selected"}>Sélectionner une '
                    f"option</option>{options}</select>{message}</div>")
        else:
            css = f'fr-input{" fr-input--error" if error else ""}'
            if kind == "textarea":
                control = (f'<textarea class="{css}" id="{fid}" name="{escape(name)}" rows="3"{htmx}{described}'
                           f"{required}>{escape(value or '')}</textarea>")
            else:
                extra = (f' autocomplete="{escape(spec_field.autocomplete)}"' if spec_field.autocomplete else "") + (
                    ' inputmode="text" spellcheck="false"' if kind in CODE_KINDS else "")
                control = (f'<input class="{css}" id="{fid}" name="{escape(name)}" value="{escape(value or "")}"'
                           f' type="{INPUT_TYPES.get(kind, "text")}"{extra}{htmx}{described}{required}>')
            group = f'fr-input-group{" fr-input-group--error" if error else ""}'
            body = f'<div class="{group}">{head}{control}{message}</div>'
    swap = ' hx-swap-oob="true"' if oob else ""
    return Markup(f'<div class="portal-field" id="groupe-{escape(name)}"{swap}>{body}</div>')  # noqa: S704 - every value escaped
