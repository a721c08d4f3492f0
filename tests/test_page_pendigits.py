"""Real handwriting through the real page: pen-drawn digits by other people, replayed as mouse strokes at varied
sizes and places on the canvas, classified by each model; the accuracy must stay above a floor."""
import random
import pytest
from pen_replay import load_digits, replay_digit, stratified_sample

PER_LABEL, SAMPLE_SEED, PLACEMENT_SEED = 5, 0, 1
ACCURACY_FLOOR = {"cnn": 0.95, "mlp": 0.95}

@pytest.fixture(scope="module")
def replayed(browser, site_url, pendigits_path) -> dict[str, float]:
  """{model: accuracy} on a fixed stratified sample, both models reading the same drawings."""
  page = browser.new_page(viewport={"width": 1280, "height": 800})
  page.goto(site_url + "Classifier/")
  page.wait_for_selector('#status[data-state="ready"]', timeout=60_000)
  rng = random.Random(PLACEMENT_SEED)
  sample = stratified_sample(load_digits(pendigits_path), PER_LABEL, SAMPLE_SEED)
  correct = {model: 0 for model in ACCURACY_FLOOR}
  for digit in sample:
    for model, predicted in replay_digit(page, digit, rng, models=tuple(ACCURACY_FLOOR)).items():
      correct[model] += predicted == str(digit["label"])
  page.close()
  accuracy = {model: hits / len(sample) for model, hits in correct.items()}
  print(f"pen replay of {len(sample)} digits: " + ", ".join(f"{m} {a:.3f}" for m, a in accuracy.items()))
  return accuracy

@pytest.mark.parametrize("model", sorted(ACCURACY_FLOOR))
def test_pen_digits_accuracy(replayed, model):
  assert replayed[model] >= ACCURACY_FLOOR[model]
