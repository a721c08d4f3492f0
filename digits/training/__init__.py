"""Training: settings from env vars, on-device augmentation, the loop and its outputs, kernel search, CPU threads."""
