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
