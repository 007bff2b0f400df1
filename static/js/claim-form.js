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

// Warns as soon as a tenant ID and products are typed when another partner holds or
// claims them (the server never says who). Without JavaScript the claim page and the
// submit confirmation carry the same warning.
(function () {
  const form = document.querySelector("form[data-conflicts-url]");
  const box = document.getElementById("conflicts-live");
  if (!form || !box) return;
  let pending = null;
  function check() {
    const tenantInput = form.querySelector("[name=customer_tenant_id]");
    const tenant = tenantInput ? tenantInput.value.trim() : (form.dataset.tenant || "");
    const params = new URLSearchParams();
    params.set("tenant", tenant);
    if (form.dataset.claim) params.set("claim", form.dataset.claim);
    form.querySelectorAll("input[name=products]:checked").forEach(function (i) { params.append("products", i.value); });
    if (!tenant || !params.has("products")) { box.innerHTML = ""; return; }
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(form.dataset.conflictsUrl + "?" + params.toString(), { signal: pending.signal, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () {});
  }
  form.addEventListener("change", function (e) {
    if (e.target.name === "customer_tenant_id" || e.target.name === "products") check();
  });
  const tenantInput = form.querySelector("[name=customer_tenant_id]");
  if (tenantInput) tenantInput.addEventListener("input", function () { if (/^[0-9a-f-]{36}$/i.test(tenantInput.value.trim())) check(); });
  check();
})();

// A subscription ID input shows only for a checked Dynamics 365 product, and takes the
// focus when the product is checked. Without JavaScript every input stays visible.
(function () {
  document.querySelectorAll(".product").forEach(function (row) {
    const box = row.querySelector("input[name=products]");
    const sub = row.querySelector(".sub");
    if (!box || !sub) return;
    const input = sub.querySelector("input");
    function sync(focus) {
      // Keep an input that carries an error visible, so the user sees what to fix.
      sub.hidden = !box.checked && !sub.classList.contains("has-error");
      if (focus && box.checked && input) input.focus();
    }
    box.addEventListener("change", function () { sync(true); });
    sync(false);
  });
})();
