"""vosk models: install one from a zip into the instance folder, and say which is active.

Layout under the instance folder:
    vosk/models/<name>/   an unpacked model (am/, conf/, graph/, ...)
    vosk/active           the name of the model in use
A model is checked before it becomes active, so a bad zip never replaces a good model.
"""
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


def check_loads(folder, timeout=LOAD_CHECK_SECONDS):
    """Load the model in a separate process, so a damaged model cannot harm the caller."""
    code = "import sys, vosk; vosk.SetLogLevel(-1); vosk.Model(sys.argv[1])"
    try:
        result = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True,
                                text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ModelError(f"the model did not load within {timeout} s") from None
    if result.returncode:
        detail = (result.stderr.strip().splitlines() or ["no detail"])[-1]
        raise ModelError(f"vosk could not load the model: {detail}")


def install(source, instance_path, name="", load_check=True):
    """Check and unpack a model zip, make it the active model; returns its folder."""
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
        if load_check:
            check_loads(folder)
        name = name or (folder.name if folder != unpacked else Path(source).stem)
        if not name or name.startswith(".") or "/" in name:
            raise ModelError(f"'{name}' cannot be a model name")
        target = base / "models" / name
        if target.exists():
            shutil.rmtree(target)  # reinstalling the same model replaces it
        os.replace(folder, target)
    _write_active(base, name)
    return target


def _write_active(base, name):
    part = base / "active.part"
    part.write_text(name + "\n")
    os.replace(part, base / "active")
