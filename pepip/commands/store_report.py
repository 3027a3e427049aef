"""What the store commands print: the ``store ls`` table, ``store status`` totals, and the
summaries of ``prune``, ``verify`` and ``clean``, each as the lines the command line echoes.

Kept apart from ``pepip.cli`` (which only wires typer to the commands) so that what a store
command says is in one place, and sizes are written as uv writes them
(``progress.format_bytes``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from pepip.progress import format_bytes
from pepip.report import plural

if TYPE_CHECKING:
    from pepip.store.clean import CleanResult, StoreUsers
    from pepip.store.inventory import EntryRow, StoreStatus
    from pepip.store.prune import PruneResult

__all__ = [
    "entries_table", "status_lines", "prune_lines", "link_line", "verified_line", "users_refusal",
    "clean_lines", "adopted_line",
]


def entries_table(rows: Sequence[EntryRow]) -> list[str]:
    """``store ls``: one row per stored build under a header, columns padded to fit."""
    table = [("Package", "Version", "Tags", "Size", "Venvs")] + [
        (row.name, row.version, row.tags, format_bytes(row.size), str(row.users)) for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(5)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table]


def status_lines(root: Path, status: StoreStatus) -> list[str]:
    """``store status``: the totals, one per line."""
    return [
        "Store:            %s" % root,
        "Entries:          %d" % status.entries,
        "On disk:          %s" % format_bytes(status.bytes_on_disk),
        "Venvs:            %d live of %d registered" % (status.venvs_live, status.venvs_registered),
        "Copies would use: %s" % format_bytes(status.plain_install_bytes),
        "Saving:           %s" % format_bytes(status.saving),
    ]


def prune_lines(result: PruneResult, dry_run: bool) -> list[str]:
    """``store prune``: what went (or would go), then each removed entry."""
    verb = "Would remove" if dry_run else "Removed"
    summary = "%s %s (%s), %s, %s from the registry" % (
        verb,
        plural(len(result.entries), "entry", "entries"),
        format_bytes(result.freed),
        plural(result.leftovers, "temp leftover"),
        plural(len(result.forgotten_venvs), "deleted venv"),
    )
    return [summary] + [" - %s" % path for path in result.entries]


def link_line(link: Path) -> str:
    """``store verify``: a link where pepip keeps a directory."""
    return "%s: a link where pepip keeps a directory: skipped, no install uses it" % link


def verified_line(links: Sequence[Path]) -> str:
    """``store verify``'s last line when no entry is damaged."""
    if links:
        return (
            "All entries verified; %s skipped (no install follows them; their owner or the "
            "store's admin can remove them)"
            % plural(len(links), "link")
        )
    return "All entries verified"


def users_refusal(users: StoreUsers, root: Path) -> str:
    """Why ``store clean`` without ``--yes`` refuses a store venvs still use."""
    named = [plural(len(users.venvs), "venv")] if users.venvs else []
    named += ["%s on other machines" % plural(users.elsewhere, "venv")] if users.elsewhere else []
    count = len(users.venvs) + users.elsewhere
    return (
        "%s still %s the store %s%s; removing it breaks them until `pepip repair` stores "
        "their packages again; pass --yes to remove it"
        % (" and ".join(named), "uses" if count == 1 else "use", root,
           " (listed above)" if users.venvs else "")
    )


def clean_lines(result: CleanResult, users: StoreUsers) -> list[str]:
    """``store clean``: what was removed, and what the user should know after it."""
    lines = ["Removed %s (%s)" % (plural(result.files, "file"), format_bytes(result.freed))]
    if result.kept:
        lines.append(
            "pepip: warning: kept %s owned by %s: only their owner or the store's admin can "
            "remove them" % (plural(len(result.kept), "path"), ", ".join(result.owners()))
        )
    if users:
        lines.append(
            "pepip: warning: %s used the store; `pepip repair` in each stores its packages again"
            % plural(len(users.venvs) + users.elsewhere, "venv")
        )
    return lines


def adopted_line(moved: int, freed: int) -> str:
    """``adopt``: how many packages moved into the store, and their size."""
    return "Adopted %s (%s now in the store)" % (plural(moved, "package"), format_bytes(freed))
