"""The data: MNIST (verified download), the pen digits (load, place, render as the page does), the training set."""
