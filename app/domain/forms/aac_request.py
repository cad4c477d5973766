"""The compassionate-access request as e-Saturne asks it, described like the ANS forms: four steps, and flags from
the draft (a medicine of the referential or not, its indications and criteria, a renewal) that show or hide fields.

What cannot be said field by field (initials only, a birth date in the past, an indication still open, the
pharmacist among those of the prescriber's structures) is checked by ``operations.aac_wizard``."""

from __future__ import annotations

from .schema import Field, FormSpec, Step

FRAMES = (("aac", "Traitement d’un patient par un médicament sans AMM dans cette indication (AAC)"),
          ("recherche", "Usage dans le cadre d’une recherche"),
          ("poursuite_essai", "Poursuite d’un traitement reçu dans un essai clinique"),
          ("preparation", "Préparation hospitalière ou magistrale"),
          ("hors_amm", "Médicament commercialisé utilisé hors de son AMM"))
# Flags the plug-in sets: « referentiel » a medicine of the referential is chosen and lists indications;
# « criteres » the chosen indication has granting criteria; « renouvellement » the request renews another.
REFERENTIAL, CRITERIA, RENEWAL = "referentiel", "criteres", "renouvellement"
_JUSTIFY_HINT = "Pas d’essai possible, pas de traitement approprié, efficacité et sécurité présumées."


def _described(name: str, label: str, article: str) -> Field:
    return Field(name, label, when="!" + REFERENTIAL, message=f"Indiquez {article} du médicament.", half=True,
                 max_length=100)


AAC_REQUEST = FormSpec(
    "AAC", "Demande d’autorisation d’accès compassionnel",
    "Demander l’accès d’un patient à un médicament sans AMM dans l’indication.",
    frozenset(),
    (
        Step("patient", "Patient", (
            Field("cadre", "Cadre de la demande", "radio", choices=FRAMES,
                  message="Indiquez le cadre de la demande."),
            Field("initiale_nom", "Initiale du nom", autocomplete="off", max_length=2, half=True,
                  message="Indiquez l’initiale du nom."),
            Field("initiale_prenom", "Initiale du prénom", autocomplete="off", max_length=2, half=True,
                  message="Indiquez l’initiale du prénom."),
            Field("sexe", "Sexe", "radio", choices=(("F", "Féminin"), ("M", "Masculin")), inline=True,
                  message="Indiquez le sexe du patient."),
            Field("mois_naissance", "Mois de naissance", "integer", hint="1 à 12", max_length=2, half=True,
                  message="Indiquez le mois de naissance (1 à 12)."),
            Field("annee_naissance", "Année de naissance", "integer", hint="ex. 1958", max_length=4, half=True,
                  message="Indiquez l’année de naissance (ex. 1958)."),
            Field("poids", "Poids (kg)", "decimal", hint="ex. 72 ou 3,4",
                  message="Poids en kilogrammes, par exemple 72 ou 3,4."),
        ), intro="Aucune donnée identifiante : les initiales, le sexe, le mois et l’année de naissance, le poids. "
                 "Il vous faudra ensuite le médicament et l’indication, la posologie et la durée, les critères "
                 "d’octroi (ou une justification), et le pharmacien de la PUI qui dispensera le médicament (de "
                 "votre établissement ou d’un autre)."),
        Step("medicament", "Médicament et indication", (
            Field("code", "Médicament du référentiel", "select", required=False, placeholder="Hors référentiel",
                  hint="Laisser vide pour un médicament hors référentiel ; ses indications s’affichent après "
                       "« Enregistrer et continuer »."),
            Field("indication", "Indication", "radio", required=False, when=REFERENTIAL),
            Field("indication_libre", "Ou une autre indication", "textarea", required=False, when=REFERENTIAL,
                  hint="À décrire si elle n’est pas dans la liste : la demande sera évaluée."),
            _described("nom", "Nom", "le nom"),
            _described("dci", "DCI", "la DCI"),
            _described("forme", "Forme", "la forme"),
            _described("dosage", "Dosage", "le dosage"),
            Field("laboratoire", "Laboratoire", when="!" + REFERENTIAL, message="Indiquez le laboratoire du "
                  "médicament.", max_length=100),
            Field("sans_amm", "Ce médicament n’a d’AMM en France pour aucune indication, ou sa commercialisation a "
                  "cessé sans que l’AMM couvre cette indication.", "checkbox", when="!" + REFERENTIAL,
                  message="Attestez que le médicament n’a pas d’AMM en France, ou que sa commercialisation a cessé "
                          "sans couvrir cette indication."),
            Field("indication_libre", "Indication", "textarea", when="!" + REFERENTIAL,
                  message="Décrivez l’indication."),
        )),
        Step("prescription", "Prescription et critères", (
            Field("donnees_cliniques", "Données cliniques de la période écoulée", "textarea", when=RENEWAL,
                  hint="Évolution, tolérance, examens.",
                  message="Un renouvellement porte les données cliniques de la période écoulée."),
            Field("poursuite_utile", "J’atteste que la poursuite du traitement est utile au patient.", "checkbox",
                  when=RENEWAL, message="Attestez que la poursuite du traitement est utile au patient."),
            Field("posologie", "Posologie prévue", "textarea", hint="Dose, rythme, voie.",
                  message="Indiquez la posologie prévue."),
            Field("duree", "Durée de traitement demandée (jours)", "integer", hint="1 à 365", max_length=3,
                  message="Durée de traitement en jours (1 à 365)."),
            Field("essais", "Essais cliniques en cours dans cette indication", "textarea", required=False,
                  hint="Le cas échéant, et pourquoi le patient ne peut pas y entrer."),
            Field("criteres", "Critères d’octroi : j’atteste que le patient remplit chacun d’eux", "checks",
                  required=False, when=CRITERIA,
                  hint="Tous les critères attestés et la durée dans le maximum : la décision est immédiate dès la "
                       "transmission par la PUI."),
            Field("justification", "Justification (si un critère n’est pas rempli)", "textarea", required=False,
                  when=CRITERIA, hint=_JUSTIFY_HINT),
            Field("justification", "Justification", "textarea", when="!" + CRITERIA, hint=_JUSTIFY_HINT,
                  message="Sans critère d’octroi attesté, justifiez la demande (pas d’essai possible, pas de "
                          "traitement approprié, efficacité et sécurité présumées)."),
            Field("differable", "Le traitement peut-il être différé ?", "radio", inline=True,
                  choices=(("oui", "Oui"), ("non", "Non, il est urgent")),
                  message="Indiquez si le traitement peut être différé."),
        )),
        Step("engagement", "Engagement et PUI", (
            Field("fonction", "Votre fonction", hint="ex. praticien hospitalier, interne", max_length=100,
                  message="Indiquez votre fonction (ex. praticien hospitalier, interne)."),
            Field("etablissement", "Établissement dont la PUI dispensera le médicament", required=False,
                  max_length=100,
                  hint="Si sa PUI n’est pas listée ci-dessous : nom ou n° FINESS de l’établissement, puis "
                       "« Enregistrer et continuer » ; ses pharmaciens de PUI s’ajoutent à la liste."),
            Field("pharmacien", "Pharmacien de la PUI qui vérifiera la demande", "radio",
                  empty="Aucun pharmacien de PUI n’exerce dans vos structures d’exercice : indiquez ci-dessus "
                        "l’établissement qui dispensera le médicament.",
                  message="Désignez le pharmacien de la PUI qui vérifiera la demande."),
            Field("information", "Je m’engage à informer le patient (et si possible son médecin traitant) et à le "
                  "consigner dans son dossier médical.", "checkbox",
                  message="Engagez-vous à informer le patient (et si possible son médecin traitant) et à le "
                          "consigner dans son dossier."),
        )),
    ),
)
