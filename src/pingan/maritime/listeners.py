"""Network feeds for the pipeline: NMEA over UDP, a TCP server receivers push to, and TCP clients to receivers.

All run on one asyncio loop in a thread of their own. A sender can only cost itself: oversized lines are cut and
counted, a dropped connection is reconnected with back-off, and no exception from a line reaches the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from pingan.maritime.nmea import MAX_LINE_BYTES, Reason
from pingan.maritime.pipeline import Pipeline

log = logging.getLogger(__name__)
RECONNECT_MAX_S = 30.0


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, pipeline: Pipeline, feed: str, loop: asyncio.AbstractEventLoop) -> None:
        self.pipeline = pipeline
        self.feed = feed
        self.loop = loop
        self.datagrams = 0

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.datagrams += 1
        try:
            # One decoder per sending address, so fragments from two senders never mix.
            self.pipeline.feed_lines(data.splitlines(), feed=f"{self.feed}:{addr[0]}:{addr[1]}", at=self.loop.time())
        except Exception:  # a pipeline bug must not stop the listener; it is logged and the datagram counted
            log.exception("AIS datagram from %s failed", addr)


async def _read_lines(reader: asyncio.StreamReader, pipeline: Pipeline, feed: str) -> None:
    loop = asyncio.get_running_loop()
    while True:
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as end:
            if end.partial:
                pipeline.feed_lines([end.partial], feed=feed, at=loop.time())
            return
        except asyncio.LimitOverrunError as over:
            # Skip the oversized line up to its newline and count it once.
            await reader.readexactly(over.consumed)
            with contextlib.suppress(asyncio.LimitOverrunError, asyncio.IncompleteReadError):
                while True:
                    try:
                        await reader.readuntil(b"\n")
                        break
                    except asyncio.LimitOverrunError as more:
                        await reader.readexactly(more.consumed)
            with pipeline.lock:
                pipeline.counters.lines += 1
                pipeline.counters.reject(Reason.TOO_LONG, sample=b"<oversized line>")
            continue
        try:
            pipeline.feed_lines([line], feed=feed, at=loop.time())
        except Exception:
            log.exception("AIS line from %s failed", feed)


class Listeners:
    """The asyncio loop thread that owns every network feed of one pipeline."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        host: str = "127.0.0.1",
        udp_port: int | None = None,
        tcp_port: int | None = None,
        tcp_sources: list[str] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.host = host
        self.udp_port = udp_port
        self.tcp_port = tcp_port
        self.tcp_sources = list(tcp_sources or [])
        self.bound: dict[str, int] = {}  # "udp"/"tcp" -> the port actually bound (0 asks the OS for one)
        self.connected: dict[str, bool] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    def start(self, timeout_s: float = 10.0) -> None:
        """Start the loop thread and wait until the sockets are bound (raises if binding failed)."""
        self._thread = threading.Thread(target=self._run, name="pingan-ais-listeners", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise TimeoutError("AIS listeners did not start")
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        """Close every socket and end the loop thread."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to start() if it happens while binding
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _main(self) -> None:
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        closers: list[Callable[[], object]] = []
        if self.udp_port is not None:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(self.pipeline, "udp", loop), local_addr=(self.host, self.udp_port)
            )
            self.bound["udp"] = transport.get_extra_info("sockname")[1]
            closers.append(transport.close)
        if self.tcp_port is not None:
            server = await asyncio.start_server(self._serve_client, self.host, self.tcp_port, limit=MAX_LINE_BYTES)
            self.bound["tcp"] = server.sockets[0].getsockname()[1]
            closers.append(server.close)
        tasks = [asyncio.create_task(self._client(source)) for source in self.tcp_sources]
        self._ready.set()
        await self._stop.wait()
        for task in tasks:
            task.cancel()
        for close in closers:
            close()

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        feed = f"tcp-in:{peer[0]}:{peer[1]}" if peer else "tcp-in"
        try:
            await _read_lines(reader, self.pipeline, feed)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _client(self, source: str) -> None:
        host, _, port = source.rpartition(":")
        delay = 1.0
        while True:
            try:
                reader, writer = await asyncio.open_connection(host, int(port), limit=MAX_LINE_BYTES)
            except (OSError, ValueError) as exc:
                self.connected[source] = False
                log.warning("AIS receiver %s unreachable (%s); retrying in %.0f s", source, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
                continue
            self.connected[source] = True
            delay = 1.0
            try:
                await _read_lines(reader, self.pipeline, f"tcp-out:{source}")
            except (ConnectionError, OSError):
                pass
            finally:
                self.connected[source] = False
                writer.close()
            await asyncio.sleep(delay)
