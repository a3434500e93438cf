// Switch scanning and dwell (eye gaze, head pointer). The scan order comes from the
// server (kiosk/content/scan.py); this file only walks it, speaks each highlight and presses
// the chosen button, so switch, dwell and touch all run the same code behind a button.
"use strict";
window.KioskAccess = (function () {
  let opts = {};          // J.access from the server, plus what the kiosk passes in
  let hooks = { say() {}, cue() { return ""; } };
  let spec = [];          // the scan as sent by the server, for the surface on screen
  let entries = [];       // spec resolved to what is on screen now
  let group = null;       // index of the group scanned inside, or null at the top
  let index = 0;
  let steps = 0;          // highlights shown at this level since entering it
  let timer = null;
  let token = 0;          // a new highlight makes older timers and speech callbacks stale
  let paused = false;
  let suspended = false;
  let surfaces = 0;       // how many times a new surface was shown
  const down = {};        // key -> when it went down, for the acceptance time
  let lastPress = -Infinity;
  // Holding a switch down this long hides the screen at once, from anywhere in the scan:
  // Hide is always one press away, however far the highlight is from its button.
  const HOLD_TO_HIDE_MS = 2000;
  let holdTimer = null;
  let holdFired = false;

  const scanning = () => opts.input === "switch-auto" || opts.input === "switch-manual";
  const $ = (id) => document.getElementById(id);

  // ---- resolving the server's item references to buttons on screen ----
  function element(ref) {
    const [kind, id] = ref.split(":");
    const query = {
      control: () => $(id),
      tile: () => document.querySelector(`#main [data-tile="${CSS.escape(id)}"]`),
      option: () => document.querySelector(`[data-option="${CSS.escape(id)}"]`),
      answer: () => document.querySelector(`.answer[data-page="${CSS.escape(id)}"]`),
      change: () => document.querySelector(`.change[data-page="${CSS.escape(id)}"]`),
    }[kind];
    const el = query ? query() : null;
    return el && !el.disabled && !el.closest("[hidden]") ? el : null;
  }
  function resolve(list) {
    const out = [];
    for (const entry of list) {
      if (typeof entry === "string") {
        const el = element(entry);
        if (el) out.push({ els: [el] });
        continue;
      }
      const els = entry.items.map(element).filter(Boolean);
      if (els.length === 1) out.push({ els });
      else if (els.length) out.push({ els, group: true, cue: entry.cue });
    }
    return out;
  }

  // ---- highlight: a thick ring that stays put; never flashes ----
  function clear() {
    for (const el of document.querySelectorAll(".scan-focus, .scan-group")) {
      el.classList.remove("scan-focus", "scan-group");
    }
  }
  function level() { return group === null ? entries : entries[group].els.map((el) => ({ els: [el] })); }
  function highlight() {
    clear();
    const entry = level()[index];
    if (!entry) return;
    for (const el of entry.els) el.classList.add(entry.group ? "scan-group" : "scan-focus");
    entry.els[0].scrollIntoView({ block: "nearest" });
    const mine = ++token;
    const audio = entry.group ? (hooks.cue(entry.cue) || entry.els[0].dataset.audio)
                              : entry.els[0].dataset.audio;
    if (opts.input !== "switch-auto") return hooks.say(audio);
    const step = () => { if (mine === token) advance(); };
    const seconds = steps === 0 && group === null ? opts.first_step : opts.scan_step;
    if (!opts.wait_for_speech) {
      timer = setTimeout(step, seconds * 1000);
      return hooks.say(audio);
    }
    // The pupil gets the whole step once the words have ended: one who waits for the
    // kiosk to stop talking must not find the highlight already moving on.
    hooks.say(audio, () => { if (mine === token) timer = setTimeout(step, seconds * 1000); });
  }

  function advance() {
    clearTimeout(timer);
    const list = level();
    steps += 1;
    index = (index + 1) % list.length;
    if (opts.input === "switch-auto" && steps >= opts.scan_rounds * list.length) {
      return group === null ? pause() : leaveGroup();
    }
    if (opts.input === "switch-manual" && group !== null && index === 0) return leaveGroup();
    highlight();
  }
  function leaveGroup() {
    index = group;
    group = null;
    steps = 1;  // not the long first step again: the pupil is already scanning
    highlight();
  }
  function pause() {
    clearTimeout(timer);
    token++;
    clear();
    paused = true;
    const note = $("scan-paused");
    note.textContent = hooks.paused().text;
    note.hidden = false;
    hooks.say(hooks.paused().audio);
  }
  function restart() {
    clearTimeout(timer);
    token++;
    paused = false;
    $("scan-paused").hidden = true;
    entries = resolve(spec);
    group = null;
    index = 0;
    steps = 0;
    clear();
    if (!scanning() || suspended || !entries.length) return;
    // The page's question is heard first; the first highlight's words come after it.
    const mine = ++token;
    if (hooks.afterSpeech) hooks.afterSpeech(() => { if (mine === token) highlight(); });
    else highlight();
  }

  function choose() {
    if (paused) return restart();
    const entry = level()[index];
    if (!entry) return restart();
    if (entry.group) {
      clearTimeout(timer);
      group = index;
      index = 0;
      steps = 0;
      return highlight();
    }
    clearTimeout(timer);
    token++;
    clear();
    const surface = surfaces;
    entry.els[0].click();
    // A button that changed the page has started a new scan; one that did not (a tile
    // on a many-answer page) starts this page's scan over.
    setTimeout(() => { if (!suspended && surface === surfaces) restart(); }, 0);
  }

  // ---- switches arrive as keys; act on release, after the acceptance time ----
  function ours(event) {
    if (!scanning() || suspended) return false;
    if (event.target.matches && event.target.matches("input, textarea")) return false;
    return event.key === keyName(opts.move_key) || event.key === keyName(opts.choose_key);
  }
  function keyName(name) { return name === "Space" ? " " : name; }
  function onKeyDown(event) {
    if (!ours(event)) return;
    event.preventDefault();  // not the focused button's own Space/Enter click
    if (event.repeat) return;
    down[event.key] = performance.now();
    clearTimeout(holdTimer);
    holdFired = false;
    holdTimer = setTimeout(() => {
      holdFired = true;
      clearTimeout(timer);
      token++;
      clear();
      if (hooks.hide) hooks.hide();
    }, HOLD_TO_HIDE_MS);
  }
  function onKeyUp(event) {
    if (!ours(event)) return;
    event.preventDefault();
    const now = performance.now();
    const held = now - (down[event.key] ?? now);
    delete down[event.key];
    clearTimeout(holdTimer);
    if (holdFired) { holdFired = false; return; }  // that press was Hide, nothing more
    if (held < opts.accept_ms) return;                 // a brush, not a press
    if (now - lastPress < opts.debounce_ms) return;   // a tremor's second bounce
    lastPress = now;
    if (opts.input === "switch-manual" && event.key === keyName(opts.move_key)) {
      if (paused) return restart();
      return advance();
    }
    choose();  // one switch scanning: any switch chooses the highlight
  }

  // ---- dwell: rest the pointer on a button; a ring fills; moving away cancels ----
  let dwellEl = null;
  let dwellStart = 0;
  let dwellTimer = null;
  let restRect = null;  // after a choice, the pointer must leave that place first
  function dwellTarget(event) {
    const el = event.target.closest && event.target.closest("button");
    // Staff controls (the corner's PIN pad) are never chosen by a resting gaze.
    return el && !el.disabled && !el.closest("[hidden], [data-no-dwell]") ? el : null;
  }
  function stopDwell() {
    clearInterval(dwellTimer);
    dwellTimer = null;
    dwellEl = null;
    $("dwell-ring").hidden = true;
  }
  function onPointerMove(event) {
    if (opts.input !== "dwell" || suspended) return;
    if (restRect) {
      const r = restRect;
      if (event.clientX >= r.left && event.clientX <= r.right &&
          event.clientY >= r.top && event.clientY <= r.bottom) return;
      restRect = null;
    }
    const el = dwellTarget(event);
    if (el === dwellEl) return;
    stopDwell();
    if (!el) return;
    dwellEl = el;
    dwellStart = performance.now();
    const ring = $("dwell-ring");
    const rect = el.getBoundingClientRect();
    ring.style.left = `${rect.left + rect.width / 2}px`;
    ring.style.top = `${rect.top + rect.height / 2}px`;
    ring.style.setProperty("--progress", "0");
    ring.hidden = false;
    dwellTimer = setInterval(() => {
      const progress = (performance.now() - dwellStart) / opts.dwell_ms;
      ring.style.setProperty("--progress", Math.min(1, progress).toFixed(3));
      if (progress < 1) return;
      const chosen = dwellEl;
      restRect = chosen.getBoundingClientRect();
      stopDwell();
      chosen.click();
    }, 50);
  }

  window.addEventListener("keydown", onKeyDown, { capture: true });
  window.addEventListener("keyup", onKeyUp, { capture: true });
  document.addEventListener("pointermove", onPointerMove);
  document.addEventListener("pointerleave", stopDwell);

  return {
    // access: J.access; say(url, done) speaks; cue(key) -> audio; paused() -> words
    configure(access, callbacks) {
      opts = Object.assign({}, access);
      hooks = callbacks;
      document.body.dataset.input = opts.input;
    },
    // A new surface is on screen (a page, a message, a dialog): scan it from the top.
    show(scanSpec) {
      surfaces += 1;
      spec = scanSpec || [];
      restart();
    },
    suspend(on) {
      suspended = on;
      clearTimeout(holdTimer);
      if (on) { clearTimeout(timer); token++; clear(); stopDwell(); } else restart();
    },
  };
})();
