#!/usr/bin/env python3
"""A prestart hook that hands octrace-hook a doctored state, to see what the hook does with a
bad one when a real runtime runs it (the container must not start).

  state-filter.py EDIT HOOK [ARGS...]

EDIT is one of:
  raw=TEXT           the state becomes TEXT (bad JSON)
  bundle=DIR         the state's bundle is DIR (a missing bundle)
  pid=gone           the state's pid is one that has just exited (a pid that is not there)
The hook's stdout, stderr and exit status are passed through.
"""
import json
import os
import subprocess
import sys


def gone_pid():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid  # reaped: pids are not reused until the pid space wraps around


def main():
    if len(sys.argv) < 3 or "=" not in sys.argv[1]:
        sys.exit("usage: state-filter.py EDIT HOOK [ARGS...]")
    edit, hook = sys.argv[1], sys.argv[2:]
    key, value = edit.split("=", 1)
    state = sys.stdin.read()
    if key == "raw":
        state = value
    else:
        st = json.loads(state)
        st[key] = gone_pid() if (key, value) == ("pid", "gone") else value
        state = json.dumps(st)
    sys.exit(subprocess.run(hook, input=state.encode()).returncode)


if __name__ == "__main__":
    main()
