// Swagger UI (drf-spectacular's sidecar) nests the operation's deep link inside the button that
// opens it: two controls in one, read and tabbed twice (axe-core: nested-interactive, target-size).
// The button alone opens the operation; the link becomes plain text. Swagger UI re-renders as
// operations open, so an observer keeps doing it. Swagger UI's own words are English, so are these.
(function () {
  const root = document.getElementById("swagger-ui");
  if (!root) return;
  // Selects Swagger UI leaves nameless (axe-core: select-name).
  const names = [[".examples-select-element", "Examples"], ["select.content-type", "Media type"], ["select", "Choose"]];
  function fix() {
    root.querySelectorAll("select:not([aria-label])").forEach(function (s) {
      if (s.labels && s.labels.length) return;
      const hit = names.find(function (n) { return s.matches(n[0]); });
      s.setAttribute("aria-label", hit[1]);
    });
    root.querySelectorAll(".opblock-summary-control a[href], .opblock-summary-control [tabindex='0']").forEach(function (a) {
      if (a.closest("button, [role=button]") && a.closest("button, [role=button]") !== a) {
        a.removeAttribute("href");
        if (a.getAttribute("tabindex") === "0") a.removeAttribute("tabindex");
      }
    });
  }
  new MutationObserver(fix).observe(root, { childList: true, subtree: true });
  fix();
})();
