#!/usr/bin/env python3
"""What the integration tests' bash needs that bash does badly.

  config --base SPEC --out FILE [options] -- ARGS...
        write a bundle's config.json: SPEC (from `runc spec`) with process.args = ARGS,
        terminal off, a writable root at --rootfs, the --tag in the environment of the
        process and of the hook, the hook (--hook PATH, --hook-arg ARG...) in hooks.prestart
        or the stage --hook-stage names (createRuntime),
        --annotation K=V..., --seccomp FILE as linux.seccomp (default: none), linux.namespaces
        edited with --ns TYPE (a new one), --ns TYPE=PATH (that one), --no-ns TYPE (none)
  clean --tag TAG [--dir DIR] [--timeout S] [--except PID...]
        wait (pidfd, no polling) until every process carrying the tag (or holding a file under
        DIR open) has exited, then check that none is left and that no task is in ptrace stop
        (state t) because of this test; prints what is left as TAP comments, exits 1 if
        anything is. --except PID (repeatable): a process meant to outlive the check (a
        container's init and its octrace daemon, while execs into it are checked)
  kill --tag TAG
        SIGKILL every process carrying the tag (the cleanup of a failed test)
  waitpid PID [--timeout S]
        wait until PID (not our child) has exited; exit 1 on timeout
  wait-gone --tag TAG [--timeout S] [--except PID...]
        wait until the processes carrying the tag (but the excepted) have exited, report
        nothing
  clean --all ...
        the same for every process but this one's ancestors (and zombies): for a test that
        runs in a pid namespace of its own, where every process is the test's

A process "carries the tag" when its environment holds OCTRACE_INTEG_TAG=TAG: the tests put it
in process.env and in the hook's env, so it marks the container's processes and the octrace
daemon (a fork of the hook), and nothing else on the machine.
"""
import argparse
import json
import os
import select
import signal
import sys
import time

TAG_VAR = b"OCTRACE_INTEG_TAG="
SANITIZER_VARS = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")


def read(path, mode="rb"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def pids():
    for name in os.listdir("/proc"):
        if name.isdigit():
            yield int(name)


def ancestors():
    pid, chain = os.getpid(), set()
    while pid > 0 and pid not in chain:
        chain.add(pid)
        pid = int(status_fields(pid).get("PPid", "0").strip() or 0)
    return chain


def uses_dir(pid, prefix):
    """An open fd or the cwd of pid is under prefix (the octrace daemon holds its log)."""
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        links.append(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return False
    return any(link == prefix or link.startswith(prefix + "/") for link in links)


def tagged(tag, workdir=None):
    """Our processes: the tag in the environment, or (workdir) a file of the test's dir open.
    No tag: every process that has not exited (a pid namespace of the test's own)."""
    skip = ancestors()
    if tag is None:
        return [p for p in pids()
                if p not in skip and status_fields(p).get("State", "Z")[:1] not in ("Z", "X")]
    want = TAG_VAR + tag.encode()
    found = []
    for pid in pids():
        if pid in skip:
            continue
        env = read(f"/proc/{pid}/environ")
        if (env and want in env.split(b"\0")) or (workdir and uses_dir(pid, workdir)):
            found.append(pid)
    return found


def status_fields(pid, tid=None):
    path = f"/proc/{pid}/task/{tid}/status" if tid else f"/proc/{pid}/status"
    text = read(path, "r") or ""
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def describe(pid):
    f = status_fields(pid)
    cmd = (read(f"/proc/{pid}/cmdline") or b"").replace(b"\0", b" ").decode(errors="replace")
    tasks = []
    for tid in sorted(os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []):
        t = status_fields(pid, tid)
        wchan = (read(f"/proc/{pid}/task/{tid}/wchan", "r") or "?").strip()
        tasks.append(f"{tid}:{t.get('State', '?').split()[0]}:tracer={t.get('TracerPid', '?').strip()}"
                     f":wchan={wchan}")
    return (f"pid {pid} ({f.get('Name', '?').strip()}) state {f.get('State', '?').strip()} "
            f"ppid {f.get('PPid', '?').strip()} cmd [{cmd.strip()}] tasks {' '.join(tasks)}")


def wait_exit(pid_list, deadline):
    """Wait until every pid has exited (or the deadline). pidfds need no polling."""
    fds = {}
    for pid in pid_list:
        try:
            fds[os.pidfd_open(pid)] = pid
        except OSError:
            pass  # already gone
    try:
        p = select.poll()
        for fd in fds:
            p.register(fd, select.POLLIN)
        while fds:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            for fd, _ in p.poll(left * 1000):
                p.unregister(fd)
                os.close(fd)
                del fds[fd]
        return True
    finally:
        for fd in fds:
            os.close(fd)


def traced_stops(ours):
    """Tasks in ptrace stop (t) whose tracer or process is one of ours; and all others."""
    mine, others = [], []
    for pid in pids():
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            stat = read(f"/proc/{pid}/task/{tid}/stat", "r")
            if not stat:
                continue
            state = stat.rsplit(")", 1)[1].split()[0]
            if state != "t":
                continue
            tracer = int(status_fields(pid, tid).get("TracerPid", "0").strip() or 0)
            (mine if pid in ours or tracer in ours else others).append((pid, tid, tracer))
    return mine, others


def cmd_clean(a):
    deadline = time.monotonic() + a.timeout
    # Processes can appear while others exit (a daemon's last fork): settle in rounds.
    keep = set(getattr(a, "except_pids", None) or [])
    while True:
        left = [p for p in tagged(a.tag, a.dir) if p not in keep]
        if not left or not wait_exit(left, deadline):
            break
    left = [p for p in tagged(a.tag, a.dir) if p not in keep]
    mine, others = traced_stops(set(left))
    bad = False
    for pid in left:
        print(f"# left over: {describe(pid)}")
        bad = True
    for pid, tid, tracer in mine:
        print(f"# in ptrace stop: task {tid} of pid {pid}, tracer {tracer}")
        bad = True
    for pid, tid, tracer in others:
        print(f"# note: task {tid} of pid {pid} is in state t (tracer {tracer}), not this test's")
    return 1 if bad else 0


def cmd_kill(a):
    for pid in tagged(a.tag):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return 0


def cmd_waitpid(a):
    return 0 if wait_exit([a.pid], time.monotonic() + a.timeout) else 1


def cmd_wait_gone(a):
    deadline = time.monotonic() + a.timeout
    keep = set(a.except_pids)
    while True:
        left = [p for p in tagged(a.tag) if p not in keep]
        if not left:
            return 0
        if not wait_exit(left, deadline):
            return 1


def cmd_config(a):
    with open(a.base) as f:
        c = json.load(f)
    tag_env = f"OCTRACE_INTEG_TAG={a.tag}"
    proc = c["process"]
    proc["terminal"] = False
    proc["args"] = a.args
    proc["env"] = [e for e in proc.get("env", []) if not e.startswith("OCTRACE_INTEG_TAG=")]
    proc["env"].append(tag_env)
    c["root"] = {"path": a.rootfs, "readonly": False}
    c.setdefault("linux", {}).pop("seccomp", None)
    if a.seccomp:
        with open(a.seccomp) as f:
            c["linux"]["seccomp"] = json.load(f)
    namespaces = c["linux"].setdefault("namespaces", [])
    for spec in a.ns:
        kind, _, path = spec.partition("=")
        namespaces[:] = [n for n in namespaces if n["type"] != kind]
        namespaces.append({"type": kind, "path": path} if path else {"type": kind})
    namespaces[:] = [n for n in namespaces if n["type"] not in a.no_ns]
    c.pop("hooks", None)
    if a.hook:
        c["hooks"] = {a.hook_stage: [{
            "path": a.hook[0],
            "args": [a.hook[0]] + a.hook_arg,  # a bare name would send python3 to PATH
            # The sanitizer settings meson gives tests reach the hook too.
            "env": [tag_env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"] +
                   [f"{k}={os.environ[k]}" for k in SANITIZER_VARS if k in os.environ],
            "timeout": 60,
        }]}
    ann = dict(kv.split("=", 1) for kv in a.annotation)
    if ann:
        c["annotations"] = ann
    else:
        c.pop("annotations", None)
    with open(a.out, "w") as f:
        json.dump(c, f, indent=1)
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("config")
    p.add_argument("--base", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--rootfs", required=True)
    p.add_argument("--tag", required=True)
    p.add_argument("--hook", nargs=1)
    p.add_argument("--hook-arg", action="append", default=[])
    p.add_argument("--hook-stage", choices=["prestart", "createRuntime"], default="prestart")
    p.add_argument("--annotation", action="append", default=[])
    p.add_argument("--seccomp")
    p.add_argument("--ns", action="append", default=[])
    p.add_argument("--no-ns", action="append", default=[])
    p.add_argument("args", nargs="+")
    p.set_defaults(fn=cmd_config)
    for name, fn in (("clean", cmd_clean), ("kill", cmd_kill), ("wait-gone", cmd_wait_gone)):
        p = sub.add_parser(name)
        who = p.add_mutually_exclusive_group(required=True)
        who.add_argument("--tag")
        who.add_argument("--all", action="store_true",
                         help="every process but our ancestors (a pid namespace of our own)")
        p.add_argument("--timeout", type=float, default=20)
        p.add_argument("--dir", help="the test's work dir: a process with a file in it is ours")
        if name != "kill":
            p.add_argument("--except", dest="except_pids", type=int, action="append",
                           default=[], help="a pid that may be left (repeatable)")
        p.set_defaults(fn=fn)
    p = sub.add_parser("waitpid")
    p.add_argument("pid", type=int)
    p.add_argument("--timeout", type=float, default=20)
    p.set_defaults(fn=cmd_waitpid)
    a = ap.parse_args()
    sys.exit(a.fn(a))


if __name__ == "__main__":
    main()
