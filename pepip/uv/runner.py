"""Running uv: its environment, its output shown or kept, and its failure as one line.

Every uv failure becomes a ``PepipError`` here, quoting uv's own explanation
(``_uv_summary``: the resolver's sentences, else the error and the cause that names what
failed, and uv's hints). ``subprocess`` is loaded only when uv runs: a remembered install
runs none.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Final, Sequence

from pepip.errors import PepipError
from pepip.locations import UvProgram
from pepip.report import printable, stderr_line

if TYPE_CHECKING:
    import subprocess

__all__ = ["run_uv"]


def run_uv(
    uv: UvProgram | Path,
    args: Sequence[str],
    what: str,
    display: Callable[[str], None] | None = None,
    lines: Callable[[str], None] | None = None,
    unset: Sequence[str] = (),
) -> str:
    """Run uv; on failure raise ``PepipError`` with uv's explanation in one line.

    uv's whole output becomes the error's ``detail`` only when the line leaves something out
    (a build backend's log); the resolver's explanation fits the line. With ``display``, uv
    runs on a pseudo-terminal and ``display`` receives what uv draws there (its progress);
    its stdout is not kept then. With ``lines``, each line uv prints on stderr goes to it as
    it comes (uv's ``Downloading numpy (16.1MiB)`` in a log). With pepip's ``-v``
    (``UvProgram.verbose``) neither: uv runs with ``-v`` and everything it prints goes to
    pepip's stderr as it comes, as ``uv -v`` shows it. uv's output that pepip reads is never
    coloured, whatever ``FORCE_COLOR`` says (its error quotes it). ``unset`` names
    environment variables uv must not see.
    """
    import subprocess  # loaded only when uv runs: a remembered install runs none

    program = uv if isinstance(uv, UvProgram) else UvProgram(uv)
    env = {name: value for name, value in os.environ.items() if name not in unset}
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    command = [str(program.binary), *args]
    if program.verbose:  # uv's -v and --quiet exclude each other
        command = [arg for arg in command if arg != "--quiet"] + ["-v"] * program.verbose
        command += ["--color", "always" if program.color else "never"]
        display, lines = None, _pass_through
        _pass_through("DEBUG pepip runs: %s" % " ".join(command))
    elif display is None:
        command += ["--color", "never"]
    try:
        if display is not None:
            from pepip.progress import plain_text
            from pepip.terminal import run_on_terminal

            drawn: list[str] = []

            def keep(text: str) -> None:
                drawn.append(text)
                display(text)

            code = run_on_terminal(command, env, keep)
            completed = subprocess.CompletedProcess(command, code, "", plain_text("".join(drawn)))
        elif lines is not None:
            completed = _run_reading_stderr(command, env, lines)
        else:
            completed = subprocess.run(command, capture_output=True, text=True, errors="replace", env=env)
    except OSError as error:
        raise PepipError("cannot run uv at %s: %s" % (program.binary, error.strerror)) from None
    if completed.returncode != 0:
        from pepip.progress import plain_text

        detail = plain_text(completed.stderr) if program.verbose else completed.stderr.strip()
        summary, complete = _uv_summary(detail)
        # With -v, all of uv's output is on the screen already.
        raise PepipError("%s failed: %s" % (what, summary), detail="" if complete or program.verbose else detail)
    return completed.stdout


def _pass_through(line: str) -> None:
    """One line of uv's own output to pepip's stderr, as uv printed it (``-v``)."""
    stderr_line(line)


def _run_reading_stderr(
    command: list[str], env: dict[str, str], lines: Callable[[str], None]
) -> subprocess.CompletedProcess[str]:
    """Run ``command``, handing each stderr line to ``lines`` as it comes; keep both outputs."""
    import subprocess
    import threading

    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, errors="replace", env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    stdout = process.stdout
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(stdout.read()), daemon=True)
    reader.start()
    kept: list[str] = []
    try:
        for line in process.stderr:
            kept.append(line)
            lines(line.rstrip("\r\n"))
        code = process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        reader.join()
        process.stdout.close()
        process.stderr.close()
    return subprocess.CompletedProcess(command, code, "".join(out), "".join(kept))


_DECORATION: Final = " ×╰├─▶│\t"
_CARETS: Final = re.compile(r"^[|\s]*\^+$")
_LONG_WORD: Final = re.compile(r"\S{200,}")
# Lines of uv's that are no part of an error: what it did (not with --quiet), indented by up
# to 3 spaces, and with -v its log. A cause's further lines are indented more.
_NOT_ERRORS: Final = (
    "Using ", "Resolved ", "Downloading ", "Downloaded ", "Building ", "Built ", "Prepared ", "Installed ",
    "Uninstalled ", "Audited ", "Updating ", "Updated ", "+ ", "- ", "~ ", "DEBUG ", "TRACE ", "INFO ",
)
_URL: Final = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'`\")]+")


def _uv_summary(stderr: str) -> tuple[str, bool]:
    """uv's error output as one line, and whether that line is all the user needs of it.

    uv prints ``error: X``, then ``cause: Y`` lines, each perhaps continued by indented
    lines: the resolver's further sentences, a quote of the bad input with carets under it
    (then the parser's words), a program's output after ``--- stderr`` (git's), or after a
    blank line a build backend's output. The line is the resolver's explanation when there
    is one, else the error, each cause naming a URL the line does not name yet (the index
    that could not be reached) and the root cause, then uv's hints. A program's own words
    (git's ``fatal: ... Could not resolve host``) stand for the cause that quotes them.
    Other intermediate causes and a build's output are left out of it.
    """
    explanation, complete = "", True
    chain: list[str] = []  # the error, then its causes
    hints: list[str] = []
    for head, *more in _blocks(stderr):
        kind, _, text = head.partition(":")
        if kind == "warning":
            continue
        text, whole = _block_text(kind, text.strip().rstrip(":"), more)
        complete = complete and whole
        if kind == "hint":
            hints.append("hint: " + text)
        elif text.startswith("Because"):
            explanation = explanation or text
        else:
            chain.append(text)
    summary = explanation or ": ".join(_kept_causes(chain)) or "uv gave no reason"
    if hints:
        summary = "; ".join([summary.rstrip("."), *hints])
    return _one_line(summary), complete


def _blocks(stderr: str) -> list[list[str]]:
    """uv's error output as blocks: each a head (``error: ...``, ``cause: ...``, ``hint:
    ...``) and its continuation lines; progress, result and log lines left out."""
    blocks: list[list[str]] = []
    for raw in stderr.splitlines():
        text = raw.lstrip(" ")
        if len(raw) - len(text) <= 3 and text.startswith(_NOT_ERRORS):
            continue  # progress and result lines (right-aligned verbs), -v's log lines
        line = raw.strip(_DECORATION)
        marker = raw.strip()[:1]  # uv's graphical style: `× error`, then `╰─▶ cause`
        if marker in ("×", "╰", "├"):
            line = ("error: " if marker == "×" else "cause: ") + line
        if line.startswith(("error:", "cause:", "Caused by:", "hint:", "warning:")):
            blocks.append([line])
        elif blocks and (raw[:1].isspace() or not line):
            blocks[-1].append(line)
        elif line:
            blocks.append(["error: " + line])  # output of no known shape: keep it as it is
    return blocks


def _block_text(kind: str, text: str, more: list[str]) -> tuple[str, bool]:
    """What one block says, and False when it left out another tool's output (a build log)."""
    complete = True
    program = [index for index, line in enumerate(more) if line in ("--- stderr", "--- stdout")]
    if program:  # a program uv ran failed: its first complaint says what happened
        said = [line for line in more[program[0] + 1 :] if line and not line.startswith("--- ")]
        more = more[: program[0]]
        complaint = next((line for line in said if line.startswith(("fatal:", "error:"))), None)
        text = complaint or (said[0] if said else text)
    elif "" in more:  # after a blank line comes another tool's output (a build log)
        complete = not any(more[more.index("") :])
        more = more[: more.index("")]
    carets = [index for index, line in enumerate(more) if _CARETS.match(line)]
    if text.startswith("Because") or kind == "hint":  # sentences, every one of them
        text = " ".join([text, *more])
    elif carets:  # a quote of the input, carets under it, then what the parser says
        text = ": ".join([text, *more[carets[-1] + 1 :]])
    return text, complete


def _kept_causes(chain: list[str]) -> list[str]:
    """The error, each cause naming a URL the line does not name yet (the index that could
    not be reached), and the root cause."""
    if len(chain) <= 2:
        return chain
    kept = [chain[0]]
    for cause in chain[1:-1]:
        if any(url not in " ".join(kept) for url in _URL.findall(cause)):
            kept.append(cause)
    return kept + [chain[-1]]


def _one_line(text: str) -> str:
    """Without control characters, uv's ``(os error N)`` and the bulk of a megabyte-long word."""
    text = re.sub(r" \(os error \d+\)", "", text)
    return _LONG_WORD.sub(lambda match: match.group()[:80] + "...", printable(text))
