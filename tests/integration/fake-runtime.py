#!/usr/bin/env python3
"""A stand-in for runc or crun, for the checks of octrace-hook that a real runtime never fails:
it makes a child (the "init") in the namespaces it is told, then runs the hook with a state
naming that child, as a runtime runs a prestart hook. The child is the runtime's child, as
the hook requires, so what decides is whether its namespaces are what config.json asks.

  fake-runtime.py --bundle DIR --id ID [--new TYPE]... [--join TYPE=PATH]... [--pid2]
                  -- HOOK [ARGS...]

--new TYPE        the child gets a new namespace of TYPE (pid, mount, network, uts, ipc)
--join TYPE=PATH  the child enters the namespace at PATH
--pid2            with a new pid namespace: the child is its pid 2 (a placeholder is pid 1)
Prints the hook's exit status on the first line, then its stderr, then releases the child
(it exits) and waits for it.
"""
import argparse
import ctypes
import json
import os
import subprocess
import sys

FLAGS = {"pid": 0x20000000, "mount": 0x00020000, "network": 0x40000000,
         "uts": 0x04000000, "ipc": 0x08000000}
libc = ctypes.CDLL(None, use_errno=True)


def call(fn, *args):
    if fn(*args) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def enter(path, kind):
    fd = os.open(path, os.O_RDONLY)
    try:
        call(libc.setns, fd, FLAGS[kind])
    finally:
        os.close(fd)


def child(flags, joins, ready, hold):
    """The init: in its namespaces, says ready, waits until released (every write end of the
    hold pipe closed: the runtime's)."""
    try:
        os.close(hold[1])
        if flags:
            call(libc.unshare, flags)
        for kind, path in joins:
            enter(path, kind)
        os.write(ready, b"x")
        os.read(hold[0], 1)
    finally:
        os._exit(0)


def fork_waiting(flags, joins, hold):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        child(flags, joins, w, hold)
    os.close(w)
    if os.read(r, 1) != b"x":
        sys.exit("fake-runtime: the child could not enter its namespaces")
    os.close(r)
    return pid


def make_init(a, hold):
    """The child, with its pid namespace made (or joined) here: a pid namespace applies to
    children; this process goes back to its own afterwards."""
    own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY)
    pid_join = [path for kind, path in a.join if kind == "pid"]
    others = [(k, p) for k, p in a.join if k != "pid"]
    flags = 0
    for kind in a.new:
        if kind != "pid":
            flags |= FLAGS[kind]
    extra = []
    if "pid" in a.new:
        call(libc.unshare, FLAGS["pid"])
        if a.pid2:
            extra.append(fork_waiting(0, [], hold))
    elif pid_join:
        enter(pid_join[0], "pid")
    init = fork_waiting(flags, others, hold)
    call(libc.setns, own_pid_ns, FLAGS["pid"])
    os.close(own_pid_ns)
    return init, extra


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--new", action="append", default=[], choices=sorted(FLAGS))
    ap.add_argument("--join", action="append", default=[],
                    type=lambda s: tuple(s.split("=", 1)))
    ap.add_argument("--pid2", action="store_true")
    ap.add_argument("hook", nargs="+")
    a = ap.parse_args()
    hold = os.pipe()
    init, extra = make_init(a, hold)
    os.close(hold[0])
    state = {"ociVersion": "1.0.2", "id": a.id, "status": "created", "pid": init,
             "bundle": a.bundle}
    try:
        hook = subprocess.run(a.hook, input=json.dumps(state).encode(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              pass_fds=(), close_fds=True)
        print(hook.returncode)
        sys.stdout.write(hook.stderr.decode(errors="replace"))
        sys.stdout.flush()
    finally:
        os.close(hold[1])
        for pid in [init] + extra:
            os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
