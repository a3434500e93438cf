"""Symbol packs: a folder of images plus a concept -> file map and a licence."""
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PACK = "default"


class SymbolError(Exception):
    """A symbol pack that cannot be used, with the file at fault in the message."""


@dataclass(frozen=True)
class Pack:
    name: str
    folder: Path
    title: str
    licence: str
    attribution: str
    concepts: dict  # concept -> file name inside folder


def load_pack(symbols_dir, name):
    """Read one pack's pack.toml and check every file it names exists."""
    folder = Path(symbols_dir) / name
    manifest = folder / "pack.toml"
    if not manifest.is_file():
        raise SymbolError(f"{manifest}: symbol pack '{name}' has no pack.toml")
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SymbolError(f"{manifest}: {exc}") from None
    for key in ("name", "licence", "attribution", "concepts"):
        if key not in data:
            raise SymbolError(f"{manifest}: missing '{key}'")
    for concept, file_name in data["concepts"].items():
        path = folder / file_name
        if Path(file_name).name != file_name or not path.is_file():
            raise SymbolError(f"{manifest}: concept '{concept}': no file '{file_name}'")
    return Pack(name, folder, data["name"], data["licence"], data["attribution"],
                dict(data["concepts"]))


class Symbols:
    """The chosen pack, falling back to the default pack concept by concept."""

    def __init__(self, symbols_dir, chosen=DEFAULT_PACK):
        self.default = load_pack(symbols_dir, DEFAULT_PACK)
        self.chosen = self.default if chosen == DEFAULT_PACK else load_pack(symbols_dir, chosen)

    @property
    def packs(self):
        return [self.chosen] if self.chosen is self.default else [self.chosen, self.default]

    def has(self, concept):
        return any(concept in pack.concepts for pack in self.packs)

    def locate(self, concept):
        """(pack name, file name) for a concept, or None when no pack has it."""
        for pack in self.packs:
            if concept in pack.concepts:
                return pack.name, pack.concepts[concept]
        return None

    def file_path(self, pack_name, file_name):
        """The file on disk for a served symbol, only if a loaded pack maps it."""
        for pack in self.packs:
            if pack.name == pack_name and file_name in pack.concepts.values():
                return pack.folder / file_name
        return None
