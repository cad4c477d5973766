"""PSC userinfo claims → :class:`ProfessionalIdentity`, tolerant of PSC's shapes.

PSC sends empty strings for absent values, ``otherIds`` in any case, and profession data under
``SubjectRefPro.exercices[]`` with their ``activities[]``.
"""

from __future__ import annotations

from typing import Any

from app.domain.identifiers import InvalidIdentifier, parse_national_id

from .identity import Activity, IdentityError, ProfessionalIdentity


def _s(value: Any) -> str:
    """A string claim, with PSC's empty strings and nulls read as absent."""
    if value is None:
        return ""
    return str(value).strip()


def _get(mapping: dict, *names: str) -> Any:
    """First present key among ``names``, compared case-insensitively."""
    lowered = {k.lower(): v for k, v in mapping.items()} if isinstance(mapping, dict) else {}
    for name in names:
        value = lowered.get(name.lower())
        if value not in (None, "", [], {}):
            return value
    return None


def _list(value: Any) -> list:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def identity_from_userinfo(claims: dict, *, auth_method: str | None = None) -> ProfessionalIdentity:
    """Map PSC userinfo (JSON or the decoded JWT) to the portal identity."""
    subject = _s(_get(claims, "SubjectNameID", "preferred_username"))
    if not subject:
        raise IdentityError("Pro Santé Connect n’a pas transmis d’identifiant national (SubjectNameID).")
    try:
        national_id = str(parse_national_id(subject))
    except InvalidIdentifier as exc:
        raise IdentityError(f"Identifiant national transmis invalide : {exc}") from None

    ref = _get(claims, "SubjectRefPro") or {}
    exercises = _list(_get(ref, "exercices"))
    activities: list[Activity] = []
    for ex in exercises:
        if not isinstance(ex, dict):
            continue
        profession = _s(_get(ex, "codeProfession"))
        category = _s(_get(ex, "codeCategorieProfessionnelle"))
        specialty = _s(_get(ex, "codeSavoirFaire"))
        acts = [a for a in _list(_get(ex, "activities")) if isinstance(a, dict)]
        for act in acts or [{}]:
            activities.append(Activity(
                profession_code=profession,
                category_code=category,
                specialty_code=specialty,
                practice_mode=_s(_get(act, "codeModeExercice")),
                sector_code=_s(_get(act, "codeSecteurDactivite")),
                finess_site=_s(_get(act, "numeroFinessSite")),
                finess_legal=_s(_get(act, "numeroFinessetablissementJuridique")),
                siret_site=_s(_get(act, "numeroSiretSite")),
                site_name=_s(_get(act, "raisonSocialeSite")),
                pharmacist_section=_s(_get(act, "codeSectionPharmacien")),
            ))
    first = next((ex for ex in exercises if isinstance(ex, dict)), {})
    family = _s(_get(claims, "family_name")) or _s(_get(first, "nomDexercice"))
    given = _s(_get(claims, "given_name")) or _s(_get(first, "prenomDexercice"))
    if not family:
        raise IdentityError("Pro Santé Connect n’a pas transmis le nom du professionnel.")
    civility = _s(_get(ref, "codeCivilite")) or _s(_get(first, "codeCiviliteDexercice"))
    mode = _s(_get(claims, "authMode")).upper()
    method = auth_method or ("psc-mobile" if mode == "MOBILE" else "psc-card")
    other_ids = tuple(
        _s(_get(o, "identifiant") if isinstance(o, dict) else o) for o in _list(_get(claims, "otherIds"))
    )
    return ProfessionalIdentity(
        national_id=national_id,
        family_name=family,
        given_name=given,
        civility=civility,
        auth_method=method,
        profession_code=_s(_get(first, "codeProfession")),
        profession_category=_s(_get(first, "codeCategorieProfessionnelle")),
        activities=tuple(activities),
        other_ids=tuple(o for o in other_ids if o),
        subject_roles=tuple(_s(r) for r in _list(_get(claims, "SubjectRole")) if _s(r)),
    )
