// techpath preview: reload this page when a save changes it, and show a build error over it.
// Served as a file by `techpath serve` (never inline: the pages' Content-Security-Policy allows
// scripts from the site only). One long poll at a time; Material's instant navigation may run
// this again, hence the guard.
(function () {
  "use strict";
  if (window.__techpathPreview) {
    return;
  }
  window.__techpathPreview = true;
  var source = document.currentScript ? document.currentScript.src : "";
  var epoch = Number(new URL(source, location.href).searchParams.get("epoch")) || 0;
  var base = new URL(".", new URL(source, location.href)).pathname;
  var banner = null;

  function here() {
    return location.pathname.replace(/index\.html$/, "");
  }

  function showError(text) {
    if (!text) {
      if (banner) {
        banner.remove();
        banner = null;
      }
      return;
    }
    if (!banner) {
      banner = document.createElement("pre");
      banner.className = "techpath-preview-error";
      banner.setAttribute("role", "alert");
      var s = banner.style;
      s.position = "fixed";
      s.left = s.right = s.bottom = "0";
      s.zIndex = "10000";
      s.margin = "0";
      s.maxHeight = "40vh";
      s.overflow = "auto";
      s.padding = "0.8em 1em";
      s.font = "13px/1.4 monospace";
      s.whiteSpace = "pre-wrap";
      s.background = "#5c0011";
      s.color = "#fff";
      document.body.appendChild(banner);
    }
    banner.textContent = "techpath serve: the last save could not be built; the page shows the last good version.\n\n" + text;
  }

  function poll() {
    fetch(base + "poll?epoch=" + epoch, { cache: "no-store" })
      .then(function (response) {
        return response.json();
      })
      .then(function (state) {
        if (state.epoch > epoch) {
          if (state.all || state.changed.indexOf(here()) >= 0) {
            location.reload();
            return;
          }
          epoch = state.epoch;
        }
        showError(state.error);
        poll();
      })
      .catch(function () {
        setTimeout(poll, 1000);  // the server restarts or is gone: try again
      });
  }

  poll();
})();
