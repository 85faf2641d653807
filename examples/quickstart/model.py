"""A tiny scikit-learn-style logistic regression on numpy: fit, predict, score, save, load."""

import numpy as np


class LogisticRegression:
    def __init__(self, learning_rate=0.5, epochs=2000):
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.mean_ = self.scale_ = self.coef_ = None
        self.intercept_ = 0.0

    def _standardize(self, X):
        return (np.asarray(X, dtype=float) - self.mean_) / self.scale_

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0) + 1e-12
        Z = self._standardize(X)
        self.coef_ = np.zeros(Z.shape[1])
        self.intercept_ = 0.0
        for _ in range(self.epochs):  # batch gradient descent on the log loss
            error = self.predict_proba(X) - y
            self.coef_ -= self.learning_rate * Z.T @ error / len(y)
            self.intercept_ -= self.learning_rate * error.mean()
        return self

    def predict_proba(self, X):
        return 1.0 / (1.0 + np.exp(-(self._standardize(X) @ self.coef_ + self.intercept_)))

    def predict(self, X):
        return (self.predict_proba(X) >= 0.5).astype(int)

    def score(self, X, y):
        return float((self.predict(X) == np.asarray(y)).mean())

    def save(self, path):
        np.savez(path, mean=self.mean_, scale=self.scale_, coef=self.coef_, intercept=self.intercept_)

    @classmethod
    def load(cls, path):
        data = np.load(path)
        model = cls()
        model.mean_, model.scale_, model.coef_ = data["mean"], data["scale"], data["coef"]
        model.intercept_ = float(data["intercept"])
        return model


def load_csv(path):
    """Features and labels from a CSV whose last column is the 0/1 label."""
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return data[:, :-1], data[:, -1].astype(int)
