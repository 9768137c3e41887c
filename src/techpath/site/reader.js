// techpath's reader script, for every site the toolkit builds with Material for MkDocs. It is
// loaded just before the theme's bundle (site/theme.py) and needs nothing from other hosts.
(function () {
  "use strict";

  // -- The search index waits for the search box -------------------------------------------
  // Material fetches search/search_index.json on every first visit, although most readers never
  // search: here that request is held until the reader shows interest (pointer over or on the
  // search box, focus in it, its toggle on a phone) or arrives from a search (?q= or ?h=). The
  // theme's own request is only delayed, never changed: if the theme stops using
  // XMLHttpRequest or fetch for it, the index simply loads at once as before.
  var INDEX = /\/search\/search_index\.json$|\/search\.json$/;  // Material's index; Zensical's
  var wanted = /[?&][qh]=/.test(location.search);
  var held = [];

  function want() {
    if (wanted) return;
    wanted = true;
    held.splice(0).forEach(function (go) { go(); });
  }

  function isIndex(url) {
    try {
      return INDEX.test(new URL(String(url), location.href).pathname);
    } catch (error) {
      return false;
    }
  }

  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.techpathIndex = isIndex(url);
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    if (this.techpathIndex && !wanted) {
      var request = this, args = arguments;
      held.push(function () { send.apply(request, args); });
      return undefined;
    }
    return send.apply(this, arguments);
  };
  if (window.fetch) {
    var fetchNow = window.fetch;
    window.fetch = function (resource) {
      var args = arguments;
      var url = resource && resource.url ? resource.url : resource;
      if (!isIndex(url) || wanted) return fetchNow.apply(window, args);
      return new Promise(function (resolve) { held.push(resolve); }).then(function () {
        return fetchNow.apply(window, args);
      });
    };
  }

  function interest(event) {
    var target = event.target;
    if (target instanceof Element && target.closest(".md-search, label[for='__search']")) want();
  }
  ["focusin", "pointerdown", "mouseover"].forEach(function (type) {
    document.addEventListener(type, interest, true);
  });
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "__search") want();
  }, true);

  // -- Each page, also after instant navigation ---------------------------------------------
  // Scrolling boxes (wide formulas, tables, figures, outputs) can be scrolled with the keyboard.
  var SCROLLERS = ".katex-display, .techpath-html, .techpath-figure, .techpath-math-index, " +
    ".techpath-report, .md-typeset__scrollwrap";
  function focusableScrollers() {
    document.querySelectorAll(SCROLLERS).forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
      }
    });
  }

  // The theme adds a toolbar (a <nav>) to every code block: each gets its own name, as every
  // navigation landmark of a page needs a distinct one.
  var naming = 0;
  function nameCodeToolbars() {
    naming = 0;
    document.querySelectorAll("nav.md-code__nav").forEach(function (nav, number) {
      var name = "Code block " + (number + 1);
      if (nav.getAttribute("aria-label") !== name) nav.setAttribute("aria-label", name);
    });
  }
  new MutationObserver(function () {
    if (!naming) naming = requestAnimationFrame(nameCodeToolbars);
  }).observe(document.documentElement, { childList: true, subtree: true });

  // The menu on a phone opens with the current post of the path in view.
  function showCurrentInMenu(event) {
    if (!event.target || event.target.id !== "__drawer" || !event.target.checked) return;
    var current = document.querySelector(".techpath-nav-path--menu [aria-current='page']");
    if (current) current.scrollIntoView({ block: "center" });
  }
  document.addEventListener("change", showCurrentInMenu, true);

  var resizing = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(focusableScrollers, 200);
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof window.document$ !== "undefined") {
      window.document$.subscribe(focusableScrollers);
    } else {
      focusableScrollers();
    }
  });
})();
