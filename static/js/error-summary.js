// A refused form puts its error summary at the top of the page: move the focus there so
// keyboard and screen-reader users start from the list of what to fix.
(function () {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
})();
