"""Trains the model on data/train.csv and writes it to $MODEL_PATH (default: model.npz)."""

import os
import sys

from model import LogisticRegression, load_csv

here = os.path.dirname(os.path.abspath(__file__))
data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "data", "train.csv")
out = os.environ.get("MODEL_PATH", "model.npz")

X, y = load_csv(data)
model = LogisticRegression().fit(X, y)
model.save(out)
print(f"trained on {len(y)} rows, training accuracy {model.score(X, y):.3f}, model written to {out}")
