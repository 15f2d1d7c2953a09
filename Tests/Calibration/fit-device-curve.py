#!/usr/bin/env python3
"""Fits a device's GEMM efficiency curve to the calibration cases that are marked `calibration`.

Usage: python3 Tests/Calibration/fit-device-curve.py DEVICE [path/to/trainsim]
Only the calibration cases of that device's family are used (CASES below); held-out cases never are.
With three or more cases: coordinate search over the curve's points at 1e9 FLOPs and above,
minimising the squared relative error, keeping the curve non-decreasing. With fewer cases the
shape cannot be told apart, so one factor scales the points at 1e10 FLOPs and above (the shape
stays the estimate the device file names). Prints the fitted points and every case's error, and
leaves the fitted curve in the device file. Rerun after changing the engine; commit the new curve.
"""
import json, subprocess, sys

CASES = {"a100-80g": ("C1", "C2"), "ascend-910b": ("C4",)}

device = sys.argv[1] if len(sys.argv) > 1 else "a100-80g"
binary = sys.argv[2] if len(sys.argv) > 2 else ".build/release/trainsim"
prefixes = CASES.get(device)
if prefixes is None:
    sys.exit(f"no calibration cases name {device}; known: {', '.join(CASES)}")
path = f"Topologies/devices/{device}.json"
doc = json.load(open(path))

def evaluate(points):
    doc["efficiency"]["gemm"]["points"] = points
    open(path, "w").write(json.dumps(doc, indent=2) + "\n")
    out = subprocess.run([binary, "validate", "--format", "json"], capture_output=True, text=True)
    return json.loads(out.stdout)["cases"]

def chosen(cases):
    return [c for c in cases if c["calibration"] and c["id"].startswith(prefixes)]

def loss(cases):
    return sum(c["error"] ** 2 for c in chosen(cases))

points = [list(p) for p in doc["efficiency"]["gemm"]["points"]]
count = len(chosen(evaluate(points)))
best = loss(evaluate(points))
if count >= 3:
    for delta in (0.08, 0.04, 0.02, 0.01):
        for sweep in range(2):
            for i in range(1, len(points)):
                for step in (-delta, delta):
                    trial = [list(p) for p in points]
                    trial[i][1] = round(min(0.95, max(0.05, trial[i][1] + step)), 3)
                    if any(trial[k][1] > trial[k + 1][1] for k in range(len(trial) - 1)):
                        continue
                    l = loss(evaluate(trial))
                    if l < best:
                        best, points = l, trial
else:
    base = [list(p) for p in points]
    lo, hi = 0.5, 1.5
    for _ in range(30):  # golden-section search on the scale factor
        a, b = hi - (hi - lo) / 1.618, lo + (hi - lo) / 1.618
        def at(k):
            return [[x, round(min(0.95, y * k), 4) if x >= 1e10 else y] for x, y in base]
        if loss(evaluate(at(a))) < loss(evaluate(at(b))):
            hi = b
        else:
            lo = a
    points = [[x, round(min(0.95, y * (lo + hi) / 2), 4) if x >= 1e10 else y] for x, y in base]
    best = loss(evaluate(points))
cases = evaluate(points)
print(f"{device}: fitted on {count} case(s):", points, "loss", round(best, 5))
for c in cases:
    role = "calibration" if c["calibration"] and c["id"].startswith(prefixes) else "held out / other device"
    print(f'{c["id"]:24} {c["error"]*100:+6.1f} %  {role}')
