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
