"""The editors' API described in OpenAPI 3.1; a test checks it against the real routes."""

from __future__ import annotations

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
                        "parameters": [{"name": "apres", "in": "query", "schema": {"type": "integer"},
                                        "description": "« suivant » de la page précédente"}],
                        "responses": {"200": {"description": "Une page", "content": {"application/json": {
                            "schema": {"type": "object", "properties": {
                                "certificats": {"type": "array", "items": {"$ref": "#/components/schemas/Certificat"}},
                                "suivant": {"type": ["integer", "null"]}}}}}}} | _errors(401)},
                "post": {"summary": "Commander (ou renouveler) : délivrance immédiate",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object",
                             "properties": {
                                 "renouvellement_de": {"type": "integer",
                                                       "description": "Reprend structure, usage, nom et contacts"},
                                 "structure_id": {"type": "integer"}, "famille": {"type": "string"},
                                 "usage": {"type": "string"}, "nom_service": {"type": "string"},
                                 "noms_dns": {"type": "array", "items": {"type": "string"}},
                                 "courriel": {"type": "string"}, "courriel_copie": {"type": "string"},
                                 "csr": {"type": "string", "description": "CSR PEM (produits à un certificat)"},
                                 "csrs": {"type": "object", "additionalProperties": {"type": "string"},
                                          "description": "Profil → CSR PEM (DMP : ORG_AUTH_CLI et ORG_SIGN)"},
                                 "attestation": {"type": "boolean"}}}}}},
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
