// Product images: tell the user before uploading when a photo is over the size limit or
// there are more photos than free places, instead of after a long upload on a slow phone
// network. The server checks everything again; this only saves a wasted upload.
(function () {
  "use strict";
  var form = document.getElementById("image-upload");
  if (!form) {
    return;
  }
  var input = form.querySelector("input[type=file]");
  var message = document.getElementById("image-upload-check");
  var free = parseInt(form.dataset.free, 10);
  var maxBytes = parseInt(form.dataset.maxBytes, 10);

  function problem() {
    var files = input.files || [];
    if (files.length > free) {
      return form.dataset.msgTooMany;
    }
    for (var i = 0; i < files.length; i += 1) {
      if (files[i].size > maxBytes) {
        return form.dataset.msgTooLarge.replace("{name}", "\u201c" + files[i].name + "\u201d");
      }
    }
    return "";
  }

  function check() {
    var text = problem();
    message.textContent = text;
    input.classList.toggle("is-invalid", text !== "");
    return text === "";
  }

  input.addEventListener("change", check);
  form.addEventListener("submit", function (event) {
    if (!check()) {
      event.preventDefault();
    }
  });
})();
