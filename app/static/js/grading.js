// The reading page, built for volume: number keys pick a level in the current criterion, N/P move
// between criteria, Ctrl+Enter submits (asking first if a criterion is unrated); an autosave
// failure is said out loud. Without JavaScript the form works as plain radios and a Submit button.
(function () {
  "use strict";

  var form = document.getElementById("reading-form");

  function criteria() {
    return form ? Array.prototype.slice.call(form.querySelectorAll("fieldset.criterion")) : [];
  }

  function typing(target) {
    if (target instanceof HTMLTextAreaElement) return true;
    return target instanceof HTMLInputElement && target.type !== "radio" && target.type !== "checkbox";
  }

  function current(target) {
    var fieldset = target instanceof Element ? target.closest("fieldset.criterion") : null;
    if (fieldset) return fieldset;
    return unrated()[0] || criteria()[0] || null;
  }

  function unrated() {
    return criteria().filter(function (f) { return !f.querySelector("input[type=radio]:checked"); });
  }

  function focusCriterion(fieldset) {
    if (!fieldset) return;
    var radio = fieldset.querySelector("input[type=radio]:checked") || fieldset.querySelector("input[type=radio]");
    radio.focus();
    fieldset.scrollIntoView({ block: "nearest" });
  }

  function pick(fieldset, key) {
    var radios = Array.prototype.slice.call(fieldset.querySelectorAll("input[type=radio]"));
    // the level whose score is the key; on scales like 0/2/4 the key may also be the position
    var radio = radios.filter(function (r) { return r.value === key; })[0] || radios[Number(key) - 1];
    if (!radio) return false;
    radio.checked = true;
    radio.focus();
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function move(fieldset, step) {
    var all = criteria();
    var next = all[all.indexOf(fieldset) + step];
    if (next) focusCriterion(next);
  }

  function submit() {
    var missing = unrated().map(function (f) { return f.querySelector("legend").textContent.trim(); });
    if (missing.length && !window.confirm("Not rated yet: " + missing.join(", ") + ". Submit anyway? The page will ask you to rate them.")) {
      focusCriterion(unrated()[0]);
      return;
    }
    form.requestSubmit(document.getElementById("submit-reading"));
  }

  document.addEventListener("keydown", function (event) {
    if (!form || event.altKey || event.metaKey) return;
    var target = event.target;
    if (event.ctrlKey && event.key === "Enter") {
      event.preventDefault();
      submit();
      return;
    }
    if (event.ctrlKey || typing(target) || (target instanceof Element && target.closest("summary, a, button"))) return;
    var fieldset = current(target);
    if (!fieldset) return;
    if (/^[0-9]$/.test(event.key)) {
      if (pick(fieldset, event.key)) event.preventDefault();
    } else if (event.key === "n" || event.key === "N") {
      event.preventDefault();
      if (target instanceof Element && target.closest("fieldset.criterion")) move(fieldset, 1);
      else focusCriterion(fieldset);
    } else if (event.key === "p" || event.key === "P") {
      event.preventDefault();
      move(fieldset, -1);
    }
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
