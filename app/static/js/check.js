// The pre-exam check: what the exam needs, measured in this browser, shown in plain words.
(function () {
  "use strict";
  const list = document.getElementById("checks");
  const loadedAt = Date.now();
  let failures = 0;
  function mark(id, ok, text) {
    const li = document.getElementById(id);
    li.dataset.result = ok ? "ok" : "fail";
    li.textContent = text;
    if (!ok) failures += 1;
  }
  mark("check-js", true, "JavaScript: on.");
  try {
    localStorage.setItem("exam-check", "1");
    localStorage.removeItem("exam-check");
    mark("check-storage", true, "Local storage: works.");
  } catch (e) {
    mark("check-storage", false, "Local storage: blocked. Allow site data for this site (private windows may block it).");
  }
  const features = ["fetch" in window, "Promise" in window, "URLSearchParams" in window, "DOMParser" in window];
  mark("check-browser", features.every(Boolean), features.every(Boolean)
    ? "Browser features: supported." : "Browser features: this browser is too old; use a current Chrome, Edge, Firefox or Safari.");
  // Clock offset: the server's time when the page was made, against this computer's clock.
  const offset = Math.round((loadedAt - Number(list.dataset.serverEpochMs)) / 1000);
  mark("check-clock", Math.abs(offset) < 120, "Your computer's clock differs from the server's by about " + Math.abs(offset) +
    " s. " + (Math.abs(offset) < 120 ? "Fine: the exam's timer follows the server anyway." : "Please correct it; the exam's timer follows the server."));
  async function ping() {
    const times = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await fetch(list.dataset.pingUrl, { cache: "no-store" });
      if (!r.ok) throw new Error("status " + r.status);
      times.push(performance.now() - t0);
    }
    return Math.round(times.sort(function (a, b) { return a - b; })[1]);
  }
  ping().then(function (ms) {
    mark("check-connection", ms < 2000, "Connection: round trip about " + ms + " ms." + (ms < 2000 ? "" : " Slow: answers will still be kept and sent."));
  }).catch(function () {
    mark("check-connection", false, "Connection: the exam server could not be reached.");
  }).finally(function () {
    document.getElementById("check-summary").textContent = failures
      ? failures + " check(s) need attention before the exam." : "All checks passed. You are ready.";
  });
})();
