"""The out-of-the-box ticket settings: one board with a workflow, and four priorities.

Used by the data migration (with historical models) and by anything that must work on an empty database.
"""

from __future__ import annotations

PRIORITIES = [
    # name, order, colour, is_default
    ("Critical", 1, "#DC2626", False),
    ("High", 2, "#EA580C", False),
    ("Medium", 3, "#CA8A04", True),
    ("Low", 4, "#16A34A", False),
]
STATUSES = [
    # name, order, is_closed, is_default, colour
    ("New", 10, False, True, "#2563EB"),
    ("In Progress", 20, False, False, "#7C3AED"),
    ("Waiting on Client", 30, False, False, "#CA8A04"),
    ("Scheduled", 40, False, False, "#0891B2"),
    ("Resolved", 50, True, False, "#16A34A"),
    ("Closed", 60, True, False, "#6B7280"),
]
BOARD = ("Service Desk", "Requests and incidents from clients.")


def create_defaults(board_model=None, status_model=None, priority_model=None) -> bool:
    """Create the defaults unless boards or priorities exist already; ``True`` when it created them."""
    if board_model is None:
        from tickets.models import Board, Priority, Status

        board_model, status_model, priority_model = Board, Status, Priority
    if board_model.objects.exists() or priority_model.objects.exists():
        return False
    for name, order, color, is_default in PRIORITIES:
        priority_model.objects.create(name=name, order=order, color=color, is_default=is_default)
    board = board_model.objects.create(name=BOARD[0], description=BOARD[1], is_default=True, display_order=0)
    for name, order, is_closed, is_default, color in STATUSES:
        status_model.objects.create(
            board=board, name=name, order=order, is_closed=is_closed, is_default=is_default, color=color
        )
    return True
