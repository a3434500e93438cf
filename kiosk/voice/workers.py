"""Speech recognition in worker processes, so that it uses every core.

pocketsphinx holds Python's GIL while it decodes: in the server's own process every
kiosk's recognition shares one core, and making a decoder (about half a CPU-second)
stalls every other kiosk while it is made. Here each worker process owns an engine of
its own, and the server keeps a pool with an engine's interface (name, model,
min_word_confidence, can_say, warm, listen) whose recognisers forward each step of an
utterance to one worker, the least loaded.

- Workers are started with "spawn", never by forking: the server process runs many
  threads, and a fork would copy locks other threads hold at that moment.
- Audio goes to the worker on a pipe without waiting for an answer; the pipe keeps it
  in order. partial(), finish() and the start of an utterance wait for the answer.
- A worker that dies ends its open utterances at once: their next step raises
  WorkerGone, which the kiosk hears as not heard (engine_error). Another worker is
  started in its place.
- A worker warms its engine (which makes its decoders) before it says it is ready,
  so the decoders are made at start-up, in the workers, off any request.
"""
import atexit
import itertools
import logging
import multiprocessing
import multiprocessing.util  # noqa: F401  (registers its exit handler before ours)
import threading
import time

from .engines import VoiceUnavailable
from .worker_process import ENGINES, serve

log = logging.getLogger(__name__)

CONTEXT = "spawn"
READY_SECONDS = 60  # warm() waits this long for the workers to load their engines
# An utterance started while the workers load waits for one, as it would for a model
# loading in the server process (a kiosk stops waiting after 5 s; the pupil taps).
FIRST_WORKER_SECONDS = 30
ANSWER_SECONDS = 10  # far beyond any step's time: a worker this slow is at fault
STOP_SECONDS = 3  # a stopped worker that has not ended by then is killed
MAX_BACKOFF_SECONDS = 30  # between restarts of a worker that dies before it is ready

_ids = itertools.count(1)  # next() on a count is atomic under the GIL


class WorkerGone(RuntimeError):
    """The worker process serving an utterance has ended."""


class WorkerPool:
    """Worker processes, each with its own engine, behind one engine's interface."""

    def __init__(self, count, max_streams, engine="pocketsphinx"):
        if count < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.count = count
        self.max_streams = max_streams
        self.per_worker = -(-max_streams // count)  # rounded up
        self.kind = engine
        self._engine_class = ENGINES[engine]
        self._workers = []
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a worker became ready or ended
        self._started = False
        self._closing = False
        self._failures = 0  # workers in a row that ended before they were ready
        self.problem = ""  # why the last worker that failed to start did
        self._info = {}  # the engine's name and model, as the first ready worker said

    # -- the engine interface --------------------------------------------------

    @property
    def name(self):
        return self._info.get("name", self._engine_class.name)

    @property
    def model(self):
        return self._info.get("model", f"{self.name}, starting")

    @property
    def min_word_confidence(self):
        return self._info.get("min_word_confidence",
                              self._engine_class.min_word_confidence)

    def warm(self):
        """Start the workers and wait until each has its engine loaded."""
        self.start()
        deadline = time.monotonic() + READY_SECONDS
        with self._changed:
            while len(self._ready()) < self.count and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            if not self._ready() and not self._closing:
                raise RuntimeError(f"no speech worker started: {self.problem or 'timed out'}")

    def can_say(self, phrase):
        return self._reserve(None).call("can_say", phrase)

    def listen(self, phrases=None, **options):
        """A recogniser for one utterance on the least loaded worker; the phrases and
        any options (strict) go to the worker's engine.listen() as they are."""
        stream = next(_ids)
        worker = self._reserve(stream)
        try:
            worker.call("listen", stream, phrases, options)
        except BaseException:
            worker.release(stream)
            raise
        return _Recogniser(worker, stream)

    # -- the processes ---------------------------------------------------------

    def start(self):
        """Start the workers (once); returns at once, they load their engines meanwhile."""
        with self._lock:
            if self._started or self._closing:
                return
            self._started = True
        # Before multiprocessing's own exit handler (the last registered runs first),
        # which would end the workers without a word and have them replaced meanwhile.
        atexit.register(self.close)
        for _ in range(self.count):
            self._spawn()

    def describe(self):
        """How many workers there are and how many are ready, for status pages."""
        ready, count = len(self._ready()), self.count
        noun = "worker process" if count == 1 else "worker processes"
        if self._closing:
            return f"{count} {noun}, stopped"
        return f"{count} {noun}" + ("" if ready == count else f" ({ready} ready)")

    def pids(self):
        """The process ids of the workers now running."""
        with self._lock:
            return [w.process.pid for w in self._workers if w.alive]

    def close(self):
        """Stop every worker; their open utterances end as not heard."""
        with self._changed:
            self._closing = True
            workers = list(self._workers)
            self._changed.notify_all()
        atexit.unregister(self.close)
        for worker in workers:
            worker.stop()
        for worker in workers:
            worker.wait_ended()

    @property
    def closed(self):
        return self._closing

    def _spawn(self):
        try:
            worker = _Worker(self, next(self._numbers))
        except Exception as exc:  # out of processes or memory: say so, the server goes on
            log.error("A speech worker could not be started: %s", exc)
            self.problem = str(exc)
            return
        with self._changed:
            if self._closing:
                closing = True
            else:
                closing = False
                self._workers.append(worker)
        if closing:
            worker.stop()
            worker.wait_ended()
            return
        worker.listen_to_it()

    def _ready(self):
        return [w for w in self._workers if w.ready and w.alive]

    def _reserve(self, stream):
        """The least loaded ready worker with room, holding a place on it for `stream`
        (None: any ready worker, for a question that is not an utterance)."""
        deadline = time.monotonic() + FIRST_WORKER_SECONDS
        with self._changed:
            while not self._ready():
                left = deadline - time.monotonic()
                if self._failures:  # workers die as they start: waiting will not help
                    raise VoiceUnavailable("speech recognition cannot start: "
                                           + (self.problem or "its workers keep ending"))
                if self._closing:
                    raise VoiceUnavailable("speech recognition has stopped")
                if left <= 0:
                    raise VoiceUnavailable("speech recognition is starting")
                self._changed.wait(left)
            ready = self._ready()
            if stream is None:
                return ready[0]
            if sum(len(w.streams) for w in ready) >= self.max_streams:
                raise VoiceUnavailable("every recogniser is busy")
            worker = min(ready, key=lambda w: len(w.streams))
            if len(worker.streams) >= self.per_worker:
                raise VoiceUnavailable("every recogniser is busy")
            worker.streams.add(stream)
            return worker

    def _now_ready(self, worker, info):
        with self._changed:
            self._info = info
            self._failures = 0
            self._changed.notify_all()

    def _ended(self, worker):
        """A worker's process ended: forget it, and unless stopping, start another."""
        with self._changed:
            if worker in self._workers:
                self._workers.remove(worker)
            self._changed.notify_all()
            if self._closing:
                return
            if not worker.ready:
                self._failures += 1
            wait = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** self._failures) if self._failures else 0
        log.warning("Speech worker %s ended (exit code %s); starting another%s",
                    worker.process.pid, worker.process.exitcode,
                    f" in {wait:g} s" if wait else "")
        if wait:
            time.sleep(wait)
        self._spawn()


class _Answer:
    """One awaited reply from a worker."""

    def __init__(self):
        self._event = threading.Event()
        self._ok, self._value = False, None

    def set(self, ok, value):
        self._ok, self._value = ok, value
        self._event.set()

    def wait(self, seconds):
        if not self._event.wait(seconds):
            raise RuntimeError(f"the speech worker gave no answer in {seconds} s")
        if self._ok:
            return self._value
        raise self._value


def _error(kind, message):
    """The exception a worker reported, as the server raises it."""
    if kind == "VoiceUnavailable":
        return VoiceUnavailable(message)
    if kind == "WorkerGone":
        return WorkerGone(message)
    return RuntimeError(f"speech worker: {kind}: {message}")


class _Worker:
    """The server's side of one worker process: its pipe and the replies awaited."""

    def __init__(self, pool, number):
        self.pool = pool
        context = multiprocessing.get_context(CONTEXT)
        here, there = context.Pipe()
        self.process = context.Process(
            target=serve, args=(there, pool.kind, {"max_decoders": pool.per_worker}),
            name=f"kiosk-voice-{number}", daemon=True)
        self.started = time.monotonic()
        self.process.start()
        there.close()  # so the pipe reports the end of the process when it dies
        self.conn = here
        self.streams = set()  # utterances open on it (the pool's lock guards this)
        self.ready = False
        self.alive = True
        self._pending = {}  # request id -> _Answer
        self._lock = threading.Lock()  # alive and pending together
        self._send_lock = threading.Lock()  # one message on the pipe at a time
        self._reap_lock = threading.Lock()  # the reader and close() may both wait for it

    def listen_to_it(self):
        threading.Thread(target=self._read, name=f"voice-reader-{self.process.pid}",
                         daemon=True).start()

    def send(self, message):
        """Put a message on the pipe; raises WorkerGone if the worker has ended."""
        with self._send_lock:
            if not self.alive:
                raise WorkerGone("the speech worker has ended")
            try:
                self.conn.send(message)
            except (OSError, ValueError) as exc:  # broken pipe: the process is gone
                raise WorkerGone(f"the speech worker has ended ({exc})") from None

    def call(self, kind, *args):
        """Send a request and wait for its answer."""
        request, answer = next(_ids), _Answer()
        with self._lock:
            if not self.alive:
                raise WorkerGone("the speech worker has ended")
            self._pending[request] = answer
        try:
            self.send((kind, request, *args))
            return answer.wait(ANSWER_SECONDS)
        finally:
            with self._lock:
                self._pending.pop(request, None)

    def release(self, stream):
        with self.pool._lock:
            self.streams.discard(stream)

    def stop(self):
        try:
            self.send(("stop",))
        except WorkerGone:
            pass

    def wait_ended(self, kill=True):
        """Wait for the process to end after stop(); kill it if it does not."""
        with self._reap_lock:
            self.process.join(STOP_SECONDS)
            if kill and self.process.is_alive():
                self.process.kill()
                self.process.join(STOP_SECONDS)

    def _read(self):
        """Replies from the worker, until its end of the pipe closes (it ended)."""
        try:
            while True:
                message = self.conn.recv()
                if message[0] == "answer":
                    _, request, ok, value = message
                    with self._lock:
                        answer = self._pending.get(request)
                    if answer is not None:
                        answer.set(ok, value if ok else _error(*value))
                elif message[0] == "ready":
                    self.ready = True
                    log.info("Speech worker %s ready in %.1f s", self.process.pid,
                             time.monotonic() - self.started)
                    self.pool._now_ready(self, message[1])
                elif message[0] == "failed":
                    self.pool.problem = message[1]
                    log.error("A speech worker could not load its engine: %s", message[1])
        except (EOFError, OSError):
            pass  # the process ended
        self._end()

    def _end(self):
        with self._lock:
            self.alive = False
            pending, self._pending = self._pending, {}
        with self._send_lock:
            self.conn.close()  # only this thread reads it, and nobody sends once not alive
        gone = WorkerGone("the speech worker ended during the utterance")
        for answer in pending.values():
            answer.set(False, gone)
        self.wait_ended(kill=False)  # collect its exit status
        self.pool._ended(self)


class _Recogniser:
    """One utterance on one worker, with an engine recogniser's interface."""

    def __init__(self, worker, stream):
        self.worker, self._stream = worker, stream

    def accept(self, pcm):
        self.worker.send(("accept", self._stream, pcm))  # no answer: errors come at finish

    def partial(self):
        return self.worker.call("partial", self._stream)

    def finish(self):
        return self.worker.call("finish", self._stream)

    def close(self):
        worker, self.worker = self.worker, None
        if worker is None:
            return
        try:
            worker.send(("close", self._stream))  # before the place is given up: in order
        except WorkerGone:
            pass
        worker.release(self._stream)


# -- one pool a process ---------------------------------------------------------------

_POOLS = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(count, max_streams):
    """The process's pocketsphinx pool of this size, made (not started) on first use:
    every app in a process shares it, as they share one model."""
    with _POOLS_LOCK:
        pool = _POOLS.get((count, max_streams))
        if pool is None or pool.closed:
            pool = _POOLS[(count, max_streams)] = WorkerPool(count, max_streams)
        return pool


def close_all():
    """Stop every shared pool's workers (each pool also stops its own at exit)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.close()
