"""The five ANS forms, described once: their steps and fields as the paper forms hold them."""

from __future__ import annotations

from app.domain.codes import APPLIANCE_PROFESSIONS, AUXILIARIES, PROFESSIONS

from .schema import Field, FormSpec, Step

CIVILITIES = (("M", "Monsieur"), ("MME", "Madame"))
FAMILIES = (("ORG", "ORG – personne morale (authentification, signature, chiffrement)"),
            ("SERV", "SERV – serveur (SSL)"))
LEGAL_OR_MANDATAIRE = frozenset({"legal_representative", "mandataire"})
LEGAL = frozenset({"legal_representative"})


def _identity(*, national_id_required: bool = True, hint: str = "") -> tuple[Field, ...]:
    return (
        Field("civilite", "Civilité", "select", choices=CIVILITIES),
        Field("nom", "Nom d’usage", autocomplete="off", max_length=100),
        Field("prenom", "Prénom", autocomplete="off", max_length=100),
        Field("identifiant", "Identifiant national (carte)", "national_id", required=national_id_required,
              hint=hint or "RPPS (11 chiffres, tel qu’imprimé, ou 8 suivi du RPPS), ADELI (9 caractères, ou 0 "
                   "suivi de l’ADELI) ou identifiant de carte d’établissement (3…/…)."),
        Field("courriel", "Adresse électronique", "email", autocomplete="off"),
    )


_CONTACT = Step("contact", "Contact", (
    Field("courriel", "Adresse électronique de contact", "email",
          hint="Une adresse générique (ex. informatique@…) est conseillée : elle survit aux départs."),
    Field("telephone", "Téléphone", "phone", required=False, autocomplete="tel"),
))

F101 = FormSpec(
    "F101", "Carte du représentant légal (CDE/CDA) et contrat d’adhésion",
    "Obtenir la carte de directeur d’établissement (CDE) ou d’organisme (CDA), et adhérer aux services.",
    frozenset(),
    (
        Step("representant", "Représentant légal", (
            *_identity(national_id_required=False,
                       hint="Si vous détenez déjà une CPS, indiquez son identifiant : aucune carte ne sera "
                            "fabriquée, le rôle sera enregistré sur votre CPS."),
            Field("fonction", "Fonction", hint="Exemple : directeur général, gérant, président."),
            Field("date_naissance", "Date de naissance", "date", required=False,
                  hint="Obligatoire si vous n’avez pas de CPS."),
        )),
        _CONTACT,
        Step("contrat", "Contrat d’adhésion", (
            Field("contrat", "J’accepte le contrat d’adhésion aux produits de certification au nom de la "
                             "structure.", "checkbox",
                  link=("Lire le contrat d’adhésion (ANS)", "https://esante.gouv.fr/node/2683")),
            Field("exactitude", "J’atteste l’exactitude des informations et ma qualité de représentant légal.",
                  "checkbox"),
        ), intro="Le contrat d’adhésion est souscrit dans le même dossier ; joignez le justificatif de votre "
                 "qualité de représentant légal (extrait Kbis, arrêté de nomination, procès-verbal)."),
    ),
    attachment="Justificatif de la qualité de représentant légal (extrait Kbis, arrêté de nomination…)",
    effects="contrat d’adhésion signé, rôle de représentant légal sur sa carte ou commande de sa carte CDE/CDA",
    needs_contract=False,
)

F301 = FormSpec(
    "F301", "Commande de cartes nominatives du personnel (CPE/CPA)",
    "Commander des cartes pour le personnel non professionnel de santé de la structure.",
    LEGAL_OR_MANDATAIRE,
    (
        Step("titulaires", "Titulaires", (
            *_identity(national_id_required=False,
                       hint="Laisser vide pour une première carte : l’identifiant est attribué à la fabrication."),
            Field("date_naissance", "Date de naissance", "date"),
            Field("lieu_naissance", "Lieu de naissance", max_length=100),
            Field("fonction", "Fonction dans la structure", max_length=100),
            Field("justification", "Justification de la carte", "textarea",
                  hint="Exemple : authentification à une application, contrôle d’accès aux locaux."),
        ), repeated=True, row_label="Titulaire",
            intro="Les professionnels de santé ne sont pas éligibles : leur CPS leur est attribuée via le RPPS."),
        Step("livraison", "Livraison", (
            Field("destinataire", "Destinataire des cartes", max_length=100),
            Field("adresse", "Adresse", autocomplete="street-address"),
            Field("code_postal", "Code postal", "postal_code", autocomplete="postal-code"),
            Field("ville", "Ville", autocomplete="address-level2", max_length=100),
        )),
        _CONTACT,
    ),
    effects="une carte commandée par titulaire",
)

F413 = FormSpec(
    "F413", "Administrateurs techniques des certificats logiciels",
    "Habiliter des administrateurs techniques à commander les certificats logiciels d’une famille.",
    LEGAL_OR_MANDATAIRE,
    (
        Step("famille", "Famille de certificats", (
            Field("famille", "Famille", "select", choices=FAMILIES,
                  hint="Un formulaire par famille : un F413 ORG couvre le DMP et l’INSi."),
            Field("delegation", "Les certificats sont gérés par un éditeur (délégation à un tiers).", "checkbox",
                  required=False),
            Field("editeur_raison_sociale", "Raison sociale de l’éditeur", required=False, reveal="checked"),
            Field("editeur_siret", "SIRET de l’éditeur", "siret", required=False, reveal="checked"),
            Field("domaines", "Domaines DNS des serveurs (famille SERV)", "domains", required=False, reveal="SERV",
                  max_length=600, hint="Famille SERV seulement, obligatoire : les domaines dont la structure a la "
                                       "maîtrise, séparés par des espaces (ex. chu-exemple.fr). Les certificats "
                                       "serveur ne porteront que des noms situés dans ces domaines."),
        )),
        Step("administrateurs", "Administrateurs techniques", (
            *_identity(),
            Field("usage", "Usage des certificats", "textarea", hint="Exemple : alimentation du DMP, appels INSi."),
            Field("editeur", "Éditeur du logiciel", max_length=100),
            Field("solution", "Solution logicielle", max_length=100),
            Field("perimetre", "Périmètre", required=False,
                  hint="FINESS des sites concernés, séparés par des espaces ; vide : toute la structure."),
        ), repeated=True, row_label="Administrateur", intro="Chaque administrateur doit détenir une carte active."),
        _CONTACT,
        Step("engagements", "Engagements", (
            Field("cgu", "J’accepte les conditions générales d’utilisation des certificats logiciels.", "checkbox",
                  link=("Documents des produits de certification (site de l’ANS)", "https://esante.gouv.fr/")),
            Field("pc", "J’accepte les politiques de certification de l’IGC-Santé.", "checkbox",
                  link=("Politiques de certification de l’IGC-Santé (site de l’ANS)", "https://esante.gouv.fr/")),
        )),
    ),
    effects="les administrateurs techniques habilités pour la famille et, en SERV, les domaines déclarés",
)

_ACTIONS_MANDATAIRE = (("designer", "Désigner"), ("retirer", "Retirer"))
F502 = FormSpec(
    "F502", "Désignation ou retrait de mandataires",
    "Désigner les personnes qui agissent au nom du représentant légal (cartes, administrateurs techniques).",
    LEGAL,
    (
        Step("mandataires", "Mandataires", (
            Field("action", "Action", "select", choices=_ACTIONS_MANDATAIRE), *_identity(),
        ), repeated=True, row_label="Mandataire", intro="Chaque mandataire désigné doit détenir une carte active."),
        Step("engagements", "Engagement", (
            Field("pouvoirs", "Je donne pouvoir aux mandataires désignés de commander des cartes, d’habiliter des "
                              "administrateurs techniques et de gérer les moyens d’identification.", "checkbox"),
        )),
    ),
    effects="les mandataires désignés ou retirés",
)

_ACTIONS_ADMIN = (("ajouter", "Ajouter"), ("retirer", "Retirer"))
F503 = FormSpec(
    "F503", "Ajout ou retrait d’administrateurs techniques",
    "Mettre à jour la liste des administrateurs techniques (arrivée, départ).",
    LEGAL_OR_MANDATAIRE,
    (
        Step("administrateurs", "Administrateurs techniques", (
            Field("action", "Action", "select", choices=_ACTIONS_ADMIN),
            Field("famille", "Famille", "select", choices=FAMILIES), *_identity(),
            Field("usage", "Usage des certificats", "textarea", required=False),
            Field("domaines", "Domaines DNS ajoutés (famille SERV)", "domains", required=False, max_length=600,
                  hint="Facultatif : domaines supplémentaires dont la structure a la maîtrise, séparés par des "
                       "espaces."),
        ), repeated=True, row_label="Administrateur",
            intro="Retirer un administrateur met fin à son habilitation ; les certificats de la structure restent "
                  "valides."),
    ),
    effects="les administrateurs techniques ajoutés ou retirés",
)

INCIDENTS = (("perte", "Perte"), ("vol", "Vol"), ("endommagee", "Carte endommagée ou défectueuse"),
             ("pin_perdu", "Code PIN oublié"), ("pin_bloque", "Code PIN bloqué"))
OPPOSED_AT_DEPOSIT = frozenset({"perte", "vol"})
REPLACED = frozenset({"perte", "vol", "endommagee"})
F501 = FormSpec(
    "F501", "Déclaration d’incident sur une carte",
    "Déclarer une carte perdue, volée ou endommagée, ou un code PIN oublié ou bloqué.",
    LEGAL_OR_MANDATAIRE,
    (
        Step("incident", "Incident", (
            Field("carte", "Numéro de la carte", max_length=20, autocomplete="off",
                  hint="Les 10 chiffres imprimés sur la carte (ex. 2800000001) ; la liste « Cartes de la "
                       "structure » les donne."),
            Field("incident", "Nature de l’incident", "radio", choices=INCIDENTS),
            Field("date_incident", "Date de l’incident", "date"),
            Field("circonstances", "Circonstances", "textarea", required=False, max_length=1000,
                  hint="Facultatif : lieu, dépôt de plainte (vol)…"),
        ), intro="Une carte perdue ou volée est mise en opposition dès le dépôt quand elle est la vôtre ou celle "
                 "d’une structure dont vous gérez les cartes (sinon, à l’acceptation par l’agence) : ses "
                 "certificats sont révoqués et elle n’ouvre plus de session, ni au portail ni par Pro Santé "
                 "Connect. Son titulaire et le représentant légal en sont avertis par courriel. L’e-CPS du "
                 "titulaire, si elle a été activée, reste utilisable en attendant la carte de remplacement, "
                 "commandée à l’acceptation."),
        _CONTACT,
    ),
    effects="carte perdue ou volée opposée dès le dépôt ; carte de remplacement commandée (perte, vol, carte "
            "endommagée) ; code de déblocage adressé au porteur (PIN)",
)

F504 = FormSpec(
    "F504", "Changement d’adresse de livraison des cartes",
    "Faire livrer les cartes de la structure à une nouvelle adresse, y compris celles déjà commandées.",
    LEGAL_OR_MANDATAIRE,
    (
        Step("livraison", "Nouvelle adresse de livraison", (
            Field("destinataire", "Destinataire des cartes", max_length=100,
                  hint="Service ou personne qui réceptionne les cartes (ex. service informatique)."),
            Field("adresse", "Adresse", autocomplete="street-address"),
            Field("code_postal", "Code postal", "postal_code", autocomplete="postal-code", half=True),
            Field("ville", "Ville", autocomplete="address-level2", max_length=100, half=True),
        ), intro="Les cartes commandées et pas encore fabriquées partiront à cette adresse ; les suivantes aussi."),
        _CONTACT,
    ),
    effects="nouvelle adresse de livraison de la structure, reportée sur ses cartes commandées et pas encore "
            "fabriquées",
)

TEST_OFFERS = (
    ("cps_medecin", "CPS de test – médecin"),
    ("cps_infirmier", "CPS de test – infirmier"),
    ("cps_pharmacien", "CPS de test – pharmacien hospitalier"),
    ("cpe", "CPE de test – personnel d’établissement"),
    ("cpa", "CPA de test – personnel d’organisme"),
    ("kit", "Kit d’intégration (5 cartes : médecin, médecin 8 activités, infirmier, CPE, CPA)"),
)
F414 = FormSpec(
    "F414", "Commande de cartes de test",
    "Commander des cartes CPx de test (à l’unité ou en kit) pour tester un logiciel avec Pro Santé Connect.",
    frozenset(),
    (
        Step("cartes", "Cartes de test", (
            Field("offre", "Carte ou kit", "select", choices=TEST_OFFERS),
            Field("quantite", "Nombre", "select", choices=tuple((str(n), str(n)) for n in range(1, 11)), half=True),
        ), repeated=True, row_label="Commande", add_label="Ajouter une commande", max_rows=5,
            intro="Aucun mandat n’est nécessaire. À l’acceptation, chaque carte devient une identité de test du "
                  "bac à sable Pro Santé Connect, utilisable aussitôt par carte (code PIN 1234) et par e-CPS."),
        Step("projet", "Projet", (
            Field("logiciel", "Logiciel ou service à tester", max_length=100),
            Field("usage", "Ce que vous testez", "textarea", max_length=1000,
                  hint="Exemple : connexion Pro Santé Connect d’un logiciel de cabinet, signature DMP."),
        )),
        _CONTACT,
    ),
    effects="les identités de test créées dans le bac à sable Pro Santé Connect (carte et code PIN, e-CPS)",
    needs_contract=False,
)

YES_NO = (("oui", "Oui"), ("non", "Non"))
F102 = FormSpec(
    "F102", "Carte du représentant légal d’une structure sans patients",
    "Savoir quelle carte reçoit le représentant légal d’une structure qui ne prend pas en charge de patients, et "
    "la commander.",
    frozenset(),
    (
        Step("questionnaire", "Questionnaire", (
            Field("patients", "La structure prend-elle en charge des patients ou des usagers ?", "radio",
                  choices=YES_NO),
            Field("services", "Son personnel doit-il accéder à des services de santé en ligne (DMP, MSSanté, INSi, "
                              "Pro Santé Connect) ?", "radio", choices=YES_NO),
            Field("activite", "Activité de la structure", max_length=200,
                  hint="Exemple : éditeur de logiciels de santé, organisme complémentaire, centre de régulation."),
        ), intro="Vos réponses décident de la carte (CDE ou CPA) ; le récapitulatif dit laquelle et pourquoi."),
        Step("representant", "Représentant légal", (
            *_identity(national_id_required=False,
                       hint="Si vous détenez déjà une carte, indiquez son identifiant : le rôle y sera enregistré."),
            Field("fonction", "Fonction"),
            Field("date_naissance", "Date de naissance", "date", required=False,
                  hint="Obligatoire si vous n’avez pas de carte."),
        )),
        _CONTACT,
        Step("engagement", "Engagement", (
            Field("exactitude", "J’atteste l’exactitude des réponses et ma qualité de représentant légal.",
                  "checkbox"),
        )),
    ),
    attachment="Justificatif de la qualité de représentant légal (extrait Kbis, statuts, procès-verbal…)",
    effects="la carte décidée par le questionnaire (CDE ou CPA) commandée pour le représentant légal, ou son rôle "
            "enregistré sur sa carte",
    needs_contract=False,
)


EMPLOYER = frozenset({"legal_representative", "mandataire"})


def _cps_request(code: str, title: str, purpose: str, professions: tuple[str, ...]) -> FormSpec:
    """F201 and F202: a CPS for a professional the RPPS does not give one automatically."""
    return FormSpec(
        code, title, purpose, EMPLOYER,  # the employer asks, as on ANS's paper form: never an outsider
        (
            Step("professionnel", "Professionnel", (
                Field("civilite", "Civilité", "select", choices=CIVILITIES),
                Field("nom", "Nom d’exercice", autocomplete="off", max_length=100),
                Field("prenom", "Prénom", autocomplete="off", max_length=100),
                Field("date_naissance", "Date de naissance", "date"),
                Field("profession", "Profession", "select",
                      choices=tuple((c, PROFESSIONS[c]) for c in professions)),
                Field("identifiant", "Numéro d’enregistrement", "national_id",
                      hint="8 suivi des 11 chiffres du RPPS, ou 0 suivi des 9 chiffres de l’ADELI ; la clé de "
                           "contrôle est vérifiée."),
                Field("courriel", "Adresse électronique du professionnel", "email", autocomplete="off"),
            )),
            Step("emploi", "Emploi", (
                Field("fonction", "Fonction dans la structure", max_length=100),
                Field("date_embauche", "Date d’entrée dans la structure", "date"),
            ), intro="La structure choisie au début est l’employeur : la carte y sera rattachée."),
            _CONTACT,
        ),
        attachment="Diplôme d’État ou autorisation d’exercice du professionnel",
        effects="une carte CPS commandée pour le professionnel, rattachée à la structure qui l’emploie",
    )


F201 = _cps_request("F201", "Carte CPS d’un auxiliaire médical salarié",
                    "Demander la CPS d’un infirmier, kinésithérapeute, orthophoniste… salarié de la structure.",
                    AUXILIARIES)
F202 = _cps_request("F202", "Carte CPS d’un prothésiste, orthésiste, opticien ou audioprothésiste",
                    "Demander la CPS d’un professionnel de l’appareillage, hors attribution automatique par le RPPS.",
                    APPLIANCE_PROFESSIONS)

FORMS: dict[str, FormSpec] = {f.code: f for f in (F101, F102, F201, F202, F301, F413, F502, F503, F501, F504, F414)}
