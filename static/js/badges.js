// Badges page: show the "Print" button (it needs JavaScript) and print on click.
// Without JavaScript the page says to use Ctrl+P.
(function () {
  "use strict";
  var button = document.getElementById("print-button");
  if (!button) { return; }
  button.classList.remove("d-none");
  button.addEventListener("click", function () { window.print(); });
}());
