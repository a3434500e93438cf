"""A content file a school may replace with its own: content/<name> in the school's
content folder, else the one shipped, parsed and checked once until the file changes."""
import tomllib
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / "content"
_parsed = {}  # (path, modified, name, key) -> what `read` made of it


def load(content_dir, name, read, error, key=None):
    """`read(data, file_name)` of the school's file or the shipped one; a file that is not
    TOML raises `error` naming it. `key` tells apart readings that depend on more than
    the file (the journey a concern form checks its answers against)."""
    path = Path(content_dir) / name if content_dir else SHIPPED / name
    if not path.exists():
        path = SHIPPED / name
    stamp = (str(path), path.stat().st_mtime_ns, name, key)
    if stamp not in _parsed:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise error(f"{path.name}: {exc}") from None
        _parsed[stamp] = read(data, path.name)
    return _parsed[stamp]
