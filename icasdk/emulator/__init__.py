"""A stateful local ICA for the Project Data Update Batch API.

``Emulator`` serves the four operations on loopback, faithfully enough that
a script that works on it works on ICA: auth, content negotiation, request
validation, the job and item lifecycle, paging, and injectable faults. See
``service.py`` for the Python API and ``control.py`` for the ``/_emulator/``
routes that drive a separately started ``python -m icasdk.emulator``.

The emulator never imports icasdk's client runtime (only
``Emulator.configuration()`` does, when called).
"""

from __future__ import annotations

import importlib
import logging
import typing

if typing.TYPE_CHECKING:
    from icasdk.emulator.lifecycle import Pace
    from icasdk.emulator.service import BatchInfo, Emulator

log = logging.getLogger(__name__)

__all__ = ["BatchInfo", "Emulator", "Pace"]

# Imported on first use, so that importing a submodule (the pytest plugin,
# which pytest loads in every session) needs none of the emulator's extra
# dependencies.
_EXPORTS = {
    "BatchInfo": "icasdk.emulator.service",
    "Emulator": "icasdk.emulator.service",
    "Pace": "icasdk.emulator.lifecycle",
}


def __getattr__(name: str) -> typing.Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
