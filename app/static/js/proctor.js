// The proctor's console: the roster refreshes itself every few seconds, which would wipe an
// action the proctor is filling in (an open Actions panel, a ticked box, a typed reason).
// While any of that is under way the refresh waits; it resumes once the panel is closed.
(function () {
  "use strict";

  function busy(roster) {
    if (roster.querySelector("details[open]")) return true;
    var fields = roster.querySelectorAll("input, select, textarea");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "hidden") continue;
      if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) return true;
      } else if ("defaultValue" in f && f.value !== f.defaultValue) {
        return true;
      }
    }
    return roster.contains(document.activeElement) && document.activeElement.matches("input, select, textarea");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var roster = event.detail.elt;
    if (roster.id === "roster" && event.detail.requestConfig.verb === "get" && busy(roster)) {
      event.preventDefault();
    }
  });
})();
