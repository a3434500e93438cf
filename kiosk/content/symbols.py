"""Symbol packs: a folder of images plus a concept -> file map, a licence and Bliss numbers."""
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PACK = "default"
IMPORTED_PACK = "boards"  # symbols that came with boards imported from AAC tools
MANIFEST = "pack.toml"


class SymbolError(Exception):
    """A symbol pack that cannot be used, with the file at fault in the message."""


@dataclass(frozen=True)
class Pack:
    name: str  # the folder name, as used in symbol URLs and SYMBOL_PACK
    folder: Path
    title: str
    licence: str
    attribution: str
    concepts: dict  # concept -> file name inside folder
    description: str = ""
    bliss: dict = field(default_factory=dict)  # concept -> Bliss concept number (BCI-AV ID)


def _read_manifest(manifest, name):
    if not manifest.is_file():
        raise SymbolError(f"{manifest}: symbol pack '{name}' has no {MANIFEST}")
    try:
        return tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SymbolError(f"{manifest}: {exc}") from None


def _check_text(manifest, data):
    for key in ("name", "licence", "attribution", "concepts"):
        if key not in data:
            raise SymbolError(f"{manifest}: missing '{key}'")
    for key in ("name", "licence", "attribution", "description"):
        if not isinstance(data.get(key, ""), str):
            raise SymbolError(f"{manifest}: '{key}' must be text")


def _check_concepts(manifest, folder, concepts):
    if not isinstance(concepts, dict):
        raise SymbolError(f"{manifest}: [concepts] must be a table of concept = file")
    for concept, file_name in concepts.items():
        if (not isinstance(file_name, str) or Path(file_name).name != file_name
                or not (folder / file_name).is_file()):
            raise SymbolError(f"{manifest}: concept '{concept}': no file '{file_name}'")


def _check_bliss(manifest, bliss, concepts):
    if not isinstance(bliss, dict):
        raise SymbolError(f"{manifest}: [bliss] must be a table of concept = Bliss number")
    seen = {}
    for concept, number in bliss.items():
        if concept not in concepts:
            raise SymbolError(f"{manifest}: [bliss] '{concept}' is not in [concepts]")
        if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
            raise SymbolError(f"{manifest}: [bliss] '{concept}' must be a whole number")
        if number in seen:
            raise SymbolError(f"{manifest}: [bliss] {number} is given to both "
                              f"'{seen[number]}' and '{concept}'")
        seen[number] = concept


def load_pack(symbols_dir, name):
    """Read one pack's pack.toml and check every file it names exists."""
    folder = Path(symbols_dir) / name
    manifest = folder / MANIFEST
    data = _read_manifest(manifest, name)
    _check_text(manifest, data)
    _check_concepts(manifest, folder, data["concepts"])
    _check_bliss(manifest, data.get("bliss", {}), data["concepts"])
    return Pack(name, folder, data["name"], data["licence"], data["attribution"],
                dict(data["concepts"]), data.get("description", ""),
                dict(data.get("bliss", {})))


def pack_folders(symbols_dir):
    """Names of the folders under symbols_dir that hold a pack.toml (hidden ones skipped)."""
    root = Path(symbols_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file())


class Symbols:
    """Every installed pack; a concept a pack lacks is shown from the default pack."""

    def __init__(self, symbols_dir, chosen=DEFAULT_PACK):
        self.default = load_pack(symbols_dir, DEFAULT_PACK)
        self._packs = {DEFAULT_PACK: self.default}
        for name in pack_folders(symbols_dir):
            if name != DEFAULT_PACK:
                self._packs[name] = load_pack(symbols_dir, name)
        if chosen not in self._packs:  # fails naming the missing pack.toml
            self._packs[chosen] = load_pack(symbols_dir, chosen)
        self.chosen = self._packs[chosen]

    def names(self):
        """Installed pack names, default first, then the rest by name."""
        return list(self._packs)

    def pack(self, name):
        """The installed pack called name, or None."""
        return self._packs.get(name)

    @property
    def packs(self):
        """Every installed pack: the configured one first, then default, then the rest."""
        return [self.chosen] + [p for p in self._packs.values() if p is not self.chosen]

    def packs_for(self, name):
        """The packs a kiosk using pack `name` shows, in lookup order (for the licence page)."""
        first = self._packs.get(name, self.default)
        packs = [first] if first is self.default else [first, self.default]
        imported = self._packs.get(IMPORTED_PACK)  # only imported pages use its concepts
        return packs + [imported] if imported and imported not in packs else packs

    def has(self, concept):
        return any(concept in pack.concepts for pack in self._packs.values())

    def locate(self, concept, pack=None):
        """(pack name, file name) from `pack` (else the configured pack), then default; or None."""
        for candidate in self.packs_for(self.chosen.name if pack is None else pack):
            if concept in candidate.concepts:
                return candidate.name, candidate.concepts[concept]
        return None

    def bliss(self, concept):
        """The concept's Bliss number (BCI-AV ID) from any pack, default first, or None."""
        return next((p.bliss[concept] for p in self._packs.values() if concept in p.bliss), None)

    def file_path(self, pack_name, file_name):
        """The file on disk for a served symbol, only if a loaded pack maps it."""
        pack = self._packs.get(pack_name)
        if pack is None or file_name not in pack.concepts.values():
            return None
        return pack.folder / file_name
