"""The page without a mouse and for assistive technology, in real Chromium: every control reached and used with the
keyboard alone, each showing where the focus is; and an axe-core audit with the inside panel open and closed."""
import pytest
from conftest import DEFAULT_MODEL, OTHER_MODEL
from pen_replay import prediction, select_model, wait_for_prediction
from page_driving import (DESKTOP, MAX_TABS, PHONE, SHAPES, axe_violations, draw_and_wait, focused, open_page, tab_to, text, wait_for_panel,
                          wait_personal, wait_ready, wait_settled)

def tab_round(page) -> set[str]:
  """The keys of everything Tab stops at, once round the page."""
  seen = []
  for _ in range(MAX_TABS):
    page.keyboard.press("Tab")
    key = focused(page)["key"]
    if key in seen: return set(seen)
    seen.append(key)
  pytest.fail(f"Tab never came round again: {seen}")

def buttons(page) -> set[str]:
  """The focused() keys of every enabled button on the page."""
  return set(page.locator("button:not([disabled])").evaluate_all(
    "all => all.filter((b) => b.checkVisibility()).map((b) => b.id || Object.entries(b.dataset).map(([k, v]) => `${k}=${v}`).join(' '))"))

def test_keyboard_alone_tries_a_digit_switches_model_opens_the_panel_teaches_and_resets(browser, site_url):
  page = open_page(browser, site_url + "Classifier/", viewport=DESKTOP)
  wait_ready(page)
  wait_settled(page)
  seq = int(prediction(page)["seq"])
  tab_to(page, "try-digit")
  page.keyboard.press("Enter")
  page.wait_for_function("() => document.querySelector('#try-info').textContent.startsWith('A real')")
  tried = wait_for_prediction(page, DEFAULT_MODEL, seq)
  assert tried["digit"] != ""
  tab_to(page, f"model={OTHER_MODEL}")
  page.keyboard.press("Space")
  switched = wait_for_prediction(page, OTHER_MODEL, int(tried["seq"]))
  tab_to(page, "inside-toggle")
  page.keyboard.press("Enter")
  wait_for_panel(page, OTHER_MODEL, int(switched["seq"]) - 1)
  assert buttons(page) <= tab_round(page)
  label = text(page, "#try-info").split()[2].rstrip(",")  # "A real 5, handwritten by ..."
  tab_to(page, f"teach={label}")
  page.keyboard.press("Enter")
  wait_personal(page, "personal", 1)
  tab_to(page, "reset-personal")
  page.keyboard.press("Space")
  wait_personal(page, "shipped", 0)
  assert focused(page)["key"] == "personal"  # not dropped to the start of the page with the disabled button
  tab_to(page, f"model={DEFAULT_MODEL}", backwards=True)
  page.keyboard.press("Enter")
  wait_for_prediction(page, DEFAULT_MODEL, int(switched["seq"]))
  assert page.console_errors == []

@pytest.mark.parametrize("colours, size", [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE)], ids=["light", "dark", "phone"])
def test_axe_finds_no_violation_with_the_panel_open_or_closed(browser, site_url, colours, size):
  page = open_page(browser, site_url + "Classifier/", viewport=size, color_scheme=colours)
  wait_ready(page)
  wait_settled(page)
  draw_and_wait(page, SHAPES["4"])
  found = {}
  for model in ("cnn", "mlp"):
    shown = select_model(page, model)
    found[f"{model}, panel closed"] = axe_violations(page)
    page.click("#inside-toggle")
    wait_for_panel(page, model, int(shown["seq"]) - 1)
    found[f"{model}, panel open"] = axe_violations(page)
    page.click("#inside-toggle")
  assert {state: v for state, v in found.items() if v} == {}
  assert page.console_errors == []
