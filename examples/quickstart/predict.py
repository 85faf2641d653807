"""Predicts with the model in $MODEL_PATH (default: model.npz).

    python3 predict.py data/test.csv      prints the accuracy on a labelled CSV
    python3 predict.py 1.5,-0.2 0.1,2.0    prints one class per point
"""

import os
import sys

import numpy as np

from model import LogisticRegression, load_csv

model = LogisticRegression.load(os.environ.get("MODEL_PATH", "model.npz"))
args = sys.argv[1:]
if len(args) == 1 and args[0].endswith(".csv"):
    X, y = load_csv(args[0])
    print(f"accuracy {model.score(X, y):.3f} on {len(y)} rows")
else:
    points = np.array([[float(v) for v in a.split(",")] for a in args])
    for point, label in zip(args, model.predict(points)):
        print(point, label)
