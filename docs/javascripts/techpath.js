// Open the math box a link points at (#math-...), also after Material's instant navigation.
(function () {
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var target = document.getElementById(id);
    if (!target) return;
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", openTarget);
  if (typeof document$ !== "undefined") {
    document$.subscribe(openTarget);
  } else {
    document.addEventListener("DOMContentLoaded", openTarget);
  }
})();

// Tap a figure to see it full size, in a dialog that scrolls both ways (the figure file itself
// opens instead where scripts are off). Everything comes from the site: no inline handlers.
(function () {
  var dialog = null;
  function open(href, alt) {
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.className = "techpath-zoom-dialog";
      dialog.setAttribute("aria-label", "Figure, full size");
      var close = document.createElement("button");
      close.type = "button";
      close.className = "techpath-zoom-dialog__close md-button";
      close.textContent = "Close";
      close.addEventListener("click", function () { dialog.close(); });
      dialog.appendChild(close);
      dialog.appendChild(document.createElement("img"));
      // A click on the dark backdrop (the dialog element itself, outside its content) closes it.
      dialog.addEventListener("click", function (event) {
        if (event.target === dialog) dialog.close();
      });
      document.body.appendChild(dialog);
    }
    var img = dialog.querySelector("img");
    img.src = href;
    img.alt = alt || "Figure";
    if (!dialog.open) dialog.showModal();
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.techpath-zoom");
    if (!link || typeof HTMLDialogElement === "undefined") return;
    event.preventDefault();
    event.stopPropagation();
    var img = link.querySelector("img");
    open(link.getAttribute("href"), img ? img.alt : "");
  }, true);
})();

// The empty anchors pymdownx.highlight puts before each code line (anchor_linenums) are links
// with no name. Material's theme keeps them out of the accessibility tree; Zensical's does not,
// so hide them from assistive technology and the tab order here, for any theme.
(function () {
  function hideLineAnchors() {
    document.querySelectorAll('a[id^="__codelineno"]').forEach(function (anchor) {
      if (anchor.textContent.trim()) return;
      anchor.setAttribute("aria-hidden", "true");
      anchor.setAttribute("tabindex", "-1");
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(hideLineAnchors);
  } else {
    document.addEventListener("DOMContentLoaded", hideLineAnchors);
  }
})();
