#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Random calls to every member of a running virtbusd.

Reads the live introspection of every object below /org/libvirt, then for a
bounded time sends, to members picked at random: well-typed calls with random
and edge values (empty, huge, non-ASCII, bytes that are not UTF-8 where the
signature lets them through, the extreme integers, every flag bit), calls of
the wrong signature, property reads and writes, and calls to object paths
that name nothing or are malformed in their last element. Every call must get
a reply (a return or an error) before the timeout, and the daemon must still
answer Peer.Ping at the end.

Callers are whoever runs this: root, or an unprivileged user. Strings never
start with '/', so no call names a host file (virtbusd refuses relative
paths), and everything runs against the daemon's own test connection.

usage: dbus-fuzz.py --address ADDR [--seconds N] [--seed N] [--inflight N]
Prints a summary line; exits 1 on a call without a reply or a dead daemon.
"""
import argparse
import random
import sys
import time
import xml.etree.ElementTree as ET

import dbus
import dbus.mainloop.glib
from gi.repository import GLib

NAME = "org.libvirt"
ROOT = "/org/libvirt"
INT_EDGES = {
    "y": [0, 1, 255],
    "n": [-32768, -1, 0, 32767],
    "q": [0, 1, 65535],
    "i": [-2**31, -1, 0, 1, 2**31 - 1],
    "u": [0, 1, 2**31, 2**32 - 1],
    "x": [-2**63, -1, 0, 2**63 - 1],
    "t": [0, 1, 2**63, 2**64 - 1],
}
WRAP = {
    "y": dbus.Byte, "n": dbus.Int16, "q": dbus.UInt16, "i": dbus.Int32, "u": dbus.UInt32,
    "x": dbus.Int64, "t": dbus.UInt64, "d": dbus.Double, "b": dbus.Boolean,
    "s": dbus.String, "o": dbus.ObjectPath, "g": dbus.Signature,
}


def split_sig(sig):
    """The complete types of a signature."""
    out, i = [], 0
    while i < len(sig):
        j = i
        while sig[j] == "a":
            j += 1
        if sig[j] in "({":
            depth, k = 0, j
            while True:
                if sig[k] in "({":
                    depth += 1
                elif sig[k] in ")}":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            j = k
        out.append(sig[i:j + 1])
        i = j + 1
    return out


class Gen:
    def __init__(self, rng, paths):
        self.rng = rng
        self.paths = paths

    def string(self, depth=0):
        r = self.rng.random()
        if r < 0.15:
            return ""
        if r < 0.2:
            # Huge, once per call at most: the bus caps a message's size.
            return "a" * self.rng.choice([256, 4096] + ([1 << 20] if depth == 0 else []))
        if r < 0.3:
            return "é€𝄞" * self.rng.randint(1, 40)
        if r < 0.4:
            return "<domain type='test'><name>fz%d</name><memory>1024</memory><os><type>hvm</type></os></domain>" % \
                self.rng.randint(0, 9)
        if r < 0.45:
            return "<domain><name>" + "x" * self.rng.randint(0, 100)
        if r < 0.5:
            return "fz\x01\x7f\ttab"
        alphabet = "abcdefghijklmnopqrstuvwxyzABC0123456789_-.:é€ "
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(1, 40)))

    def object_path(self):
        r = self.rng.random()
        if r < 0.5 and self.paths:
            return self.rng.choice(self.paths)
        if r < 0.7:
            return ROOT + "/Test/domain/_" + "".join(self.rng.choice("0123456789abcdef_") for _ in range(36))
        return self.rng.choice(["/", ROOT, ROOT + "/Nothing", ROOT + "/Test/domain/x_zz"])

    def value(self, t, depth=0):
        c = t[0]
        if c in INT_EDGES:
            if self.rng.random() < 0.6:
                return WRAP[c](self.rng.choice(INT_EDGES[c]))
            lo, hi = INT_EDGES[c][0], INT_EDGES[c][-1]
            return WRAP[c](self.rng.randint(lo, hi))
        if c == "d":
            return dbus.Double(self.rng.choice([0.0, -1.0, 1e308, float("inf"), float("nan"), self.rng.random()]))
        if c == "b":
            return dbus.Boolean(self.rng.random() < 0.5)
        if c == "s":
            return dbus.String(self.string(depth))
        if c == "o":
            return dbus.ObjectPath(self.object_path())
        if c == "g":
            return dbus.Signature(self.rng.choice(["", "s", "a{sv}", "(ii)"]))
        if c == "h":
            return dbus.types.UnixFd(sys.stdin.fileno() if not sys.stdin.closed else 0)
        if c == "v":
            inner = self.rng.choice(["s", "u", "i", "t", "b", "d", "ay", "as", "v", "a{sv}"])
            if depth > 3:
                inner = "s"
            return self.wrap_variant(inner, depth)
        if t.startswith("ay"):
            n = self.rng.choice([0, 1, 16, 4096])
            # Bytes that are not UTF-8: the bus lets them through here.
            return dbus.ByteArray(bytes(self.rng.choice([0xff, 0xc3, 0x80, 0x00, 0x41]) for _ in range(n)))
        if t.startswith("a{"):
            kt, vt = split_sig(t[2:-1])
            d = dbus.Dictionary({}, signature=t[2:-1])
            for _ in range(self.rng.choice([0, 1, 3, 40]) if depth < 3 else 1):
                k = self.value(kt, depth + 1)
                if kt == "s" and self.rng.random() < 0.3:
                    # Typed parameter names: long, multi-byte.
                    k = dbus.String("x" + "€" * self.rng.randint(20, 40))
                d[k] = self.value(vt, depth + 1)
            return d
        if c == "a":
            et = t[1:]
            n = self.rng.choice([0, 1, 2, 50]) if depth < 3 else 1
            if "h" in et:
                # The bus caps the descriptors a message may carry.
                n = min(n, 4)
            return dbus.Array([self.value(et, depth + 1) for _ in range(n)], signature=et)
        if c == "(":
            return dbus.Struct([self.value(x, depth + 1) for x in split_sig(t[1:-1])], signature=t[1:-1])
        raise ValueError(t)

    def wrap_variant(self, inner, depth):
        v = self.value(inner, depth + 1)
        if inner in WRAP:
            return WRAP[inner](v, variant_level=1)
        if isinstance(v, dbus.Array):
            return dbus.Array(v, signature=v.signature, variant_level=1)
        if isinstance(v, dbus.Dictionary):
            return dbus.Dictionary(v, signature=v.signature, variant_level=1)
        if isinstance(v, dbus.ByteArray):
            return dbus.ByteArray(v, variant_level=1)
        return v

    def args(self, sig):
        return [self.value(t) for t in split_sig(sig)]

    def wrong_sig(self, sig):
        choices = ["", "s", "u", "i", "ss", "a{sv}", "as", "v", "uuuuuuuu", "ay", "(s)", "b"]
        other = [c for c in choices if c != sig]
        return self.rng.choice(other)


def introspect(bus, path):
    obj = bus.get_object(NAME, path, introspect=False)
    xml = obj.Introspect(dbus_interface="org.freedesktop.DBus.Introspectable", timeout=30)
    return ET.fromstring(xml)


def walk(bus, path, objects, limit=40):
    if len(objects) >= limit:
        return
    try:
        node = introspect(bus, path)
    except dbus.exceptions.DBusException as e:
        # A node the caller may not see (or polkit will not judge): its
        # members are still called, by path, from the others' lists.
        print("# not introspected: %s: %s" % (path, e.get_dbus_name()), flush=True)
        return
    members = []
    for iface in node.findall("interface"):
        name = iface.get("name")
        for m in iface.findall("method"):
            sig = "".join(a.get("type") for a in m.findall("arg") if a.get("direction", "in") == "in")
            members.append(("method", name, m.get("name"), sig))
        for p in iface.findall("property"):
            members.append(("property", name, p.get("name"), p.get("type")))
    if members:
        objects.append((path, members))
    for child in node.findall("node"):
        walk(bus, path.rstrip("/") + "/" + child.get("name"), objects, limit)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--inflight", type=int, default=16)
    ap.add_argument("--timeout", type=float, default=30)
    opts = ap.parse_args()

    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(opts.address)
    rng = random.Random(opts.seed)
    objects = []
    walk(bus, ROOT, objects)
    paths = [p for p, _ in objects]
    gen = Gen(rng, paths)
    members = sum(len(m) for _, m in objects)
    print("# seed %d: %d objects, %d members" % (opts.seed, len(objects), members), flush=True)

    loop = GLib.MainLoop()
    state = {"sent": 0, "replied": 0, "errors": {}, "lost": [], "inflight": 0}
    deadline = time.monotonic() + opts.seconds

    def done(what, err=None):
        state["inflight"] -= 1
        state["replied"] += 1
        if err is not None:
            name = err.get_dbus_name()
            if name in ("org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Timeout"):
                state["lost"].append("%s: %s" % (what, name))
            state["errors"][name] = state["errors"].get(name, 0) + 1
        fill()

    def send_one():
        path, mem = rng.choice(objects)
        kind, iface, member, sig = rng.choice(mem)
        r = rng.random()
        if r < 0.1:
            path = gen.object_path()
        if kind == "property":
            if r < 0.5:
                method, dbus_iface, call_sig, args = "Get", "org.freedesktop.DBus.Properties", "ss", [iface, member]
            elif r < 0.6:
                method, dbus_iface, call_sig, args = "GetAll", "org.freedesktop.DBus.Properties", "s", [iface]
            else:
                method, dbus_iface = "Set", "org.freedesktop.DBus.Properties"
                t = sig if rng.random() < 0.7 else gen.wrong_sig(sig) or "s"
                call_sig, args = "ssv", [iface, member, gen.wrap_variant(split_sig(t)[0], 0)]
        else:
            method, dbus_iface = member, iface
            if rng.random() < 0.75:
                call_sig = sig
            else:
                call_sig = gen.wrong_sig(sig)
            args = gen.args(call_sig)
        what = "%s %s.%s(%s)" % (path, dbus_iface, method, call_sig)
        try:
            bus.call_async(NAME, path, dbus_iface, method, call_sig, args,
                           lambda *a: done(what), lambda e: done(what, e),
                           timeout=opts.timeout)
        except (TypeError, ValueError, OverflowError, dbus.exceptions.DBusException) as e:
            # A value python-dbus will not marshal: not sent, not counted.
            return
        state["sent"] += 1
        state["inflight"] += 1

    def fill():
        while state["inflight"] < opts.inflight and time.monotonic() < deadline:
            send_one()
        if state["inflight"] == 0 and time.monotonic() >= deadline:
            loop.quit()

    def tick():
        fill()
        return True

    GLib.timeout_add(200, tick)
    fill()
    loop.run()

    alive = True
    try:
        bus.call_blocking(NAME, ROOT, "org.freedesktop.DBus.Peer", "Ping", "", [], timeout=10)
    except dbus.exceptions.DBusException as e:
        print("# the daemon does not answer Peer.Ping: %s" % e, flush=True)
        alive = False
    top = sorted(state["errors"].items(), key=lambda kv: -kv[1])[:8]
    print("# %d calls sent, %d answered; errors: %s" % (state["sent"], state["replied"],
                                                         ", ".join("%s %d" % kv for kv in top)), flush=True)
    for l in state["lost"][:20]:
        print("# no reply: %s" % l, flush=True)
    ok = alive and not state["lost"] and state["sent"] == state["replied"] and state["sent"] > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
