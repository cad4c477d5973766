"""What follows a decision, described like every other form of the portal (one wizard, no page of its own): the
PUT-SP's initiation, follow-up and end-of-treatment forms, the adverse-effect declaration, and a patient's
registration under a CPC. Their rules beyond each field's own check are ``domain.follow_up.rules``."""

from __future__ import annotations

from .aac_request import AAC_REQUEST
from .schema import Field, FormSpec, Step

_WEIGHT = Field("poids", "Poids (kg)", "decimal", hint="ex. 72 ou 3,4", message="Poids en kilogrammes, par exemple "
                "72 ou 3,4.")
_NOTE = Field("commentaire", "Observations", "textarea", required=False)
EFFICACY = (("amelioration", "Amélioration"), ("stabilisation", "Stabilisation"), ("aggravation", "Aggravation"),
            ("non_evaluable", "Non évaluable"))
END_REASONS = (("fin_prevue", "Fin de traitement prévue"), ("inefficacite", "Inefficacité"),
               ("effet_indesirable", "Effet indésirable"), ("deces", "Décès"),
               ("relais", "Relais par un autre cadre (AMM, AAP, CPC)"), ("perdu_de_vue", "Patient perdu de vue"),
               ("autre", "Autre motif"))
SERIOUSNESS = (("deces", "Décès"), ("vital", "Mise en jeu du pronostic vital"),
               ("hospitalisation", "Hospitalisation ou sa prolongation"),
               ("incapacite", "Incapacité ou invalidité importante ou durable"),
               ("congenitale", "Anomalie ou malformation congénitale"), ("autre", "Autre situation médicale grave"))
OUTCOMES = (("guerison", "Guérison"), ("en_cours", "En cours de guérison"), ("non_retabli", "Non rétabli"),
            ("sequelles", "Guérison avec séquelles"), ("deces", "Décès"), ("inconnue", "Inconnue"))

INITIATION = FormSpec("INIT", "Fiche d’initiation du traitement", "À la première dispensation.", frozenset(), (
    Step("initiation", "Initiation", (
        Field("date_debut", "Date de la première dispensation", "date",
              message="Indiquez la date de la première dispensation."),
        _WEIGHT,
        Field("posologie", "Posologie instaurée", "textarea", hint="Dose, rythme, voie.",
              message="Indiquez la posologie instaurée."),
        _NOTE,
    ), intro="Le patient n’est désigné que par ses initiales, son âge, son sexe et son poids."),), needs_contract=False)

FOLLOW_UP = FormSpec("SUIVI", "Fiche de suivi", "Au rythme du protocole (PUT-SP).", frozenset(), (
    Step("suivi", "Suivi", (
        Field("date_visite", "Date de la consultation de suivi", "date",
              message="Indiquez la date de la consultation."),
        _WEIGHT,
        Field("efficacite", "Efficacité", "radio", choices=EFFICACY, message="Évaluez l’efficacité."),
        Field("tolerance", "Tolérance", "radio", inline=True,
              choices=(("bonne", "Bonne"), ("effet", "Effet indésirable")),
              message="Indiquez la tolérance.", hint="Un effet indésirable se déclare aussi depuis le dossier."),
        Field("poursuite", "Le traitement est poursuivi", "radio", inline=True,
              choices=(("oui", "Oui"), ("non", "Non")),
              message="Indiquez si le traitement est poursuivi (sinon, remplissez la fiche de fin)."),
        _NOTE,
    )),), needs_contract=False)

END = FormSpec("FIN", "Fiche de fin de traitement", "À l’arrêt du traitement, avec son motif.", frozenset(), (
    Step("fin", "Fin de traitement", (
        Field("date_fin", "Date de fin de traitement", "date", message="Indiquez la date de fin de traitement."),
        Field("motif", "Motif de l’arrêt", "radio", choices=END_REASONS, message="Indiquez le motif de l’arrêt."),
        Field("precision", "Précision", "textarea", required=False),
    )),), needs_contract=False)

ADVERSE_EFFECT = FormSpec("EI", "Déclaration d’effet indésirable", "Au CRPV de votre région, ou au laboratoire si le "
                          "protocole le prévoit.", frozenset(), (
    Step("effet", "Effet indésirable", (
        Field("date_survenue", "Date de survenue", "date", message="Indiquez la date de survenue."),
        Field("description", "Description de l’effet", "textarea", hint="Symptômes, examens, délai après la prise.",
              message="Décrivez l’effet indésirable."),
        Field("gravite", "Gravité", "radio", inline=True, choices=(("grave", "Grave"), ("non_grave", "Non grave")),
              message="Indiquez si l’effet est grave."),
        Field("criteres_gravite", "Critères de gravité (effet grave)", "checks", required=False,
              choices=SERIOUSNESS),
        Field("evolution", "Évolution", "radio", choices=OUTCOMES, message="Indiquez l’évolution."),
        Field("mesures", "Mesures prises", "textarea", required=False, hint="Arrêt, réduction de dose, traitement."),
    )),), needs_contract=False)

CPC_REGISTRATION = FormSpec("CPC", "Inscription d’un patient dans un cadre de prescription compassionnelle",
                            "Prescrire sans autorisation individuelle, dans les conditions du CPC.", frozenset(), (
    Step("patient", "Patient", AAC_REQUEST.step("patient").fields[1:],
         intro="Aucune donnée identifiante\u00a0: les initiales, le sexe, le mois et l’année de naissance, le poids."),
    Step("conditions", "Conditions du CPC", (
        Field("code", "Médicament sous CPC", "select", message="Choisissez le médicament."),
        Field("etablissement", "Établissement où vous suivez le patient", "select",
              message="Choisissez l’établissement où vous suivez le patient.",
              hint="Sa PUI voit le suivi\u00a0; les effets indésirables vont au CRPV de sa région."),
        Field("criteres", "Conditions remplies par le patient", "checks", required=False),
        Field("engagement", "J’atteste prescrire dans les conditions du CPC et suivre le patient selon son "
              "protocole (PUT-SP).", "checkbox", message="Attestez prescrire dans les conditions du CPC."),
    )),), needs_contract=False)

BY_CODE = {spec.code: spec for spec in (INITIATION, FOLLOW_UP, END, ADVERSE_EFFECT, CPC_REGISTRATION)}
FOLLOW_UP_FORMS = ("INIT", "SUIVI", "FIN")
