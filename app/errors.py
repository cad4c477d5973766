"""French error pages (400, 403, 404, 405, 409, 413, 422, 429, 500, 503), as full pages or htmx blocks (refusals
are answered by ``app/web/refusals.py``, with the 409 and 422 pages when no form is shown again)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import sqlalchemy.exc
from flask import Flask, jsonify, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from app import metrics
from app.signing.hsm import HsmError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorPage:
    code: int
    title: str
    lead: str
    hint: str


PAGES = {
    400: ErrorPage(400, "Requête invalide", "La demande envoyée n’a pas pu être traitée.",
                   "Revenez à la page précédente (bouton Retour du navigateur) : ce que vous aviez saisi y est en "
                   "général encore. Si le problème persiste, contactez l’assistance."),
    401: ErrorPage(401, "Connexion impossible", "Vous n’êtes pas connecté.",
                   "Reconnectez-vous avec Pro Santé Connect (carte CPS ou e-CPS) ou avec votre carte."),
    403: ErrorPage(403, "Accès refusé", "Vous n’avez pas les droits nécessaires pour accéder à cette page.",
                   "Vérifiez que vous êtes connecté avec le bon compte et que vos habilitations sont à jour."),
    404: ErrorPage(404, "Page non trouvée", "La page que vous cherchez est introuvable.",
                   "Si vous avez tapé l’adresse dans votre navigateur, vérifiez qu’elle est correcte."),
    405: ErrorPage(405, "Méthode non autorisée", "Cette action n’est pas possible de cette façon.",
                   "Revenez à la page précédente et utilisez les boutons proposés."),
    409: ErrorPage(409, "Demande dépassée", "Le dossier a changé depuis l’affichage de la page.",
                   "Rechargez la page pour voir où il en est, puis recommencez si l’action est encore possible."),
    413: ErrorPage(413, "Fichier trop volumineux", "Le fichier ou le formulaire envoyé dépasse la taille autorisée.",
                   "Réduisez la taille du fichier puis recommencez."),
    422: ErrorPage(422, "Demande refusée", "La demande n’a pas été enregistrée.",
                   "Revenez à la page précédente (bouton Retour du navigateur) : ce que vous aviez saisi y est en "
                   "général encore. Corrigez ce qui est signalé, puis recommencez."),
    429: ErrorPage(429, "Trop de tentatives", "Vous avez fait trop de demandes en peu de temps.",
                   "Patientez le temps indiqué, puis réessayez\u00a0: rien n’est perdu."),
    500: ErrorPage(500, "Erreur inattendue", "Désolé, le service rencontre un problème.",
                   "Nous y travaillons. Réessayez plus tard ; vos brouillons enregistrés sont conservés."),
    503: ErrorPage(503, "Service indisponible", "Le service est momentanément indisponible.",
                   "Réessayez tel quel dans une minute\u00a0: rien de ce que vous avez envoyé n’a été enregistré."),
}


API_PREFIX = "/api/"
ACME_PREFIX = "/acme/"
DATABASE_DOWN = "La base de données ne répond pas."


def _api_error(page: ErrorPage, detail: str | None):
    """The editors' API answers every error in JSON, like its own refusals: {"erreur": …}."""
    response = jsonify({"erreur": detail or page.lead, "code": page.code})
    response.status_code = page.code
    return response


def _acme_error(page: ErrorPage, detail: str | None):
    """The ACME server answers every error as an RFC 7807 problem with an ACME type, as its clients expect."""
    from app.domain.acme import Problem

    kind = "serverInternal" if page.code >= 500 else "rateLimited" if page.code == 429 else "malformed"
    response = jsonify(Problem(kind, detail or page.lead, status=page.code).document())
    response.status_code = page.code
    response.content_type = "application/problem+json"
    return response


def render_error(code: int, detail: str | None = None, *, back: str | None = None):
    from app.web.rendering import render

    page = PAGES.get(code) or PAGES[500 if code >= 500 else 400]
    if request.path.startswith(ACME_PREFIX):
        response = _acme_error(page, detail)
        if code == 503:
            response.headers["Retry-After"] = "60"
        return response
    if request.path.startswith(API_PREFIX):
        response = _api_error(page, detail)
        if code == 503:
            response.headers["Retry-After"] = "60"
        return response
    response = render("errors/error.html", status=code, error=page, detail=detail, back=back)
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        # a block request (a filter, a field): the error's content block takes the page's content; a boosted
        # navigation got the whole page and replaces the whole page, as a plain link would
        response.headers["HX-Retarget"] = "#contenu"
        response.headers["HX-Reswap"] = "innerHTML"
    if code == 503:
        response.headers["Retry-After"] = "60"
    return response


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(400, "Le jeton de sécurité du formulaire a expiré ou manque (session terminée ?) : "
                                 "reconnectez-vous si besoin, puis renvoyez le formulaire.")

    @app.errorhandler(HsmError)
    def hsm_error(exc):
        metrics.ERRORS.labels("hsm").inc()
        log.error("HSM: %s", exc)
        return render_error(503, "La signature électronique des documents est momentanément indisponible.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        wait = _limit_reset() if exc.code == 429 else ""
        response = render_error(exc.code or 500, f"Vous pourrez réessayer dans {wait}\u00a0seconde"
                                f"{'s' if int(wait) > 1 else ''}." if wait else None)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        if exc.code == 429:
            response.headers["Retry-After"] = wait
        return response

    @app.errorhandler(sqlalchemy.exc.OperationalError)
    @app.errorhandler(sqlalchemy.exc.InterfaceError)
    def database_down(exc):
        # a lost or refused connection, a lock held too long: nothing was committed (the transaction died with it);
        # the pool renews its connections on the next checkout, so the next try works once the database is back
        metrics.ERRORS.labels("base").inc()
        log.error("database unreachable: %s", exc.orig if hasattr(exc, "orig") else exc)
        return render_error(503, DATABASE_DOWN)

    @app.errorhandler(sqlalchemy.exc.DBAPIError)
    def database_error(exc):
        metrics.ERRORS.labels("base").inc()
        if exc.connection_invalidated:
            log.error("database connection lost: %s", exc.orig)
            return render_error(503, DATABASE_DOWN)
        log.exception("database error")
        return render_error(500)

    @app.errorhandler(Exception)
    def unexpected(exc):
        metrics.ERRORS.labels("inattendue").inc()
        log.exception("unhandled error")
        return render_error(500)


def _limit_reset() -> str:
    """Seconds until the breached limit's window resets (at least 1)."""
    from app.extensions import limiter

    current = limiter.current_limit
    return str(max(1, int(current.reset_at - time.time()))) if current else "60"
