#!/usr/bin/env python3
"""flash.py — a flash-sale crowd for `./spike.sh demo` and `./spike.sh bench` (Python 3 standard library only).

    SPIKE_ADMIN_TOKEN=... python3 bench/flash.py --url http://127.0.0.1:8080 --sale S --buyers 30000 \
        --concurrency 150 --stock 10000 [--halfway 5000] --summary out.txt --orders orders.txt

Every buyer is a new user ("<prefix>-<n>") with its own requestId ("r<prefix>-<n>") and buys one ticket
with GET /buy/ticket. Like a real client it keeps asking until it has a final answer:

  - 200 {"status":"reserved"} and 409 {"status":"sold_out"|"limit_reached"} are final;
  - 429, 502, 503, 504 and connection errors / timeouts are retried with the SAME requestId (after
    Retry-After, at most 1 s, for 429/503; after a short growing pause otherwise), so a retry is the
    same purchase and never a second ticket;
  - anything else (400, 404, 500, ...) is final and counted as "unexpected";
  - a buyer without a final answer after --buyer-deadline seconds gives up ("gave_up").

`--concurrency` buyers are active at a time, each on its own keep-alive HTTP/1.1 connection (asyncio,
raw sockets; one request in flight per connection). A poller reads GET /admin/sales/<sale> every
--poll-ms and records when it first shows available == 0: the sell-out time is measured from the first
buy request to that moment.

With --halfway N, the client prints the line "HALFWAY <seconds> <reserved>" the moment the number of
reserved answers reaches N (spike.sh kills nodes then), and counts each node's answers before and after
that moment separately.

Bounded: at most --buyers buyers, each one gives up after --buyer-deadline seconds, the whole run
stops after --max-seconds. It only talks to loopback addresses.

Output: a progress line every --progress seconds on stdout, then a summary file (--summary) of
"key value" lines for the caller's audit (buyers' final outcomes "outcome_<x>", HTTP statuses
"status_<code>", sold-out time "soldout_s", the longest time between two reserved answers
"longest_reserved_gap_s", ...) plus one line per answering API node:
"node <address> <answers before> <reserved before> <answers after> <reserved after> <picked before>
<picked after>" (before/after the halfway mark, by the time each request was sent; "answers": the node
answered, the last address of X-Spike-Upstream; "picked": nginx's weighted choice, the first address,
also when that node did not answer and nginx tried another), and the reserved answers (--orders), one per line as user<TAB>orderId. Exit code 0 when every buyer got
a final answer in time.
"""

import argparse
import asyncio
import ipaddress
import json
import os
import random
import socket
import sys
import time
from urllib.parse import urlsplit

FINAL_OK = (200, 409)
RETRY = (429, 502, 503, 504)


class Stats:
    def __init__(self):
        self.t0 = None                 # monotonic time of the first buy request
        self.sent = 0                  # HTTP requests sent (first attempts and retries)
        self.answers = 0               # HTTP answers received
        self.retries = 0               # attempts after the first one, all buyers
        self.conn_errors = 0           # connection refused/reset/closed, timeouts
        self.by_status = {}            # HTTP status -> count
        self.outcomes = {}             # final outcome -> buyers (reserved, sold_out, limit_reached, unexpected:..., gave_up)
        self.done = 0                  # buyers with a final outcome (or given up)
        self.reserved = 0
        self.orders = []               # (user, orderId) of reserved answers
        self.reserved_users = set()
        self.duplicate_reserved = 0    # a user that got two different reserved answers (must stay 0)
        # per answering API node (last address of X-Spike-Upstream): phase -> counts
        self.nodes = {}
        self.phase = "before"          # "before" / "after" the halfway mark
        self.halfway_time = None
        self.halfway_reserved = None
        self.soldout_time = None       # first poll with available == 0 (seconds since t0)
        self.last_reserved_time = None
        self.longest_gap = 0.0         # longest time between two reserved answers (seconds)
        self.longest_gap_end = None    # when that gap ended (seconds since t0)

    def node(self, upstream):
        n = self.nodes.get(upstream)
        if n is None:
            n = {"before": [0, 0, 0], "after": [0, 0, 0]}   # [answers, reserved, first pick]
            self.nodes[upstream] = n
        return n


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="base URL, loopback only (nginx, e.g. http://127.0.0.1:8080)")
    p.add_argument("--sale", required=True)
    p.add_argument("--buyers", type=int, required=True)
    p.add_argument("--concurrency", type=int, default=150)
    p.add_argument("--stock", type=int, default=0, help="the sale's stock, for progress lines")
    p.add_argument("--prefix", default=None, help="user prefix (default: the sale id)")
    p.add_argument("--halfway", type=int, default=0, help="print HALFWAY when this many reserved answers arrived")
    p.add_argument("--poll-ms", type=int, default=100)
    p.add_argument("--progress", type=float, default=1.0)
    p.add_argument("--request-timeout", type=float, default=30.0)
    p.add_argument("--buyer-deadline", type=float, default=120.0)
    p.add_argument("--max-seconds", type=float, default=600.0)
    p.add_argument("--summary", default=None)
    p.add_argument("--orders", default=None)
    a = p.parse_args()
    u = urlsplit(a.url)
    if u.scheme != "http" or not u.hostname:
        p.error("--url must be http://<loopback address>:<port>")
    try:
        if not ipaddress.ip_address(u.hostname).is_loopback:
            p.error("--url must name a loopback address (127.0.0.1)")
    except ValueError:
        p.error("--url must name a loopback IP address, not a host name")
    a.host, a.port = u.hostname, u.port or 80
    if not (1 <= a.buyers <= 10_000_000) or not (1 <= a.concurrency <= 2000):
        p.error("--buyers must be 1..10,000,000 and --concurrency 1..2000")
    if a.prefix is None:
        a.prefix = a.sale
    a.token = os.environ.get("SPIKE_ADMIN_TOKEN", "")
    return a


class Conn:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def close(self):
        if self.writer is not None:
            w, self.writer, self.reader = self.writer, None, None
            w.close()
            try:
                await w.wait_closed()
            except Exception:
                pass

    async def request(self, raw):
        """Sends raw bytes, returns (status, headers(dict, lower-case), body bytes)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 16)
            sock = self.writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")   # no trailers expected
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(chunks)
        else:
            body = await self.reader.read()
            await self.close()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, body


async def buyer(args, stats, conn, n):
    user = f"{args.prefix}-{n}"
    path = f"/buy/ticket?sale={args.sale}&user={user}&requestId=r{user}"
    raw = f"GET {path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n\r\n".encode()
    deadline = time.monotonic() + args.buyer_deadline
    attempt = 0
    while True:
        if attempt > 0:
            stats.retries += 1
        attempt += 1
        stats.sent += 1
        phase = stats.phase   # a request counts in the phase it was sent in
        status = None
        pause = min(1.0, 0.1 * (2 ** min(attempt, 4)))
        try:
            status, headers, body = await asyncio.wait_for(conn.request(raw), args.request_timeout)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ValueError, IndexError):
            stats.conn_errors += 1
            await conn.close()
        if status is not None:
            stats.answers += 1
            stats.by_status[status] = stats.by_status.get(status, 0) + 1
            # "a, b" when nginx tried a and then b: b answered, a was nginx's weighted pick
            tried = [t.strip() for t in headers.get("x-spike-upstream", "?").split(",")]
            stats.node(tried[0] or "?")[phase][2] += 1
            node = stats.node(tried[-1] or "?")[phase]
            node[0] += 1
            if status in FINAL_OK:
                try:
                    answer = json.loads(body)
                    outcome = answer.get("status", "?")
                except ValueError:
                    answer, outcome = {}, "unparsable"
                if status == 200 and outcome == "reserved":
                    node[1] += 1
                    stats.reserved += 1
                    now = time.monotonic() - stats.t0
                    if stats.last_reserved_time is not None and now - stats.last_reserved_time > stats.longest_gap:
                        stats.longest_gap, stats.longest_gap_end = now - stats.last_reserved_time, now
                    stats.last_reserved_time = now
                    if user in stats.reserved_users:
                        stats.duplicate_reserved += 1
                    stats.reserved_users.add(user)
                    stats.orders.append((user, answer.get("orderId", "")))
                    if args.halfway and stats.halfway_time is None and stats.reserved >= args.halfway:
                        stats.halfway_time = time.monotonic() - stats.t0
                        stats.halfway_reserved = stats.reserved
                        stats.phase = "after"
                        print(f"HALFWAY {stats.halfway_time:.3f} {stats.reserved}", flush=True)
                return outcome if status == 409 or outcome == "reserved" else f"unexpected:{status}:{outcome}"
            if status not in RETRY:
                return f"unexpected:{status}"
            try:
                pause = min(1.0, float(headers.get("retry-after", "1")))
            except ValueError:
                pause = 1.0
        if time.monotonic() + pause > deadline:
            return "gave_up"
        await asyncio.sleep(pause * random.uniform(0.5, 1.0))


async def worker(args, stats, queue_iter):
    conn = Conn(args.host, args.port)
    try:
        for n in queue_iter:
            outcome = await buyer(args, stats, conn, n)
            stats.outcomes[outcome] = stats.outcomes.get(outcome, 0) + 1
            stats.done += 1
    finally:
        await conn.close()


async def poller(args, stats, stop):
    """Reads the sale's counts from GET /admin/sales/<sale> until it shows available == 0."""
    conn = Conn(args.host, args.port)
    raw = (f"GET /admin/sales/{args.sale} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
           f"Authorization: Bearer {args.token}\r\n\r\n").encode()
    try:
        while not stop.is_set() and stats.soldout_time is None:
            try:
                status, _, body = await asyncio.wait_for(conn.request(raw), 5)
                if status == 200 and json.loads(body).get("available") == 0:
                    stats.soldout_time = time.monotonic() - stats.t0
                    return
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, IndexError):
                await conn.close()
            await asyncio.sleep(args.poll_ms / 1000)
    finally:
        await conn.close()


async def progress(args, stats, stop):
    last_t, last_answers = 0.0, 0
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), args.progress)
        except asyncio.TimeoutError:
            pass
        t = time.monotonic() - stats.t0
        rate = (stats.answers - last_answers) / max(t - last_t, 1e-6)
        last_t, last_answers = t, stats.answers
        so = stats.outcomes.get("sold_out", 0)
        retry_codes = sum(v for k, v in stats.by_status.items() if k in RETRY)
        stock = f"/{args.stock:,}" if args.stock else ""
        print(f"  {t:6.1f} s  buyers done {stats.done:>9,}/{args.buyers:,}  reserved {stats.reserved:>8,}{stock}"
              f"  sold out {so:>8,}  retried {stats.retries:>6,} (429/50x {retry_codes:,}, no answer {stats.conn_errors:,})"
              f"  {rate:>7,.0f} answers/s", flush=True)


async def main():
    args = parse_args()
    stats = Stats()
    stop = asyncio.Event()
    numbers = iter(range(1, args.buyers + 1))   # shared by the workers: each buyer is taken once
    stats.t0 = time.monotonic()
    wall0 = time.time()
    tasks = [asyncio.create_task(worker(args, stats, numbers)) for _ in range(args.concurrency)]
    side = [asyncio.create_task(poller(args, stats, stop)), asyncio.create_task(progress(args, stats, stop))]
    done, pending = await asyncio.wait(tasks, timeout=args.max_seconds)
    timed_out = bool(pending)
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for t in done:
        if t.exception() is not None:
            print(f"  !! a worker failed: {t.exception()!r}", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - stats.t0
    # the poller gets a last chance to see available == 0 when every buyer is done
    if stats.soldout_time is None:
        try:
            await asyncio.wait_for(side[0], 2)
        except asyncio.TimeoutError:
            pass
    stop.set()
    await asyncio.gather(*side, return_exceptions=True)

    unanswered = args.buyers - stats.done
    if args.orders:
        with open(args.orders, "w") as f:
            for user, order_id in stats.orders:
                f.write(f"{user}\t{order_id}\n")
    lines = [
        ("buyers", args.buyers), ("concurrency", args.concurrency), ("started_unix", f"{wall0:.3f}"),
        ("elapsed_s", f"{elapsed:.3f}"), ("timed_out", int(timed_out)), ("unfinished", unanswered),
        ("sent", stats.sent), ("answers", stats.answers), ("retries", stats.retries), ("conn_errors", stats.conn_errors),
        ("reserved", stats.reserved), ("reserved_users", len(stats.reserved_users)),
        ("duplicate_reserved", stats.duplicate_reserved),
        ("soldout_s", f"{stats.soldout_time:.3f}" if stats.soldout_time is not None else "none"),
        ("last_reserved_s", f"{stats.last_reserved_time:.3f}" if stats.last_reserved_time is not None else "none"),
        ("longest_reserved_gap_s", f"{stats.longest_gap:.3f}"),
        ("longest_reserved_gap_end_s", f"{stats.longest_gap_end:.3f}" if stats.longest_gap_end is not None else "none"),
        ("halfway_s", f"{stats.halfway_time:.3f}" if stats.halfway_time is not None else "none"),
        ("halfway_reserved", stats.halfway_reserved if stats.halfway_reserved is not None else "none"),
        ("answers_per_s", f"{stats.answers / max(elapsed, 1e-6):.0f}"),
    ]
    for k, v in sorted(stats.outcomes.items()):
        lines.append((f"outcome_{k}", v))
    for k, v in sorted(stats.by_status.items()):
        lines.append((f"status_{k}", v))
    out = [f"{k} {v}" for k, v in lines]
    for upstream, n in sorted(stats.nodes.items()):
        out.append(f"node {upstream} {n['before'][0]} {n['before'][1]} {n['after'][0]} {n['after'][1]}"
                   f" {n['before'][2]} {n['after'][2]}")
    text = "\n".join(out) + "\n"
    if args.summary:
        with open(args.summary, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0 if not timed_out and unanswered == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:
        sys.exit(130)
