"""The licence seat limit, shared by the API and the UI: assigning beyond a licence's seats is a conflict (409)."""

from __future__ import annotations

from assets.models import Software
from psa.api.exceptions import Conflict


def lock_free_seat(software_pk) -> Software:
    """Lock the licence row and refuse when every seat is taken. Call inside ``transaction.atomic()``.

    The lock keeps two concurrent assignments from both taking the last seat.
    """
    software = Software.objects.select_for_update().get(pk=software_pk)
    used = software.seat_assignments.count()
    if software.seats is not None and used >= software.seats:
        raise Conflict(f"All {software.seats} seats of {software} are assigned.")
    return software
