"""``pepip uninstall``: remove distributions from a venv, never from the store.

Like pip, only the named distributions go; their dependencies stay. The store entries stay
too: other venvs may use them, and ``pepip store prune`` removes what nothing uses.

A distribution pepip installed and pip or uv then installed again over it (``uv pip install
--reinstall-package``, ``pip install --force-reinstall``) lives in site-packages now: it is
removed with ``uv pip uninstall``, so that afterwards it neither imports nor shows in any
listing. So is an editable project: ``pepip install -e`` puts it into the venv with uv (it
is never in the store), and uv removes it. Any other one pip or uv installed on their own is
theirs: it is skipped with a warning.
"""

from __future__ import annotations

from pepip.artifacts import normalized

from pepip.commands.apply import guard_foreign, requested_names, storing_again
from pepip.errors import PepipError
from pepip.locations import Locations
from pepip.manifest import DistRecord
from pepip.report import Reporter, plural
from pepip.uv.options import UvOptions
from pepip.uv.requests import parse_request
from pepip.uv.resolve import uninstall_from_venv
from pepip.venv.target import open_venv
from pepip.venv.wiring import relink_incomplete, unlink_record

__all__ = ["uninstall"]


def uninstall(locations: Locations, names: list[str], reporter: Reporter) -> list[DistRecord]:
    """Remove the named distributions from the venv; return their records."""
    if not names:
        raise PepipError("nothing to uninstall; name the packages to remove")
    for name in names:
        if str(parse_request(name)) != parse_request(name).name:
            raise PepipError("uninstall takes package names, not `%s`" % name)
    with open_venv(locations, None, create=False, reporter=reporter) as target:
        installed = {record.name: record for record in target.manifest.dists}
        foreign = {item.name: item for item in target.foreign}
        wanted = list(dict.fromkeys(normalized(name) for name in names))
        # pepip's once and installed again by pip or uv, or an editable project: uv removes it
        by_uv = {name for name, item in foreign.items() if name in target.replaced or item.editable}
        for name in wanted:
            if name in foreign and name not in by_uv:  # pip or uv installed it
                reporter.warning(
                    "skipping %s: pip or uv installed it, not pepip; remove it with `uv pip uninstall "
                    "--python %s %s`" % (name, target.python, name)
                )
            elif name not in installed and name not in foreign:  # as pip and uv do: say so, and go on
                reporter.warning("skipping %s: it is not installed in %s" % (name, target.venv))
        removed = [installed[name] for name in wanted if name in installed]
        reinstalled = [foreign[name] for name in wanted if name in by_uv]
        if not removed and not reinstalled:
            reporter.line("No packages to uninstall")
            return []
        with target.store.locked():
            for record in removed:
                unlink_record(target.interpreter, record, target.journal)
            if reinstalled:
                guard_foreign(target, reinstalled)
                uninstall_from_venv(target.locations.uv, target.python, [item.name for item in reinstalled])
            manifest = target.manifest
            kept = [record for record in manifest.dists if record.name not in wanted]
            target.record(
                [text for text in manifest.requests if not requested_names([text]) & set(wanted)],
                # a launcher the removed one had replaced comes back
                relink_incomplete(target, kept, reporter, storing_again(target, UvOptions())),
                manifest.sync,
            )
    gone = sorted([(r.name, r.version) for r in removed] + [(f.name, f.version) for f in reinstalled])
    reporter.line("Uninstalled %s" % plural(len(gone), "package"))
    for name, version in gone:
        reporter.line(" - %s==%s" % (name, version))
    return removed
