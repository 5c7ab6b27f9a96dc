// Product browse page: progressive enhancement only; the page works without it.
// - On small screens the filter sidebar folds behind a "Filters" button (Bootstrap collapse).
// - Changing the sort order submits the form at once, so its "Apply" button is hidden.
// - Empty fields are not sent, which keeps addresses short.
(function () {
  "use strict";
  var form = document.getElementById("browse-form");
  if (!form) { return; }

  var filters = document.getElementById("browse-filters");
  var toggle = form.querySelector(".browse-filters-toggle");
  if (filters && toggle && window.matchMedia("(max-width: 991.98px)").matches) {
    filters.classList.add("collapse");
    toggle.classList.remove("d-none");
  }

  // Leave empty fields out of the address (the server treats them as absent anyway).
  function submitClean() {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.value === "") { el.disabled = true; }
    });
    form.submit();
  }
  // Coming back with the browser's Back button may restore the page as it was left.
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(form.elements, function (el) { el.disabled = false; });
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submitClean();
  });

  var sort = document.getElementById("browse-sort");
  var apply = form.querySelector(".browse-sort-apply");
  if (sort) {
    if (apply) { apply.classList.add("d-none"); }
    sort.addEventListener("change", submitClean);
  }
})();
