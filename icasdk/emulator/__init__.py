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

import logging

from icasdk.emulator.lifecycle import Pace
from icasdk.emulator.service import BatchInfo, Emulator

log = logging.getLogger(__name__)

__all__ = ["BatchInfo", "Emulator", "Pace"]
