// The exam page: one question at a time (all are on the page, so moving between them works
// offline), the navigator, and the countdown. The countdown is derived from the seconds left
// that the server last said, never decremented on its own; autosave.js re-syncs it.
(function () {
  "use strict";
  const exam = document.getElementById("exam");
  if (!exam) return;
  const timer = document.getElementById("timer");
  const announcer = document.getElementById("announcer");
  const paused = document.getElementById("paused-banner");
  const toggle = document.getElementById("timer-toggle");
  const marks = [30, 15, 5, 1];
  let deadline = performance.now() + 1000 * Number(exam.dataset.secondsLeft);
  let state = exam.dataset.state;
  let announced = new Set(marks.filter(function (m) { return Number(exam.dataset.secondsLeft) <= m * 60; }));
  let submitted = false;

  // --- questions and navigator (Part One) ---
  const sections = Array.from(document.querySelectorAll("section.question"));
  function show(n) {
    if (!sections.length) return;
    n = Math.min(Math.max(1, n), sections.length);
    sections.forEach(function (s) { s.hidden = Number(s.dataset.n) !== n; });
    document.querySelectorAll("#navigator a").forEach(function (a) {
      if (Number(a.dataset.n) === n) a.setAttribute("aria-current", "step");
      else a.removeAttribute("aria-current");
    });
    history.replaceState(null, "", "#q-" + n);
    const legend = sections[n - 1].querySelector("legend");
    legend.setAttribute("tabindex", "-1");
    legend.focus();
  }
  // On a phone the navigator folds behind a button, so the question is on the first screen.
  const navPanel = document.getElementById("navigator-panel");
  const navToggle = document.getElementById("navigator-toggle");
  const narrow = window.matchMedia("(max-width: 600px)");
  function fold(folded) {
    if (!navPanel) return;
    navPanel.classList.toggle("collapsed", folded);
    navToggle.setAttribute("aria-expanded", String(!folded));
    navToggle.textContent = folded ? "All questions" : "Hide the question list";
  }
  if (navToggle) {
    navToggle.hidden = !narrow.matches;
    fold(narrow.matches);
    narrow.addEventListener("change", function () { navToggle.hidden = !narrow.matches; fold(narrow.matches); });
    navToggle.addEventListener("click", function () { fold(!navPanel.classList.contains("collapsed")); });
  }
  document.addEventListener("click", function (event) {
    const link = event.target.closest("[data-go], #navigator a");
    if (!link) return;
    event.preventDefault();
    show(Number(link.dataset.go || link.dataset.n));
    if (narrow.matches && link.closest("#navigator")) fold(true);
  });
  function markNavigator(form) {
    const section = form.closest("section.question");
    if (!section) return;
    const item = document.querySelector("#navigator a[data-n='" + section.dataset.n + "']");
    const answered = !!form.querySelector("input[type=radio]:checked");
    const flagged = !!form.querySelector("input[name=flagged]:checked");
    item.classList.toggle("answered", answered);
    item.classList.toggle("flagged", flagged);
    item.setAttribute("aria-label", "Question " + section.dataset.n + (answered ? ", answered" : "") + (flagged ? ", flagged" : ""));
  }
  document.addEventListener("change", function (e) { const f = e.target.closest(".answer-form"); if (f) markNavigator(f); });
  document.addEventListener("exam:restored", function (e) { markNavigator(e.target); });
  if (sections.length) {
    const match = /^#q-(\d+)$/.exec(location.hash);
    if (match) show(Number(match[1]));
  }

  // --- countdown ---
  function format(seconds) {
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    const mm = (h ? String(m).padStart(2, "0") : String(m));
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }
  function left() { return Math.max(0, Math.ceil((deadline - performance.now()) / 1000)); }
  function announce(minutes) {
    announcer.textContent = minutes + (minutes === 1 ? " minute" : " minutes") + " left.";
  }
  function silence() { marks.forEach(function (m) { announced.add(m); }); }
  function timeUp() {
    if (submitted) return;
    submitted = true;
    silence();
    announcer.textContent = "Time is up. Your answers are being sent and the part submitted; keep this page open.";
    // the journal sends what it holds, submits, and leaves only when nothing is unsent
    window.ExamJournal.timeUp();
  }
  function tick() {
    if (state === "paused") { timer.textContent = "Paused"; return; }
    const seconds = left();
    timer.textContent = format(seconds);
    // marks are announced only while the part runs: a close is not "1 minute left"
    if (state === "open" && seconds > 0) {
      marks.forEach(function (m) {
        if (seconds <= m * 60 && !announced.has(m)) { announced.add(m); announce(m); }
      });
    }
    if (seconds === 0 && state === "open") timeUp();
  }
  exam.addEventListener("exam:sync", function (event) {
    state = event.detail.state;
    if (state !== "open" && state !== "paused") { silence(); submitted = true; }
    deadline = performance.now() + 1000 * event.detail.secondsLeft;
    paused.hidden = state !== "paused";
    tick();
  });
  exam.addEventListener("exam:closed", function () { silence(); submitted = true; });
  toggle.addEventListener("click", function () {
    const hide = toggle.getAttribute("aria-pressed") !== "true";
    toggle.setAttribute("aria-pressed", String(hide));
    toggle.textContent = hide ? "Show timer" : "Hide timer";
    timer.classList.toggle("concealed", hide);
  });
  tick();
  setInterval(tick, 1000);
})();

// Part Two: word counts, the k-of-n choice, and focus-loss reports for the proctor.
(function () {
  "use strict";
  const exam = document.getElementById("exam");
  if (!exam) return;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  function words(text) { const t = text.trim(); return t ? t.split(/\s+/).length : 0; }
  function count(form) {
    const area = form.querySelector("textarea");
    if (area) form.querySelector(".word-count span").textContent = String(words(area.value));
  }
  const k = Number(exam.dataset.answerCount || 0);
  function chosenCount() { return document.querySelectorAll("input[name=chosen]:checked").length; }
  // Only chosen vignettes are scored: once k are chosen, the others are read-only and say why.
  function limitChoices() {
    if (!k || exam.dataset.frozen) return;
    const full = chosenCount() >= k;
    document.querySelectorAll(".answer-form.essay").forEach(function (form) {
      const box = form.querySelector("input[name=chosen]");
      const locked = !box.checked && full;
      box.disabled = locked;
      form.querySelector("textarea").readOnly = locked;
      form.querySelector(".choice-note").hidden = !locked;
    });
  }
  // Writing in an unchosen vignette while fewer than k are chosen chooses it, before the
  // journal takes the snapshot (beforeinput comes before input).
  document.addEventListener("beforeinput", function (e) {
    const form = e.target.closest && e.target.closest(".answer-form.essay");
    if (!form || e.target.tagName !== "TEXTAREA" || e.target.readOnly) return;
    const box = form.querySelector("input[name=chosen]");
    if (box.checked || chosenCount() >= k) return;
    box.checked = true;
    limitChoices();
  });
  document.querySelectorAll(".answer-form.essay").forEach(count);
  limitChoices();
  document.addEventListener("input", function (e) { const f = e.target.closest(".essay"); if (f) count(f); });
  document.addEventListener("change", function (e) { if (e.target.name === "chosen") limitChoices(); });
  document.addEventListener("exam:restored", function (e) { count(e.target); limitChoices(); });

  let lastReport = 0;
  function report(kind) {
    if (Date.now() - lastReport < 2000) return;  // one blur often comes with one hidden
    lastReport = Date.now();
    const body = new URLSearchParams({ kind: kind });
    fetch(exam.dataset.eventUrl, { method: "POST", body: body, keepalive: true, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "HX-Request": "true" } }).catch(function () {});
  }
  window.addEventListener("blur", function () { report("blur"); });
  document.addEventListener("visibilitychange", function () { if (document.hidden) report("hidden"); });
})();
