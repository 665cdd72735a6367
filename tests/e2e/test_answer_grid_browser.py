"""Who answered what in Chromium, on a desktop (1280 px) and a phone (390 px): reached from the
poll overview, no serious or critical axe violations, the table scrolls sideways in its own frame
while the names in the first column stay in view, and the page itself never scrolls sideways."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

WIDTHS = [1280, 390]


def log_in(page: Page, live_server) -> None:
    page.goto("/tovholder/login")
    page.get_by_label("E-mail").fill(live_server.network.email)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Testnetværk")


def open_grid(page: Page, live_server, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    log_in(page, live_server)
    page.goto(f"/tovholder/afstemninger/{live_server.network.poll_id}")
    page.get_by_role("link", name="Se hvem der svarede hvad").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hvem svarede hvad, 2027")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_grid_shows_who_answered_what_without_axe_violations(
    page: Page, live_server, axe_violations, width
):
    open_grid(page, live_server, width)
    grid = page.get_by_role("table", name="Møde 1: hvert medlems svar pr. dag og mødested")
    # The seed: Sara answered Ja everywhere, Maria Hvis nødvendigt in week 9, Henrik nothing.
    sara = grid.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Sara"))
    expect(sara.locator("td").first).to_have_text("✓ JaJa")
    maria = grid.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Maria"))
    expect(maria.locator("td").first).to_contain_text("(✓) Hvis nødv.")
    henrik = grid.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Henrik"))
    expect(henrik.get_by_role("rowheader")).to_contain_text("ikke svaret")
    expect(grid.locator("tfoot td").first).to_contain_text("✓ 1")
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_names_stay_in_view_while_the_grid_scrolls_sideways(page: Page, live_server, width):
    open_grid(page, live_server, width)
    frame = page.get_by_role("region", name="Møde 1: hvert medlems svar pr. dag og mødested")
    wide = frame.evaluate("el => el.scrollWidth - el.clientWidth")
    assert wide > 0  # 20 columns do not fit even a desktop: the frame scrolls, not the page
    name = frame.get_by_role("rowheader", name="Sara")
    sara = frame.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Sara"))
    first_cell = sara.locator("td").first
    before_name, before_cell = name.bounding_box(), first_cell.bounding_box()
    frame.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    page.wait_for_function("el => el.scrollLeft > 0", arg=frame.element_handle(), polling="raf")
    after_name, after_cell = name.bounding_box(), first_cell.bounding_box()
    assert before_name and after_name and before_cell and after_cell
    assert after_cell["x"] < before_cell["x"]  # the answers moved ...
    assert after_name["x"] == before_name["x"]  # ... the name did not
    # Nothing covers the name: the topmost element at its middle is the name's own cell.
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('th').textContent.trim()",
        [after_name["x"] + after_name["width"] / 2, after_name["y"] + after_name["height"] / 2],
    )
    assert on_top == "Sara"
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_page_does_not_scroll_sideways_on_a_phone(page: Page, live_server):
    open_grid(page, live_server, 390)
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
