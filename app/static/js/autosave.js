// The answer journal. Every change is written to localStorage first, with a per-attempt
// increasing seq, and stays there until the server acknowledges that exact seq. htmx posts
// the change; when it cannot (offline, timeout, server error) this file replays the journal
// with backoff, on `online`, and on page load. The server ignores stale or repeated seqs, so
// replaying twice is harmless. It also keeps the countdown in step with the server's clock.
(function () {
  "use strict";
  const exam = document.getElementById("exam");
  if (!exam) return;
  const journalKey = exam.dataset.journalKey;
  const seqKey = journalKey + ":seq";
  const saveUrl = exam.dataset.saveUrl;
  const clockUrl = exam.dataset.clockUrl;
  const receiptUrl = exam.dataset.receiptUrl;
  const client = exam.dataset.client;
  const pollMs = 1000 * Number(exam.dataset.pollSeconds || 10);
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const indicator = document.getElementById("journal-status");
  let inFlight = 0;
  let failing = false;
  let backoffMs = 1000;
  let retryTimer = null;
  let replaying = false;
  let closed = false;

  function readJournal() {
    try { return JSON.parse(localStorage.getItem(journalKey) || "{}"); } catch (e) { return {}; }
  }
  function writeJournal(journal) { localStorage.setItem(journalKey, JSON.stringify(journal)); }
  function nextSeq() {
    const last = Math.max(Number(localStorage.getItem(seqKey) || 0), Number(exam.dataset.lastSeq || 0));
    localStorage.setItem(seqKey, String(last + 1));
    return last + 1;
  }
  function formFields(form) {
    const fields = {};
    new FormData(form).forEach(function (value, name) { fields[name] = value; });
    if (!("flagged" in fields) && form.querySelector("[name=flagged]")) fields.flagged = "";
    return fields;
  }

  function pendingCount() { return Object.keys(readJournal()).length; }
  function showStatus() {
    const n = pendingCount();
    let kind = "saved", text = "All answers saved";
    if (n && (failing || !navigator.onLine)) {
      kind = "offline"; text = "Offline: " + n + " answer" + (n === 1 ? "" : "s") + " waiting";
    } else if (n || inFlight) {
      kind = "saving"; text = "Saving…";
    }
    indicator.dataset.kind = kind;
    indicator.textContent = text;
  }

  // Keep the snapshot before htmx sends it (capture phase runs before htmx's own listener).
  function remember(event) {
    const form = event.target.closest && event.target.closest(".answer-form");
    if (!form || closed) return;
    const journal = readJournal();
    journal[form.dataset.answerKey] = { fields: formFields(form), seq: nextSeq() };
    writeJournal(journal);
    showStatus();
  }
  document.addEventListener("change", remember, true);
  document.addEventListener("input", remember, true);

  function acknowledge(key, seq, html) {
    const journal = readJournal();
    if (journal[key] && journal[key].seq <= seq) delete journal[key];
    writeJournal(journal);
    failing = false;
    backoffMs = 1000;
    const status = new DOMParser().parseFromString(html, "text/html").getElementById("save-status");
    if (status) {
      document.getElementById("save-status").replaceWith(status);
      status.removeAttribute("hx-swap-oob");
      sync(Number(status.dataset.secondsLeft), status.dataset.state);
    }
    showStatus();
  }

  function close(message) {
    if (closed) return;
    closed = true;
    const banner = document.getElementById("closed-banner");
    banner.textContent = message || "This part is closed. Taking you to your receipt…";
    banner.hidden = false;
    setTimeout(function () { window.location.assign(receiptUrl); }, 1500);
  }

  function sync(secondsLeft, state) {
    exam.dispatchEvent(new CustomEvent("exam:sync", { detail: { secondsLeft: secondsLeft, state: state } }));
    if (state === "submitted" || state === "expired") close();
  }

  document.body.addEventListener("htmx:configRequest", function (event) {
    const form = event.detail.elt;
    if (!form.classList || !form.classList.contains("answer-form")) return;
    const entry = readJournal()[form.dataset.answerKey];
    const seq = entry ? entry.seq : nextSeq();
    event.detail.parameters.seq = String(seq);
    event.detail.parameters.client = client;
    form.dataset.sentSeq = String(seq);
    inFlight += 1;
    showStatus();
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    if (!form.classList || !form.classList.contains("answer-form")) return;
    inFlight = Math.max(0, inFlight - 1);
    const xhr = event.detail.xhr;
    if (xhr.status === 200) {
      acknowledge(form.dataset.answerKey, Number(form.dataset.sentSeq), xhr.responseText);
    } else if (xhr.status === 409) {
      close(new DOMParser().parseFromString(xhr.responseText, "text/html").body.textContent.trim());
    } else {
      failing = true;
      scheduleReplay();
    }
    showStatus();
  });

  function scheduleReplay() {
    if (retryTimer || closed) return;
    retryTimer = setTimeout(function () { retryTimer = null; replay(); }, backoffMs);
    backoffMs = Math.min(backoffMs * 2, 30000);
  }

  async function send(key, entry) {
    const body = new URLSearchParams(entry.fields);
    body.set("seq", String(entry.seq));
    body.set("client", client);
    const response = await fetch(saveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "HX-Request": "true" },
    });
    if (response.status === 200) acknowledge(key, entry.seq, await response.text());
    else if (response.status === 409) close();
    else if (response.status >= 400 && response.status < 500) {
      // refused as malformed: retrying cannot help, and it must not block the others
      const journal = readJournal();
      delete journal[key];
      writeJournal(journal);
    } else throw new Error("server error " + response.status);
  }

  async function replay() {
    if (replaying || closed) return;
    replaying = true;
    try {
      const journal = readJournal();
      const keys = Object.keys(journal).sort(function (a, b) { return journal[a].seq - journal[b].seq; });
      for (const key of keys) await send(key, journal[key]);
      failing = false;
    } catch (e) {
      failing = true;
      scheduleReplay();
    } finally {
      replaying = false;
      showStatus();
    }
  }

  // Put unsent answers back on the page (they are newer than what the server rendered).
  function restore() {
    const journal = readJournal();
    document.querySelectorAll(".answer-form").forEach(function (form) {
      const entry = journal[form.dataset.answerKey];
      if (!entry) return;
      Object.keys(entry.fields).forEach(function (name) {
        form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
          if (input.type === "radio") input.checked = input.value === entry.fields[name];
          else if (input.type === "checkbox") input.checked = entry.fields[name] === input.value;
          else if (input.type !== "hidden") input.value = entry.fields[name];
        });
      });
      form.dispatchEvent(new CustomEvent("exam:restored", { bubbles: true }));
    });
  }

  async function poll() {
    if (closed) return;
    try {
      const response = await fetch(clockUrl, { credentials: "same-origin", headers: { "HX-Request": "true" } });
      if (response.ok) {
        const clock = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("clock");
        if (clock) sync(Number(clock.dataset.secondsLeft), clock.dataset.state);
      }
    } catch (e) { /* offline: the countdown runs on from the last sync */ }
    if (pendingCount()) replay();
  }

  window.addEventListener("online", function () { backoffMs = 1000; replay(); });
  window.addEventListener("offline", showStatus);
  window.ExamJournal = { pending: pendingCount, replay: replay, poll: poll };
  restore();
  showStatus();
  sync(Number(exam.dataset.secondsLeft), exam.dataset.state);
  replay();
  setInterval(poll, pollMs);
})();
