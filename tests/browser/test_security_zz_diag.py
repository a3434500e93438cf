from test_voice_journey import speaking_kiosk  # noqa
from test_journey import heading, tap


def test_diag(speaking_kiosk):
    kiosk = speaking_kiosk("Someone asked me for pictures.")
    seen = []
    kiosk.on("console", lambda m: seen.append(f"{m.type}: {m.text}"))
    kiosk.on("response", lambda r: seen.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    kiosk.on("websocket", lambda ws: seen.append(f"ws {ws.url}") or ws.on("framereceived", lambda f: seen.append("<< " + str(f)[:150]) if "heard" in str(f) or "partial" not in str(f) else None))
    tap(kiosk, "Start")
    tap(kiosk, "Yes")
    heading(kiosk, "What happened?")
    tap(kiosk, "Speak")
    kiosk.wait_for_timeout(20000)
    print("\n".join(seen[:60]))
    print(kiosk.locator("#voice-said").text_content())
    print(kiosk.get_by_role("dialog").text_content())
