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
