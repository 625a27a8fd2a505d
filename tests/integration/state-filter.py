#!/usr/bin/env python3
"""A prestart hook that hands octrace-hook a doctored state, to see what the hook does with a
bad one when a real runtime runs it (the container must not start).

  state-filter.py EDIT HOOK [ARGS...]

EDIT is one of:
  raw=TEXT           the state becomes TEXT (bad JSON)
  bundle=DIR         the state's bundle is DIR (a missing bundle)
  pid=gone           the state's pid is one that has just exited (a pid that is not there)
  pid=fresh          the state's pid is a process started now, after the runtime (what a
                     reused pid would be); it sleeps until killed (its pid: BUNDLE/fresh.pid)
  pid=N              the state's pid is N (a host process, another container's init)
  id=TEXT            the state's id is TEXT
The filter then execs HOOK: the hook's parent is the runtime, as without the filter (the
hook checks that the container's init is its parent's child).
"""
import json
import os
import sys


def gone_pid():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid  # reaped: pids are not reused until the pid space wraps around


def fresh_pid(bundle):
    """A child started now, that lives on (with none of the runtime's fds) until the test
    kills it: its pid is in BUNDLE/fresh.pid. It must not exit with the hook: crun, a
    subreaper, would take its exit for the hook's (crun waits for one SIGCHLD)."""
    pid = os.fork()
    if pid == 0:
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, 1 << 16)
        os.execv("/bin/sleep", ["sleep", "1000"])
    with open(os.path.join(bundle, "fresh.pid"), "w") as f:
        f.write(f"{pid}\n")
    return pid


def doctor(key, value, state):
    if key == "raw":
        return value
    st = json.loads(state)
    if (key, value) == ("pid", "gone"):
        st["pid"] = gone_pid()
    elif (key, value) == ("pid", "fresh"):
        st["pid"] = fresh_pid(st["bundle"])
    elif key == "pid":
        st["pid"] = int(value)
    else:
        st[key] = value
    return json.dumps(st)


def main():
    if len(sys.argv) < 3 or "=" not in sys.argv[1]:
        sys.exit("usage: state-filter.py EDIT HOOK [ARGS...]")
    edit, hook = sys.argv[1], sys.argv[2:]
    key, value = edit.split("=", 1)
    state = doctor(key, value, sys.stdin.read())
    fd = os.memfd_create("state", 0)
    os.write(fd, state.encode())
    os.lseek(fd, 0, os.SEEK_SET)
    os.dup2(fd, 0)
    os.close(fd)
    sys.stdout.flush()
    os.execv(hook[0], hook)


if __name__ == "__main__":
    main()
