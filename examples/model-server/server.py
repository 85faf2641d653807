"""A small HTTP model server on the standard library only.

    GET  /health   -> {"status": "ok", "model": NAME}
    POST /predict  {"inputs": [[f1, f2], ...]} -> {"predictions": [{"class", "probability"}, ...]}

The model (a logistic regression's weights) is read from $MODEL_PATH; the port is $PORT.
"""

import json
import math
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with open(os.environ.get("MODEL_PATH", os.path.join(os.path.dirname(__file__), "model.json"))) as f:
    MODEL = json.load(f)


def predict(row):
    if len(row) != len(MODEL["coef"]) or not all(isinstance(v, (int, float)) for v in row):
        raise ValueError(f"each input must be {len(MODEL['coef'])} numbers: {', '.join(MODEL['features'])}")
    z = MODEL["intercept"] + sum(w * x for w, x in zip(MODEL["coef"], row))
    p = 1.0 / (1.0 + math.exp(-z))
    return {"class": MODEL["classes"][p >= 0.5], "probability": round(p, 6)}


class Handler(BaseHTTPRequestHandler):
    def _reply(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            self._reply(200, {"status": "ok", "model": MODEL["name"]})
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/predict":
            return self._reply(404, {"error": "not found"})
        try:
            length = int(self.headers.get("Content-Length", "0"))
            inputs = json.loads(self.rfile.read(length))["inputs"]
            self._reply(200, {"predictions": [predict(row) for row in inputs]})
        except (ValueError, KeyError, TypeError) as e:
            self._reply(400, {"error": str(e)})


def main():
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    print(f"serving {MODEL['name']} on port {port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
