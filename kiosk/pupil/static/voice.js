// Speech input for the kiosk page: opens the microphone, streams 16 kHz PCM to the
// server over Socket.IO, and reports what was heard. Audio goes only to the
// server's recogniser; nothing is recorded or stored on the device.
// Used by kiosk.js as window.KioskVoice.listen(page, handlers) / .stop().
"use strict";
window.KioskVoice = (function () {
  let config = null;
  let socket = null;
  let context = null;
  let stream = null;
  let node = null;
  let source = null;
  let current = null; // { page, handlers, done }

  function supported() {
    return window.isSecureContext && !!(navigator.mediaDevices &&
      navigator.mediaDevices.getUserMedia) && !!(window.AudioContext || window.webkitAudioContext);
  }

  function loadScript(url) {
    return new Promise((resolve, reject) => {
      if (window.io) return resolve();
      const script = document.createElement("script");
      script.src = url;
      script.onload = resolve;
      script.onerror = () => reject(new Error("socket script"));
      document.head.append(script);
    });
  }

  async function connect() {
    await loadScript(config.socket_script);
    if (socket && socket.connected) return socket;
    if (!socket) {
      socket = window.io("/voice", { transports: ["websocket"], reconnection: true });
      socket.on("partial", (event) => current && current.handlers.partial(event.text));
      socket.on("heard", (event) => {
        if (!current || event.page !== current.page) return;
        const handlers = current.handlers;
        if (event.status !== "words") finish();
        else current.done = true;
        releaseMicrophone();
        handlers.heard(event);
      });
      socket.on("readback", (wav) => {
        if (!current) return;
        const handlers = current.handlers;
        finish();
        handlers.readback(new Blob([wav], { type: "audio/wav" }));
      });
      socket.on("disconnect", () => {
        if (current && !current.done) fail("disconnected");
      });
    }
    if (!socket.connected) {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no connection")), 5000);
        socket.once("connect", () => { clearTimeout(timer); resolve(); });
        socket.connect();
      });
    }
    return socket;
  }

  // Must be called inside the tap: iPad Safari only starts audio from a gesture.
  function prepare() {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!context) context = new AC();
    if (context.state === "suspended") context.resume();
    return navigator.mediaDevices.getUserMedia({
      // Recognisers are trained on plain speech: the browser's noise suppression
      // smears quiet consonants. Echo cancellation stays: the kiosk has a speaker.
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false,
               autoGainControl: true },
    });
  }

  async function capture(onPacket) {
    source = context.createMediaStreamSource(stream);
    if (context.audioWorklet) {
      await context.audioWorklet.addModule(config.worklet);
      node = new AudioWorkletNode(context, "microphone-pcm");
      node.port.onmessage = (event) => onPacket(event.data.pcm, event.data.level);
      source.connect(node);
      return;
    }
    // Older Safari without AudioWorklet: the same conversion on the main thread.
    const processor = context.createScriptProcessor(4096, 1, 1);
    const step = context.sampleRate / 16000;
    let position = 0;
    let packet = [];
    processor.onaudioprocess = (event) => {
      const input = event.inputBuffer.getChannelData(0);
      for (; position < input.length; position += step) {
        packet.push(Math.max(-1, Math.min(1, input[Math.floor(position)])));
        if (packet.length === 1600) {
          const pcm = Int16Array.from(packet, (s) => s < 0 ? s * 0x8000 : s * 0x7fff);
          const level = Math.sqrt(packet.reduce((sum, s) => sum + s * s, 0) / packet.length);
          onPacket(pcm.buffer, level);
          packet = [];
        }
      }
      position -= input.length;
    };
    source.connect(processor);
    processor.connect(context.destination); // a ScriptProcessor only runs when connected
    node = processor;
  }

  // listen(page, {listening, partial, heard, readback, failed, level})
  async function listen(page, handlers, microphone) {
    stop();
    current = { page, handlers, done: false };
    const mine = current;
    try {
      stream = await microphone;
      const sock = await connect();
      if (current !== mine) return releaseMicrophone();
      const answer = await sock.timeout(5000).emitWithAck("start", {
        page, rate: 16000, channels: 1, encoding: "s16le",
      });
      if (current !== mine) return;
      if (answer.error) return fail("refused");
      await capture((pcm, level) => {
        if (current !== mine || mine.done) return;
        sock.emit("audio", pcm);
        handlers.level(level);
      });
      handlers.listening(answer.engine);
    } catch (error) {
      if (current === mine) fail(error && error.name === "NotAllowedError" ? "microphone" : "failed");
    }
  }

  // The pupil pressed Done: the server decides from what it has.
  function done() {
    if (!current || current.done) return;
    current.done = true;
    releaseMicrophone();
    if (socket) socket.emit("stop");
  }

  function fail(reason) {
    const handlers = current && current.handlers;
    stop();
    if (handlers) handlers.failed(reason);
  }

  function finish() { current = null; }

  function releaseMicrophone() {
    if (node) {
      if (node.port) node.port.postMessage("stop");
      node.disconnect();
      node = null;
    }
    if (source) { source.disconnect(); source = null; }
    if (stream) { for (const track of stream.getTracks()) track.stop(); stream = null; }
  }

  // Page change, Hide, Back or reset: drop the utterance and close the microphone.
  function stop() {
    const wasListening = current && !current.done;
    current = null;
    releaseMicrophone();
    if (wasListening && socket && socket.connected) socket.emit("cancel");
  }

  return {
    configure(voiceConfig) { config = voiceConfig; },
    supported,
    modeFor(pageId) { return config && config.pages[pageId]; },
    prepare,
    listen,
    done,
    stop,
    get active() { return !!current; },
  };
})();
