"""Run pepip and SIGKILL it at its Nth state-changing system call (a crash at a known point).

Usage: python kill_points.py LOG N DELAY -- pepip arguments...

An audit hook (PEP 578) counts what pepip itself does to the filesystem (writes, renames,
links, directory and permission changes) and the subprocesses it starts. N = 0 kills nothing
and appends every counted event to LOG ("event<TAB>path"); N > 0 appends the Nth event to LOG
and kills pepip's process group (pepip and the uv it runs) there. For a ``subprocess.Popen``
event the kill comes DELAY seconds later, while uv is downloading, building or installing.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

_WATCHED = frozenset({
    "os.rename", "os.link", "os.symlink", "os.mkdir", "os.remove", "os.rmdir", "os.chmod",
    "os.truncate", "shutil.rmtree", "shutil.copyfile", "subprocess.Popen",
})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _writing(args: tuple[object, ...]) -> bool:
    mode, flags = args[1], args[2]
    if isinstance(mode, str):
        return any(letter in mode for letter in "wax+")
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def main() -> None:
    log, target, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    arguments = sys.argv[sys.argv.index("--") + 1:]
    seen = 0

    def die() -> None:
        os.killpg(0, signal.SIGKILL)

    def hook(event: str, args: tuple[object, ...]) -> None:
        nonlocal seen
        if event == "open":
            if not _writing(args) or str(args[0]) == log:
                return
        elif event not in _WATCHED:
            return
        seen += 1
        if target and seen != target:
            return
        path = args[1] if event == "os.rename" else args[0]  # a rename is placed by its target
        with open(log, "a", encoding="utf-8") as handle:
            handle.write("%s\t%s\n" % (event, path))
        if not target:
            return
        if event == "subprocess.Popen" and delay:
            threading.Timer(delay, die).start()
        else:
            die()

    sys.addaudithook(hook)
    from pepip.__main__ import main as pepip_main

    pepip_main(arguments)


if __name__ == "__main__":
    main()
