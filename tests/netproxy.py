"""A TCP relay between the tests and a server, that can cut the network the way networks get cut.

    with NetProxy(cluster.port) as proxy:
        url = cluster.url(port=proxy.port)
        ...
        proxy.cut()        # live connections dropped; new ones accepted but never answered
        proxy.refuse()     # live connections dropped; new ones refused
        proxy.restore()    # forward again
        proxy.cut_on(b"COMMIT")  # cut right after forwarding the client's next COMMIT

`cut()` is the nasty case: a VPN or tunnel gone dead, a laptop off the wifi behind a NAT. The
client's connect succeeds (the local end answers) but nothing ever comes back, so it hangs until
its own timeout; `refuse()` is the kind case, an error at once. A dropped connection is reset on
the client's side; on the server's side it is closed after every byte already forwarded, so the
server sees what the client sent up to the cut, then the client gone (as with a real cut, it may
have committed a transaction whose answer the client never gets).

One thread relays everything with a selector; cut(), refuse() and restore() run on that thread
too (they wait for it), so a cut never races a chunk being forwarded.
"""

from __future__ import annotations

import queue
import selectors
import socket
import struct
import threading
from collections.abc import Callable

FORWARD, BLACKHOLE, REFUSE = "forward", "blackhole", "refuse"


class NetProxy:
    """127.0.0.1:`port` relayed to `target_host`:`target_port`, with cut(), refuse() and restore()."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.mode = FORWARD
        """forward, blackhole (accept, never answer) or refuse (nothing listens)."""
        self.accepted = 0
        """Connections accepted so far (black-holed ones included)."""
        self.cuts = 0
        """How many times the network was cut (by cut(), refuse() or a cut_on pattern)."""
        self._selector = selectors.DefaultSelector()
        self._pairs: dict[socket.socket, socket.socket] = {}  # each relayed socket -> its other end
        self._held: set[socket.socket] = set()  # black-holed clients: open, never answered
        self._closing: set[socket.socket] = set()  # servers told the client left, read until they hang up
        self._frozen: list[tuple[socket.socket, socket.socket]] = []  # (client, server) frozen mid-stream
        self._stranded: list[socket.socket] = []  # servers of frozen connections whose client was reset
        self._withheld: tuple[socket.socket, bytes] | None = None  # a frozen chunk not forwarded (yet)
        self._trigger: bytes | None = None
        self._trigger_forward = True
        self._trigger_freeze = False
        self._calls: queue.SimpleQueue[tuple[Callable[[], None], threading.Event, list]] = queue.SimpleQueue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._listener: socket.socket | None = None
        self.port = self._listen(0)
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="netproxy", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ what the tests call

    def cut(self) -> None:
        """Drop every live connection; accept new ones but never forward a byte (clients hang)."""
        self._on_loop(lambda: self._cut(BLACKHOLE))

    def refuse(self) -> None:
        """Drop every live connection and stop listening: new connections are refused at once."""
        self._on_loop(lambda: self._cut(REFUSE))

    def restore(self) -> None:
        """Forward again; black-holed connections are closed (their clients gave up or will)."""
        self._on_loop(self._restore)

    def cut_on(self, pattern: bytes, *, forward: bool = True, freeze: bool = False) -> None:
        """Cut (as cut()) when a client sends `pattern`: after forwarding that chunk, or instead of it.

        `freeze`: the live connections are not dropped but frozen, open and silent both ways, as
        behind a dead tunnel: neither the client nor the server hears of the cut. restore() then
        resets their clients; their servers still hear nothing (they drop them on their own
        timeouts), unless `deliver()` sends them the chunk held back (`forward=False`).
        """

        def arm() -> None:
            self._trigger, self._trigger_forward, self._trigger_freeze = pattern, forward, freeze

        self._on_loop(arm)

    def deliver(self) -> None:
        """Send a frozen connection's server the chunk its cut held back, then end its stream.

        As a client's kernel does with what it had queued when the network comes back: a COMMIT
        can reach the server after the client gave up on it.
        """

        def send() -> None:
            if self._withheld is None:
                raise RuntimeError("no chunk was held back")
            server, chunk = self._withheld
            self._withheld = None
            if server in self._stranded:
                self._stranded.remove(server)
            elif any(server is s for _, s in self._frozen):
                self._frozen = [(c, s) for c, s in self._frozen if s is not server]
            _send_all(server, chunk)
            self._end(server)

        self._on_loop(send)

    @property
    def armed(self) -> bool:
        """True while a cut_on pattern waits for its chunk."""
        return self._trigger is not None

    @property
    def held(self) -> int:
        """Black-holed connections held open now (a client waiting for an answer that never comes)."""
        return len(self._held)

    @property
    def live(self) -> int:
        """Client connections being relayed now."""
        return len(self._pairs) // 2

    def close(self) -> None:
        """Stop relaying and close every socket."""
        if self._stopping:
            return
        self._on_loop(self._shutdown)
        self._stopping = True
        self._wake_w.send(b"x")
        self._thread.join(timeout=10)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> NetProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ the relay thread

    def _on_loop(self, call: Callable[[], None]) -> None:
        """Run `call` on the relay thread and wait for it; its exception is raised here."""
        done, failed = threading.Event(), []
        self._calls.put((call, done, failed))
        self._wake_w.send(b"x")
        if not done.wait(timeout=10):
            raise RuntimeError("the proxy thread did not answer")
        if failed:
            raise failed[0]

    def _listen(self, port: int) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        listener.setblocking(False)
        self._listener = listener
        self._selector.register(listener, selectors.EVENT_READ)
        return listener.getsockname()[1]

    def _run(self) -> None:
        while not self._stopping:
            for key, _ in self._selector.select(timeout=1.0):
                sock = key.fileobj
                if sock is self._wake_r:
                    self._wake_r.recv(4096)
                    while not self._calls.empty():
                        call, done, failed = self._calls.get()
                        try:
                            call()
                        except Exception as error:  # the caller's to see; the relay goes on
                            failed.append(error)
                        finally:
                            done.set()
                elif sock is self._listener:
                    self._accept()
                elif sock in self._pairs:
                    self._relay(sock)  # type: ignore[arg-type]
                elif sock in self._held or sock in self._closing:
                    self._drain(sock)  # type: ignore[arg-type]

    def _accept(self) -> None:
        assert self._listener is not None
        try:
            client, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        self.accepted += 1
        client.setblocking(False)
        if self.mode == BLACKHOLE:
            self._held.add(client)
            self._selector.register(client, selectors.EVENT_READ)
            return
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:
            _reset(client)
            return
        server.setblocking(False)
        for one, other in ((client, server), (server, client)):
            one.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._pairs[one] = other
            self._selector.register(one, selectors.EVENT_READ, data="client" if one is client else "server")

    def _relay(self, sock: socket.socket) -> None:
        other = self._pairs[sock]
        from_client = self._selector.get_key(sock).data == "client"
        try:
            chunk = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._drop(sock)
            return
        trigger = self._trigger
        if from_client and trigger is not None and trigger in chunk:
            self._trigger = None
            if self._trigger_forward:
                _send_all(other, chunk)
            elif self._trigger_freeze:
                self._withheld = (other, chunk)
            self._cut(BLACKHOLE, freeze=self._trigger_freeze)
            return
        if not _send_all(other, chunk):
            self._drop(sock)

    def _drain(self, sock: socket.socket) -> None:
        """Read and discard what a black-holed client or a left server sends; close it when it hangs up."""
        try:
            if sock.recv(65536):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._selector.unregister(sock)
        self._held.discard(sock)
        self._closing.discard(sock)
        sock.close()

    def _drop(self, sock: socket.socket) -> None:
        """Close one relayed pair (one end hung up)."""
        other = self._pairs.pop(sock, None)
        for one in (sock, other):
            if one is None:
                continue
            self._pairs.pop(one, None)
            self._selector.unregister(one)
            one.close()

    def _cut(self, mode: str, freeze: bool = False) -> None:
        self.cuts += 1
        self.mode = mode
        for sock, other in list(self._pairs.items()):
            if sock not in self._pairs:
                continue
            client = sock if self._selector.get_key(sock).data == "client" else other
            server = other if client is sock else sock
            for one in (client, server):
                self._pairs.pop(one, None)
                self._selector.unregister(one)
            if freeze:
                self._frozen.append((client, server))
                continue
            _reset(client)
            self._end(server)
        if mode == REFUSE and self._listener is not None:
            self._selector.unregister(self._listener)
            self._listener.close()
            self._listener = None

    def _end(self, server: socket.socket) -> None:
        """The server gets every byte forwarded so far, then the end of the stream (not a reset,
        which could discard what it has not read yet): it sees the client go after them."""
        try:
            server.shutdown(socket.SHUT_WR)
        except OSError:
            server.close()
            return
        self._closing.add(server)
        self._selector.register(server, selectors.EVENT_READ)

    def _restore(self) -> None:
        self._trigger = None
        self._release_held()
        if self._listener is None:
            self._listen(self.port)
        self.mode = FORWARD

    def _release_held(self) -> None:
        """Reset the black-holed and frozen connections: their clients get an error now."""
        for sock in list(self._held):
            self._selector.unregister(sock)
            _reset(sock)
        self._held.clear()
        for client, server in self._frozen:
            _reset(client)
            self._stranded.append(server)
        self._frozen.clear()

    def _shutdown(self) -> None:
        self._cut(REFUSE)
        self._release_held()
        for server in self._stranded:
            server.close()
        self._stranded.clear()
        for sock in list(self._closing):
            self._selector.unregister(sock)
            sock.close()
        self._closing.clear()


def _reset(sock: socket.socket) -> None:
    """Close with a reset (SO_LINGER 0), as when the peer's end is gone."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def _send_all(sock: socket.socket, data: bytes) -> bool:
    """Forward `data` on a non-blocking socket (waiting briefly when its buffer is full); False when it is gone."""
    view = memoryview(data)
    while view:
        try:
            sent = sock.send(view)
        except (BlockingIOError, InterruptedError):
            _wait_writable(sock)
            continue
        except OSError:
            return False
        view = view[sent:]
    return True


def _wait_writable(sock: socket.socket) -> None:
    with selectors.DefaultSelector() as one:
        one.register(sock, selectors.EVENT_WRITE)
        one.select(timeout=1.0)
