"""vosk models: install one from a zip into the instance folder, and say which is active.

Layout under the instance folder:
    vosk/models/<name>/   an unpacked model (am/, conf/, graph/, ...)
    vosk/active           the name of the model in use
A model is checked before it becomes active, so a bad zip never replaces a good model.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

MAX_DOWNLOAD = 4 * 1024 ** 3  # the large English models are about 2 GB
REQUIRED = ("am/final.mdl", "conf/mfcc.conf")
GRAPHS = (("graph/HCLG.fst",), ("graph/HCLr.fst", "graph/Gr.fst"))  # static, or dynamic (small models)
LOAD_CHECK_SECONDS = 300
UNKNOWN_WORD = "[unk]"  # what a grammar adds so speech off the page is heard as unknown
SHOWN_WORDS = 5  # missing words named in a warning; the rest are counted
STATIC_PROBLEM = (
    "it has a static graph (graph/HCLG.fst), and vosk ignores a page's phrases with such "
    "a model, so a pupil's answer would be guessed from the whole language. Install a model "
    "with a dynamic graph instead (graph/HCLr.fst and graph/Gr.fst, no graph/HCLG.fst): the "
    "vosk-model-small-* models, or those the vosk models page marks for runtime "
    "vocabulary changes.")


class ModelError(Exception):
    """A model that cannot be installed or used; the message says why in plain words."""


def vosk_dir(instance_path):
    return Path(instance_path) / "vosk"


def missing_parts(folder):
    """What a vosk model folder lacks, as relative paths; empty when complete."""
    folder = Path(folder)
    missing = [p for p in REQUIRED if not (folder / p).is_file()]
    if not any(all((folder / p).is_file() for p in graph) for graph in GRAPHS):
        missing.append("graph/HCLG.fst (or graph/HCLr.fst with graph/Gr.fst)")
    return missing


def is_static(folder):
    """Whether the model's graph is static, so vosk ignores the grammar of a page."""
    # vosk loads graph/HCLG.fst whenever it exists, even beside HCLr.fst and Gr.fst.
    return (Path(folder) / "graph/HCLG.fst").is_file()


def content_words(content):
    """{word: [page ids]} for each word a pupil can say on the content's pages of tiles."""
    words = {}
    for page in content.pages:
        if content.voice_mode(page) == "tiles":
            for phrase in content.voice_phrases(page):
                for word in phrase.split():
                    pages = words.setdefault(word, [])
                    if page not in pages:
                        pages.append(page)
    return words


def vocabulary_warnings(unknown, words):
    """Plain-words warnings for a model that lacks [unk] or words of the content's pages."""
    warnings = []
    if UNKNOWN_WORD in unknown:
        warnings.append(
            f"the model has no '{UNKNOWN_WORD}' word, so speech that is none of a page's "
            "phrases is heard as the nearest one (the pupil is still asked to confirm it)")
    lacking = [word for word in words if word in unknown]
    if lacking:
        named = ", ".join(f"'{word}' ({_pages(words[word])})" for word in lacking[:SHOWN_WORDS])
        more = f" and {len(lacking) - SHOWN_WORDS} more" if len(lacking) > SHOWN_WORDS else ""
        warnings.append(
            f"the model lacks {len(lacking)} word{'s' * (len(lacking) != 1)} of the "
            f"content's pages: {named}{more}; pupils tap the tiles with those words")
    return warnings


def _pages(pages, shown=3):
    """'page a' or 'pages a, b, c, ...'."""
    more = ", ..." if len(pages) > shown else ""
    return f"page{'s' * (len(pages) != 1)} {', '.join(pages[:shown])}{more}"


def active_model(instance_path, configured=""):
    """The model folder to use: a configured path first, then the installed one; or None."""
    if configured:
        return Path(configured)
    pointer = vosk_dir(instance_path) / "active"
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    return vosk_dir(instance_path) / "models" / name if name else None


def _fetch(source, into):
    """A local zip path as is, or a URL downloaded into `into` (for a server with internet)."""
    if "://" not in source:
        path = Path(source)
        if not path.is_file():
            raise ModelError(f"{source}: no such file")
        return path
    if not source.startswith(("https://", "http://")):
        raise ModelError(f"{source}: only http(s) URLs or local files can be installed")
    target = Path(into) / "download.zip"
    try:
        with urllib.request.urlopen(source, timeout=60) as response, open(target, "wb") as out:
            copied = 0
            while block := response.read(1 << 20):
                copied += len(block)
                if copied > MAX_DOWNLOAD:
                    raise ModelError(f"{source}: larger than {MAX_DOWNLOAD >> 30} GB")
                out.write(block)
    except OSError as exc:
        raise ModelError(f"{source}: could not download ({exc})") from None
    return target


def _unpack(zip_path, into):
    """Unpack safely (no paths outside `into`); returns the folder that holds the model."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{zip_path}: not a zip file ({exc})") from None
    root = Path(into).resolve()
    with archive:
        for member in archive.infolist():
            target = (root / member.filename).resolve()
            if root not in target.parents and target != root:
                raise ModelError(f"{zip_path}: unsafe path in zip: {member.filename}")
        try:
            bad = archive.testzip()
        except Exception as exc:  # zlib/CRC errors arrive as several exception types
            raise ModelError(f"{zip_path}: damaged zip ({exc})") from None
        if bad:
            raise ModelError(f"{zip_path}: damaged zip at {bad}")
        archive.extractall(root)
    entries = [p for p in root.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    # Models are published as one top-level folder; accept a flat zip too.
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else root


_LOAD_AND_LOOK_UP = """
import json, sys, vosk
vosk.SetLogLevel(-1)
model = vosk.Model(sys.argv[1])
find = getattr(model, "vosk_model_find_word", None) or model.find_word
print(json.dumps([word for word in json.load(sys.stdin) if find(word) < 0]))
"""


def check_loads(folder, words=(), timeout=LOAD_CHECK_SECONDS):
    """Load the model in a separate process, so a damaged model cannot harm the caller;
    returns which of `words` the model lacks."""
    try:
        result = subprocess.run([sys.executable, "-c", _LOAD_AND_LOOK_UP, str(folder)],
                                input=json.dumps(list(words), ensure_ascii=False),
                                capture_output=True, text=True, encoding="utf-8",
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ModelError(f"the model did not load within {timeout} s") from None
    if result.returncode:
        detail = (result.stderr.strip().splitlines() or ["no detail"])[-1]
        raise ModelError(f"vosk could not load the model: {detail}")
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def install(source, instance_path, name="", load_check=True, words=()):
    """Check and unpack a model zip, make it the active model; returns its folder and
    which of `words` it lacks (None when the load check is skipped)."""
    base = vosk_dir(instance_path)
    (base / "models").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base, prefix=".install-") as work:
        zip_path = _fetch(source, work)
        unpacked = Path(work) / "unpacked"
        unpacked.mkdir()
        folder = _unpack(zip_path, unpacked)
        missing = missing_parts(folder)
        if missing:
            raise ModelError(f"{source}: not a vosk model, missing {', '.join(missing)}")
        if is_static(folder):
            raise ModelError(f"{source}: not usable by the kiosk: {STATIC_PROBLEM}")
        unknown = check_loads(folder, words) if load_check else None
        name = name or (folder.name if folder != unpacked else Path(source).stem)
        if not name or name.startswith(".") or "/" in name:
            raise ModelError(f"'{name}' cannot be a model name")
        target = base / "models" / name
        if target.exists():
            shutil.rmtree(target)  # reinstalling the same model replaces it
        os.replace(folder, target)
    _write_active(base, name)
    return target, unknown


def _write_active(base, name):
    part = base / "active.part"
    part.write_text(name + "\n")
    os.replace(part, base / "active")
