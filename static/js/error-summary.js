// A refused form puts its error summary at the top of the page: move the focus there so
// keyboard and screen-reader users start from the list of what to fix. A refused action
// reported as a message (e.g. a submission) gets the focus the same way, and so does the
// message that confirms an action (an upload, a submit): focus never stays on the body.
(function () {
  const target =
    document.querySelector(".error-summary") ||
    document.querySelector(".messages .message-error") ||
    document.querySelector(".messages .message");
  if (!target) return;
  if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
  function focus() {
    target.focus({ preventScroll: !!location.hash });
  }
  focus();
  // A redirect to a fragment (e.g. #evidence after an upload) scrolls there once the page has
  // loaded and gives the focus back to the body: take it again, keeping the scroll position.
  if (location.hash) window.addEventListener("load", function () { setTimeout(focus, 0); });
})();
