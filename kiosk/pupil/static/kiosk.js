// The pupil journey. Answers live only in this page's memory: nothing is written to
// storage, no history entry is made, and a reset reloads the page with location.replace.
"use strict";
(function () {
  let J = JSON.parse(document.getElementById("journey").textContent);
  const $ = (id) => document.getElementById(id);
  const main = $("main");

  // ---- speech: one audio element, first played inside a tap (iPad Safari rule) ----
  const voice = new Audio();
  voice.preload = "auto";
  let unlocked = false;
  let queue = [];

  function speak(...urls) {
    queue = urls.filter(Boolean);
    playNext();
  }
  let whenQuiet = null;  // run once the queue has finished speaking
  function playNext() {
    voice.pause();
    const url = queue.shift();
    if (!url || !unlocked) return quiet();
    voice.src = url;
    voice.play().catch(quiet);  // no speaker or audio blocked: the words are on screen
  }
  function quiet() {
    const next = whenQuiet;
    whenQuiet = null;
    if (next) next();
  }
  function afterSpeaking(fn) {
    whenQuiet = fn;
    if (voice.paused && !queue.length) quiet();
    setTimeout(() => { if (whenQuiet === fn) quiet(); }, 6000);  // never wait forever
  }
  voice.addEventListener("ended", playNext);
  function stopSpeaking() { queue = []; whenQuiet = null; voice.pause(); }
  function preload(urls) {
    for (const url of urls) if (url) { const a = new Audio(); a.preload = "auto"; a.src = url; }
  }

  // ---- state ----
  let state;
  function freshState() {
    return { page: J.flow[0], answers: {}, words: "", name: "", skipped: {}, trail: [],
             clientId: null, returnToReview: false, typing: false, wordsSource: "" };
  }

  function chosen(pageId) { return state.answers[pageId] || []; }
  function pageApplies(page) {
    if (!page.show_if.length) return true;
    return page.show_if.some((ref) => {
      const [p, t] = ref.split(":");
      return chosen(p).includes(t);
    });
  }
  function answeredPage(page) {
    if (page.kind === "text") return (page.field in state.skipped) || !!state[page.field];
    return chosen(page.id).length > 0;
  }
  function nextInFlow(fromId) {
    const start = J.flow.indexOf(fromId) + 1;
    for (const id of J.flow.slice(start)) {
      const page = J.pages[id];
      if (!pageApplies(page)) continue;
      if (state.returnToReview && page.kind !== "review" && answeredPage(page)) continue;
      return id;
    }
    return "review";
  }

  // ---- building blocks ----
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }
  function symbol(url) { return el("img", { src: url, alt: "", draggable: "false" }); }
  function setControl(id, words, visible = true) {
    const button = $(id);
    button.hidden = !visible;
    button.querySelector("img").src = words.symbol || "";
    button.querySelector("span").textContent = words.text;
    button.dataset.audio = words.audio || "";  // spoken when a switch scan highlights it
  }
  function tileButton(tile, pressed, onTap, extraClass = "") {
    const attrs = { type: "button", class: "tile " + extraClass, "data-tile": tile.id,
                    "data-audio": tile.audio, onclick: onTap };
    if (pressed !== null) attrs["aria-pressed"] = String(pressed);
    if (tile.bliss) attrs["adapt-symbol"] = String(tile.bliss);
    const label = el("span", { class: "label" }, tile.label);
    if (tile.lang) { label.lang = tile.lang; label.dir = tile.dir; }  // a language's own name
    return el("button", attrs, symbol(tile.symbol), label);
  }
  function tileGrid(page) {
    const grid = el("div", { class: "tiles count-" + page.tiles.length });
    grid.style.setProperty("--columns", page.columns);  // the rows the scan order assumes
    return grid;
  }

  // ---- pages ----
  function show(pageId, { speakPrompt = true } = {}) {
    stopTyping();
    stopVoice();
    state.page = pageId;
    const page = J.pages[pageId];
    document.body.dataset.page = pageId;
    $("prompt").textContent = page.prompt.text;
    $("note").textContent = page.note ? page.note.text : "";
    main.replaceChildren();
    main.className = "main kind-" + page.kind;
    (RENDER[page.kind] || renderChoices)(page);
    setControl("back", J.controls.back);
    $("back").disabled = state.trail.length === 0 || page.kind === "urgent";
    setControl("speak", J.controls.speak, !!KioskVoice.modeFor(pageId) && KioskVoice.supported());
    preload(page.tiles.map((t) => t.audio));
    if (speakPrompt) speak(page.prompt.audio);
    $("prompt").focus({ preventScroll: true });
    rescan();
  }

  // What a switch scans: an open message or dialog, else the page on screen.
  function rescan() {
    if (!$("pin-dialog").hidden) return;
    if (!$("hidden-screen").hidden) return KioskAccess.show(["control:unhide"]);
    if (!$("overlay").hidden) return KioskAccess.show(["control:overlay-button"]);
    if (!$("voice-dialog").hidden) {
      return KioskAccess.show(["control:voice-yes", "control:voice-no", "control:hide"]);
    }
    KioskAccess.show(J.scan[state.page]);
  }

  function go(nextId) {
    state.trail.push(state.page);
    show(nextId);
  }

  // After a tap that moves on, the tile's own words play first, then the new prompt.
  function advance(nextId, tileAudio) {
    speak(tileAudio);
    state.trail.push(state.page);
    show(nextId, { speakPrompt: false });
    queue.push(J.pages[nextId].prompt.audio);
    if (voice.paused) playNext();
  }

  function renderChoices(page) {
    const multi = page.kind === "multi";
    const grid = tileGrid(page);
    for (const tile of page.tiles) {
      const pressed = chosen(page.id).includes(tile.id);
      grid.append(tileButton(tile, pressed, () => choose(page, tile, multi)));
    }
    main.append(grid);
    if (page.kind === "start") main.append(startOptions());
    setControl("forward", J.controls.next, multi || page.kind === "start" ? multi : false);
  }

  // ---- the first page's own options: language, slower, bigger (for this pupil only) ----
  function startOptions() {
    const option = (id, words, pressed, onTap) => {
      const attrs = { type: "button", class: "option", "data-option": id,
                      "data-audio": words.audio, onclick: onTap };
      if (pressed !== null) attrs["aria-pressed"] = String(pressed);
      return el("button", attrs, symbol(words.symbol), el("span", {}, words.text));
    };
    return el("div", { class: "options" },
      option("language", J.controls.language, null, () => {
        speak(J.controls.language.audio);
        go("_language");
      }),
      option("slower", J.controls.slower, J.pupil.slower, () =>
        reload({ slower: !J.pupil.slower }, J.controls.slower.audio)),
      option("bigger", J.controls.bigger, J.pupil.bigger, () =>
        reload({ bigger: !J.pupil.bigger }, J.controls.bigger.audio)));
  }

  function renderLanguages(page) {
    const grid = tileGrid(page);
    for (const tile of page.tiles) {
      grid.append(tileButton(tile, tile.id === J.lang, () => {
        state.trail = [];
        reload({ lang: tile.id }, tile.audio);
      }));
    }
    main.append(grid);
    setControl("forward", J.controls.next, false);
  }

  // Another language or pace: fetch the journey again and start over on the first page.
  let reloading = false;
  async function reload(change, audio) {
    if (reloading) return;
    reloading = true;
    speak(audio);
    const wanted = Object.assign({ lang: J.lang, slower: J.pupil.slower, bigger: J.pupil.bigger },
                                 change);
    const query = new URLSearchParams({ lang: wanted.lang, slower: wanted.slower ? "1" : "0",
                                        bigger: wanted.bigger ? "1" : "0" });
    try {
      const response = await fetch(J.journey_url + "?" + query, { cache: "no-store" });
      if (!response.ok) throw new Error(response.status);
      useJourney(await response.json());
      afterSpeaking(() => speak(J.pages[J.flow[0]].prompt.audio));
      state.trail = [];
      show(J.flow[0], { speakPrompt: false });
    } catch (err) {
      showMessage(J.screens.problem, J.controls.done, hideOverlay);
      speak(J.screens.problem.audio);
    } finally {
      reloading = false;
    }
  }

  // The page's words, language, direction, look and input method, from journey data.
  function useJourney(data) {
    J = data;
    document.documentElement.lang = J.lang;
    document.documentElement.dir = J.dir;
    document.title = J.screens.title.text;
    const sizes = ["normal", "large", "largest"];
    const size = sizes.indexOf(J.access.text_size) + (J.pupil.bigger ? 1 : 0);
    document.body.dataset.textSize = sizes[Math.min(size, sizes.length - 1)];
    document.body.dataset.theme = J.access.theme;
    document.body.toggleAttribute("data-reduced-motion", J.access.reduced_motion);
    setControl("hide", J.controls.hide);
    setControl("get-adult", J.controls.get_adult);
    $("listen-symbol").src = J.controls.listen.symbol;
    $("listen").querySelector("span").textContent = J.controls.listen.text;
    $("listen").setAttribute("aria-label", J.controls.listen.text);
    $("listen").dataset.audio = J.controls.listen.audio;
    $("unhide-label").textContent = J.screens.hidden.text;
    KioskVoice.configure(J.voice);
    KioskAccess.configure(J.access, {
      say(url, done) { speak(url); if (done) afterSpeaking(done); },
      cue(key) { return key && J.screens[key] ? J.screens[key].audio : ""; },
      paused() { return J.screens.scan_paused; },
    });
  }

  function choose(page, tile, multi) {
    if (page.kind === "start") return advance(nextInFlow(page.id), tile.audio);
    if (multi) {
      const now = chosen(page.id);
      state.answers[page.id] = now.includes(tile.id) ? now.filter((t) => t !== tile.id)
                                                      : [...now, tile.id];
      main.querySelector(`[data-tile="${tile.id}"]`)
          .setAttribute("aria-pressed", String(state.answers[page.id].includes(tile.id)));
      return speak(tile.audio);
    }
    state.answers[page.id] = [tile.id];
    advance(tile.go || nextInFlow(page.id), tile.audio);
  }

  function renderText(page) {
    const field = page.field;
    const grid = tileGrid(page);
    for (const tile of page.tiles) {
      grid.append(tileButton(tile, null, () => {
        if (tile.opens === "text") { speak(tile.audio); return openTyping(page); }
        state[field] = "";
        state.skipped[field] = true;
        advance(nextInFlow(page.id), tile.audio);
      }));
    }
    main.append(grid);
    setControl("forward", J.controls.next, false);
    if (state[field]) openTyping(page);
  }

  function openTyping(page) {
    const field = page.field;
    const label = field === "name" ? J.screens.your_name : J.screens.typed_words;
    const input = el(field === "name" ? "input" : "textarea", {
      id: "typed", class: "typed", maxlength: String(J.limits[field]),
      autocomplete: "off", autocapitalize: field === "name" ? "words" : "sentences",
      "aria-label": label.text,
    });
    input.value = state[field];
    input.addEventListener("input", () => { state[field] = input.value; });
    const box = el("div", { class: "typing" }, el("label", { for: "typed" }, label.text), input);
    main.replaceChildren(box);
    state.typing = true;
    setControl("forward", J.controls.done);
    input.focus();
  }
  function stopTyping() { if (state) state.typing = false; }

  function renderReview(page) {
    state.returnToReview = false;
    const list = el("div", { class: "review" });
    for (const id of J.flow) {
      const p = J.pages[id];
      if (p.kind === "choice" || p.kind === "multi") {
        if (!pageApplies(p) || !chosen(id).length) continue;
        const tiles = p.tiles.filter((t) => chosen(id).includes(t.id));
        list.append(reviewRow(p, tiles.map((t) => el("span", { class: "chip" },
          symbol(t.symbol), el("span", {}, t.label))), tiles.map((t) => t.audio)));
      } else if (p.kind === "text" && state[p.field]) {
        const label = p.field === "name" ? J.screens.your_name
          : state.wordsSource ? J.screens.spoken_words : J.screens.typed_words;
        list.append(reviewRow(p, [el("span", { class: "chip words" }, symbol(label.symbol),
          el("span", {}, state[p.field]))], [label.audio]));
      }
    }
    main.append(list);
    setControl("forward", J.controls.send);
  }

  function reviewRow(page, chips, audios) {
    // The button's name is its visible label; the question it changes describes it.
    const change = el("button", { type: "button", class: "change", "data-page": page.id,
      "aria-describedby": "q-" + page.id, onclick: () => {
        speak(J.controls.change.audio);
        state.returnToReview = true;
        go(page.id);
      } }, symbol(J.controls.change.symbol), el("span", {}, J.controls.change.text));
    const heard = el("button", { type: "button", class: "answer", "data-page": page.id,
      "data-audio": page.prompt.audio, onclick: () => speak(page.prompt.audio, ...audios) },
      el("span", { class: "question", id: "q-" + page.id }, page.prompt.text), ...chips);
    return el("div", { class: "review-row" }, heard, change);
  }

  function renderUrgent() {
    main.append(el("div", { class: "message urgent" }, symbol(J.screens.help.symbol)));
    setControl("forward", J.controls.next, false);
    send();  // no questions first: the DSL must know now
  }

  const RENDER = { start: renderChoices, choice: renderChoices, multi: renderChoices,
                   text: renderText, review: renderReview, urgent: renderUrgent,
                   language: renderLanguages };

  // ---- sending ----
  function submission() {
    const answers = {};
    for (const id of Object.keys(J.pages)) {
      const p = J.pages[id];
      if ((p.kind === "choice" || p.kind === "multi") && chosen(id).length && pageApplies(p))
        answers[id] = chosen(id);
    }
    const words = state.words.trim();
    return { client_id: state.clientId, answers, words, name: state.name.trim(),
             words_source: words ? state.wordsSource : "",
             language: document.documentElement.lang.slice(0, 2) };
  }

  let sending = false;
  async function send() {
    if (sending) return;
    sending = true;
    state.clientId = state.clientId || crypto.randomUUID();  // same id on every retry
    try {
      const response = await fetch("/api/reports", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(submission()), cache: "no-store",
      });
      if (response.status !== 200 && response.status !== 201) throw new Error(response.status);
      sent();
    } catch (err) {
      failed();
    } finally {
      sending = false;
    }
  }

  function sent() {
    const anonymous = !state.name.trim();
    const urgent = state.page === "urgent";
    hideOverlay();
    state = freshState();  // forget everything the moment it is stored
    if (urgent) {          // the urgent screen stays: "go to an adult now"
      state.page = "urgent";
      document.body.dataset.sent = "yes";
      return;
    }
    const words = anonymous ? J.screens.thanks_anonymous : J.screens.thanks;
    showMessage(words, J.controls.done, resetNow);
    document.body.dataset.page = "thanks";
    speak(words.audio);
    setTimeout(resetNow, J.timing.thanks * 1000);  // the screen clears itself
  }

  function failed() {
    showMessage(J.screens.send_failed, J.controls.try_again, () => { hideOverlay(); send(); });
    speak(J.screens.send_failed.audio);
    if (state.page === "urgent") setTimeout(send, 3000);  // keep trying on its own too
  }

  // ---- overlays: thanks, help, reset warning, errors ----
  let overlayTimer = null;
  function showMessage(words, button, onButton, countdown) {
    $("overlay-symbol").src = words.symbol || "";
    $("overlay-text").textContent = words.text;
    $("overlay-count").textContent = countdown ? String(countdown) : "";
    const b = $("overlay-button");
    b.querySelector("img").src = button.symbol;
    b.querySelector("span").textContent = button.text;
    b.onclick = onButton;
    b.dataset.audio = button.audio || "";
    $("overlay").hidden = false;
    b.focus();
    rescan();
  }
  function hideOverlay() {
    $("overlay").hidden = true;
    clearInterval(overlayTimer);
    overlayTimer = null;
    rescan();
  }

  // ---- speaking an answer: listen, then always confirm ----
  const dialog = {
    open(mode, symbolUrl, text, said, no, yes) {
      $("voice-dialog").hidden = false;
      $("voice-ring").className = "ring " + mode;
      $("voice-symbol").src = symbolUrl || "";
      $("voice-text").textContent = text;
      $("voice-said").textContent = said;
      for (const [id, words] of [["voice-no", no], ["voice-yes", yes]]) {
        $(id).querySelector("img").src = words.symbol || "";
        $(id).querySelector("span").textContent = words.text;
        $(id).dataset.audio = words.audio || "";
      }
      document.body.dataset.voice = mode;
      $("voice-yes").focus();
      rescan();
    },
    close() {
      if ($("voice-dialog").hidden) return;
      $("voice-dialog").hidden = true;
      delete document.body.dataset.voice;
      $("voice-ring").style.removeProperty("--level");
      rescan();
    },
  };
  let onVoiceYes = null;
  let onVoiceNo = null;

  function stopVoice() {
    KioskVoice.stop();
    dialog.close();
  }

  $("speak").addEventListener("click", () => {
    const page = J.pages[state.page];
    const mode = KioskVoice.modeFor(page.id);
    if (!mode) return;
    let microphone;
    try {
      microphone = KioskVoice.prepare();  // inside the tap, as iPad Safari requires
    } catch (error) {
      return voiceProblem();
    }
    microphone.catch(() => {});  // reported through listen()
    dialog.open("starting", J.controls.speak.symbol, J.screens.listening.text, "",
                J.controls.back, J.controls.stop_listening);
    onVoiceNo = () => { stopVoice(); };
    onVoiceYes = () => KioskVoice.done();
    speak(J.controls.speak.audio);
    // Open the microphone only once the kiosk has stopped talking.
    afterSpeaking(() => KioskVoice.listen(page.id, {
      listening() { $("voice-ring").className = "ring listening"; },
      level(level) {
        $("voice-ring").style.setProperty("--level", Math.min(1, level * 8).toFixed(2));
      },
      partial(text) { $("voice-said").textContent = text; },
      heard(event) { heardAnswer(page, event); },
      readback(blob) {
        const url = URL.createObjectURL(blob);
        queue.push(url);
        if (voice.paused) playNext();
        setTimeout(() => URL.revokeObjectURL(url), 60000);
      },
      failed() { voiceProblem(); },
    }, microphone));
  });

  function heardAnswer(page, event) {
    if (event.status === "tile") {
      const tile = page.tiles.find((t) => t.id === event.tile);
      dialog.open("confirm", tile.symbol, J.screens.did_you_say.text, tile.label,
                  J.controls.heard_wrong, J.controls.heard_right);
      speak(J.screens.did_you_say.audio, tile.audio);
      onVoiceYes = () => {
        dialog.close();
        const multi = page.kind === "multi";
        if (multi && chosen(page.id).includes(tile.id)) return speak(tile.audio);
        choose(page, tile, multi);
      };
    } else if (event.status === "words") {
      dialog.open("confirm", J.controls.speak.symbol, J.screens.did_you_say_words.text,
                  "\u201c" + event.text + "\u201d", J.controls.heard_wrong, J.controls.heard_right);
      speak(J.screens.did_you_say_words.audio);  // the words themselves follow (readback)
      onVoiceYes = () => {
        dialog.close();
        KioskVoice.stop();
        state.words = state.words ? state.words + " " + event.text : event.text;
        state.wordsSource = event.engine;
        openTyping(page);
      };
    } else {
      dialog.close();
      showMessage(J.screens.not_heard, J.controls.done, hideOverlay);
      speak(J.screens.not_heard.audio);
      return;
    }
    onVoiceNo = () => { stopSpeaking(); stopVoice(); };
  }

  function voiceProblem() {
    dialog.close();
    showMessage(J.screens.no_microphone, J.controls.done, hideOverlay);
    speak(J.screens.no_microphone.audio);
  }
  $("voice-yes").addEventListener("click", () => onVoiceYes && onVoiceYes());
  $("voice-no").addEventListener("click", () => onVoiceNo && onVoiceNo());

  // ---- fixed controls ----
  $("back").addEventListener("click", () => {
    if (!state.trail.length) return;
    state.returnToReview = false;
    show(state.trail.pop());
  });
  function askForHelp() {
    stopVoice();
    speak(J.screens.help.audio);
    showMessage(J.screens.help, J.controls.back, hideOverlay);
    // "An adult is coming" must not stand if nobody was told (e.g. a revoked kiosk).
    fetch("/api/help", { method: "POST", cache: "no-store" })
      .then((response) => { if (!response.ok) throw new Error(response.status); })
      .catch(() => {
        showMessage(J.screens.send_failed, J.controls.try_again, askForHelp);
        speak(J.screens.send_failed.audio);
      });
  }
  $("get-adult").addEventListener("click", askForHelp);
  $("hide").addEventListener("click", hideNow);
  $("forward").addEventListener("click", () => {
    const page = J.pages[state.page];
    speak(J.controls[page.kind === "review" ? "send" : "next"].audio);
    if (page.kind === "review") return send();
    if (state.typing && page.kind === "text") state.skipped[page.field] = !state[page.field];
    go(nextInFlow(page.id));
  });
  $("listen").addEventListener("click", () => {
    const page = J.pages[state.page];
    speak(page.prompt.audio, page.note && page.note.audio);
  });

  function hideNow() {
    stopSpeaking();
    stopVoice();
    closePin();
    hideOverlay();
    state = freshState();
    $("app").hidden = true;
    $("hidden-screen").hidden = false;
    tickClock();
    rescan();
  }
  $("unhide").addEventListener("click", resetNow);

  function tickClock() {
    const now = new Date();
    $("clock").textContent = now.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  }
  setInterval(tickClock, 15000);

  function resetNow() {
    stopSpeaking();
    stopVoice();
    // replace, not assign: no history entry, nothing for Back to bring back
    location.replace(location.pathname);
  }

  // ---- privacy reset after inactivity, with a warning and "more time" ----
  let idleTimer = null;
  function armIdle() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(warnIdle, J.timing.idle * 1000);
  }
  function hasAnything() {
    return Object.keys(state.answers).length || state.words || state.name ||
           state.page !== J.flow[0] || !$("overlay").hidden;
  }
  function warnIdle() {
    closePin();  // a staff member walked away mid-PIN
    if (!hasAnything()) return armIdle();
    let left = J.timing.warning;
    speak(J.screens.reset_warning.audio);
    showMessage(J.screens.reset_warning, J.controls.more_time, () => {
      speak(J.controls.more_time.audio);
      hideOverlay();
      armIdle();
    }, left);
    overlayTimer = setInterval(() => {
      left -= 1;
      $("overlay-count").textContent = String(left);
      if (left <= 0) { clearInterval(overlayTimer); resetNow(); }
    }, 1000);
  }
  for (const type of ["pointerdown", "keydown", "input"]) {
    document.addEventListener(type, () => {
      unlocked = true;
      if ($("overlay").hidden || !overlayTimer) armIdle();
    }, { capture: true });
  }

  // ---- staff PIN: pausing the kiosk; the server decides, this only collects digits ----
  const PIN_MAX = 12;
  let pin = "";
  let pinBusy = false;
  function showPin(message) {
    $("pin-dots").textContent = "\u25cf".repeat(pin.length);
    $("pin-count").textContent = pin.length === 1 ? "1 digit typed"
      : (pin.length || "No") + " digits typed";
    if (message !== undefined) $("pin-message").textContent = message;
  }
  function openPin() {
    stopSpeaking();
    stopVoice();
    pin = "";
    showPin("");
    $("pin-dialog").hidden = false;
    KioskAccess.suspend(true);  // a staff member's keys are not a pupil's switch
    $("pin-title").focus();
  }
  function closePin() {
    if ($("pin-dialog").hidden) return;
    pin = "";
    showPin("");
    $("pin-dialog").hidden = true;
    $("staff").focus({ preventScroll: true });
    KioskAccess.suspend(false);
    rescan();
  }
  function typeDigit(digit) {
    if (pin.length < PIN_MAX) pin += digit;
    showPin();  // "N tries left" stays in view while the PIN is typed again
  }
  async function tryPin() {
    if (!pin || pinBusy) return;
    pinBusy = true;
    const typed = pin;
    pin = "";
    showPin("Checking\u2026");
    try {
      const response = await fetch("/api/kiosk/unlock", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ pin: typed }), cache: "no-store",
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok && answer.next) return location.replace(answer.next);
      showPin(answer.error || "That did not work. Try again.");
    } catch (err) {
      showPin("The kiosk cannot reach the server. Try again.");
    } finally {
      pinBusy = false;
    }
  }
  $("staff").addEventListener("click", openPin);
  for (const key of document.querySelectorAll(".pin-key[data-digit]")) {
    key.addEventListener("click", () => typeDigit(key.dataset.digit));
  }
  $("pin-clear").addEventListener("click", () => { pin = ""; showPin(""); });
  $("pin-ok").addEventListener("click", tryPin);
  $("pin-cancel").addEventListener("click", closePin);
  document.addEventListener("keydown", (event) => {
    if ($("pin-dialog").hidden) return;
    if (/^[0-9]$/.test(event.key)) {
      typeDigit(event.key);
      $("pin-ok").focus();  // so Enter means OK, not whichever key was tapped last
    }
    else if (event.key === "Backspace") { pin = pin.slice(0, -1); showPin(); }
    else if (event.key === "Enter" && event.target.tagName !== "BUTTON") tryPin();
    else if (event.key === "Escape") closePin();
    else return;
    event.preventDefault();
  });

  window.addEventListener("error", () => {
    showMessage(J.screens.problem, J.controls.done, resetNow);
  });

  // ---- start ----
  function start() {
    state = freshState();
    useJourney(J);
    show(J.flow[0], { speakPrompt: false });
    armIdle();
  }
  start();
})();
