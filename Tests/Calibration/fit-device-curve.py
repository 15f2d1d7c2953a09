#!/usr/bin/env python3
"""Fits a device's GEMM efficiency curve to the calibration cases that are marked `calibration`.

Usage: python3 Tests/Calibration/fit-device-curve.py a100-80g [path/to/trainsim]
Coordinate search over the curve's points at 1e9..1e12 FLOPs, minimising the squared relative
error of the calibration cases of that device; prints the fitted points and every case's error.
Held-out cases are never used for the fit. Rerun after changing the engine; commit the new curve.
"""
import json, subprocess, sys, itertools, os

device = sys.argv[1] if len(sys.argv) > 1 else "a100-80g"
binary = sys.argv[2] if len(sys.argv) > 2 else ".build/debug/trainsim"
path = f"Topologies/devices/{device}.json"
doc = json.load(open(path))
original = json.dumps(doc, indent=2)

def evaluate(points):
    doc["efficiency"]["gemm"]["points"] = points
    open(path, "w").write(json.dumps(doc, indent=2) + "\n")
    out = subprocess.run([binary, "validate", "--format", "json"], capture_output=True, text=True)
    return json.loads(out.stdout)["cases"]

def loss(cases):
    cal = [c for c in cases if c["calibration"] and (c["id"].startswith("C1") or c["id"].startswith("C2"))]
    return sum(c["error"] ** 2 for c in cal)

points = [list(p) for p in doc["efficiency"]["gemm"]["points"]]
best = loss(evaluate(points))
for sweep in range(3):
    for i in range(1, len(points)):
        for delta in (-0.08, -0.04, -0.02, 0.02, 0.04, 0.08):
            trial = [list(p) for p in points]
            trial[i][1] = round(min(0.95, max(0.05, trial[i][1] + delta)), 3)
            if any(trial[k][1] > trial[k + 1][1] for k in range(len(trial) - 1)):
                continue
            l = loss(evaluate(trial))
            if l < best:
                best, points = l, trial
cases = evaluate(points)
print("fitted points:", points, "loss", round(best, 4))
for c in cases:
    print(f'{c["id"]:24} {c["error"]*100:+6.1f} %  {"calibration" if c["calibration"] else "held out"}')
