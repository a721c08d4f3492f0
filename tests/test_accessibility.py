"""The page without a mouse and for assistive technology, in real Chromium: every control reached and used with the
keyboard alone, each showing where the focus is; and an axe-core audit with the inside panel open and closed."""
import pytest
from conftest import DEFAULT_MODEL, OTHER_MODEL
from pen_replay import prediction, select_model, wait_for_prediction
from page_driving import (AXE, DESKTOP, FOCUSED, MAX_TABS, MIN_FOCUS_CONTRAST, PHONE, READY_TIMEOUT_MS, SHAPES, draw_and_wait, open_page,
                          wait_for_panel, wait_ready, wait_settled)

def focused(page) -> dict:
  f = page.evaluate(FOCUSED)
  if not f["body"]:
    assert f["focusVisible"] and f["outline"] != "none" and f["width"] > 0, f"no visible focus on {f['key']}: {f}"
    assert f["contrast"] >= MIN_FOCUS_CONTRAST, f"the focus outline of {f['key']} stands out {f['contrast']:.2f}:1 from the page"
  return f

def tab_to(page, key:str, backwards=False) -> None:
  """Presses Tab (Shift+Tab) until the element whose focused() key is `key` has the focus; every stop shows its focus."""
  for _ in range(MAX_TABS):
    page.keyboard.press("Shift+Tab" if backwards else "Tab")
    if focused(page)["key"] == key: return
  pytest.fail(f"{key} is not reached with {'Shift+' if backwards else ''}Tab")

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

def personal_state(page, state:str, examples:int) -> None:
  page.wait_for_function("([state, examples]) => { const p = document.querySelector('#personal').dataset; "
                         "return p.state === state && p.examples === String(examples); }",
                         arg=[state, str(examples)], timeout=READY_TIMEOUT_MS)

def test_keyboard_alone_tries_a_digit_switches_model_opens_the_panel_teaches_and_resets(browser, site_url):
  page = open_page(browser, site_url + "Classifier/", viewport=DESKTOP)
  try:
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
    label = page.inner_text("#try-info").split()[2].rstrip(",")  # "A real 5, handwritten by ..."
    tab_to(page, f"teach={label}")
    page.keyboard.press("Enter")
    personal_state(page, "personal", 1)
    tab_to(page, "reset-personal")
    page.keyboard.press("Space")
    personal_state(page, "shipped", 0)
    assert focused(page)["key"] == "personal"  # not dropped to the start of the page with the disabled button
    tab_to(page, f"model={DEFAULT_MODEL}", backwards=True)
    page.keyboard.press("Enter")
    wait_for_prediction(page, DEFAULT_MODEL, int(switched["seq"]))
    assert page.console_errors == []
  finally:
    page.context.close()

def axe_violations(page) -> list[str]:
  if not AXE.exists(): pytest.skip(f"{AXE} is missing: ./setup.sh installs it (npm ci --prefix tests)")
  if not page.evaluate("typeof axe === 'object'"): page.add_script_tag(path=str(AXE))
  return page.evaluate("""async () => (await axe.run()).violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)""")

@pytest.mark.parametrize("colours, size", [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE)], ids=["light", "dark", "phone"])
def test_axe_finds_no_violation_with_the_panel_open_or_closed(browser, site_url, colours, size):
  page = open_page(browser, site_url + "Classifier/", viewport=size, color_scheme=colours, bypass_csp=True)  # axe is injected
  try:
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
  finally:
    page.context.close()
