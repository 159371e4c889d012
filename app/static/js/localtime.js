// Completes each association time (<time data-local-instant>) with the reader's own local time
// when their browser's zone shows the instant differently, e.g. a candidate sitting from Paris.
(function () {
  "use strict";
  const OPTIONS = {
    weekday: "short", year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
  };
  function complete(el) {
    if (el.dataset.yourTime) return;
    el.dataset.yourTime = "done";
    const instant = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(instant.getTime())) return;
    let theirs;
    try {
      theirs = new Intl.DateTimeFormat(undefined, Object.assign({}, OPTIONS, { timeZone: el.dataset.zone }));
    } catch (e) {
      return; // a zone this browser does not know: the association's time stands alone
    }
    const mine = new Intl.DateTimeFormat(undefined, OPTIONS).format(instant);
    if (mine === theirs.format(instant)) return; // same wall time and zone name: nothing to add
    const note = document.createElement("span");
    note.className = "your-time";
    note.textContent = " (your time: " + mine + ")";
    el.after(note);
  }
  function completeAll(root) {
    root.querySelectorAll("time[data-local-instant]").forEach(complete);
  }
  document.addEventListener("DOMContentLoaded", function () { completeAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { completeAll(event.target); });
})();
