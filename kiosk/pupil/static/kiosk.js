// The pupil journey. Answers live only in this page's memory: nothing is written to
// storage, no history entry is made, and a reset reloads the page with location.replace.
// A report the server has not stored yet is kept in memory too, and sent again until it
// is: while one is on its way a reset clears the screen but does not reload the page.
"use strict";
(function () {
  let J = JSON.parse(document.getElementById("journey").textContent);
  const $ = (id) => document.getElementById(id);
  const main = $("main");

  // ---- speech: the audio element speaking now, first played inside a tap (iPad Safari
  // rule); what follows a tap's words (the next question) is said by the same element ----
  function player() {
    const element = new Audio();
    element.preload = "auto";
    element.addEventListener("ended", () => { if (element === voice) playNext(); });
    return element;
  }
  let voice = player();
  let unlocked = false;
  let queue = [];
  // Speech in the smallest kind this browser says it plays (Opus, else MP3 for older
  // iPad Safari), else the WAV every browser plays; the server encodes each phrase once.
  const AUDIO_AS = [["opus", 'audio/ogg; codecs="opus"'], ["mp3", "audio/mpeg"]]
    .filter(([, type]) => voice.canPlayType(type)).map(([name]) => name)[0] || "";
  // Only the server's phrases: a pupil's words read back are a blob: URL, played as it is.
  const phraseUrl = /\/audio\/\w+\.wav$/;
  const audioUrl = (url) => (AUDIO_AS && phraseUrl.test(url) ? `${url}?as=${AUDIO_AS}` : url);

  function speak(...urls) {
    queue = urls.filter(Boolean);
    playNext();
  }
  let whenQuiet = null;  // run once the queue has finished speaking
  function playNext() {
    voice.pause();
    const url = queue.shift();
    if (!url || !unlocked) return quiet();
    const loaded = tapped && ready.get(url);
    if (loaded && !loaded.error) {  // loaded already: no media player to make first
      ready.delete(url);
      spare.push(voice);
      voice = loaded;
    } else {
      voice.src = audioUrl(url);
    }
    voice.dataset.phrase = url;  // the journey's URL for it (src has the format added)
    voice.play().catch(quiet);  // no speaker or audio blocked: the words are on screen
  }

  // The first words each tap on the page can say (a tile's own, or the question Next
  // leads to) wait loaded in an element each, made once the page's own words have
  // started: a tap plays one that is ready. Setting a new src makes a new media player,
  // the slowest step between a tap and its words, and it waited behind the next page
  // being drawn. Only a real tap plays them: iPad Safari lets an element play the first
  // time only inside one. Dwell and switches press buttons for the pupil (not a tap to
  // the browser), so their words go on in the element speaking already.
  const ready = new Map();  // phrase URL -> an element loaded with it
  const spare = [];         // elements done with, let go of when the next page is ready
  let tapped = false;
  document.addEventListener("click", (event) => {
    if (!event.isTrusted) return;
    tapped = true;  // for this tap's own handlers only
    setTimeout(() => { tapped = false; }, 0);
  }, true);
  function getReady(urls) {
    const wanted = new Set(urls.filter((url) => url && phraseUrl.test(url)));
    for (const [url, element] of ready) {
      if (!wanted.has(url)) { ready.delete(url); spare.push(element); }
    }
    for (const element of spare.splice(0)) {
      if (element === voice) continue;
      element.removeAttribute("src");
      element.load();  // its media player goes now, not whenever it is collected
    }
    for (const url of wanted) {
      if (ready.has(url)) continue;
      const element = player();
      element.src = audioUrl(url);
      ready.set(url, element);
    }
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
  function stopSpeaking() { queue = []; whenQuiet = null; voice.pause(); }
  // The page's tap words are made ready (above) and the rest of what may be said later is
  // fetched once into the HTTP cache (the server caches it a year), at low priority: only
  // once the page's own words have started, as elements made at the moment of a tap held
  // up the words that tap had just asked for. Compressed, every page's question and the
  // controls are small enough to fetch ahead too; WAV keeps to the page's own tap words.
  const fetched = new Set();
  let shows = 0;
  function preload(urls) {
    const ahead = AUDIO_AS ? Object.values(J.pages).map((p) => p.prompt && p.prompt.audio)
      .concat(Object.values(J.controls).map((c) => c.audio)) : [];
    const todo = ahead.filter((url) => url && !fetched.has(url) && !urls.includes(url));
    todo.forEach((url) => fetched.add(url));
    const shown = ++shows;
    let done = false;
    const fetchAll = () => {  // once, whichever comes first
      if (done) return;
      done = true;
      if (shown === shows) getReady(urls);  // only for the page still on screen
      for (const url of todo.splice(0)) {
        fetch(audioUrl(url), { priority: "low" }).then((r) => r.arrayBuffer())
          .catch(() => fetched.delete(url));
      }
    };
    if (voice.paused) return fetchAll();
    voice.addEventListener("playing", fetchAll, { once: true });
    setTimeout(fetchAll, 1000);  // the words may never start (no speaker): fetch anyway
  }

  // Pages are found by the kind content gives them, never by id: a school may rename them.
  const pageOfKind = (kind) => Object.keys(J.pages).find((id) => J.pages[id].kind === kind);
  const isUrgent = (pageId) => !!J.pages[pageId] && J.pages[pageId].kind === "urgent";

  // ---- state ----
  let state;
  function freshState() {
    return { page: J.flow[0], answers: {}, words: "", name: "", skipped: {}, trail: [],
             sending: null, returnToReview: false, typing: false, wordsSource: "",
             about: "",  // "someone_else": the worry is about another child
             seen: {},  // pages shown: "Tell us more" offers only the others
             heardBack: {} };  // field -> { text, url }: typed words, spoken for the review
  }

  // A page as this pupil sees it: in the wording for a worry about another child when
  // that is what they chose (same tiles and answers; only the words change).
  function pageFor(pageId) {
    const page = J.pages[pageId];
    const other = state && state.about === "someone_else" && page && page.someone_else;
    if (!other) return page;
    return Object.assign({}, page, {
      prompt: other.prompt || page.prompt,
      note: other.note || page.note,
      tiles: page.tiles.map((t) => Object.assign({}, t, other.tiles[t.id] || {})),
    });
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
      if (state.returnToReview && page.kind !== "review" &&
          (answeredPage(page) || state.seen[id])) continue;
      return id;
    }
    return pageOfKind("review");
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
    const page = pageFor(pageId);
    document.body.dataset.page = pageId;
    document.body.dataset.about = state.about || "self";
    state.seen[pageId] = true;
    $("prompt").textContent = page.prompt.text;
    $("note").textContent = page.note ? page.note.text : "";
    main.replaceChildren();
    main.className = "main kind-" + page.kind;
    (RENDER[page.kind] || renderChoices)(page);  // the urgent page sets its own note
    setControl("back", J.controls.back);
    $("back").disabled = state.trail.length === 0 || page.kind === "urgent";
    setControl("speak", J.controls.speak, !!KioskVoice.modeFor(pageId) && KioskVoice.supported());
    if (speakPrompt) speak(...spokenPrompt(page));
    preload(tapWords(page));
    $("prompt").focus({ preventScroll: true });
    rescan();
  }

  // What a switch scans: an open message or dialog, else the page on screen.
  function rescan() {
    if (!$("pin-dialog").hidden) return;
    if (!$("hidden-screen").hidden) return KioskAccess.show(["control:unhide"]);
    if (!$("overlay").hidden) {  // Get an adult and Hide stay usable over any message
      return KioskAccess.show(["control:overlay-button", "control:get-adult", "control:hide"]);
    }
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
    queue.push(...spokenPrompt(pageFor(nextId)).filter(Boolean));
    if (voice.paused) playNext();
  }

  // The first words a tap on this page can say: each tile's own, and where Next is
  // offered the question of each page it may lead to (those whose show_if may hold, up
  // to the first that always applies).
  function tapWords(page) {
    const words = page.tiles.map((t) => t.audio);
    if (!["multi", "text", "body"].includes(page.kind)) return words;
    const after = [nextInFlow(page.id), ...J.flow.slice(J.flow.indexOf(page.id) + 1)];
    for (const id of after) {
      const next = pageFor(id);
      if (!next || next.kind === "urgent") continue;
      if (!words.includes(next.prompt.audio)) words.push(next.prompt.audio);
      if (!next.show_if.length || words.length > page.tiles.length + 3) break;
    }
    return words;
  }

  // What a page says when it opens. The urgent page's words follow its report: "sending"
  // until the server has stored it, "told" only after (never "we are telling them" before).
  function spokenPrompt(page) {
    if (page.kind === "urgent") return [urgentWords().audio];
    if (page.kind === "review") return [page.prompt.audio, ...reviewAudio()];
    return [page.prompt.audio, page.kind === "multi" && page.note ? page.note.audio : ""];
  }

  function renderChoices(page) {
    const multi = page.kind === "multi";
    const grid = tileGrid(page);
    for (const tile of page.tiles) {
      if (tile.opens === "hearing_back" && !J.pages[HEARING_PAGE]) continue;
      const pressed = chosen(page.id).includes(tile.id);
      grid.append(tileButton(tile, pressed, () => choose(page, tile, multi)));
    }
    main.append(grid);
    if (page.kind === "start") main.append(startOptions());
    if (page.send_now && J.controls.send_now) {
      // A place in the grid after the tiles (the server lays the rows out with it).
      grid.append(sendNowButton());
      grid.className = "tiles count-" + Math.min(page.tiles.length + 1, 5);
    }
    setControl("forward", J.controls.next, multi || page.kind === "start" ? multi : false);
  }

  // "Send now": the review at once, with what is answered so far; the questions after
  // this one are offered there, not asked first.
  function sendNowButton() {
    const words = J.controls.send_now;
    return el("button", {
      type: "button", id: "send-now", class: "control forward send-now",
      "data-audio": words.audio, onclick: () => { speak(words.audio); go(pageOfKind("review")); },
    }, symbol(words.symbol), el("span", {}, words.text));
  }

  // The first question the pupil has not met yet (in the flow, before the review).
  function firstUnmet() {
    return J.flow.find((id) => {
      const p = J.pages[id];
      return ["choice", "multi", "text", "body"].includes(p.kind) && pageApplies(p) &&
        !state.seen[id] && !answeredPage(p);
    });
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
      afterSpeech(fn) { afterSpeaking(fn); },  // the page's question before any highlight
      hide() { if ($("hidden-screen").hidden) hideNow(); },  // a switch held down
    });
  }

  // A choice that sends an urgent report at once, made by scanning or dwell (where a
  // pause or a glance can choose the wrong thing), is checked once, spoken, first.
  function checkUrgent(page, tile, multi) {
    const words = state.about === "someone_else" && J.screens.check_urgent_other
      ? J.screens.check_urgent_other : J.screens.check_urgent;
    if (!words || J.access.input === "touch" || !isUrgent(tile.go)) return false;
    dialog.open("confirm", tile.symbol, words.text, tile.label, J.controls.heard_wrong,
                J.controls.heard_right);
    speak(words.audio, tile.audio);
    onVoiceYes = () => { dialog.close(); choose(page, tile, multi, true); };
    onVoiceNo = () => { stopSpeaking(); dialog.close(); };
    return true;
  }

  function choose(page, tile, multi, checked = false) {
    if (!checked && checkUrgent(page, tile, multi)) return;
    if (page.kind === "start" && tile.opens === "hearing_back") {
      speak(tile.audio);
      state.code = [];
      return go(HEARING_PAGE);
    }
    if (page.kind === "start") {
      state.about = tile.about || "";
      return advance(nextInFlow(page.id), tile.audio);
    }
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

  // Switch scanning cannot type (each press would go into the box): a tile that opens
  // a text box is not offered; speaking (where it is on) and skipping still are.
  const scanningInput = () => ["switch-auto", "switch-manual"].includes(J.access.input);

  function renderText(page) {
    const field = page.field;
    const grid = tileGrid(page);
    for (const tile of page.tiles) {
      if (tile.opens === "text" && scanningInput()) continue;
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

  // The typed words as speech, fetched as the pupil finishes typing, for the review to
  // read out with the rest (a pupil who cannot read hears what they wrote). Kept only in
  // this page's memory, as the words are.
  async function readBack(field) {
    const text = (state[field] || "").trim();
    if (!text || (state.heardBack[field] && state.heardBack[field].text === state[field])) return;
    const mine = state;
    try {
      const response = await fetch("/api/read-back", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text, language: J.lang, slower: J.pupil.slower }) });
      if (!response.ok) return;  // the words stay on screen; the review reads the label
      const url = URL.createObjectURL(await response.blob());
      if (state !== mine) return URL.revokeObjectURL(url);  // cleared meanwhile
      const old = state.heardBack[field];
      if (old) URL.revokeObjectURL(old.url);
      state.heardBack[field] = { text: mine[field], url };
    } catch (err) {
      // no answer: the review reads the label only
    }
  }

  function renderReview(page) {
    state.returnToReview = false;
    reviewSpoken = [];
    const list = el("div", { class: "review" });
    const first = pageFor(J.flow[0]);
    const aboutTile = first.tiles.find((t) => t.about && t.about === state.about);
    if (aboutTile) {  // who it is about comes first: the DSL reads every answer by it
      const asked = J.screens.review_about || first.prompt;
      list.append(reviewRow(Object.assign({}, first, { prompt: asked }), [el("span", { class: "chip about" }, symbol(aboutTile.symbol),
        el("span", {}, aboutTile.label))], [aboutTile.audio]));
    }
    for (const id of J.flow) {
      const p = pageFor(id);
      if (p.kind === "choice" || p.kind === "multi") {
        if (!pageApplies(p) || !chosen(id).length) continue;
        const tiles = p.tiles.filter((t) => chosen(id).includes(t.id));
        list.append(reviewRow(p, tiles.map((t) => el("span", { class: "chip" },
          symbol(t.symbol), el("span", {}, t.label))), tiles.map((t) => t.audio)));
      } else if (p.kind === "body" && pageApplies(p) && chosen(id).length) {
        // The places shown on the body picture, by name (the picture is the symbol).
        const places = p.places.filter((place) => chosen(id).includes(place.id));
        list.append(reviewRow(p, places.map((place) => el("span", { class: "chip place-chip" },
          el("span", {}, place.text))), places.map((place) => place.audio)));
      } else if (p.kind === "text" && state[p.field]) {
        const label = p.field === "name" ? J.screens.your_name
          : state.wordsSource ? J.screens.spoken_words : J.screens.typed_words;
        const back = state.heardBack[p.field];
        const ownWords = back && back.text === state[p.field] ? back.url : "";
        list.append(reviewRow(p, [el("span", { class: "chip words" }, symbol(label.symbol),
          el("span", {}, state[p.field]))], [label.audio, ownWords]));
      }
    }
    main.append(list);
    const unmet = firstUnmet();
    if (unmet && J.controls.tell_more) {
      const words = J.controls.tell_more;
      // At the end of the review's list: it scrolls with the answers it follows.
      list.append(el("div", { class: "send-early" }, el("button", {
        type: "button", id: "tell-more", class: "control tell-more", "data-audio": words.audio,
        onclick: () => { speak(words.audio); state.returnToReview = true; go(unmet); },
      }, symbol(words.symbol), el("span", {}, words.text))));
    }
    setControl("forward", J.controls.send);
  }

  // What the review reads out when it opens: each question, then its answers.
  let reviewSpoken = [];
  function reviewAudio() { return reviewSpoken; }

  function reviewRow(page, chips, audios) {
    reviewSpoken.push(page.prompt.audio, ...audios);
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
    $("note").textContent = urgentWords().text;
  }

  // ---- hearing back: three pictures with the thank-you; pressed later at any kiosk ----
  // The server keeps only a hash of them and answers only what the DSL chose on the case
  // ("read", "talk"), "waiting", "unknown", or "locked" after too many wrong tries here.
  const HEARING_PAGE = "_hearing";

  function renderHearing(page) {
    state.code = state.code || [];
    const slots = el("div", { class: "code code-slots", "aria-live": "polite" });
    const fill = () => slots.replaceChildren(...[0, 1, 2].map((i) => {
      const picture = page.tiles.find((t) => t.id === state.code[i]);
      return el("span", { class: "code-picture" + (picture ? "" : " empty") },
                picture ? symbol(picture.symbol) : null,
                picture ? el("span", {}, picture.label) : null);
    }));
    fill();
    const grid = tileGrid(page);
    for (const tile of page.tiles) {
      grid.append(tileButton(tile, null, () => {
        if (state.code.length >= 3 || state.checking) return;
        state.code.push(tile.id);
        speak(tile.audio);
        fill();
        if (state.code.length === 3) checkCode(state.code.slice());
      }));
    }
    main.append(slots, grid);
    setControl("forward", J.controls.next, false);
  }

  async function checkCode(code) {
    state.checking = true;
    const mine = state;
    let status = "problem";
    try {
      const response = await post("/api/hearing-back", JSON.stringify({ code }));
      const answer = await response.json().catch(() => null);
      if (answer && answer.status) status = answer.status;
    } catch (err) {
      // no answer: say so plainly; nothing was learned
    }
    if (state !== mine) return;  // hidden or reset meanwhile
    state.checking = false;
    const said = J.hearing_back || {};
    const words = said[status] || J.screens.problem;
    afterSpeaking(() => speak(words.audio));
    if (status === "unknown") {  // try again, with the pictures cleared
      return showMessage(words, J.controls.try_again, () => {
        state.code = [];
        hideOverlay();
        show(HEARING_PAGE);
      }, null, "heard");
    }
    showMessage(words, J.controls.done, resetNow, null, "heard");
  }

  // The thank-you's pictures: shown big, said twice, kept on screen a little longer.
  function showCode(ids) {
    const box = $("overlay-code");
    const said = J.hearing_back;
    const page = J.pages[HEARING_PAGE];
    const pictures = said && page
      ? (ids || []).map((id) => page.tiles.find((t) => t.id === id)).filter(Boolean) : [];
    box.hidden = pictures.length !== 3;
    if (box.hidden) return box.replaceChildren();
    box.replaceChildren(el("p", { class: "code-note" }, said.remember.text),
      el("div", { class: "code-row" }, ...pictures.map((p) => el("span", { class: "code-picture" },
        symbol(p.symbol), el("span", {}, p.label)))));
    const names = pictures.map((p) => p.audio);
    queue.push(said.remember.audio, ...names, ...names);
    if (voice.paused) playNext();
  }

  const RENDER = { start: renderChoices, choice: renderChoices, multi: renderChoices,
                   text: renderText, review: renderReview, urgent: renderUrgent,
                   language: renderLanguages, hearing: renderHearing,
                   // "Show me where" (body_page.js): places on a picture, any number.
                   body: (page) => KioskBodyPage.render(page, {
                     el, main, speak, chosen: () => chosen(page.id),
                     set: (ids) => { state.answers[page.id] = ids; },
                     showNext: () => setControl("forward", J.controls.next) }) };

  // A screen string, or another when content written before it was added lacks it.
  function screen(key, fallback) { return J.screens[key] || J.screens[fallback]; }

  // ---- sending: a report stays in this page's memory until the server has stored it ----
  // Never in localStorage or the like: a report waiting here is gone only if the page is
  // closed. Each report keeps one client id, so however often it is sent it is stored once.
  const outbox = [];  // reports not stored yet, oldest first: { body, urgent, anonymous, onScreen, stage }
  let outboxTries = 0;  // failed tries of the oldest one, for the backoff
  let outboxTimer = null;
  let outboxBusy = false;
  const TRY_SECONDS = 20;  // a request with no answer by then is tried again (same id)

  // A random (version 4) UUID. crypto.randomUUID exists only on HTTPS or localhost;
  // getRandomValues works on any origin, so a kiosk at http://SERVER:5000 sends too.
  function newClientId() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;  // version 4
    b[8] = (b[8] & 0x3f) | 0x80;  // the RFC 4122 variant
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20),
            hex.slice(20)].join("-");
  }

  // Seconds before try n+1: 1, 2, 4, 8, then 15 at most, each a little early or late so
  // kiosks that lost the server together do not all come back in the same instant.
  function retryDelay(tries) {
    const seconds = Math.min(15, 2 ** Math.max(0, tries - 1));
    return Math.min(15, seconds * (0.8 + Math.random() * 0.4)) * 1000;
  }

  // A refusal that sending again will not change (a bad report, a kiosk no longer enrolled).
  function refusedForGood(status) {
    return status >= 400 && status < 500 && ![408, 425, 429].includes(status);
  }

  function post(url, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TRY_SECONDS * 1000);
    const headers = body ? { "Content-Type": "application/json" } : {};
    return fetch(url, { method: "POST", headers, body, cache: "no-store",
                        signal: controller.signal })
      .finally(() => clearTimeout(timer));
  }

  function submission(clientId) {
    const answers = {};
    for (const id of Object.keys(J.pages)) {
      const p = J.pages[id];
      if (["choice", "multi", "body"].includes(p.kind) && chosen(id).length && pageApplies(p))
        answers[id] = chosen(id);  // a body page's answers are its places' ids
    }
    const words = state.words.trim();
    return { client_id: clientId, answers, words, name: state.name.trim(),
             words_source: words ? state.wordsSource : "", about: state.about,
             language: document.documentElement.lang.slice(0, 2) };
  }

  // Send pressed (or the urgent page opened): the report is fixed now and queued.
  function send() {
    if (state.sending) {  // pressed again: show where it is and try at once
      if (!state.sending.urgent) showSending(state.sending);
      return sendNow();
    }
    const item = { body: JSON.stringify(submission(newClientId())), urgent: isUrgent(state.page),
                   anonymous: !state.name.trim(), onScreen: true, stage: "sending" };
    state.sending = item;
    outbox.push(item);
    if (!item.urgent) showSending(item);
    sendNow();
  }

  function sendNow() {
    outboxTries = 0;
    trySending();
  }

  async function trySending() {
    clearTimeout(outboxTimer);
    outboxTimer = null;
    if (outboxBusy || !outbox.length) return;
    outboxBusy = true;
    document.body.dataset.outbox = "sending";
    const item = outbox[0];
    let answer = null;
    let refused = false;
    try {
      const response = await post("/api/reports", item.body);
      if (response.status === 200 || response.status === 201) {
        answer = await response.json().catch(() => ({}));
      } else {
        refused = refusedForGood(response.status);
      }
    } catch (err) {
      // no answer (server down, network gone, timed out): try again below
    }
    outboxBusy = false;
    if (answer || refused) {
      outbox.shift();
      outboxTries = 0;
      if (answer) stored(item, answer);
      else notStored(item);
      if (outbox.length) return trySending();
      delete document.body.dataset.outbox;
      return reloadIfWanted();
    }
    outboxTries += 1;
    document.body.dataset.outbox = "waiting";
    notYet(item);
    outboxTimer = setTimeout(trySending, retryDelay(outboxTries));
  }

  // The server has it. Only the pupil who sent it is told, and only if they are still here.
  function stored(item, answer) {
    item.stage = "told";
    if (!item.onScreen) return;  // hidden or reset since: say nothing to whoever is here now
    const urgent = item.urgent;
    state = freshState();  // forget everything the moment it is stored
    if (urgent) {          // the urgent screen stays: "go to an adult now"
      state.page = pageOfKind("urgent");
      document.body.dataset.sent = "yes";
      return urgentSays();
    }
    const today = answer.told === "today";  // not known: never promise more than is true
    const words = item.anonymous
      ? (today ? J.screens.thanks_anonymous : screen("thanks_anonymous_next_day", "thanks_anonymous"))
      : (today ? J.screens.thanks : screen("thanks_next_day", "thanks_anonymous"));
    const code = answer.hearing_code;
    if (helpOnScreen()) return (afterHelp = () => showThanks(words, code));
    showThanks(words, code);
  }

  let thanksTimer = null;
  const CODE_SECONDS = 45;  // long enough to say the pictures over and remember them
  function showThanks(words, code) {
    showMessage(words, J.controls.done, resetNow, null, "thanks");
    document.body.dataset.page = "thanks";
    speak(words.audio);
    showCode(code);
    clearTimeout(thanksTimer);
    const seconds = $("overlay-code").hidden ? J.timing.thanks
      : Math.max(J.timing.thanks, CODE_SECONDS);
    thanksTimer = setTimeout(resetNow, seconds * 1000);  // the screen clears itself
  }

  // Sending again would not help: say so plainly, once.
  function notStored(item) {
    item.stage = "refused";
    if (!item.onScreen) return;
    if (!item.urgent) state = freshState();
    else urgentSays();
    if (helpOnScreen()) return;
    showMessage(J.screens.problem, J.controls.done, item.urgent ? hideOverlay : resetNow, null,
                "problem");
    speak(J.screens.problem.audio);
  }

  // No answer yet: it is kept and tried again; the pupil hears so once, not every try.
  function notYet(item) {
    const first = item.stage === "sending";
    item.stage = "not_sent";
    if (!item.onScreen) return;
    if (item.urgent) return first && urgentSays();
    if (helpOnScreen() || overlayKind() === "reset") return;
    if (first || overlayKind() !== "not_sent") showSending(item);
  }

  function showSending(item) {
    if (item.stage === "sending") {
      const words = screen("sending", "send_failed");
      showMessage(words, null, null, null, "sending");
      // Said only when it takes a while: a quick send goes straight to the thank-you.
      return setTimeout(() => {
        if (item.stage === "sending" && item.onScreen && overlayKind() === "sending") {
          speak(words.audio);
        }
      }, 1500);
    }
    showMessage(J.screens.send_failed, J.controls.try_again, () => {
      speak(J.controls.try_again.audio);
      sendNow();
    }, null, "not_sent");
    speak(J.screens.send_failed.audio);
  }

  // The urgent page's words for where its report is: sending, not sent yet, or told.
  function urgentWords() {
    const stage = state.sending ? state.sending.stage : (document.body.dataset.sent ? "told" : "sending");
    if (stage === "told") return screen("urgent_told", "help");
    if (stage === "refused") return J.screens.problem;
    return stage === "not_sent" ? screen("urgent_not_sent", "send_failed")
                                : screen("urgent_sending", "send_failed");
  }
  function urgentSays() {
    if (!isUrgent(state.page)) return;
    const words = urgentWords();
    $("note").textContent = words.text;
    sayInstead(words.audio, [screen("urgent_sending", "send_failed").audio]);
  }

  // Speak `url` in place of older news still waiting in the queue, else after what is
  // being said now, so "sending" is never heard after "told".
  function sayInstead(url, older) {
    const waiting = queue.findIndex((queued) => older.includes(queued));
    if (waiting >= 0) return (queue[waiting] = url);
    if (!voice.paused && older.includes(voice.dataset.phrase)) return speak(url);
    queue.push(url);
    if (voice.paused) playNext();
  }

  // Reports or a call for help still on their way: the page must not reload yet.
  function busy() { return outbox.length > 0 || help.waiting; }

  // ---- overlays: thanks, help, reset warning, errors ----
  let overlayTimer = null;
  function overlayKind() { return $("overlay").hidden ? "" : $("overlay").dataset.kind; }
  function showMessage(words, button, onButton, countdown, kind = "") {
    if (overlayTimer) {  // news (a thank-you, help) replaces the reset warning and its count
      clearInterval(overlayTimer);
      overlayTimer = null;
      armIdle();
    }
    $("overlay").dataset.kind = kind;
    $("overlay-symbol").src = words.symbol || "";
    $("overlay-text").textContent = words.text;
    $("overlay-count").textContent = countdown ? String(countdown) : "";
    const b = $("overlay-button");
    b.hidden = !button;  // "sending" has nothing to press: it goes on by itself
    if (button) {
      b.querySelector("img").src = button.symbol;
      b.querySelector("span").textContent = button.text;
      b.dataset.audio = button.audio || "";
    }
    b.onclick = onButton;
    $("overlay").hidden = false;
    (button ? b : $("overlay-text")).focus();
    rescan();
  }
  function hideOverlay() {
    $("overlay").hidden = true;
    $("overlay-code").hidden = true;
    $("overlay-code").replaceChildren();  // the pictures are for the pupil who sent it
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
    const page = pageFor(state.page);
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
        choose(page, tile, multi, true);  // the pupil has just said yes to it
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
  // ---- "Get an adult": each screen says only what is true so far ----
  // telling (pressed) -> told (the server has it) -> coming (an adult said "I'm going");
  // or: not reached anyone yet (tried again by itself, as a report is).
  const HELP_POLL_MS = 3000;
  const help = { waiting: false, busy: false, tries: 0, timer: null, id: null, poll: null,
                 stage: "" };
  let afterHelp = null;  // a thank-you that arrived while the help screen was open

  function askForHelp() {
    stopVoice();
    help.waiting = true;
    help.tries = 0;
    showHelp(help.stage === "not_sent" ? "not_sent" : "telling");
    postHelp();
  }

  async function postHelp() {
    clearTimeout(help.timer);
    if (help.busy) return;  // a try is already on its way
    help.busy = true;
    let answer = null;
    let refused = false;
    try {
      const response = await post("/api/help");
      if (response.status === 200 || response.status === 201) {
        answer = await response.json().catch(() => ({}));
      } else {
        refused = refusedForGood(response.status);
      }
    } catch (err) {
      // no answer: tried again below
    }
    help.busy = false;
    if (answer) {
      help.waiting = false;
      help.id = answer.help_id || null;
      setHelpStage("told");
      watchHelp(0);
      return reloadIfWanted();
    }
    if (refused) {  // e.g. a kiosk no longer enrolled: nobody will be told from here
      help.waiting = false;
      setHelpStage("refused");
      return reloadIfWanted();
    }
    help.tries += 1;
    setHelpStage("not_sent");
    help.timer = setTimeout(postHelp, retryDelay(help.tries));
  }

  // While the help screen is open, ask now and then whether an adult is on the way.
  function watchHelp(delay) {
    clearTimeout(help.poll);
    if (!help.id || help.stage !== "told") return;
    help.poll = setTimeout(async () => {
      if (!helpOnScreen()) return;
      const id = help.id;
      try {
        const response = await fetch("/api/help/" + encodeURIComponent(id), { cache: "no-store" });
        const answer = response.ok ? await response.json() : {};
        if (answer.status === "acknowledged" && help.id === id) return setHelpStage("coming");
      } catch (err) {
        // asked again shortly
      }
      watchHelp(HELP_POLL_MS);
    }, delay);
  }

  const HELP_WORDS = { telling: ["help_telling", "help"], told: ["help_told", "help"],
                       coming: ["help", "help"], not_sent: ["help_not_sent", "send_failed"],
                       refused: ["problem", "problem"] };
  function setHelpStage(stage) {
    const changed = stage !== help.stage;
    help.stage = stage;
    if (changed && helpOnScreen()) showHelp(stage);
  }
  function showHelp(stage) {
    help.stage = stage;
    const words = screen(...HELP_WORDS[stage]);
    showMessage(words, J.controls.back, closeHelp, null, "help");
    speak(words.audio);
    watchHelp(0);
  }
  function helpOnScreen() { return overlayKind() === "help"; }
  function closeHelp() {
    hideOverlay();
    const next = afterHelp;
    afterHelp = null;
    if (next) return next();
    const mine = state.sending;  // this pupil's report is still on its way: say so again
    if (mine && !mine.urgent && mine.stage !== "told" && mine.stage !== "refused") {
      showSending(mine);
    }
  }
  // The network is back: try at once rather than wait out the backoff.
  window.addEventListener("online", () => {
    if (outbox.length) sendNow();
    if (help.waiting) postHelp();
  });
  $("get-adult").addEventListener("click", askForHelp);
  $("hide").addEventListener("click", hideNow);
  $("forward").addEventListener("click", () => {
    const page = pageFor(state.page);
    // Next says the next page's question, at once (go); only Send says its own word.
    if (page.kind === "review") {
      speak(J.controls.send.audio);
      return send();
    }
    if (state.typing && page.kind === "text") {
      state.skipped[page.field] = !state[page.field];
      readBack(page.field);
    }
    go(nextInFlow(page.id));
  });
  $("listen").addEventListener("click", () => {
    const page = pageFor(state.page);
    if (page.kind === "urgent") return speak(...spokenPrompt(page));
    speak(page.prompt.audio, page.note && page.note.audio);
  });

  function hideNow() {
    stopSpeaking();
    stopVoice();
    closePin();
    forgetScreen();
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

  let resetWanted = false;  // a reset that could not reload yet: something was still on its way
  // A reset clears the page in place (answers, screen, any language or pace): the sound
  // the last pupil unlocked stays unlocked, so the first page speaks to the next one, as
  // a reload could not (a browser plays sound only after a tap on the page it is in).
  function resetNow() {
    stopSpeaking();
    stopVoice();
    clearForNext(busy());
    speak(...spokenPrompt(pageFor(J.flow[0])));
  }

  // What a reset does while a report or call for help is still being sent: the screen and
  // the answers go at once, as they would on a reload; the pending send itself stays in
  // memory and goes on being tried, untied from the screen.
  function clearForNext(reloadLater = true) {
    closePin();
    forgetScreen();
    state = freshState();
    if (J !== FIRST) useJourney(FIRST);  // the kiosk's own language and pace again
    $("hidden-screen").hidden = true;
    $("app").hidden = false;
    resetWanted = reloadLater;  // once the send is done, a reload drops what it held
    show(J.flow[0], { speakPrompt: false });
    armIdle();
  }

  // Nothing still on screen belongs to the pupil who was here.
  function forgetScreen() {
    hideOverlay();
    clearTimeout(thanksTimer);
    afterHelp = null;
    for (const item of outbox) item.onScreen = false;
    delete document.body.dataset.sent;
  }

  // Once nothing is on its way any more, the reset that had to wait reloads the page,
  // unless a pupil has started meanwhile (or the screen is hidden: a tap reloads it then).
  function reloadIfWanted() {
    if (!resetWanted || busy() || hasAnything() || !$("hidden-screen").hidden) return;
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
    }, left, "reset");
    overlayTimer = setInterval(() => {
      left -= 1;
      $("overlay-count").textContent = String(left);
      if (left <= 0) { clearInterval(overlayTimer); resetNow(); }
    }, 1000);
  }
  // "click" too: dwell and switch scanning choose by clicking the button for the pupil.
  for (const type of ["pointerdown", "keydown", "input", "click"]) {
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
  const FIRST = J;  // the journey as the page loaded it: a reset without reload goes back to it
  function start() {
    state = freshState();
    useJourney(J);
    show(J.flow[0], { speakPrompt: false });
    armIdle();
  }
  start();
})();
