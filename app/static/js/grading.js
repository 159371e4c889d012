// The reading page: choose a level with its number key, and say so when an autosave fails.
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement) || target.type !== "radio") return;
    if (event.altKey || event.ctrlKey || event.metaKey || !/^[0-9]$/.test(event.key)) return;
    var fieldset = target.closest("fieldset.criterion");
    var radio = fieldset && fieldset.querySelector('input[type=radio][value="' + event.key + '"]');
    if (!radio) return;
    event.preventDefault();
    radio.checked = true;
    radio.focus();
    radio.dispatchEvent(new Event("change", { bubbles: true }));
  });

  function status(text, state) {
    var el = document.getElementById("save-status");
    if (el) {
      el.textContent = text;
      el.setAttribute("data-state", state);
    }
  }

  document.addEventListener("htmx:responseError", function (event) {
    if (!event.detail.elt.matches("form.reading")) return;
    var closed = event.detail.xhr.status === 409;
    status(closed ? "Not saved: this reading is closed." : "Not saved: check your entries.", "error");
  });

  document.addEventListener("htmx:sendError", function (event) {
    if (!event.detail.elt.matches("form.reading")) return;
    status("Not saved: no connection. Your entries stay on this page and are sent with the next change or on submit.", "error");
  });
})();
