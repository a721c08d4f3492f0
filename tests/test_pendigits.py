"""The pen digits in data/pendigits/ and digits/data/pendigits.py: the file loads and is verified, converting keeps every
digit, the numpy render gives the images that Classifier/js/ui/preprocess.js gives in real Chromium for the same drawings,
plain or varied stroke by stroke (digits/data/strokes.py, reproducible from its seed), and the writers' folds."""
import json, subprocess, sys
import numpy as np
import pytest
from digits.data import pendigits
from digits.data.strokes import Variation, vary
from digits.data.training_set import WRITERS, rendered_pendigits, writer_folds, writer_set, writers_text
from conftest import ROOT

LABEL_COUNTS = [780, 779, 780, 719, 780, 720, 720, 778, 719, 719]
SAMPLE, SAMPLE_SEED, PLACEMENT_SEED = 200, 0, 0
# |numpy - Chromium| in 0..255, measured on all 7,494 digits placed with seeds 0 and 1 (bench/compare_renders.py):
# max 29 and 28, mean 0.215, 99th percentile 5; where they differ, Skia's outlines are not exact circles and lines
MAX_DIFF, MEAN_DIFF, P99_DIFF = 32, 0.25, 6
# every kind of variation at once, at the largest amounts a recipe tried
STRONG = Variation(slant=18, aspect=0.22, proportion=0.6, ends=0.18, wobble=0.06, shift=0.09)
# besides real digits: a dot, two dots, and a scribble smaller than its pen (the pen's width sets the scale)
EDGE_CASES = [[{"tool": "pen", "width": 14, "points": [[100.5, 120.25]]}],
              [{"tool": "pen", "width": 12, "points": [[60, 60]]}, {"tool": "pen", "width": 12, "points": [[90, 200], [90, 200]]}],
              [{"tool": "pen", "width": 16, "points": [[140, 140], [143.5, 141], [141, 146]]}]]

def test_data_file_holds_the_digits():
  strokes, labels, writers = pendigits.load_pendigits()
  assert len(strokes) == len(labels) == len(writers) == 7494
  assert np.bincount(labels).tolist() == LABEL_COUNTS
  assert np.unique(writers).tolist() == list(range(1, 31))
  assert sum(len(digit) for digit in strokes) == 9433
  assert all(np.concatenate(digit).min(0).tolist() == [0, 0] for digit in strokes)  # each box starts at (0, 0)

@pytest.mark.parametrize("damage", ["flipped bit", "truncated"])
def test_damaged_file_is_refused(tmp_path, damage):
  data = bytearray(pendigits.PATH.read_bytes())
  if damage == "flipped bit": data[len(data) // 2] ^= 1
  path = tmp_path / "pendigits.npz"
  path.write_bytes(data if damage == "flipped bit" else data[:-100])
  with pytest.raises(pendigits.PendigitsError) as error: pendigits.load_pendigits(path)
  message = str(error.value)
  assert message.startswith(f"{path}: damaged (sha256 mismatch)") and "\n" not in message

def convert(tmp_path, digits) -> subprocess.CompletedProcess:
  source = tmp_path / "digits.json"
  source.write_text(json.dumps(digits))
  return subprocess.run([sys.executable, str(ROOT / "data" / "pendigits" / "convert.py"), str(source), "--out", str(tmp_path / "out.npz")],
                        capture_output=True, text=True, timeout=60)

def test_convert_keeps_every_digit(tmp_path):
  digits = [{"label": 7, "writer": 3, "strokes": [[[0, 5], [20, 0], [11, 40]], [[4, 22]]]},
            {"label": 0, "writer": 30, "strokes": [[[9, 0], [0, 30], [18, 31], [9, 0]]]}]
  assert convert(tmp_path, digits).returncode == 0
  first = (tmp_path / "out.npz").read_bytes()
  with np.load(tmp_path / "out.npz") as npz: strokes, labels, writers = pendigits.unpack(npz, tmp_path / "out.npz")
  assert [[s.tolist() for s in d] for d in strokes] == [d["strokes"] for d in digits]
  assert labels.tolist() == [7, 0] and writers.tolist() == [3, 30]
  assert convert(tmp_path, digits).returncode == 0 and (tmp_path / "out.npz").read_bytes() == first  # same bytes again

def test_convert_names_bad_input(tmp_path):
  r = convert(tmp_path, [{"label": 7, "writer": 3, "strokes": [[[0, 5]]]}, {"label": 12, "writer": 3, "strokes": [[[0, 5]]]}])
  assert r.returncode != 0 and r.stderr.strip() == f"error: {tmp_path / 'digits.json'}: digit 1: label = 12, expected an integer 0-9"
  assert not (tmp_path / "out.npz").exists()

def test_render_refuses_erasers():
  eraser = [{"tool": "pen", "width": 12, "points": [[10, 10], [90, 90]]}, {"tool": "eraser", "width": 30, "points": [[50, 50]]}]
  with pytest.raises(ValueError, match=r"^drawing 0: stroke 1 is an eraser; pendigits.render draws pen-only drawings$"):
    pendigits.render([eraser])

@pytest.fixture(scope="module", params=["plain", "varied"])
def sample(request) -> list[list[dict]]:
  """SAMPLE real digits, plain or varied stroke by stroke, placed on the canvas, then the edge cases."""
  strokes, _, _ = pendigits.load_pendigits()
  picked = np.sort(np.random.default_rng(SAMPLE_SEED).choice(len(strokes), SAMPLE, replace=False))
  rng = np.random.default_rng(PLACEMENT_SEED)
  digits = [strokes[i] if request.param == "plain" else vary(strokes[i], rng, STRONG) for i in picked]
  return [pendigits.place(d, rng) for d in digits] + EDGE_CASES

def test_render_matches_preprocess_js(page, site_url, sample):
  page.goto(site_url + "tests/pages/preprocess.html")
  page.wait_for_function("window.preprocess")
  browser = np.array(page.evaluate("""(json) => JSON.parse(json).map(drawing =>
    Array.from(window.preprocess.toModelInput(drawing), v => Math.round((v + 1) * 127.5)))""", json.dumps(sample)), np.int16)
  assert page.console_errors == []
  ours = pendigits.render(sample).reshape(len(sample), -1).astype(np.int16)
  diff = np.abs(ours - browser)
  print(f"numpy vs preprocess.js on {len(sample)} drawings: max {diff.max()}, mean {diff.mean():.3f}, 99th percentile {np.percentile(diff, 99):.0f}")
  assert diff.max() <= MAX_DIFF and diff.mean() <= MEAN_DIFF and np.percentile(diff, 99) <= P99_DIFF
  assert (ours.max(1) == 255).all() and (browser.max(1) == 255).all()  # every drawing came out, with full ink

def test_variation_is_reproducible_from_its_seed_and_moves_every_kind():
  strokes, _, _ = pendigits.load_pendigits()
  digit = next(d for d in strokes if len(d) == 2)  # two strokes, so that `shift` applies
  for kind in ("slant", "aspect", "proportion", "ends", "wobble", "shift"):
    v = Variation(**{kind: getattr(STRONG, kind)})
    once, again, other = (vary(digit, np.random.default_rng(seed), v) for seed in (1, 1, 2))
    assert all(np.array_equal(a, b) for a, b in zip(once, again)), kind
    assert not all(a.shape == b.shape and np.allclose(a, b) for a, b in zip(once, other)), kind
    assert all(a.min() >= -1e-9 for a in once) and min(a.min() for a in once) == pytest.approx(0, abs=1e-9)
  plain = vary(digit, np.random.default_rng(1), Variation())
  assert all(np.array_equal(a, b) for a, b in zip(plain, digit)) and not Variation()

def test_varied_renderings_are_cached(tmp_path, environ):
  environ.setenv("XDG_CACHE_HOME", str(tmp_path))
  first = rendered_pendigits(0, Variation(slant=12), 1)
  [cached] = tmp_path.rglob("*.npz")
  assert cached.name.startswith("pendigits-") and first[0].shape == (7494, 28, 28)
  marker = np.full((1, 28, 28), 7, np.uint8)
  np.savez(cached, images=marker, labels=np.zeros(1, np.uint8), writers=np.ones(1, np.uint8))
  assert np.array_equal(rendered_pendigits(0, Variation(slant=12), 1)[0], marker)  # read from the cache, not rendered
  cached.write_bytes(b"PK\x03\x04 damaged")
  again = rendered_pendigits(0, Variation(slant=12), 1)  # a damaged cache file is rendered again
  assert all(np.array_equal(a, b) for a, b in zip(first, again))

def test_writer_folds_leave_every_writer_out_once():
  folds = writer_folds()
  assert len(folds) == 5 and all(len(f) == 6 for f in folds)
  assert sorted(w for f in folds for w in f) == list(WRITERS) and writer_folds() == folds
  for fold in folds:
    rest = writers_text(sorted(set(WRITERS) - set(fold)))
    assert set(writer_set(rest)) | set(fold) == set(WRITERS) and not set(writer_set(rest)) & set(fold)
  assert writer_set("1-4,9,12-13") == [1, 2, 3, 4, 9, 12, 13] and writers_text([1, 2, 3, 4, 9, 12, 13]) == "1-4,9,12-13"
