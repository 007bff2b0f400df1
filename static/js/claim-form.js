// Shows the activities and products of the chosen solution area. Without JavaScript
// every option stays visible and the server refuses mismatches with a clear message.
(function () {
  const area = document.getElementById("id_solution_area");
  if (!area) return;
  function sync(clear) {
    const value = area.value;
    document.querySelectorAll("[data-area]").forEach(function (el) {
      const show = !value || el.dataset.area === value;
      el.hidden = !show;
      if (!show && clear) el.querySelectorAll("input[type=radio],input[type=checkbox]").forEach(function (i) { i.checked = false; });
    });
  }
  area.addEventListener("change", function () { sync(true); });
  sync(false);
})();
