// Small behaviours the DSFR and htmx do not cover; the pages work without them.
// Copy buttons: <button data-copie="id-of-element" hidden>, shown only when the clipboard is usable.
function portalCopyButtons(root) {
  if (!navigator.clipboard) return;
  root.querySelectorAll("button[data-copie]").forEach(function (button) {
    if (button.dataset.ready) return;
    button.dataset.ready = "1";
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copie);
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        var label = button.textContent;
        button.textContent = "Copié";
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", function () { portalCopyButtons(document); });
document.addEventListener("htmx:afterSettle", function (event) { portalCopyButtons(event.target); });

// A field the portal fills from its records (a known national id, answered out of band) never overwrites what
// the user typed meanwhile. The field the user is in stays in place: it takes the value, selected, so that
// typing on replaces it rather than adding to it; the change is saved when the user leaves the field.
document.addEventListener("htmx:oobBeforeSwap", function (event) {
  var target = event.detail.target;
  if (!target.classList || !target.classList.contains("portal-field")) return;
  var input = target.querySelector("input:not([type=checkbox]), select, textarea");
  if (!input || (!input.value && input !== document.activeElement)) return;
  event.detail.shouldSwap = false;
  var incoming = event.detail.fragment.querySelector("#" + CSS.escape(input.id));
  if (!input.value && incoming && incoming.value) {
    input.value = incoming.value;
    if (input.select) input.select();
  }
});

// A field saved as it changes (a group of check boxes ticked one after the other on a slow phone) must never be
// redrawn from an answer about an older state: the boxes ticked since that request left would come back unticked.
// Such an answer is not applied; the request of the latest change, queued behind it, brings the one that is.
function portalFieldState(field) {
  return Array.prototype.map.call(field.querySelectorAll("input, select, textarea"), function (input) {
    return input.type === "checkbox" || input.type === "radio" ? (input.checked ? "1" : "0") : input.value;
  }).join("\u0000");
}
document.addEventListener("htmx:beforeRequest", function (event) {
  var field = event.detail.elt.closest ? event.detail.elt.closest(".portal-field") : null;
  if (field && event.detail.requestConfig) event.detail.requestConfig.portalState = portalFieldState(field);
});
document.addEventListener("htmx:beforeSwap", function (event) {
  var config = event.detail.requestConfig, target = event.detail.target;
  if (!config || config.portalState === undefined || !target || !target.classList) return;
  if (target.classList.contains("portal-field") && portalFieldState(target) !== config.portalState) {
    event.detail.shouldSwap = false;
  }
});

// A refused form (422) opens on its error summary: the focus goes there, so a screen reader reads it first and
// Tab leads to the links that reach each field.
function portalFocusErrors(root) {
  var summary = root.querySelector ? root.querySelector("#erreurs") : null;
  if (summary) summary.focus();
}
document.addEventListener("DOMContentLoaded", function () { portalFocusErrors(document); });
document.addEventListener("htmx:afterSettle", function (event) { portalFocusErrors(event.target); });

// A link of the error summary puts the focus in the field itself (the first control of a group, or the control
// a message describes), not on the message: typing can start at once, as GOV.UK's summary does.
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest(".portal-error-summary a[href^='#']") : null;
  if (!link) return;
  var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
  if (!target) return;
  var control = target.matches("input, select, textarea, button") ? target
    : target.querySelector("input:not([type=hidden]), select, textarea")
      || document.querySelector("[aria-describedby~='" + CSS.escape(target.id) + "']");
  if (!control) return;
  event.preventDefault();
  control.scrollIntoView({block: "center"});
  control.focus();
});

// After a boosted page change the focus would stay on BODY: it goes to the new page's title (or to its error
// summary, above), so a screen reader announces where the user is and Tab starts from there.
document.addEventListener("htmx:afterSettle", function (event) {
  if (!event.detail || !event.detail.boosted || document.querySelector("#erreurs")) return;
  var active = document.activeElement;
  if (active && active !== document.body && document.contains(active)) return;  // htmx or the page placed it
  var wanted = document.querySelector("[autofocus]");  // a row just added: its first field
  if (wanted) { wanted.focus(); return; }
  var title = document.querySelector("main h1, #contenu h1, h1");
  if (!title) return;
  if (!title.hasAttribute("tabindex")) title.setAttribute("tabindex", "-1");
  title.focus({preventScroll: true});
});

// The public verification page: the PDF a person holds is hashed in the browser (nothing is uploaded) and its
// SHA-256 compared with the one the portal issued. Without a script the page shows the sha256sum command.
function portalCompareDigest(root) {
  if (!window.crypto || !crypto.subtle) return;
  root.querySelectorAll("[data-empreinte]").forEach(function (group) {
    if (group.dataset.ready) return;
    group.dataset.ready = "1";
    group.hidden = false;
    var input = group.querySelector("input[type=file]");
    var result = group.querySelector(".fr-message");
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) return;
      file.arrayBuffer().then(function (bytes) { return crypto.subtle.digest("SHA-256", bytes); }).then(function (digest) {
        var hex = Array.from(new Uint8Array(digest)).map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
        var same = hex === group.dataset.empreinte;
        result.className = "fr-message " + (same ? "fr-message--valid" : "fr-message--error");
        result.textContent = same ? "Identique : ce PDF est bien la décision émise par le portail."
          : "Différent : ce PDF n’est pas la décision émise (empreinte " + hex + ").";
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", function () { portalCompareDigest(document); });
document.addEventListener("htmx:afterSettle", function (event) { portalCompareDigest(event.target); });

// WCAG 2.2.1: the session closes after a period without activity; three minutes before, a dialog says so and
// offers to stay. Each exchange with the server starts the clock again (the server moves its own at most once a
// minute, hence the margin). Once the time is out, the dialog says the session ended and links to the login.
(function () {
  var dialog = document.getElementById("session-expiration");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var idle = parseInt(dialog.dataset.inactivite, 10) * 1000, warnBefore = 180000, timers = [];
  var text = document.getElementById("session-expiration-texte"), stay = document.getElementById("session-rester");
  function token() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function expired() {
    document.getElementById("session-expiration-titre").textContent = "Votre session est fermée";
    text.textContent = "Par sécurité, la session s’est fermée après une longue inactivité. Reconnectez-vous pour continuer\u00a0: vos brouillons enregistrés sont conservés.";
    stay.textContent = "Me reconnecter";
    stay.dataset.expired = "1";
    if (!dialog.open) dialog.showModal();
  }
  function arm() {
    timers.forEach(clearTimeout);
    timers = [setTimeout(function () { if (!dialog.open) dialog.showModal(); stay.focus(); }, idle - warnBefore),
              setTimeout(expired, idle - 60000)];
  }
  stay.addEventListener("click", function () {
    if (stay.dataset.expired) { window.location.href = dialog.dataset.connexion; return; }
    fetch(dialog.dataset.prolonger, {method: "POST", credentials: "same-origin",
                                     headers: {"X-CSRFToken": token(), "Accept": "application/json"}})
      .then(function (answer) { if (answer.ok) { dialog.close(); arm(); } else { expired(); } })
      .catch(function () { text.textContent = "Le portail ne répond pas\u00a0: réessayez dans un instant."; });
  });
  document.getElementById("session-fermer").addEventListener("click", function () { dialog.close(); });
  document.addEventListener("htmx:afterRequest", arm);
  arm();
})();

// Autosave said aloud: each field saved as the user leaves it tells when the draft was last saved, and says so
// plainly when a save failed (network, server), so that nobody believes typed data is safe when it is not.
document.addEventListener("htmx:afterRequest", function (event) {
  var status = document.getElementById("enregistrement");
  var path = event.detail.requestConfig ? event.detail.requestConfig.path || "" : "";
  if (!status || !/\/champ$/.test(path)) return;
  var code = event.detail.xhr ? event.detail.xhr.status : 0;
  var now = new Date().toLocaleTimeString("fr-FR", {hour: "2-digit", minute: "2-digit"});
  if (code === 200 || code === 422) {
    status.textContent = "Brouillon enregistré à " + now + ".";
    status.classList.remove("fr-error-text");
  } else {
    status.textContent = "Échec de l’enregistrement automatique à " + now + "\u00a0: vérifiez votre connexion. Ce que vous avez saisi reste dans la page\u00a0; «\u00a0Enregistrer et continuer\u00a0» l’enregistrera.";
    status.classList.add("fr-error-text");
  }
});

// The « Menu » skip link: on a phone the navigation sits in the DSFR's menu dialog, hidden until opened, so the
// link opens it and puts the focus on its first entry (without a script the page shows the menu, and the anchor works).
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest(".fr-skiplinks a[href='#navigation-principale']") : null;
  var nav = document.getElementById("navigation-principale");
  var button = document.getElementById("menu-bouton");
  if (!link || !nav || !button) return;
  var hidden = nav.checkVisibility ? !nav.checkVisibility({visibilityProperty: true}) : nav.offsetParent === null;
  if (!hidden) return;
  event.preventDefault();
  button.click();
  setTimeout(function () { var first = nav.querySelector("a"); if (first) first.focus(); }, 300);
});
