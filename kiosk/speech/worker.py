"""The speech process: owns the one pyttsx3 engine and renders phrases to WAV files.

Run by the server as `python -m kiosk.speech.worker`. It reads one JSON job a line
on stdin ({"text", "voice", "rate", "path"}) and answers one JSON line on its
protocol pipe ({"error": ""} on success). pyttsx3 engines are not thread-safe and
espeak-ng keeps one library state per process, so nothing else may share it.
"""
import json
import os
import sys
import time
from pathlib import Path

ATTEMPTS = 3  # the espeak driver now and then ends a phrase with no audio at all


class SpeechError(RuntimeError):
    pass


def make_engine():
    import pyttsx3
    engine = pyttsx3.init()
    # The driver print()s a line per saved file; that is not our protocol.
    sys.modules["pyttsx3.drivers.espeak"].print = lambda *args, **kwargs: None
    return engine


def choose_voice(engine, wanted):
    """The engine voice id whose id, name or language matches `wanted` (e.g. 'en-gb').

    A variant after "+" ('pl+f3': a higher voice) is passed on to espeak-ng as it is.
    """
    wanted, _, variant = wanted.lower().partition("+")
    if variant and not variant.isalnum():
        raise SpeechError(f"no speech voice variant '{variant}'")
    for voice in engine.getProperty("voices"):
        languages = [str(lang).lower() for lang in (voice.languages or [])]
        if wanted in (voice.id.lower(), voice.name.lower(), *languages):
            return f"{voice.id}+{variant}" if variant else voice.id
    raise SpeechError(f"no speech voice matches '{wanted}'")


def apply(engine, name, value):
    """Set a property now, and check it took.

    engine.setProperty only queues the change, and pyttsx3 2.99 now and then drops
    a queued change, so a phrase came out at the previous job's rate. The driver's
    own setProperty sets it in espeak-ng at once.
    """
    driver = engine.proxy._driver
    for _ in range(100):
        driver.setProperty(name, value)
        if name != "rate" or engine.getProperty(name) == value:
            return
        time.sleep(0.01)  # espeak-ng applies it from its own queue: give it a moment
    raise SpeechError(f"the speech engine would not set {name} to {value}")


def render(engine, text, voice, rate, path):
    """Write `text` spoken to `path`, atomically: a half-written file is never seen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    voice_id = choose_voice(engine, voice)
    for _ in range(ATTEMPTS):
        apply(engine, "voice", voice_id)
        apply(engine, "rate", rate)
        engine.save_to_file(text, str(partial))
        engine.runAndWait()
        if partial.exists() and partial.stat().st_size > 44:  # more than a WAV header
            os.replace(partial, path)
            return
    partial.unlink(missing_ok=True)
    raise SpeechError("the engine produced no audio")


def serve(jobs, answers):
    try:
        engine, engine_error = make_engine(), ""
    except Exception as exc:  # no espeak-ng library: say so on every job
        engine, engine_error = None, f"speech engine unavailable: {exc}"
    for line in jobs:
        job = json.loads(line)
        try:
            if engine is None:
                raise SpeechError(engine_error)
            if not Path(job["path"]).exists():
                render(engine, job["text"], job["voice"], int(job["rate"]), Path(job["path"]))
            error = ""
        except SpeechError as exc:
            error = str(exc)
        except Exception as exc:
            error = f"speech failed: {exc}"
        answers.write(json.dumps({"error": error}) + "\n")
        answers.flush()


def main():
    # Keep the protocol on a private copy of stdout; anything a library prints goes
    # to stderr instead of corrupting it.
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    serve(sys.stdin, answers)


if __name__ == "__main__":
    main()
