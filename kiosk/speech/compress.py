"""Speech made small for the kiosk's network: a rendered WAV encoded once into Opus or MP3.

A phrase's WAV is about 350 kbit/s; the kiosk downloads every phrase of a journey, so on
a school's busy wireless it was megabytes a pupil. Opus (in Ogg) is what Chromium,
Firefox and newer Safari play; MP3 is for older iPad Safari. The page asks for the one
its browser says it can play, and WAV stays for any browser that plays neither.

soundfile (libsndfile, with its Opus and LAME encoders) and numpy are imported only when
a file is first encoded, so the server starts without them.
"""
import os
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Format:
    name: str          # as the page asks for it (?as=...)
    suffix: str        # the cached file beside the WAV
    mimetype: str
    container: str     # libsndfile's names
    codec: str
    samplerate: int    # 0: the WAV's own
    level: float       # libsndfile's compression level, 0 (largest) to 1 (smallest)
    bitrate_mode: str  # "" for the encoder's own


# Opus takes only 8, 12, 16, 24 or 48 kHz; espeak-ng speaks at 22.05 kHz, so it is
# resampled up to 24 kHz (nothing of the voice is lost). Levels chosen by ear and size:
# about 30 kbit/s for Opus and 40 kbit/s (variable) for MP3, a tenth of the WAV or less.
FORMATS = {
    "opus": Format("opus", ".opus", "audio/ogg; codecs=opus", "OGG", "OPUS", 24000, 0.9, ""),
    "mp3": Format("mp3", ".mp3", "audio/mpeg", "MP3", "MPEG_LAYER_III", 0, 0.8, "VARIABLE"),
}
WAV_MIMETYPE = "audio/wav"


class EncodeError(RuntimeError):
    """A WAV could not be encoded (encoder missing, unreadable WAV, encoder failure)."""


def encoded_path(wav_path, fmt):
    return Path(wav_path).with_suffix(FORMATS[fmt].suffix)


def encode(wav_path, fmt):
    """The `fmt` file beside `wav_path`, encoding it now if it is not there yet.

    Written to a private name and renamed into place, so a request never reads half a
    file, and two requests encoding the same phrase at once both leave a whole one.
    """
    target = encoded_path(wav_path, fmt)
    if target.exists():
        return target
    spec = FORMATS[fmt]
    partial = target.with_suffix(f"{spec.suffix}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        import soundfile
        samples, rate = soundfile.read(str(wav_path), dtype="float32")
        if spec.samplerate and spec.samplerate != rate:
            samples, rate = resample(samples, rate, spec.samplerate), spec.samplerate
        options = {"compression_level": spec.level}
        if spec.bitrate_mode:
            options["bitrate_mode"] = spec.bitrate_mode
        soundfile.write(str(partial), samples, rate, format=spec.container,
                        subtype=spec.codec, **options)
        os.replace(partial, target)
    except Exception as exc:  # ImportError, libsndfile's errors, a bad WAV: all mean "no"
        partial.unlink(missing_ok=True)
        raise EncodeError(f"could not encode {Path(wav_path).name} as {fmt}: {exc}") from exc
    return target


def resample(samples, rate, to):
    """Samples at another rate, band-limited: the spectrum is cut or zero-padded.

    A phrase is a few seconds that start and end quiet, so one FFT over the whole of it
    is exact enough and needs nothing beyond numpy.
    """
    import numpy
    count = round(len(samples) * to / rate)
    spectrum = numpy.fft.rfft(samples)
    resampled = numpy.fft.irfft(spectrum, count) * (count / len(samples))
    return numpy.clip(resampled, -1.0, 1.0).astype("float32")  # ringing past full scale
