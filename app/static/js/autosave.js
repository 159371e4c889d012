// The answer journal. Every change is written to localStorage first, with a per-attempt
// increasing seq and the time it was made (by the server's clock, as this page estimates it),
// and stays there until the server has it. htmx posts the change; when it cannot (offline,
// timeout, server error) this file replays the journal with backoff, on `online`, on every
// clock poll and on page load. The server ignores stale or repeated seqs, so replaying twice
// is harmless; after the part closes it keeps what still arrives apart, for the proctor.
// The page never leaves while it holds unsent answers: at zero it says so and keeps trying.
(function () {
  "use strict";
  const exam = document.getElementById("exam");
  if (!exam) return;
  const journalKey = exam.dataset.journalKey;
  const seqKey = journalKey + ":seq";
  const saveUrl = exam.dataset.saveUrl;
  const clockUrl = exam.dataset.clockUrl;
  const submitUrl = exam.dataset.submitUrl;
  const receiptUrl = exam.dataset.receiptUrl;
  const client = exam.dataset.client;
  const pollMs = 1000 * Number(exam.dataset.pollSeconds || 10);
  const ceiling = Number(exam.dataset.seqCeiling);
  // server time minus this browser's time: changes are dated by the server's clock
  const clockOffset = Number(exam.dataset.serverMs || Date.now()) - Date.now();
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const indicator = document.getElementById("journal-status");
  const banner = document.getElementById("closed-banner");
  const bannerText = document.getElementById("closed-message");
  const takeOver = document.getElementById("take-over");
  let inFlight = 0;
  let failing = false;
  let backoffMs = 1000;
  let retryTimer = null;
  let replaying = null;
  let closed = false;      // the server says the part is closed (late answers are still kept)
  let timeUp = false;      // the countdown reached zero on this page
  let superseded = false;  // another window of this attempt is the live one
  let finishing = false;
  let stuck = false;       // the seq ceiling is reached: nothing more can be numbered

  function readJournal() {
    try { return JSON.parse(localStorage.getItem(journalKey) || "{}"); } catch (e) { return {}; }
  }
  function writeJournal(journal) { localStorage.setItem(journalKey, JSON.stringify(journal)); }
  function validSeq(n) { return Number.isSafeInteger(n) && n >= 0 && n <= ceiling; }
  function nextSeq() {
    let local = Number(localStorage.getItem(seqKey) || 0);
    if (!validSeq(local)) local = 0;  // a corrupted counter must not push every save past the ceiling
    const last = Math.max(local, Number(exam.dataset.lastSeq || 0));
    if (last + 1 > ceiling) { stuck = true; return null; }
    localStorage.setItem(seqKey, String(last + 1));
    return last + 1;
  }
  function formFields(form) {
    const fields = {};
    new FormData(form).forEach(function (value, name) { fields[name] = value; });
    if (!("flagged" in fields) && form.querySelector("[name=flagged]")) fields.flagged = "";
    if (!("chosen" in fields) && form.querySelector("[name=chosen]")) fields.chosen = "";
    return fields;
  }

  function pendingCount() { return Object.keys(readJournal()).length; }
  function plural(n) { return n + " answer" + (n === 1 ? "" : "s"); }
  function showStatus() {
    const n = pendingCount();
    let kind = "saved", text = "All answers saved";
    if (stuck) {
      kind = "offline"; text = "This page cannot save more changes; please tell the proctor. Your answers so far are kept.";
    } else if (superseded) {
      kind = "saving"; text = n ? plural(n) + " kept in this browser; the other window sends them" : "All answers saved";
    } else if ((timeUp || closed) && n) {
      kind = "timeup";
      text = (closed && !timeUp ? "This part is closed" : "Time is up") + " — " + n +
        (n === 1 ? " answer is" : " answers are") + " waiting to be sent; keep this page open";
    } else if (n && (failing || !navigator.onLine)) {
      kind = "offline"; text = "Offline: " + plural(n) + " waiting";
    } else if (n || inFlight) {
      kind = "saving"; text = "Saving…";
    }
    if (indicator.dataset.kind !== kind || indicator.textContent !== text) {
      indicator.dataset.kind = kind;
      indicator.textContent = text;
    }
  }

  function freeze() {
    // nothing typed after this could be saved, so nothing can be typed
    exam.dataset.frozen = "1";
    exam.querySelectorAll(".answer-form input:not([type=hidden])").forEach(function (el) { el.disabled = true; });
    exam.querySelectorAll(".answer-form textarea").forEach(function (el) { el.readOnly = true; });
  }

  // Keep the snapshot before htmx sends it (capture phase runs before htmx's own listener).
  function remember(event) {
    const form = event.target.closest && event.target.closest(".answer-form");
    if (!form || closed || timeUp || superseded) return;
    const seq = nextSeq();
    if (seq === null) { freeze(); showStatus(); return; }
    const journal = readJournal();
    journal[form.dataset.answerKey] = { fields: formFields(form), seq: seq, at: Date.now() + clockOffset };
    writeJournal(journal);
    showStatus();
  }
  document.addEventListener("change", remember, true);
  document.addEventListener("input", remember, true);

  function forget(key, seq) {
    const journal = readJournal();
    if (journal[key] && journal[key].seq <= seq) delete journal[key];
    writeJournal(journal);
  }

  function acknowledge(key, seq, html) {
    const status = new DOMParser().parseFromString(html, "text/html").getElementById("save-status");
    if (!status) return false;  // not the save's answer (a sign-in page after a redirect): keep it
    forget(key, seq);
    failing = false;
    backoffMs = 1000;
    document.getElementById("save-status").replaceWith(status);
    status.removeAttribute("hx-swap-oob");
    sync(Number(status.dataset.secondsLeft), status.dataset.state);
    showStatus();
    return true;
  }

  function say(message) {
    bannerText.textContent = message;
    banner.hidden = false;
  }

  function supersede(message) {
    if (superseded) return;
    superseded = true;
    freeze();
    say(message || "This exam was opened in another window or tab, which now saves your answers; continue there.");
    takeOver.hidden = false;
    showStatus();
  }
  takeOver.addEventListener("click", function () { window.location.reload(); });

  function partClosed(message) {
    if (!closed) {
      closed = true;
      freeze();
      say(message || "This part is closed.");
      exam.dispatchEvent(new CustomEvent("exam:closed"));
    }
    finish();
  }

  // A refusal: another window (stop, keep the journal for it), or the part is closed (the
  // server kept the answer or already had it: forget it and send the rest).
  function refused(key, seq, headers, body) {
    const message = new DOMParser().parseFromString(body, "text/html").body.textContent.trim();
    if (headers.get("X-Other-Window")) { supersede(message); return; }
    if (headers.get("X-Answer-Kept")) forget(key, seq);
    partClosed(message);
  }

  function sync(secondsLeft, state) {
    exam.dispatchEvent(new CustomEvent("exam:sync", { detail: { secondsLeft: secondsLeft, state: state } }));
    if (state === "submitted" || state === "expired") partClosed(state === "expired" ? "Time is up: this part is closed." : "This part is closed.");
  }

  document.body.addEventListener("htmx:configRequest", function (event) {
    const form = event.detail.elt;
    if (!form.classList || !form.classList.contains("answer-form")) return;
    if (closed || timeUp || superseded || stuck) { event.preventDefault(); return; }
    let entry = readJournal()[form.dataset.answerKey];
    if (!entry) {
      const seq = nextSeq();
      if (seq === null) { event.preventDefault(); return; }
      entry = { seq: seq, at: Date.now() + clockOffset };
    }
    event.detail.parameters.seq = String(entry.seq);
    event.detail.parameters.at = String(Math.round(entry.at));
    event.detail.parameters.client = client;
    form.dataset.sentSeq = String(entry.seq);
    inFlight += 1;
    showStatus();
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    if (!form.classList || !form.classList.contains("answer-form")) return;
    inFlight = Math.max(0, inFlight - 1);
    const xhr = event.detail.xhr;
    const key = form.dataset.answerKey, seq = Number(form.dataset.sentSeq);
    if (xhr.status === 200 && acknowledge(key, seq, xhr.responseText)) {
      // saved
    } else if (xhr.status === 409) {
      refused(key, seq, { get: function (name) { return xhr.getResponseHeader(name); } }, xhr.responseText);
    } else {
      failing = true;
      scheduleReplay();
    }
    showStatus();
  });

  function scheduleReplay() {
    if (retryTimer || superseded) return;
    retryTimer = setTimeout(function () { retryTimer = null; replay(); }, backoffMs);
    backoffMs = Math.min(backoffMs * 2, (timeUp || closed) ? 4000 : 30000);
  }

  async function send(key, entry) {
    const body = new URLSearchParams(entry.fields);
    body.set("seq", String(entry.seq));
    if (entry.at) body.set("at", String(Math.round(entry.at)));
    body.set("client", client);
    const response = await fetch(saveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "HX-Request": "true" },
    });
    const text = await response.text();
    if (response.status === 200 && acknowledge(key, entry.seq, text)) return;
    if (response.status === 409) {
      refused(key, entry.seq, response.headers, text);
      if (superseded) throw new Error("another window");
    } else if (response.status === 413 || response.status === 422) {
      // refused as malformed: retrying cannot help, and it must not block the others
      forget(key, entry.seq);
    } else throw new Error("not saved: " + response.status);
  }

  async function replayOnce() {
    try {
      const journal = readJournal();
      const keys = Object.keys(journal).sort(function (a, b) { return journal[a].seq - journal[b].seq; });
      for (const key of keys) await send(key, journal[key]);
      failing = false;
    } catch (e) {
      failing = true;
      scheduleReplay();
    } finally {
      showStatus();
    }
  }

  // One replay at a time; callers share the running one.
  function replay() {
    if (superseded) return Promise.resolve();
    if (replaying) return replaying;
    const run = replayOnce();
    replaying = run;
    // cleared after the assignment, even when the run finished at once (an empty journal)
    run.then(function () { if (replaying === run) replaying = null; });
    return run;
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // Time is up (or the part closed): send what is left, submit, and only then leave. Offline,
  // it stays and keeps trying: leaving would show the browser's offline page and lose the journal.
  async function finish() {
    if (finishing || superseded) return;
    finishing = true;
    freeze();
    for (;;) {
      showStatus();
      if (superseded) return;
      if (pendingCount()) await replay();
      if (!pendingCount() && !superseded) {
        try {
          const response = closed
            ? await fetch(receiptUrl, { credentials: "same-origin" })
            : await fetch(submitUrl, {
              method: "POST", credentials: "same-origin",
              body: new URLSearchParams({ reason: "time" }),
              headers: { "X-CSRFToken": csrf },
            });
          if (response.ok && !pendingCount()) { window.location.assign(receiptUrl); return; }
        } catch (e) { /* offline: try again */ }
      }
      await wait(Math.min(backoffMs, 4000));
    }
  }

  // Put unsent answers back on the page (they are newer than what the server rendered).
  function restore(given) {
    const journal = given || readJournal();
    let renumbered = false;
    document.querySelectorAll(".answer-form").forEach(function (form) {
      const entry = journal[form.dataset.answerKey];
      if (!entry) return;
      if (!validSeq(entry.seq)) { entry.seq = nextSeq() || ceiling; renumbered = true; }
      Object.keys(entry.fields).forEach(function (name) {
        form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
          if (input.type === "radio") input.checked = input.value === entry.fields[name];
          else if (input.type === "checkbox") input.checked = entry.fields[name] === input.value;
          else if (input.type !== "hidden") input.value = entry.fields[name];
        });
      });
      form.dispatchEvent(new CustomEvent("exam:restored", { bubbles: true }));
    });
    if (renumbered && !given) writeJournal(journal);
  }

  async function poll() {
    if (superseded) return;
    try {
      const url = clockUrl + "?client=" + encodeURIComponent(client);
      const response = await fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } });
      if (response.ok) {
        const clock = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("clock");
        if (clock && clock.dataset.live === "0") supersede();
        else if (clock) sync(Number(clock.dataset.secondsLeft), clock.dataset.state);
      }
    } catch (e) { /* offline: the countdown runs on from the last sync */ }
    if (pendingCount()) replay();
  }

  // Another tab of this browser wrote the journal: show the same answers here.
  window.addEventListener("storage", function (event) {
    if (event.key !== journalKey) return;
    // the value as written: the other tab may have sent and forgotten it a moment later
    let written = {};
    try { written = JSON.parse(event.newValue || "{}"); } catch (e) { written = {}; }
    restore(written);
    showStatus();
  });
  // Leaving with unsent answers would strand them in this browser: ask first.
  window.addEventListener("beforeunload", function (event) {
    if (pendingCount() && !superseded && !finishing) { event.preventDefault(); event.returnValue = ""; }
  });
  // The review page is another page: send everything before going there.
  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("#review-link");
    if (!link || !pendingCount()) return;
    event.preventDefault();
    indicator.textContent = "Saving your answers before the review…";
    replay().then(function () { if (!pendingCount()) window.location.assign(link.href); });
  });

  window.addEventListener("online", function () { backoffMs = 1000; replay(); });
  window.addEventListener("offline", showStatus);
  window.ExamJournal = {
    pending: pendingCount,
    replay: replay,
    poll: poll,
    timeUp: function () { timeUp = true; finish(); },
  };
  restore();
  showStatus();
  sync(Number(exam.dataset.secondsLeft), exam.dataset.state);
  replay();
  setInterval(poll, pollMs);
})();
