// A page of this site shown inside another site's frame becomes a link to itself, so no other
// site can lay it under its own content (clickjacking) or pass it off as its own. The CSP's
// frame-ancestors would do this, but a <meta> cannot set it (only an HTTP header can, and
// GitHub Pages lets a site send none), and browsers ignore X-Frame-Options in a <meta>. This
// file is one of the site's own, so the CSP runs it without a hash. A frame that forbids
// scripts (sandbox without allow-scripts) still shows the page: only a header can stop that.
(function () {
  var framed;
  try {
    framed = window.top !== window.self;
  } catch (error) {
    framed = true;
  }
  if (!framed) return;
  var link = document.createElement("a");
  link.href = location.href;
  link.target = "_top";
  link.rel = "noopener";
  link.textContent = "This page is shown inside another site. Open it on its own.";
  var page = document.createElement("body");
  page.appendChild(link);
  document.documentElement.replaceChild(page, document.body);
})();
