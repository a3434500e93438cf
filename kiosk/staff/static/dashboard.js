// The live dashboard: new reports appear without reload; a dashboard that was away
// asks for everything after the last notification it saw, so nothing is missed.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const rows = document.getElementById("rows");
  const live = document.getElementById("live");
  const timeFormat = new Intl.DateTimeFormat("en-GB", { timeZone: config.timezone,
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  // Everything up to the watermark has been shown; ids above it arrive out of order
  // when a live push overtakes a catch-up reply, so they are tracked one by one.
  let watermark = config.cursor;
  const seen = new Set();
  let audio = null;

  function fmt(iso) { return iso ? timeFormat.format(new Date(iso)) : ""; }

  function fillRow(row, r) {
    row.className = `report ${r.urgency} ${r.status}`;
    row.dataset.id = r.id;
    row.dataset.created = r.created_at;
    row.dataset.due = r.due_at;
    row.querySelector(".badge").textContent = r.urgency === "urgent" ? "Urgent" : "Same day";
    row.querySelector(".reasons").textContent = r.reasons.join("; ");
    row.querySelector(".what").textContent = r.what.join("; ");
    row.querySelector(".status").textContent = r.status === "new" ? "New" : "Acknowledged";
    row.querySelector(".open").href = `/staff/reports/${r.id}`;
    row.querySelector(".ack").hidden = r.status !== "new";
    showTimes(row);
  }

  function showTimes(row) {
    for (const [cls, key] of [["received", "created"], ["due", "due"]]) {
      const t = row.querySelector(`.${cls} time`);
      t.dateTime = row.dataset[key];
      t.textContent = fmt(row.dataset[key]);
    }
  }

  function upsert(r) {
    let row = rows.querySelector(`tr[data-id="${r.id}"]`);
    const isNew = !row;
    if (isNew) {
      row = document.getElementById("row-template").content.firstElementChild.cloneNode(true);
      rows.prepend(row);
    }
    fillRow(row, r);
    document.getElementById("empty").hidden = true;
    return isNew;
  }

  function updateBanner() {
    const waiting = rows.querySelectorAll("tr.urgent.new").length;
    document.getElementById("urgent-banner").hidden = waiting === 0;
    document.getElementById("urgent-count").textContent =
      waiting === 1 ? "1 urgent report" : `${waiting} urgent reports`;
    document.title = waiting ? `(${waiting}) URGENT · Worry reports` : "Dashboard · DSL";
  }

  function handle(n) {
    if (n.id <= watermark || seen.has(n.id)) return;  // catch-up and live overlap
    seen.add(n.id);
    while (seen.has(watermark + 1)) seen.delete(++watermark);
    if (n.kind === "report.new") {
      if (upsert(n.payload)) alertStaff(n.payload.urgency === "urgent");
    } else if (n.kind === "report.acknowledged") {
      upsert(n.payload);
    } else if (n.kind === "report.escalated") {
      // Still not acknowledged: say who has been told, and alert again.
      upsert(n.payload);
      const status = rows.querySelector(`tr[data-id="${n.payload.id}"] .status`);
      status.textContent = `New: escalated to ${n.payload.role_name}, ${fmt(n.at)}`;
      alertStaff(n.payload.urgency === "urgent");
    } else if (n.kind === "kiosk.help") {
      const p = document.getElementById("help-alert");
      p.textContent = `A pupil at a kiosk pressed "Get an adult" at ${fmt(n.payload.at)}.`;
      p.hidden = false;
      alertStaff(false);
    }
    updateBanner();
  }

  // ---- sound and pop-up alerts (browsers allow them only after a click) ----
  function chime(urgent) {
    if (!audio) return;
    const notes = urgent ? [880, 660, 880, 660] : [660, 880];
    notes.forEach((freq, i) => {
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.25, audio.currentTime + i * 0.25);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + i * 0.25 + 0.22);
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + i * 0.25);
      osc.stop(audio.currentTime + i * 0.25 + 0.24);
    });
  }
  function alertStaff(urgent) {
    chime(urgent);
    if ("Notification" in window && Notification.permission === "granted") {
      // No report content in the pop-up: it may show on a locked or shared screen.
      new Notification(urgent ? "URGENT worry report" : "New worry report",
                       { body: "Open the dashboard to see it.", requireInteraction: urgent });
    }
  }
  document.getElementById("enable-alerts").addEventListener("click", async (event) => {
    audio = audio || new AudioContext();
    await audio.resume();
    if ("Notification" in window && Notification.permission === "default") {
      await Notification.requestPermission();
    }
    event.target.textContent = "Alerts are on";
    event.target.disabled = true;
    chime(false);
  });

  // ---- acknowledge from the list ----
  rows.addEventListener("click", async (event) => {
    const button = event.target.closest("button.ack");
    if (!button) return;
    const id = button.closest("tr").dataset.id;
    button.disabled = true;
    const response = await fetch(`/staff/reports/${id}/acknowledge`, {
      method: "POST", headers: { "X-CSRF-Token": config.csrf, Accept: "application/json" },
    });
    button.disabled = false;
    if (!response.ok) alert("Could not acknowledge: please reload the page and try again.");
  });

  // ---- live connection and catch-up ----
  const socket = io("/staff", { transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    live.dataset.state = "live";
    live.textContent = "Live";
    socket.emit("catch_up", { since: watermark }, (reply) => {
      (reply.notifications || []).forEach(handle);
    });
  });
  socket.on("disconnect", () => { live.dataset.state = "offline"; live.textContent = "Offline: reconnecting…"; });
  socket.on("connect_error", () => { live.dataset.state = "offline"; live.textContent = "Offline: reconnecting…"; });
  socket.on("notification", handle);

  rows.querySelectorAll("tr").forEach(showTimes);
  updateBanner();
})();
