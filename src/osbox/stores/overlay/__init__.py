"""The overlay store: host directories as copy-on-write layers of a machine
(Linux overlayfs semantics; upper = the machine's own store, lower = a host
directory, read-only).

* ``_host``: the read-only host layer (the only code reading host files for
  a machine's namespace) and visible inode numbers of host objects;
* ``_model``: the on-store format (xattr names, whiteouts, origin records)
  and ``OverlayMount``;
* ``_store``: ``OverlayStore``, the whole ``stores/base.py`` contract over
  both layers, copy-up, whiteouts and merged directories;
* ``_attach``: attaching a mount, the first time and on reopen.

``Machine.overlay`` creates the store on first use and puts it in place of
the machine's store (``Kernel.replace_store``); a machine without overlays
never has one.
"""

from ._host import LOWER_BASE as LOWER_BASE
from ._model import PREFIX as PREFIX
from ._model import X_BASE as X_BASE
from ._model import X_LOWER as X_LOWER
from ._model import X_OPAQUE as X_OPAQUE
from ._model import X_ORIGIN as X_ORIGIN
from ._model import OverlayMount as OverlayMount
from ._model import is_whiteout as is_whiteout
from ._model import read_origin as read_origin
from ._store import OverlayStore as OverlayStore

__all__ = [
    "LOWER_BASE",
    "PREFIX",
    "X_BASE",
    "X_LOWER",
    "X_OPAQUE",
    "X_ORIGIN",
    "OverlayMount",
    "OverlayStore",
    "is_whiteout",
    "read_origin",
]
