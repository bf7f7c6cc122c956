// Touch Engine console: keeps Today's live region fresh without a reload. No framework, no
// build: every few seconds it fetches the region's HTML from the server (same origin, the
// session cookie goes along) and swaps it in when it changed. Forms still post normally.
(function () {
  "use strict";
  var EVERY_MS = 4000;
  var region = document.getElementById("live");
  if (!region || !window.fetch) { return; }
  var source = region.getAttribute("data-live");
  var busy = false;

  function refresh() {
    if (busy || document.hidden || region.getAttribute("data-stale")) { return; }
    busy = true;
    fetch(source, { credentials: "same-origin", headers: { "Accept": "text/html" }, redirect: "manual" })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 302 || response.status === 401) {
          signedOut();
          throw new Error("signed out");
        }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.text();
      })
      .then(function (html) {
        if (html === region.getAttribute("data-last")) { return; }
        // keep the keyboard where it was: remember the focused control by its form action
        var active = document.activeElement;
        var key = active && region.contains(active) && active.form ? active.form.getAttribute("action") : null;
        region.innerHTML = html;
        region.setAttribute("data-last", html);
        if (key) {
          var again = region.querySelector('form[action="' + key + '"] button');
          if (again) { again.focus(); }
        }
      })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { busy = false; });
  }

  function signedOut() {
    if (region.getAttribute("data-stale")) { return; }
    region.setAttribute("data-stale", "signed-out");
    var note = document.createElement("p");
    note.className = "error";
    note.setAttribute("role", "alert");
    note.textContent = "Your session has ended, so this page no longer updates. Reload to sign in again.";
    region.parentNode.insertBefore(note, region);
  }

  region.setAttribute("data-last", "");
  window.setInterval(refresh, EVERY_MS);
  document.addEventListener("visibilitychange", refresh);
})();
