"""The page is an installable web app for Chromium's own check (Page.getInstallabilityErrors through the DevTools
protocol, in a persistent profile: Playwright's ordinary contexts are incognito, where the check always fails); its
manifest's icons are the PNGs the icon script renders, of the sizes they say, and the page names a real favicon."""
import json, struct
from conftest import CHROMIUM, QUIET_FLAGS, ROOT
from page_driving import wait_ready

SITE = ROOT / "Classifier"

def png_size(path) -> tuple[int, int]:
  data = path.read_bytes()
  assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
  return struct.unpack(">II", data[16:24])

def test_the_manifest_names_icons_of_their_size():
  manifest = json.loads((SITE / "manifest.webmanifest").read_text())
  assert manifest["display"] == "standalone" and manifest["start_url"] == "./" and manifest["scope"] == "./"
  for icon in manifest["icons"]:
    assert (SITE / icon["src"]).is_file(), icon["src"]
    if icon["type"] == "image/png": assert png_size(SITE / icon["src"]) == tuple(int(n) for n in icon["sizes"].split("x"))

def test_chromium_finds_the_page_installable(playwright_instance, site_url, tmp_path):
  context = playwright_instance.chromium.launch_persistent_context(user_data_dir=str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                                   args=QUIET_FLAGS)
  try:
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(site_url + "Classifier/")
    wait_ready(page)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60_000)
    session = context.new_cdp_session(page)
    assert session.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = session.send("Page.getAppManifest")
    assert manifest["url"] == site_url + "Classifier/manifest.webmanifest" and manifest["errors"] == []
    assert page.evaluate("() => document.querySelector('link[rel=icon]').href") == site_url + "Classifier/icons/icon.svg"
  finally:
    context.close()
