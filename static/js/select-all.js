// A box in a table's header (data-select-all="<name>") ticks or clears every checkbox of that
// name in its form: the review queue's "select every claim on this page". The box is rendered
// hidden and shown here, so a page without JavaScript has no box that does nothing. No inline
// handlers: the CSP forbids them.
(function () {
  document.querySelectorAll("input[type=checkbox][data-select-all]").forEach((all) => {
    const form = all.form;
    const name = all.getAttribute("data-select-all");
    if (!form || !name) return;
    const boxes = () =>
      Array.from(form.elements).filter((el) => el.type === "checkbox" && el.name === name && !el.disabled);
    // Mirrors the rows: ticked when all are, "mixed" when some are (also after the browser
    // restores ticks on going back).
    const sync = () => {
      const list = boxes();
      const ticked = list.filter((box) => box.checked).length;
      all.checked = list.length > 0 && ticked === list.length;
      all.indeterminate = ticked > 0 && ticked < list.length;
    };
    all.addEventListener("change", () => {
      boxes().forEach((box) => {
        box.checked = all.checked;
      });
      all.indeterminate = false;
    });
    form.addEventListener("change", (event) => {
      if (event.target !== all && event.target.name === name) sync();
    });
    window.addEventListener("pageshow", sync);
    sync();
    all.hidden = false;
  });
})();
