// The live dashboard and the alert screen it becomes when its login ends.
//
// Logged in, the page draws every case row from data (first page, live notifications,
// catch-up and the Closed view all go through renderRow), and catches up page by page
// after any gap, so nothing is missed. When the login ends, everything a pupil said is
// removed and the page turns into the alert screen: it keeps sounding and showing
// content-free alerts until someone logs in again. A dropped connection shows itself.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const $ = (id) => document.getElementById(id);
  const zone = { timeZone: config.timezone };
  const dateTime = new Intl.DateTimeFormat("en-GB", { ...zone, weekday: "short",
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  const clockTime = new Intl.DateTimeFormat("en-GB", { ...zone, hour: "2-digit", minute: "2-digit" });
  const secondsTime = new Intl.DateTimeFormat("en-GB", { ...zone, hour: "2-digit",
    minute: "2-digit", second: "2-digit" });
  const fmt = (iso) => (iso ? dateTime.format(new Date(iso)) : "");
  const clock = (iso) => (iso ? clockTime.format(new Date(iso)) : "");
  const HOUR = 3600e3;
  const STALE_MS = 45e3;  // the server pings every 25 s: silence this long is a dead link

  let mode = config.mode;  // "staff", "alerts" or "stopped"
  let attention = 0;       // urgent, overdue and "Get an adult" waiting, for the title
  const alerts = new Map();  // alert screen: subject -> its latest content-free alert

  function ago(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return `${s} s`;
    const m = Math.round(s / 60);
    return m < 90 ? `${m} min` : `${Math.round(m / 60)} h`;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;  // always text: never markup
    return node;
  }

  // ---- sound: remembered per browser; a tap is asked for when the browser needs one ----
  const Sound = (function () {
    const KEY = "worry-dashboard.sound";
    const toggle = $("sound-toggle"), prompt = $("sound-prompt"), missed = $("sound-missed");
    let audio = null;
    const wanted = () => localStorage.getItem(KEY) !== "off";

    function context() {
      if (!audio && window.AudioContext) {
        audio = new AudioContext();
        audio.onstatechange = show;
      }
      return audio;
    }
    function running() { return Boolean(audio) && audio.state === "running"; }
    function show() {
      const on = wanted();
      $("sound-tap").textContent = localStorage.getItem(KEY) === "on"
        ? "Tap anywhere to turn sound back on" : "Tap anywhere to turn sound on";
      toggle.setAttribute("aria-pressed", String(on));
      toggle.textContent = on ? "Sound is on" : "Sound is off";
      prompt.hidden = !on || running();
      if (prompt.hidden) missed.hidden = true;
    }
    function unlock() {
      if (!wanted() || !context() || running()) return;
      audio.resume().then(show, show);
    }
    function notes(list) {
      list.forEach((freq, i) => {
        const osc = audio.createOscillator(), gain = audio.createGain();
        const at = audio.currentTime + i * 0.25;
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.3, at);
        gain.gain.exponentialRampToValueAtTime(0.001, at + 0.22);
        osc.connect(gain).connect(audio.destination);
        osc.start(at);
        osc.stop(at + 0.24);
      });
    }
    function chime(urgent) {
      if (!wanted() || !context()) return;
      if (!running()) {  // the browser is holding the sound back until someone taps
        missed.hidden = false;
        show();
        return;
      }
      notes(urgent ? [880, 660, 880, 660, 880, 660] : [660, 880]);
    }
    toggle.addEventListener("click", () => {
      localStorage.setItem(KEY, wanted() ? "off" : "on");
      unlock();
      show();
      if (wanted()) chime(false);
    });
    // A browser lets a page play sound only after a tap or key press: any one will do.
    for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlock, true);
    context();
    show();
    return { chime };
  })();

  // ---- pop-ups: never any report content, they may show on a shared screen ----
  const Popups = (function () {
    const button = $("popups");
    const able = "Notification" in window;
    function show() { button.hidden = !able || Notification.permission !== "default"; }
    button.addEventListener("click", async () => { await Notification.requestPermission(); show(); });
    show();
    return {
      pop(title, body, urgent) {
        if (able && Notification.permission === "granted") {
          new Notification(title, { body, requireInteraction: urgent });
        }
      },
    };
  })();

  // ---- the connection: loud when it drops, with the time since the last contact ----
  const live = $("live"), offline = $("offline-banner");
  // Grace before saying "offline": the first connection takes a moment, and a server that
  // closes a socket whose login ended is answered by a new one at once.
  const FIRST_CONNECT_MS = 5e3, RECONNECT_MS = 2e3;
  let lastContact = Date.now(), lostAt = Date.now(), connected = false, everConnected = false;

  function contact() { lastContact = Date.now(); }
  function looksOffline() {
    return !connected && mode !== "stopped"
      && Date.now() - lostAt > (everConnected ? RECONNECT_MS : FIRST_CONNECT_MS);
  }
  function setConnected(yes) {
    if (connected && !yes) lostAt = Date.now();
    connected = yes;
    everConnected ||= yes;
    live.dataset.state = yes ? "live" : looksOffline() ? "offline" : "connecting";
    live.textContent = yes ? (mode === "alerts" ? "Live: alerts only" : "Live")
      : looksOffline() ? "OFFLINE: reconnecting…" : "Connecting…";
    offline.hidden = !looksOffline();
    showOffline();
    updateTitle();
  }
  function showOffline() {
    if (!connected && offline.hidden === looksOffline()) setConnected(false);
    if (offline.hidden) return;
    $("offline-detail").textContent = `Last contact ${secondsTime.format(new Date(lastContact))}, `
      + `${ago(Date.now() - lastContact)} ago. Trying again…`;
  }

  // ---- the case rows (logged in) ----
  const tbody = $("rows");
  const reports = new Map();   // id -> row data, open cases only
  const rowEls = new Map();    // id -> its <tr> in the open view
  const dirty = new Set();
  const helps = new Map();     // help_id -> "Get an adult" payload
  const warnings = new Map();  // one email (about, id, purpose, step) -> email.failed
  let directory = config.directory || { kiosks: {}, people: {} };
  let signOff = new Set(config.sign_off || []);
  let view = "open", closedPage = 1, closedQuery = "";
  // The DSL's categories: the filter chosen ("" for all) and each code's label, from the
  // filter's own options (the school's list, content/categories.toml).
  const categoryFilter = $("category-filter");
  const categoryLabels = new Map(categoryFilter ? [...categoryFilter.options]
    .filter((o) => o.value).map((o) => [o.value, o.textContent]) : []);
  let category = "";
  let watermark = config.cursor || 0;
  const seen = new Set();
  let drawPending = false, panelsPending = null;
  let away = null;  // what arrived during a catch-up, summed up once it is done

  function person(id) {
    if (id === null || id === undefined) return "";
    if (!(id in directory.people)) refreshPanelsSoon();
    return directory.people[id] || "a member of staff";
  }

  function where(r) {
    if (r.source === "staff") return ["Staff concern", `Logged by ${person(r.reported_by)}`];
    const kiosk = directory.kiosks[r.kiosk_id];
    if (r.kiosk_id && !kiosk) refreshPanelsSoon();
    const place = kiosk && kiosk.place !== r.kiosk ? kiosk.place : "";
    return [r.kiosk || (kiosk && kiosk.name) || "Kiosk", place];
  }

  function overdue(r, now) { return r.status === "new" && Date.parse(r.due_at) <= now; }

  function statusOf(r, now) {
    if (r.status === "closed") return ["Closed", "closed"];
    if (r.status === "merged") return [`Merged into case ${r.merged_into}`, "closed"];
    if (r.status !== "new") return ["Acknowledged", "acknowledged"];
    if (r.escalation && r.escalation.nobody) return ["Overdue: nobody to tell", "overdue nobody"];
    return overdue(r, now) ? ["Overdue", "overdue"] : ["New", "new"];
  }

  function escalationWords(r) {
    const step = r.escalation;
    if (!step || r.status !== "new") return "";
    // The ladder says why nobody was told (no account, or no email and no screen open).
    if (step.nobody) return `NOBODY TO TELL at ${step.role_name} step (${clock(step.at)}): `
      + (step.why || `no active ${step.role_name} account`);
    const told = step.told && step.told.length ? `: ${step.told.join(", ")}` : "";
    return `Escalated to ${step.role_name} at ${clock(step.at)}${told}`;
  }

  function renderRow(tr, r, now) {
    const [state, stateClass] = statusOf(r, now);
    tr.className = `report ${r.urgency} ${r.status} ${stateClass}`;
    tr.dataset.id = r.id;
    tr.querySelector(".badge").textContent = r.urgency === "urgent" ? "Urgent" : "Same day";
    tr.querySelector(".what").textContent = r.what.join("; ") || "(no answer on what happened)";
    // A friend's worry: the answers describe another child, not the one who sent it.
    tr.querySelector(".about").hidden = r.about !== "someone_else";
    tr.querySelector(".reasons").textContent = r.reasons.join("; ");
    let tags = tr.querySelector(".dsl-categories");
    if (!tags) { tags = el("span", "dsl-categories"); tr.querySelector(".reasons").after(tags); }
    const codes = r.categories || [];
    tags.textContent = codes.length
      ? `DSL: ${codes.map((c) => categoryLabels.get(c) || c).join(", ")}` : "";
    const [name, place] = where(r);
    tr.querySelector(".where-name").textContent = name;
    tr.querySelector(".where-place").textContent = place;
    tr.querySelector(".source").textContent = r.source === "staff" ? "Staff concern" : "Kiosk";
    for (const [cls, iso] of [["received", r.created_at], ["due", r.due_at]]) {
      const t = tr.querySelector(`.${cls} time`);
      t.dateTime = iso;
      t.textContent = fmt(iso);
    }
    const owner = tr.querySelector(".owner");
    owner.textContent = r.owner_id ? person(r.owner_id) : "Nobody yet";
    owner.classList.toggle("unowned", !r.owner_id);
    tr.querySelector(".state").textContent = state;
    tr.querySelector(".escalation").textContent = escalationWords(r);
    tr.querySelector(".sign-off").textContent =
      signOff.has(r.id) ? "Waiting for the head teacher's sign-off" : "";
    tr.querySelector(".open").href = `/staff/reports/${r.id}`;
    tr.querySelectorAll(".case-number").forEach((n) => { n.textContent = ` case ${r.id}`; });
    tr.querySelector(".ack").hidden = r.status !== "new";
    tr.dataset.state = stateClass;
  }

  function newRow() {
    return $("row-template").content.firstElementChild.cloneNode(true);
  }

  function rank(r) { return (r.status === "new" ? 0 : 2) + (r.urgency === "urgent" ? 0 : 1); }
  function order(a, b) {
    return rank(a) - rank(b) || b.created_at.localeCompare(a.created_at) || b.id - a.id;
  }

  function scheduleDraw() {
    if (!drawPending && mode === "staff") { drawPending = true; setTimeout(draw, 0); }
  }

  function draw() {
    drawPending = false;
    if (mode !== "staff") return;
    updateBanner();
    if (view !== "open") return;
    const now = Date.now();
    let at = tbody.firstElementChild;
    const shown = [...reports.values()].filter(inCategory);
    for (const r of shown.sort(order)) {
      let tr = rowEls.get(r.id);
      if (!tr) { tr = newRow(); rowEls.set(r.id, tr); dirty.add(r.id); }
      if (dirty.has(r.id)) renderRow(tr, r, now);
      // Only rows that change place move, so a focused button stays focused.
      if (tr === at) at = at.nextElementSibling; else tbody.insertBefore(tr, at);
    }
    for (const [id, tr] of rowEls) {
      if (!reports.has(id)) { tr.remove(); rowEls.delete(id); }
      else if (!inCategory(reports.get(id))) tr.remove();  // kept, to come back unfiltered
    }
    dirty.clear();
    $("empty").textContent = category ? "No open cases in this category." : "No open cases.";
    $("empty").hidden = shown.length > 0;
    drawSignOff();
  }

  function recheckOverdue() {
    const now = Date.now();
    for (const [id, r] of reports) {
      const tr = rowEls.get(id);
      if (tr && tr.dataset.state !== statusOf(r, now)[1]) dirty.add(id);
    }
    if (dirty.size) scheduleDraw(); else updateBanner();
  }

  // ---- notifications ----
  function fresh(n) {
    if (n.id <= watermark || seen.has(n.id)) return false;  // catch-up and live overlap
    seen.add(n.id);
    while (seen.has(watermark + 1)) seen.delete(++watermark);
    return true;
  }

  function handle(n, quiet) {
    if (mode !== "staff" || !fresh(n)) return;
    if (n.kind.startsWith("report.") || n.kind.startsWith("case.")) onReport(n, quiet);
    else if (n.kind.startsWith("help.") || n.kind === "kiosk.help") onHelp(n, quiet);
    else if (n.kind.startsWith("email.")) onEmail(n);
  }

  function onReport(n, quiet) {
    const p = n.payload, old = reports.get(p.id);
    if (n.kind.startsWith("case.")) refreshPanelsSoon();  // a decision may need sign-off
    if (p.status === "closed" || p.status === "merged") {
      reports.delete(p.id);
      signOff.delete(p.id);
      scheduleDraw();
      return;
    }
    const r = { escalation: null, ...old, ...p };
    if (n.kind === "report.escalated") {
      r.escalation = { at: n.at, step: p.step, to: p.escalated_to, role_name: p.role_name,
        told: p.told, nobody: Boolean(p.nobody), why: p.why || "" };
    }
    reports.set(p.id, r);
    dirty.add(p.id);
    scheduleDraw();
    // A row's categories are not in the notification: fetch them when they changed, or
    // when a case comes back (reopened) that this page has not held.
    if (n.kind === "case.categories_set" || (n.kind.startsWith("case.") && !old)) {
      fetchCategories(p.id);
    }
    const urgent = p.urgency === "urgent";
    if ((n.kind === "report.new" && !old) || n.kind === "report.escalated") {
      if (quiet) { away.reports += n.kind === "report.new"; away.urgent ||= urgent; return; }
      Sound.chime(urgent);
      const [name] = where(r);
      Popups.pop(urgent ? "URGENT worry report" : "Worry report",
        `${n.kind === "report.escalated" ? "Still not acknowledged. " : ""}`
        + `From ${name}, ${clock(p.created_at)}. Open the dashboard to read it.`, urgent);
    }
  }

  function onHelp(n, quiet) {
    const p = n.payload, id = p.help_id;
    const h = { escalation: null, ...helps.get(id), ...p };
    if (n.kind === "help.escalated") {
      h.escalation = { at: n.at, step: p.step, to: p.to, role_name: p.role_name,
        told: p.told, nobody: Boolean(p.nobody), why: p.why || "" };
    }
    helps.set(id, h);
    drawHelp();
    if (n.kind === "help.acknowledged") return;
    if (quiet) { away.help += 1; away.urgent = true; return; }
    Sound.chime(true);
    Popups.pop("Get an adult", `${helpWhere(h)} at ${clock(h.at)}`, true);
  }

  function emailKey(p) { return [p.about, p[`${p.about}_id`], p.purpose, p.step].join(":"); }

  function onEmail(n) {
    const key = emailKey(n.payload);
    if (n.kind === "email.failed") warnings.set(key, n); else warnings.delete(key);
    drawWarnings();
  }

  // ---- "Get an adult": kept until someone says "I'm going" ----
  function helpWhere(h) {
    return h.place && h.place !== h.kiosk ? `${h.kiosk} (${h.place})` : h.kiosk || "a kiosk";
  }

  function helpItem(h, now) {
    const waiting = h.status !== "acknowledged";
    const item = el("li", `help-item ${waiting ? "help-waiting" : "help-acknowledged"}`
      + (h.escalation && h.escalation.nobody && waiting ? " nobody" : ""));
    const line = el("p", "help-line");
    line.append(el("strong", "", "Get an adult"),
      ` pressed at ${helpWhere(h)} at ${clock(h.at)}`);
    item.append(line);
    let state;
    if (!waiting) state = `${h.by_name || "Someone"} is going (${clock(h.acknowledged_at)})`;
    else if (h.escalation && h.escalation.nobody) {
      state = `Nobody has said they are going, and nobody could be told at the `
        + `${h.escalation.role_name} step: ${h.escalation.why || "no active account"}`;
    } else if (h.escalation) {
      state = `Nobody has said they are going for ${ago(now - Date.parse(h.at))}: `
        + `${h.escalation.role_name} told at ${clock(h.escalation.at)}`;
    } else state = `Waiting for ${ago(now - Date.parse(h.at))}: nobody has said they are going`;
    item.append(el("p", "help-state", state));
    if (waiting) {
      const button = el("button", "going", "I'm going");
      button.type = "button";
      button.dataset.help = h.help_id;
      item.append(button);
    }
    return item;
  }

  function drawHelp() {
    if (mode !== "staff") return;
    const now = Date.now();
    const shown = [...helps.values()].filter((h) => h.status !== "acknowledged"
      || now - Date.parse(h.acknowledged_at) < HOUR);
    shown.sort((a, b) => (a.status === "acknowledged") - (b.status === "acknowledged")
      || b.at.localeCompare(a.at));
    $("help-list").replaceChildren(...shown.map((h) => helpItem(h, now)));
    $("help-panel").hidden = shown.length === 0;
    updateBanner();
  }

  function drawWarnings() {
    if (mode !== "staff") return;
    const items = [...warnings.values()].map((n) => {
      const p = n.payload;
      const about = p.about === "help" ? `"Get an adult" ${p.help_id}` : `report ${p.report_id}`;
      return el("li", "", `An email about ${about} could not be sent to ${p.recipients} `
        + `${p.recipients === 1 ? "person" : "people"} (${clock(n.at)}): ${p.error}. `
        + `Trying again at ${clock(p.next_try_at)} (attempt ${p.attempts}).`);
    });
    $("warning-list").replaceChildren(...items);
    $("warning-panel").hidden = items.length === 0;
  }

  function drawSignOff() {
    const items = [...signOff].filter((id) => reports.has(id)).map((id) => {
      const r = reports.get(id), item = el("li");
      const link = el("a", "", `Case ${id}`);
      link.href = `/staff/reports/${id}`;
      item.append(link, `: ${r.what.join("; ") || "report"}, received ${fmt(r.created_at)}`);
      return item;
    });
    $("sign-off-list").replaceChildren(...items);
    $("sign-off-panel").hidden = items.length === 0;
  }

  function updateBanner() {
    if (mode !== "staff") return updateTitle();
    const now = Date.now();
    let urgent = 0, late = 0;
    for (const r of reports.values()) {
      if (r.status !== "new") continue;
      if (r.urgency === "urgent") urgent += 1;
      if (overdue(r, now)) late += 1;
    }
    const help = [...helps.values()].filter((h) => h.status !== "acknowledged").length;
    const parts = [];
    if (urgent) parts.push(urgent === 1 ? "1 urgent report" : `${urgent} urgent reports`);
    if (late) parts.push(`${late} overdue`);
    if (help) parts.push(help === 1 ? `1 "Get an adult" waiting` : `${help} "Get an adult" waiting`);
    const banner = $("urgent-banner");
    banner.hidden = parts.length === 0;
    banner.textContent = parts.length ? `Waiting for someone now: ${parts.join(", ")}.` : "";
    const inView = category ? [...reports.values()].filter(inCategory).length : reports.size;
    $("open-count").textContent = category ? `(${inView} of ${reports.size})` : `(${reports.size})`;
    attention = urgent + late + help;
    updateTitle();
  }

  function updateTitle() {
    if (mode === "stopped") document.title = "NOT ALERTING: log in · DSL";
    else if (looksOffline()) document.title = "OFFLINE · Worry reports";
    else if (mode === "alerts") {
      const calling = [...alerts.values()].filter((a) => a.level !== "done").length;
      document.title = calling ? `(${calling}) ALERT: log in to read · DSL` : "Alert screen · DSL";
    } else document.title = attention ? `(${attention}) URGENT · Worry reports` : "Dashboard · DSL";
  }

  // ---- the server's side panels: names, places and sign-offs ----
  function refreshPanelsSoon() {
    if (mode !== "staff" || panelsPending) return;
    panelsPending = setTimeout(async () => {
      try {
        const response = await fetch(config.urls.board, { headers: { Accept: "application/json" } });
        if (response.status === 401) return reconnect();
        if (!response.ok) return;
        const panels = await response.json();
        directory = panels.directory;
        signOff = new Set(panels.sign_off);
        reports.forEach((r, id) => dirty.add(id));
        scheduleDraw();
      } finally {
        panelsPending = null;
      }
    }, 300);
  }

  // ---- the DSL's categories: a filter over both views ----
  function inCategory(r) { return !category || (r.categories || []).includes(category); }

  async function fetchCategories(id) {
    const response = await fetch(`/staff/api/reports/${id}/categories`,
      { headers: { Accept: "application/json" } });
    if (response.status === 401) return reconnect();
    if (!response.ok || !reports.has(id)) return;
    reports.get(id).categories = (await response.json()).categories;
    dirty.add(id);
    scheduleDraw();
  }

  function chooseCategory() {
    category = categoryFilter.value;
    if (view === "closed") { closedPage = 1; loadClosed(); }
    scheduleDraw();  // the open rows, and the open count, in either view
  }

  // ---- Open and Closed views ----
  function showView(which) {
    view = which;
    $("view-open").setAttribute("aria-pressed", String(which === "open"));
    $("view-closed").setAttribute("aria-pressed", String(which === "closed"));
    $("closed-search").hidden = which !== "closed";
    $("pager").hidden = which !== "closed";
    $("rows-caption").textContent = which === "open"
      ? "Open cases, unacknowledged and urgent first" : "Closed and merged cases, latest first";
    tbody.replaceChildren();
    if (which === "open") {
      rowEls.forEach((tr, id) => dirty.add(id));
      $("empty").textContent = "No open cases.";
      scheduleDraw();
    } else loadClosed();
  }

  async function loadClosed() {
    const query = { q: closedQuery, page: closedPage };
    if (category) query.category = category;
    const url = `${config.urls.closed}?${new URLSearchParams(query)}`;
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (response.status === 401) return reconnect();
    if (!response.ok || view !== "closed") return;
    const page = await response.json();
    directory = page.directory;
    const now = Date.now();
    tbody.replaceChildren(...page.rows.map((r) => { const tr = newRow(); renderRow(tr, r, now); return tr; }));
    $("empty").textContent = closedQuery || category ? "No closed case matches."
      : "No closed cases yet.";
    $("empty").hidden = page.rows.length > 0;
    $("page-of").textContent = `Page ${page.page} of ${page.pages} `
      + `(${page.total === 1 ? "1 case" : `${page.total} cases`})`;
    $("newer").disabled = page.page <= 1;
    $("older").disabled = page.page >= page.pages;
  }

  function wireDashboard() {
    $("view-open").addEventListener("click", () => showView("open"));
    $("view-closed").addEventListener("click", () => { closedPage = 1; showView("closed"); });
    $("closed-search").addEventListener("submit", (event) => {
      event.preventDefault();
      closedQuery = $("closed-q").value.trim();
      closedPage = 1;
      loadClosed();
    });
    $("newer").addEventListener("click", () => { closedPage -= 1; loadClosed(); });
    if (categoryFilter) categoryFilter.addEventListener("change", chooseCategory);
    $("older").addEventListener("click", () => { closedPage += 1; loadClosed(); });
    tbody.addEventListener("click", (event) => {
      const button = event.target.closest("button.ack");
      if (button) post(button, `/staff/reports/${button.closest("tr").dataset.id}/acknowledge`);
    });
    $("help-list").addEventListener("click", (event) => {
      const button = event.target.closest("button.going");
      if (button) post(button, `/staff/help/${button.dataset.help}/acknowledge`);
    });
  }

  async function post(button, url) {
    button.disabled = true;
    let response = null;
    try {
      response = await fetch(url, { method: "POST",
        headers: { "X-CSRF-Token": config.csrf, Accept: "application/json" } });
    } catch (error) { /* offline: said below */ }
    button.disabled = false;
    if (response && response.status === 401) return reconnect();
    if (!response || !response.ok) {
      alert("That did not reach the server: check the connection and try again.");
    }
  }

  // ---- the alert screen: content-free alerts only ----
  let alertCursor = 0;
  let known = new Set();     // subjects already sounded on this page

  function drawAlerts() {
    const list = [...alerts.values()].filter((a) => a.level !== "done"
      || Date.now() - Date.parse(a.at) < HOUR);
    list.sort((a, b) => (a.level === "done") - (b.level === "done")
      || (b.at || "").localeCompare(a.at || ""));
    $("alert-list").replaceChildren(...list.map((a) => {
      const item = el("li", `alert-item ${a.level}`);
      item.append(el("span", "alert-time", clock(a.at)), el("span", "alert-text", a.text));
      return item;
    }));
    $("no-alerts").hidden = list.length > 0;
    updateTitle();
  }

  function onAlert(a) {
    if (mode !== "alerts" || (a.id !== null && a.id <= alertCursor)) return;
    if (a.level === "done" && !alerts.has(a.subject)) return;
    alerts.set(a.subject, a);
    drawAlerts();
    if (a.sound) {
      known.add(a.subject);
      $("alert-announce").textContent = a.text;
      Sound.chime(a.level === "urgent");
      Popups.pop(a.level === "urgent" ? "URGENT: log in to read" : "Alert: log in to read", a.text,
        a.level === "urgent");
    }
  }

  function takeAlertState(reply) {
    // Live alerts newer than the server's snapshot may have overtaken its reply: keep them.
    const newer = [...alerts.values()].filter((a) => a.id !== null && a.id > reply.cursor);
    alerts.clear();
    alertCursor = reply.cursor;
    reply.alerts.forEach((a) => alerts.set(a.subject, a));
    newer.forEach((a) => alerts.set(a.subject, a));
    const missed = reply.alerts.filter((a) => a.sound && !known.has(a.subject));
    missed.forEach((a) => known.add(a.subject));
    if (missed.length) Sound.chime(missed.some((a) => a.level === "urgent"));
    drawAlerts();
  }

  function subjectsKnown() {
    const subjects = new Set();
    reports.forEach((r) => { if (r.status === "new") subjects.add(`report:${r.id}`); });
    helps.forEach((h) => subjects.add(`help:${h.help_id}`));
    return subjects;
  }

  function becomeAlertScreen() {
    if (mode !== "staff") return;
    known = subjectsKnown();
    mode = "alerts";
    // Nothing a pupil said stays on a screen nobody is logged in to: not in the page,
    // not in the data it was served with.
    forgetContent();
    $("alert-screen").hidden = false;
    history.replaceState(null, "", config.urls.alerts);
    setConnected(connected);
  }

  function forgetContent() {
    reports.clear(); rowEls.clear(); helps.clear(); warnings.clear(); signOff.clear();
    directory = { kiosks: {}, people: {} };
    for (const key of ["rows", "help", "warnings", "directory", "sign_off"]) delete config[key];
    document.querySelectorAll("#dashboard, #dashboard-title, #dashboard-config, .bar nav, .bar form")
      .forEach((node) => node.remove());
  }

  function stopAlerting() {
    mode = "stopped";
    socket.disconnect();
    alerts.clear();
    forgetContent();
    $("alert-screen").hidden = true;
    $("stopped-screen").hidden = false;
    offline.hidden = true;
    live.dataset.state = "offline";
    live.textContent = "Not alerting";
    updateTitle();
  }

  // ---- live connection and catch-up ----
  const socket = io("/staff", { transports: ["websocket", "polling"] });

  function reconnect() {
    socket.disconnect();
    socket.connect();
  }

  // Each connection is numbered; replies on one the server has logged out are stale.
  let link = 0, loggedOutLink = 0;

  function catchUp(since) {
    const mine = link;
    socket.emit("catch_up", { since }, (reply) => {
      contact();
      if (mine !== link || mine === loggedOutLink) return;
      if (reply.alerts) {  // no login any more: this browser is an alert screen now
        becomeAlertScreen();
        return takeAlertState(reply);
      }
      if (reply.error) return reconnect();  // the login ended since this socket connected
      // Logged in again (in another tab): the dashboard, not an alert screen, is the page.
      if (mode !== "staff") return location.assign(config.urls.dashboard);
      const page = reply.notifications;
      page.forEach((n) => handle(n, true));
      if (reply.more && page.length) return catchUp(page[page.length - 1].id);
      finishCatchUp();
    });
  }

  function startCatchUp() {
    away = { reports: 0, urgent: false, help: 0 };
    catchUp(mode === "alerts" ? alertCursor : watermark);
  }

  function finishCatchUp() {
    const got = away;
    away = null;
    if (!got.reports && !got.help) return;
    Sound.chime(got.urgent);
    const note = $("away-note");
    const parts = [];
    if (got.reports) parts.push(got.reports === 1 ? "1 report" : `${got.reports.toLocaleString("en-GB")} reports`);
    if (got.help) parts.push(got.help === 1 ? `1 "Get an adult"` : `${got.help} "Get an adult"`);
    note.textContent = `While this screen was not connected: ${parts.join(" and ")} came in. All are shown below.`;
    note.hidden = false;
  }

  socket.on("connect", () => { link += 1; contact(); setConnected(true); startCatchUp(); });
  socket.on("disconnect", (reason) => {
    setConnected(false);
    // The server closed it (a login that ended): come back as whatever this browser may be.
    if (reason === "io server disconnect" && mode !== "stopped") socket.connect();
  });
  socket.on("connect_error", () => {
    if (!socket.active) return stopAlerting();  // refused: no login and no alert screen
    setConnected(false);
  });
  socket.on("logged_out", () => { loggedOutLink = link; becomeAlertScreen(); });
  socket.on("alerts_ended", () => stopAlerting());
  socket.on("notification", (n) => { contact(); handle(n, false); });
  socket.on("alert", (a) => { contact(); onAlert(a); });
  socket.io.on("ping", contact);

  // Once a second: the offline banner's clock, a link gone silent; every few seconds,
  // rows that have become overdue and how long "Get an adult" has waited.
  const RECHECK_MS = 5e3;
  let rechecked = Date.now();
  setInterval(() => {
    showOffline();
    if (connected && Date.now() - lastContact > STALE_MS) { setConnected(false); reconnect(); }
    if (mode === "staff" && Date.now() - rechecked >= RECHECK_MS) {
      rechecked = Date.now();
      recheckOverdue();
      drawHelp();
    }
  }, 1000);

  if (mode === "staff") {
    for (const r of config.rows) reports.set(r.id, r);
    for (const h of config.help) helps.set(h.help_id, h);
    for (const n of config.warnings) warnings.set(emailKey(n.payload), n);
    wireDashboard();
    draw();
    drawHelp();
    drawWarnings();
  } else {
    alertCursor = config.cursor;
    config.alerts.forEach((a) => { alerts.set(a.subject, a); if (a.sound) known.add(a.subject); });
    drawAlerts();
  }
  setConnected(false);
})();
