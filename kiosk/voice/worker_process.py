"""The worker process's side of voice/workers.py: one engine, many utterances.

Messages come from the server on a pipe and are handled one at a time: pocketsphinx
holds the GIL, so threads here would gain nothing. Requests that carry an id (listen,
partial, finish, can_say) are answered with it; audio (accept) and close are not, and
a fault in them is kept and raised at the utterance's next request.

Each utterance's messages are handled in the order they were sent, but not the
worker's as a whole: when audio has piled up (the machine is busy), an utterance
whose kiosk waits for an answer, Done pressed above all, goes first, with just its
own audio before it, instead of waiting behind every other kiosk's.
"""
import collections
import os
import signal

from .engines import PocketSphinxEngine

ENGINES = {"pocketsphinx": PocketSphinxEngine}


def serve(conn, kind, options):
    """A worker process's life: load the engine, then answer the server until told to
    stop or until the server's end of the pipe closes (the server ended)."""
    # Ctrl-C reaches every process of the terminal's group: the server stops its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        engine = ENGINES[kind](**options)
        engine.warm()
    except Exception as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", {"pid": os.getpid(), "name": engine.name, "model": engine.model,
                         "min_word_confidence": engine.min_word_confidence}))
    try:
        _Serving(conn, engine).run()
    except (EOFError, OSError):
        pass  # the server has gone
    # Nothing is left to save, and tearing the decoders down piece by piece at exit
    # took over a second: the memory goes with the process.
    os._exit(0)


# A kiosk waits for the answer to these; a close frees a decoder a listen may need.
FIRST = ("listen", "partial", "finish", "can_say", "close")


def _stream_of(message):
    """The utterance a message belongs to (None for can_say and stop)."""
    kind = message[0]
    if kind in ("accept", "close"):
        return message[1]
    return message[2] if kind in ("listen", "partial", "finish") else None


def _next(backlog):
    """Take the message to handle next: the first of FIRST, after any earlier messages
    of its own utterance (its audio, before partial or finish); else the oldest. A
    close needs none of its audio: the utterance is over."""
    first = next((i for i, m in enumerate(backlog) if m[0] in FIRST), None)
    if first is None:
        return backlog.popleft()
    if backlog[first][0] in ("partial", "finish"):
        stream = _stream_of(backlog[first])
        first = next(i for i, m in enumerate(backlog) if _stream_of(m) == stream)
    message = backlog[first]
    del backlog[first]
    return message


class _Serving:
    """The utterances of one worker process, by the server's stream id."""

    def __init__(self, conn, engine):
        self.conn, self.engine = conn, engine
        self.streams = {}  # stream id -> recogniser, or the exception that ended it

    def run(self):
        backlog = collections.deque()
        while True:
            if not backlog:
                backlog.append(self.conn.recv())  # wait for work
            while self.conn.poll(0):
                backlog.append(self.conn.recv())
            message = _next(backlog)
            if message[0] == "stop":
                return
            getattr(self, "_" + message[0])(*message[1:])

    def _answer(self, request, work):
        try:
            reply = ("answer", request, True, work())
        except Exception as exc:
            reply = ("answer", request, False, (type(exc).__name__, str(exc)))
        self.conn.send(reply)

    def _listen(self, request, stream, phrases, options):
        def start():
            self.streams[stream] = self.engine.listen(phrases, **options)
        self._answer(request, start)

    def _accept(self, stream, pcm):
        recogniser = self.streams.get(stream)
        if recogniser is None or isinstance(recogniser, Exception):
            return
        try:
            recogniser.accept(pcm)
        except Exception as exc:  # kept, and raised at the utterance's next question
            self._close(stream)
            self.streams[stream] = exc

    def _step(self, stream):
        recogniser = self.streams.get(stream)
        if recogniser is None:
            raise LookupError("no such utterance on this worker")
        if isinstance(recogniser, Exception):
            raise recogniser
        return recogniser

    def _partial(self, request, stream):
        self._answer(request, lambda: self._step(stream).partial())

    def _finish(self, request, stream):
        self._answer(request, lambda: self._step(stream).finish())  # the engine's Heard

    def _close(self, stream):
        recogniser = self.streams.pop(stream, None)
        if recogniser is not None and not isinstance(recogniser, Exception):
            try:
                recogniser.close()
            except Exception:  # the utterance is over either way
                pass

    def _can_say(self, request, phrase):
        self._answer(request, lambda: self.engine.can_say(phrase))
