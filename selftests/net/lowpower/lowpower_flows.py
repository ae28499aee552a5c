#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Traffic for the lowpower multipath selftests.

udp:    send FLOWS UDP flows (one socket, so one source port, each) of
        PACKETS datagrams; unconnected sockets, so every datagram is routed.
phases: a heavy phase (a pool of flows sent as fast as possible, optionally
        replaced by new flows every FLOW_PACKETS packets), then a
        light one (a trickle of new flows); samples the tx_packets of the
        given devices every 100 ms and reports how long it took the traffic
        to spill onto more than one of them, and to come back to one.
sink:   TCP server: accept one connection, count what arrives.
stream: TCP client: one connection sending for SECONDS.
bulk:   TCP client: CONNECTIONS connections, each paced to RATE bytes/s
        in CHUNK-byte writes, until SECONDS pass or the process is stopped
        (background load); fails if a connection fails.
bulk-sink: TCP server: accept any number of connections, discard the data.
"""

import argparse
import socket
import sys
import threading
import time


def family(arg):
    if arg not in ("4", "6"):
        raise argparse.ArgumentTypeError("family must be 4 or 6")
    return socket.AF_INET if arg == "4" else socket.AF_INET6


def positive(arg):
    val = int(arg)
    if val <= 0:
        raise argparse.ArgumentTypeError(f"{arg}: must be a positive integer")
    return val


def udp(args):
    payload = b"x" * args.size
    sent = 0
    failed = 0
    for flow in range(args.flows):
        with socket.socket(args.family, socket.SOCK_DGRAM) as sock:
            if args.sport_base:
                sock.bind(("", args.sport_base + flow))
            for _ in range(args.packets):
                try:
                    sock.sendto(payload, (args.dst, args.port))
                    sent += 1
                except OSError:
                    if not args.keep_going:
                        raise
                    failed += 1
        if args.pps:
            time.sleep(args.packets / args.pps)
    print(f"sent {sent}" + (f" failed {failed}" if failed else ""))


def tx_packets(devs):
    counts = []
    for dev in devs:
        with open(f"/sys/class/net/{dev}/statistics/tx_packets") as f:
            counts.append(int(f.read()))
    return counts


class Windows:
    """tx_packets per device in consecutive 100 ms windows."""

    def __init__(self, devs):
        self.devs = devs
        self.last = tx_packets(devs)
        self.next = time.monotonic() + 0.1

    def due(self):
        return time.monotonic() >= self.next

    def take(self):
        now = tx_packets(self.devs)
        delta = [b - a for a, b in zip(self.last, now)]
        self.last = now
        self.next = time.monotonic() + 0.1
        return delta


def phases(args):
    payload = b"x" * args.size
    light = b"x" * 64
    pool = [socket.socket(args.family, socket.SOCK_DGRAM)
            for _ in range(args.pool)]
    win = Windows(args.devs)
    spill = back = None
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < args.heavy:
        k = i % len(pool)
        pool[k].sendto(payload, (args.dst, args.port))
        i += 1
        if args.flow_packets and i % (len(pool) * args.flow_packets) < len(pool):
            # this flow ends, a new one (new source port) takes its place
            pool[k].close()
            pool[k] = socket.socket(args.family, socket.SOCK_DGRAM)
        if win.due():
            delta = win.take()
            total = sum(delta)
            t = time.monotonic() - start
            if spill is None and total >= 20 and \
               total - max(delta) >= total // 10:
                spill = t
            print(f"heavy t={t:.1f} {delta}")
    for sock in pool:
        sock.close()

    start = time.monotonic()
    next_flow = start
    while time.monotonic() - start < args.light:
        if time.monotonic() >= next_flow:
            with socket.socket(args.family, socket.SOCK_DGRAM) as sock:
                sock.sendto(light, (args.dst, args.port))
            next_flow += 1 / args.light_pps
        if win.due():
            delta = win.take()
            total = sum(delta)
            t = time.monotonic() - start
            if back is None and total >= 2 and max(delta) == total:
                back = t
            elif back is not None and max(delta) != total:
                back = None
            print(f"light t={t:.1f} {delta}")
        time.sleep(0.002)
    print(f"heavy_packets {i}")
    print(f"spill_s {spill if spill is not None else -1:.1f}")
    print(f"back_s {back if back is not None else -1:.1f}")


def sink(args):
    with socket.socket(args.family, socket.SOCK_STREAM) as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("", args.port))
        srv.listen(1)
        srv.settimeout(args.timeout)
        conn, _ = srv.accept()
        total = 0
        with conn:
            conn.settimeout(args.timeout)
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                total += len(data)
    print(f"received {total}")


def stream(args):
    payload = b"x" * 16384
    total = 0
    with socket.create_connection((args.dst, args.port), timeout=10) as sock:
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            sock.sendall(payload)
            total += len(payload)
            if args.rate:
                time.sleep(len(payload) / args.rate)
    print(f"sent {total}")


def bulk(args):
    failed = []

    def one(n):
        payload = b"x" * args.chunk
        src = ("", args.sport_base + n) if args.sport_base else None
        try:
            with socket.create_connection((args.dst, args.port), timeout=10,
                                          source_address=src) as s:
                end = time.monotonic() + args.seconds
                while time.monotonic() < end:
                    s.sendall(payload)
                    time.sleep(len(payload) / args.rate)
        except OSError as e:
            print(f"bulk connection {n}: {e}", file=sys.stderr)
            failed.append(n)

    threads = [threading.Thread(target=one, args=(n,), daemon=True)
               for n in range(args.connections)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    if failed:
        raise OSError(f"{len(failed)} of {args.connections} connections failed")


def bulk_sink(args):
    def drain(conn):
        with conn:
            while conn.recv(65536):
                pass

    with socket.socket(args.family, socket.SOCK_STREAM) as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("", args.port))
        srv.listen(128)
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=drain, args=(conn,), daemon=True).start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("udp", help="send UDP flows")
    p.add_argument("family", type=family)
    p.add_argument("dst")
    p.add_argument("port", type=positive)
    p.add_argument("--flows", type=positive, default=100)
    p.add_argument("--packets", type=positive, default=1)
    p.add_argument("--size", type=positive, default=100)
    p.add_argument("--pps", type=positive, default=0,
                   help="pace flows to about this many packets per second")
    p.add_argument("--sport-base", type=positive, default=0,
                   help="flow i uses source port SPORT_BASE + i "
                        "(default: ephemeral ports)")
    p.add_argument("--keep-going", action="store_true",
                   help="count failed sends (no route) instead of stopping")
    p.set_defaults(func=udp)

    p = sub.add_parser("phases", help="heavy then light traffic, timed")
    p.add_argument("family", type=family)
    p.add_argument("dst")
    p.add_argument("port", type=positive)
    p.add_argument("devs", type=lambda s: s.split(","))
    p.add_argument("--heavy", type=float, default=3.0)
    p.add_argument("--light", type=float, default=4.0)
    p.add_argument("--pool", type=positive, default=64)
    p.add_argument("--size", type=positive, default=1400)
    p.add_argument("--light-pps", type=positive, default=50)
    p.add_argument("--flow-packets", type=positive, default=0,
                   help="heavy flows end after about this many packets "
                        "and new ones start (default: the pool runs on)")
    p.set_defaults(func=phases)

    p = sub.add_parser("sink", help="TCP sink for one connection")
    p.add_argument("family", type=family)
    p.add_argument("port", type=positive)
    p.add_argument("--timeout", type=float, default=30.0)
    p.set_defaults(func=sink)

    p = sub.add_parser("stream", help="one TCP connection")
    p.add_argument("family", type=family)
    p.add_argument("dst")
    p.add_argument("port", type=positive)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--rate", type=positive, default=0,
                   help="bytes per second, default as fast as possible")
    p.set_defaults(func=stream)

    p = sub.add_parser("bulk", help="paced TCP connections")
    p.add_argument("family", type=family)
    p.add_argument("dst")
    p.add_argument("port", type=positive)
    p.add_argument("--connections", type=positive, default=16)
    p.add_argument("--rate", type=positive, default=100000,
                   help="bytes per second per connection")
    p.add_argument("--seconds", type=float, default=3600.0)
    p.add_argument("--chunk", type=positive, default=8192,
                   help="bytes per write; the pacing sleeps between writes")
    p.add_argument("--sport-base", type=positive, default=0,
                   help="connection i uses source port SPORT_BASE + i "
                        "(default: ephemeral ports)")
    p.set_defaults(func=bulk)

    p = sub.add_parser("bulk-sink", help="TCP sink for many connections")
    p.add_argument("family", type=family)
    p.add_argument("port", type=positive)
    p.set_defaults(func=bulk_sink)

    args = parser.parse_args()
    try:
        args.func(args)
    except OSError as e:
        print(f"{sys.argv[0]}: {args.cmd}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
