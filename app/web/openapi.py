"""The editors' API described in OpenAPI 3.1, and the one source of truth for what the API accepts: the views
check query strings and bodies against these very schemas (jsonschema), so the document and the server cannot
disagree; a test checks the routes and schemathesis the answers."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from app.domain.inputs import ID_MAX, parse_id

ID = {"type": "integer", "minimum": 1, "maximum": ID_MAX, "x-attendu": "un identifiant (entier positif)"}


def _nullable(schema: dict) -> dict:
    return schema | {"type": [schema["type"], "null"]}


def _text(description: str = "") -> dict:
    return {"type": ["string", "null"], "maxLength": 20000, "x-attendu": "une chaîne de caractères"} | (
        {"description": description} if description else {})


ORDER = {
    "type": "object",
    "properties": {
        "renouvellement_de": _nullable(ID) | {"description": "Reprend structure, usage, nom et contacts"},
        "structure_id": _nullable(ID),
        "famille": _text(), "usage": _text(), "nom_service": _text(),
        "noms_dns": {"type": ["array", "null"], "maxItems": 50, "items": {"type": "string", "maxLength": 253},
                     "x-attendu": "une liste de noms DNS (chaînes, 50 au plus)"},
        "courriel": _text(), "courriel_copie": _text(),
        "csr": _text("CSR PEM (produits à un certificat)"),
        "csrs": {"type": ["object", "null"], "additionalProperties": {"type": "string"}, "maxProperties": 4,
                 "x-attendu": "un objet qui associe un profil à une CSR PEM (texte)",
                 "description": "Profil → CSR PEM (DMP : ORG_AUTH_CLI et ORG_SIGN)"},
        "attestation": {"type": ["boolean", "null"], "x-attendu": "true ou false"},
    },
}
LIST_QUERY = {"apres": ID | {"description": "« suivant » de la page précédente"}}
_ORDER_CHECK = Draft202012Validator(ORDER)


def order_error(body) -> tuple[str, str | None] | None:
    """The first way ``body`` departs from the documented order, as (French message, field); None when it fits."""
    if not isinstance(body, dict):
        return "Corps JSON attendu : un objet.", None
    for failure in sorted(_ORDER_CHECK.iter_errors(body), key=lambda e: [str(p) for p in e.path]):
        field = str(failure.path[0]) if failure.path else None
        expected = ORDER["properties"].get(field, {}).get("x-attendu", "conforme au document OpenAPI")
        return f"« {field} » : {expected} attendu.", field
    return None


def list_query_error(args) -> tuple[str, str] | None:
    """Unknown, repeated or malformed query parameters of the listing, as (French message, parameter)."""
    for name in args:
        if name not in LIST_QUERY:
            return f"Paramètre inconnu : « {name[:40]} ».", name[:40]
        if len(args.getlist(name)) > 1:
            return f"« {name} » ne se donne qu’une fois.", name
    after = args.get("apres")
    if after is not None and (parse_id(after) is None or after.startswith("0")):
        return "«\u00a0apres\u00a0» est un identifiant de certificat (entier positif).", "apres"
    return None

ERROR = {"type": "object", "required": ["erreur"],
         "properties": {"erreur": {"type": "string", "description": "Message en français"},
                        "champ": {"type": "string"}}}
CERTIFICATE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "numero_serie": {"type": "string"}, "profil": {"type": "string"},
        "famille": {"type": "string", "enum": ["ORG", "SERV"]},
        "usage": {"type": "string", "enum": ["DMP", "INSI", "PSC", "MSS", "AUTRE"]}, "nom": {"type": "string"},
        "sujet": {"type": "string"}, "noms_dns": {"type": "array", "items": {"type": "string"}},
        "structure_id": {"type": "integer"}, "debut": {"type": "string", "format": "date-time"},
        "fin": {"type": "string", "format": "date-time"},
        "statut": {"type": "string", "enum": ["valide", "expire_bientot", "expire", "revoque"]},
        "renouvelle": {"type": ["integer", "null"]}, "lien": {"type": "string"},
        "pem": {"type": "string"}, "chaine_pem": {"type": "string"},
    },
}


def _errors(*codes: int) -> dict:
    text = {400: "Requête mal formée", 401: "Jeton absent, inconnu, expiré ou révoqué",
            403: "Hors du périmètre du jeton", 404: "Introuvable", 422: "Demande refusée (message en français)"}
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": {"$ref":
                                                                                          "#/components/schemas/Erreur"}}}}
            for c in codes}


def document(base_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Portail santé – API des certificats logiciels", "version": "1",
                 "description": "Pour les logiciels des éditeurs : lister, commander ou renouveler un certificat "
                                "à partir d’une CSR, le récupérer avec sa chaîne. Jeton créé par un administrateur "
                                "technique dans le portail, limité à ses structures et familles."},
        "servers": [{"url": f"{base_url}/api/v1"}],
        "components": {
            "securitySchemes": {"jeton": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Erreur": ERROR, "Certificat": CERTIFICATE},
        },
        "security": [{"jeton": []}],
        "paths": {
            "/certificats": {
                "get": {"summary": "Certificats du périmètre du jeton (100 par page, les plus récents d’abord)",
                        "parameters": [{"name": name, "in": "query", "schema": schema,
                                        "description": schema.get("description", "")}
                                       for name, schema in LIST_QUERY.items()],
                        "responses": {"200": {"description": "Une page", "content": {"application/json": {
                            "schema": {"type": "object", "properties": {
                                "certificats": {"type": "array", "items": {"$ref": "#/components/schemas/Certificat"}},
                                "suivant": {"type": ["integer", "null"]}}}}}}} | _errors(400, 401)},
                "post": {"summary": "Commander (ou renouveler) : délivrance immédiate",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": ORDER}}},
                         "responses": {"201": {"description": "Délivré", "content": {"application/json": {"schema": {
                             "type": "object", "properties": {
                                 "commande": {"type": "string"},
                                 "certificats": {"type": "array",
                                                 "items": {"$ref": "#/components/schemas/Certificat"}}}}}}}}
                         | _errors(400, 401, 403, 404, 422)},
            },
            "/certificats/{certificate_id}": {
                "get": {"summary": "Un certificat avec sa chaîne (PEM)",
                        "parameters": [{"name": "certificate_id", "in": "path", "required": True,
                                        "schema": {"type": "integer"}}],
                        "responses": {"200": {"description": "Le certificat", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Certificat"}}}}} | _errors(401, 403, 404)},
            },
            "/openapi.json": {"get": {"summary": "Ce document", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
    }
