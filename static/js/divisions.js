/* Province -> ward pickers: when the province <select> changes, fill the ward <select> with
 * that province's current wards from GET /organisations/divisions/<code>/wards.json.
 *
 * Markup: <select data-wards-url=".../divisions/0/wards.json" data-ward-select="ward_id">.
 * The first option of the ward select (the blank "(choose)") is kept. Without JavaScript the
 * page still works: the server checks that the ward lies in the province and shows the right
 * list after submitting. */
(function () {
  "use strict";

  function setUp(province) {
    var ward = document.getElementById(province.dataset.wardSelect);
    if (!ward) {
      return;
    }
    var blank = ward.options.length ? ward.options[0].cloneNode(true) : new Option("", "");
    var latest = 0;

    province.addEventListener("change", function () {
      var request = ++latest;
      var previous = ward.value;
      ward.replaceChildren(blank.cloneNode(true));
      if (!province.value) {
        return;
      }
      var url = province.dataset.wardsUrl.replace("/0/", "/" + encodeURIComponent(province.value) + "/");
      ward.setAttribute("aria-busy", "true");
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (wards) {
          if (request !== latest) {
            return; // the province changed again meanwhile
          }
          wards.forEach(function (item) {
            var option = new Option(item.name, String(item.code));
            option.selected = String(item.code) === previous;
            ward.add(option);
          });
        })
        .catch(function () {
          // Leave the blank list: the server still validates the ward on submit.
        })
        .finally(function () {
          if (request === latest) {
            ward.removeAttribute("aria-busy");
          }
        });
    });
  }

  document.querySelectorAll("select[data-wards-url][data-ward-select]").forEach(setUp);
})();
