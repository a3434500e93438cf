// AudioWorklet: turns the microphone's float samples (44.1 or 48 kHz, whatever the
// device runs at) into 16 kHz mono 16-bit PCM in 100 ms packets for the server.
// Also reports the loudness of each packet, so the page can show it is hearing.
// Runs on the audio thread: no allocation per sample, one small message a packet.
"use strict";

const TARGET_RATE = 16000;
const PACKET = 1600; // samples: 100 ms at 16 kHz

class MicrophonePCM extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / TARGET_RATE; // input samples per output sample (3 at 48 kHz)
    this.until = this.step; // input position at which the next output sample is due
    this.seen = 0; // input samples so far, modulo bookkeeping below
    this.sum = 0;
    this.count = 0;
    this.packet = new Int16Array(PACKET);
    this.filled = 0;
    this.energy = 0;
    this.running = true;
    this.port.onmessage = (event) => { if (event.data === "stop") this.running = false; };
  }

  // Each output sample is the mean of the input samples it stands for: a box filter
  // that keeps speech (below 8 kHz) and stops high-pitched noise folding into it.
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!this.running) return false;
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      this.sum += channel[i];
      this.count += 1;
      this.seen += 1;
      if (this.seen >= this.until) {
        const sample = Math.max(-1, Math.min(1, this.sum / this.count));
        this.packet[this.filled++] = sample < 0 ? sample * 0x8000 : sample * 0x7fff;
        this.energy += sample * sample;
        if (this.filled === PACKET) this.flush();
        this.sum = 0;
        this.count = 0;
        this.seen -= this.until;
        this.until = this.step;
      }
    }
    return true;
  }

  flush() {
    const level = Math.sqrt(this.energy / PACKET);
    const buffer = this.packet.buffer.slice(0);
    this.port.postMessage({ pcm: buffer, level }, [buffer]);
    this.filled = 0;
    this.energy = 0;
  }
}

registerProcessor("microphone-pcm", MicrophonePCM);
