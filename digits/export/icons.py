"""Renders the page's icon (SITE_DIR/icons/icon.svg, drawn by hand) to the PNGs the web app manifest and Apple's home
screen ask for, in headless Chromium: python -m digits.export.icons [SITE_DIR]  (writes icons/icon-192.png, icon-512.png)"""
import pathlib, sys
from digits.files import write_bytes_atomic

SIZES = (192, 512)
CHROMIUM = "/usr/bin/chromium"

def render(svg:pathlib.Path, sizes=SIZES) -> dict[int, bytes]:
  from playwright.sync_api import sync_playwright
  source = svg.read_text()
  with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
    try:
      pngs = {}
      for size in sizes:
        page = browser.new_page(viewport={"width": size, "height": size})
        page.set_content(f'<style>html,body{{margin:0;background:transparent}}svg{{display:block;width:{size}px;height:{size}px}}</style>{source}')
        pngs[size] = page.screenshot(omit_background=True)
        page.close()
      return pngs
    finally: browser.close()

def main(argv:list[str]) -> int:
  if len(argv) > 1: sys.exit("usage: python -m digits.export.icons [SITE_DIR] (default Classifier)")
  icons = pathlib.Path(argv[0] if argv else "Classifier") / "icons"
  if not (svg := icons / "icon.svg").is_file(): sys.exit(f"error: {svg} not found")
  try: pngs = render(svg)
  except ImportError as e: sys.exit(f"error: {e}: the icons are rendered with Playwright (./setup.sh installs it into .venv)")
  except Exception as e: sys.exit(f"error: Chromium ({CHROMIUM}) could not render {svg}: {str(e).splitlines()[0]}")
  for size, png in pngs.items():
    write_bytes_atomic(path := icons / f"icon-{size}.png", png)
    print(f"{svg} -> {path} ({size}x{size}, {len(png)} B)")
  return 0

if __name__ == "__main__": sys.exit(main(sys.argv[1:]))
