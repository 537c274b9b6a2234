"""In headless Chromium against the ConnectWise simulator: reorder an opportunity's products by dragging, with
Alt+ArrowUp/Down and with the Up/Down buttons (static/sales/opportunity.js). Each new order reaches ConnectWise as
the lines' ``sequenceNumber`` and is the order after a reload; when ConnectWise refuses a line, the lines are put
back and the status names the line."""

import pytest

from sales.models import Opportunity
from tests.e2e.conftest import sign_in
from tests.factories import make_user
from tests.integrations.live_sim import live_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
SEQUENCE = "/products/sequence"


@pytest.fixture
def world(transactional_db):
    """Set up before ``page``, so the simulator still answers when ``page`` re-opens the pages for axe-core."""
    with live_world() as world:
        yield world


@pytest.fixture
def seller(world):
    nodes = ["sales.opportunity.read", "sales.opportunity.product.update", "client.read", "contact.read", "obj.*"]
    user = make_user(nodes, login="sam", name="Sam")
    user.set_password(PASSWORD)
    user.save()
    return user


def _opportunity_page(page, world) -> tuple[Opportunity, list[int]]:
    opportunity = Opportunity.objects.filter(is_closed=False).order_by("cw_opportunity_id").first()
    sign_in(page, "sam", PASSWORD)
    page.goto(f"/sales/{opportunity.pk}/")
    return opportunity, _shown(page)


def _lines(page):
    return page.locator("ol[data-reorder] li[data-id]")


def _shown(page) -> list[int]:
    return [int(i) for i in _lines(page).evaluate_all("lines => lines.map(line => line.dataset.id)")]


def _line(page, line_id: int):
    return page.locator(f"ol[data-reorder] li[data-id='{line_id}']")


def _upstream(world, lines: list[int]) -> list[int]:
    """The lines in ConnectWise's order (by sequenceNumber)."""
    return sorted(lines, key=lambda line: world.sim.data["forecast"][line]["sequenceNumber"])


def _saved(page, action) -> None:
    """Do ``action`` and wait for its reorder request and the status the script shows for it."""
    with page.expect_response(lambda response: SEQUENCE in response.url) as answer:
        action()
    assert answer.value.ok, answer.value.text()
    page.get_by_role("status").filter(has_text="Order saved in ConnectWise.").wait_for()


def test_keyboard_and_buttons_reorder_and_the_order_reaches_connectwise(page, world, seller):
    _opportunity, (a, b, c) = _opportunity_page(page, world)
    assert _upstream(world, [a, b, c]) == [a, b, c]

    _line(page, a).focus()
    _saved(page, lambda: page.keyboard.press("Alt+ArrowDown"))
    assert _shown(page) == [b, a, c] == _upstream(world, [a, b, c])
    assert page.evaluate("document.activeElement.dataset.id") == str(a)  # the moved line keeps the focus

    _saved(page, lambda: page.keyboard.press("Alt+ArrowUp"))
    assert _shown(page) == [a, b, c] == _upstream(world, [a, b, c])

    _saved(page, lambda: _line(page, c).get_by_role("button", name="Up").click())
    assert _shown(page) == [a, c, b] == _upstream(world, [a, b, c])
    assert _line(page, b).get_by_role("button", name="Down").is_disabled()  # the last line cannot go further
    assert not _line(page, c).get_by_role("button", name="Down").is_disabled()

    page.reload()
    assert _shown(page) == [a, c, b]


def test_dragging_a_line_reorders_and_survives_a_reload(page, world, seller):
    _opportunity, (a, b, c) = _opportunity_page(page, world)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if SEQUENCE in request.url else None)

    # Dragged over the first line, then let go outside the list (dragend without a drop): the line goes back.
    transfer = page.evaluate_handle("() => new DataTransfer()")
    _line(page, c).dispatch_event("dragstart", {"dataTransfer": transfer})
    top = _line(page, a).bounding_box()["y"] + 2
    _line(page, a).dispatch_event("dragover", {"dataTransfer": transfer, "clientY": top, "cancelable": True})
    assert _shown(page) == [c, a, b]  # shown where it would land
    _line(page, c).dispatch_event("dragend", {"dataTransfer": transfer})
    assert _shown(page) == [a, b, c] and not sent

    # Dropped on the upper half of the first line: the dragged line goes before it.
    _saved(page, lambda: _line(page, c).drag_to(_line(page, a), target_position={"x": 20, "y": 3}))
    assert _shown(page) == [c, a, b] == _upstream(world, [a, b, c])
    assert _line(page, c).get_by_role("button", name="Up").is_disabled()

    page.reload()
    assert _shown(page) == [c, a, b]


def test_a_line_connectwise_refuses_puts_the_order_back_and_is_named(page, world, seller):
    _opportunity, (a, b, c) = _opportunity_page(page, world)
    world.sim.fail_next(500, match=f"forecast/{a}")  # the moved line's PATCH fails; b's was already sent

    with page.expect_response(lambda response: SEQUENCE in response.url) as answer:
        _line(page, a).get_by_role("button", name="Down").click()
    assert answer.value.status == 502
    status = page.get_by_role("status").filter(has_text="ConnectWise refused a line")
    status.wait_for()
    assert f"(line {a})" in status.inner_text() and "put back" in status.inner_text()
    assert _shown(page) == [a, b, c] == _upstream(world, [a, b, c])  # on the page and in ConnectWise
    assert _line(page, a).get_by_role("button", name="Up").is_disabled()

    page.reload()
    assert _shown(page) == [a, b, c]
