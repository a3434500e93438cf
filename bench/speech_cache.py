"""Time rendering the whole speech cache from cold, then again warm (should render 0)."""
import contextlib
import io
import os
import sys
import tempfile
import threading
import time

from _server import ROOT

sys.path.insert(0, str(ROOT))  # run as bench/speech_cache.py: make the kiosk package importable

DEADLINE_SECONDS = 900  # render_all waits without a limit; the benchmark must still end


def timed_render_all(speech):
    """(phrases rendered, seconds) for one render_all call, bounded by DEADLINE_SECONDS."""
    result = {}

    def work():
        """Run render_all and keep its answer or its error."""
        try:
            result["rendered"] = speech.render_all()
        except Exception as exc:  # shown to the user below, not swallowed
            result["error"] = exc

    # A daemon thread, so a stuck speech engine cannot keep the process alive.
    worker = threading.Thread(target=work, daemon=True)
    started = time.perf_counter()
    # The espeak driver prints a line per file saved; keep the figures readable.
    with contextlib.redirect_stdout(io.StringIO()):
        worker.start()
        worker.join(DEADLINE_SECONDS)
    seconds = time.perf_counter() - started
    if worker.is_alive():
        raise SystemExit(f"render_all did not finish within {DEADLINE_SECONDS} s")
    if "error" in result:
        raise SystemExit(f"render_all failed: {result['error']}")
    return result["rendered"], seconds


def main():
    """Build the cache in a fresh instance folder and print cold and warm timings."""
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as instance_path:
        # Set before create_app reads it: the cache lives in this fresh instance folder.
        os.environ["KIOSK_INSTANCE_PATH"] = instance_path
        from kiosk import create_app
        svc = create_app().extensions["kiosk"]
        if svc.error:
            raise SystemExit(f"content is not valid: {svc.error}")
        phrases = len(svc.content.spoken_texts())

        rendered, cold = timed_render_all(svc.speech)
        audio_bytes = sum(p.stat().st_size for p in svc.speech.folder.glob("*.wav"))
        print(f"cold: {rendered} of {phrases} phrases rendered in {cold:.1f} s "
              f"({cold * 1000 / max(rendered, 1):.0f} ms per phrase), "
              f"{audio_bytes / 1024 / 1024:.1f} MB of audio")

        rendered, warm = timed_render_all(svc.speech)
        print(f"warm: {rendered} phrases rendered in {warm * 1000:.1f} ms "
              f"-> cache {'works' if rendered == 0 else 'DID NOT HOLD'}")
    return 0 if rendered == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
