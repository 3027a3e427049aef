"""Who owns a file: the running user or another one, and the name to show for a user.

In a team store, members' files sit side by side: what decides which code runs, and what
pepip may remove or chmod, depends on whose a file is. Windows has no uids: there every
file counts as the running user's.
"""

from __future__ import annotations

import os

__all__ = ["is_running_user", "running_as_root", "user_name"]


def is_running_user(uid: int) -> bool:
    """True when ``uid`` is the running user's (always where the OS has no uids)."""
    return not hasattr(os, "geteuid") or uid == os.geteuid()


def running_as_root() -> bool:
    """True when pepip runs as root (never where the OS has no uids)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def user_name(uid: int) -> str:
    """The name of user ``uid``, for messages (``user <uid>`` where names are unknown)."""
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return "user %d" % uid
