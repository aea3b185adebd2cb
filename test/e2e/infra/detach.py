#!/usr/bin/env python3
"""Start a daemon fully detached from the caller.

usage: detach.py PIDFILE LOGFILE CMD [ARGS...]

The child gets stdin=/dev/null, stdout+stderr appended to LOGFILE, EVERY
other inherited file descriptor closed, and a new session (setsid), then
execs CMD. The parent writes the child's pid to PIDFILE and returns at once.

Why: a background process that inherits a CI runner's output pipe (even as
some high fd such as 251) keeps that pipe open, and the CI step never ends.
"""
import os
import sys


def main() -> int:
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    pidfile, logfile, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    pid = os.fork()
    if pid:
        tmp = pidfile + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{pid}\n")
        os.replace(tmp, pidfile)
        return 0
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        out = os.open(logfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        maxfd = os.sysconf("SC_OPEN_MAX")
        if maxfd <= 0 or maxfd > 1 << 20:
            maxfd = 1 << 16
        os.closerange(3, maxfd)
        os.chdir("/")
        os.execvp(argv[0], argv)
    except BaseException as exc:  # noqa: BLE001 - report and die in the child
        try:
            os.write(2, f"detach.py: cannot start {argv!r}: {exc}\n".encode())
        finally:
            os._exit(127)
    return 0


if __name__ == "__main__":
    sys.exit(main())
