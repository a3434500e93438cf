"""The journey as the kiosk page needs it: words, symbol URLs and audio URLs, no logic."""
from flask import url_for


def _audio(keys, text):
    return url_for("pupil.audio", key=keys[text]) if text else ""


def symbol_url(symbols, concept):
    """Where the device fetches the symbol for a concept (the default pack fills gaps)."""
    pack, file_name = symbols.locate(concept)
    return url_for("pupil.symbol", pack=pack, file_name=file_name)


def _words(words, keys, symbols):
    item = {"text": words.text, "audio": _audio(keys, words.say)}
    if words.concept:
        item["symbol"] = symbol_url(symbols, words.concept)
    return item


def _page(page, keys, symbols):
    return {
        "id": page.id, "kind": page.kind, "field": page.field,
        "prompt": _words(page.prompt, keys, symbols),
        "note": _words(page.note, keys, symbols) if page.note else None,
        "show_if": list(page.show_if),
        "tiles": [{"id": t.id, "label": t.label, "audio": _audio(keys, t.say),
                   "symbol": symbol_url(symbols, t.concept), "go": t.go, "opens": t.opens}
                  for t in page.tiles],
    }


def journey_data(content, symbols, speech, timing, limits):
    """Everything the kiosk page needs to run the journey offline once loaded."""
    keys = speech.register(content.spoken_texts())
    return {
        "flow": content.flow,
        "pages": {pid: _page(p, keys, symbols) for pid, p in content.pages.items()},
        "controls": {k: _words(w, keys, symbols) for k, w in content.controls.items()},
        "screens": {k: _words(w, keys, symbols) for k, w in content.screens.items()},
        "timing": timing,
        "limits": limits,  # the server's own limits, so the text box stops where it would
        # Pages a pupil may answer by speaking, and what the page loads to listen.
        "voice": {
            "pages": {pid: mode for pid in content.pages if (mode := content.voice_mode(pid))},
            "socket_script": url_for("static", filename="vendor/socket.io.min.js"),
            "worklet": url_for("pupil.static", filename="microphone.js"),
        },
    }
