"""JSON whose nesting is bounded before it is parsed, for the web routes (errors.py) and
the live channel's packets (extensions.py).

Python's parser recurses once per level, so a body nested 10,000 deep raises
RecursionError from deep inside it; nothing a kiosk or a dashboard sends is more than a
few levels deep, so anything past MAX_DEPTH is refused without being parsed.
"""
import json

MAX_DEPTH = 32  # a report is 3 deep; a live-channel event 4
TOO_DEEP_EVENT = "nested too deep"  # what a refused packet becomes: an event nobody handles


def depth(data, limit=MAX_DEPTH):
    """How deeply brackets nest in a JSON text (outside strings), stopping past `limit`."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if data.count(b"[") + data.count(b"{") <= limit:
        return 0  # cannot be deeper than the brackets it has: the usual, quick case
    level = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            level += 1
            deepest = max(deepest, level)
            if deepest > limit:
                break
        elif byte in (0x5D, 0x7D):  # ] }
            level -= 1
    return deepest


class SocketJSON:
    """The json module python-socketio decodes packets with, bounded: a packet nested too
    deep becomes an event no handler listens for, so it is dropped without a traceback."""

    @staticmethod
    def dumps(*args, **kwargs):
        """As json.dumps."""
        return json.dumps(*args, **kwargs)

    @staticmethod
    def loads(text, *args, **kwargs):
        """As json.loads, unless the text is nested past MAX_DEPTH."""
        if depth(text) > MAX_DEPTH:
            return [TOO_DEEP_EVENT]
        return json.loads(text, *args, **kwargs)
