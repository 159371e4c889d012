// Answers this browser still holds (a journal left by an exam page that lost its connection,
// was closed, or reached the deadline offline) are sent from every candidate page that has a
// #journal-replay element: My exams, the rules and waiting room, review and receipt pages.
// The server keeps what arrives after a part closed apart, for the proctor; nothing is lost.
(function () {
  "use strict";
  const box = document.getElementById("journal-replay");
  if (!box) return;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const pattern = /^journal:([A-Za-z0-9_-]+)$/;
  let backoffMs = 2000;
  let sentAny = false;
  let openElsewhere = false;  // a part still open: its exam page sends them when continued

  function journals() {
    const out = [];
    for (let i = 0; i < localStorage.length; i++) {
      const match = pattern.exec(localStorage.key(i));
      if (!match) continue;
      let journal = {};
      try { journal = JSON.parse(localStorage.getItem(match[0]) || "{}"); } catch (e) { journal = {}; }
      if (Object.keys(journal).length) out.push({ key: match[0], attempt: match[1], journal: journal });
    }
    return out;
  }
  function waiting() {
    return journals().reduce(function (n, j) { return n + Object.keys(j.journal).length; }, 0);
  }
  function forget(storageKey, answerKey, seq) {
    let journal = {};
    try { journal = JSON.parse(localStorage.getItem(storageKey) || "{}"); } catch (e) { journal = {}; }
    if (journal[answerKey] && journal[answerKey].seq <= seq) delete journal[answerKey];
    localStorage.setItem(storageKey, JSON.stringify(journal));
  }
  function show(text) { box.hidden = !text; box.textContent = text; }

  // true: the server has it (saved, kept as late, or already recorded); false: try again later
  async function send(target, answerKey, entry) {
    const body = new URLSearchParams(entry.fields);
    body.set("seq", String(entry.seq));
    if (entry.at) body.set("at", String(Math.round(entry.at)));
    body.set("client", box.dataset.client || "");
    const response = await fetch(box.dataset.saveUrl.replace("__ATTEMPT__", target.attempt), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "HX-Request": "true" },
    });
    const text = await response.text();
    const saved = response.status === 200 && text.indexOf('id="save-status"') !== -1;
    if (saved || response.headers.get("X-Answer-Kept") || response.status === 404 ||
        response.status === 413 || response.status === 422) {
      // 404: not this account's attempt (a shared computer); 413/422: malformed, never sendable
      forget(target.key, answerKey, entry.seq);
      sentAny = true;
      return true;
    }
    if (response.headers.get("X-Other-Window")) openElsewhere = true;
    return false;  // offline, another window is live, or the server failed: keep it
  }

  async function replay() {
    let n = waiting();
    if (!n) { if (sentAny) show("The answers this browser held have been sent."); return; }
    show(n + " answer" + (n === 1 ? "" : "s") + " kept in this browser " + (n === 1 ? "is" : "are") +
      " being sent; keep this page open.");
    let stalled = false;
    openElsewhere = false;
    try {
      for (const target of journals()) {
        const keys = Object.keys(target.journal).sort(function (a, b) {
          return target.journal[a].seq - target.journal[b].seq;
        });
        for (const key of keys) if (!(await send(target, key, target.journal[key]))) stalled = true;
      }
    } catch (e) { stalled = true; }
    n = waiting();
    if (n && openElsewhere) {
      show(n + " answer" + (n === 1 ? "" : "s") + " kept in this browser will be sent when you continue the part.");
    } else if (n && stalled) {
      show(n + " answer" + (n === 1 ? "" : "s") + " kept in this browser could not be sent yet; keep this page open and online.");
      setTimeout(replay, backoffMs);
      backoffMs = Math.min(backoffMs * 2, 30000);
    } else if (!n && sentAny && box.dataset.reload !== "0") {
      // the page was drawn before they arrived: draw it again with them
      window.location.reload();
    }
  }
  window.addEventListener("online", function () { backoffMs = 2000; replay(); });
  replay();
})();
