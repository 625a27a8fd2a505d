#!/usr/bin/env python3
"""readme-containerd.py PIDFILE LOG: t-readme.sh's `systemctl restart containerd`.

Stops the containerd that PIDFILE names (SIGTERM, waited for through a pidfd), then starts
`containerd` with its default configuration, as systemd would, and returns once containerd
has said READY=1 on the sd_notify socket (what systemd's Type=notify waits for), writing its
pid to PIDFILE. containerd's output goes to LOG. Exit 1, with one line, if it does not come
up within 30 s.
"""
import os
import select
import socket
import subprocess
import sys
import tempfile
import time


def stop(pidfile):
    try:
        pid = int(open(pidfile).read())
        fd = os.pidfd_open(pid)
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, 15)
        select.select([fd], [], [], 20)
    finally:
        os.close(fd)


def main():
    pidfile, log = sys.argv[1:3]
    stop(pidfile)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "notify")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        p = subprocess.Popen(["containerd"], env=dict(os.environ, NOTIFY_SOCKET=path),
                             stdin=subprocess.DEVNULL, stdout=open(log, "ab"),
                             stderr=subprocess.STDOUT, start_new_session=True)
        exited = os.pidfd_open(p.pid)
        deadline = time.monotonic() + 30
        while True:
            left = deadline - time.monotonic()
            r, _, _ = select.select([s, exited], [], [], max(left, 0))
            if exited in r:
                print(f"containerd exited with status {p.wait()} (see {log})", file=sys.stderr)
                return 1
            if not r:
                print(f"containerd: no READY=1 within 30 s (see {log})", file=sys.stderr)
                return 1
            if b"READY=1" in s.recv(4096).split(b"\n"):
                break
        os.close(exited)
    with open(pidfile, "w") as f:
        f.write(f"{p.pid}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
