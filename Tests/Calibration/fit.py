#!/usr/bin/env python3
"""Fits trainsim's calibrated constants to the calibration rows, and writes them into the data files
with the rows named. Rerun after changing the engine (python3 Tests/Calibration/fit.py [trainsim]); commit
the data files it changed.

The held-out split is fixed in the case files before fitting (`calibration: true` marks the rows that may
set constants; cases.json and cases-2.json say which and why). This script only ever reads the errors of
those rows: a held-out row never enters a loss.

With --leave-one-out it fits nothing: for each row that sets a constant, that constant alone is refitted
on the other rows that set it (the rest as the data files have them) and the row is predicted with it,
so the rows that set constants get an out-of-sample error too; the data files are left as they were.

Steps, in order (each a one-dimensional search, so every fitted figure has a clear cause):
 1. per silicon, the GEMM curve's level (one factor on the points at 1e10 FLOPs and above; below, the
    shape is the wave-quantisation estimate the file names), on that silicon's bf16/fp16 rows run with its
    reference stacks (Megatron-Core, NeMo and InternEvo on NVIDIA, MindSpeed on Ascend: the stacks of the
    published rows that set the curves);
 2. per silicon, the fp8 GEMM factor, on its fp8 rows with the reference stack;
 3. per stack, its kernel-efficiency share (`efficiencyFactor`), on that stack's rows (the reference stacks
    keep 1: the curves are theirs), then per silicon (`efficiencyFactorBySilicon`); where that silicon's
    rows include one of 16k tokens or more run with another attention kernel than the fused one the
    curve describes, that kernel's share of the silicon's attention curve (`attentionKernels` in the
    silicon file) is fitted on it, alternating twice with the silicon share on the shorter rows;
 4. per stack, the share of a dense GEMM's efficiency its routed-expert GEMMs reach
    (`moeKernelEfficiency`), on that stack's MoE rows. Steps 1-3 use dense rows only, so the curves and
    shares are set before it.
"""
import json, subprocess, sys, os

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
BIN = ARGS[0] if ARGS else ".build/release/trainsim"
LEAVE_ONE_OUT = "--leave-one-out" in sys.argv
CASE_FILES = ["Tests/Calibration/cases.json", "Tests/Calibration/cases-2.json"]
REFERENCE_STACKS = {"megatron-core", "nemo", "mindspeed", "internlm"}
SILICON_FILES = {"ga100": "Topologies/devices/silicon/ga100.json", "gh100": "Topologies/devices/silicon/gh100.json",
                 "ascend-910b": "Topologies/devices/ascend-910b.json"}
FITTED_STACKS = ["pytorch-fsdp", "deepspeed"]

def cases():
    out = []
    for f in CASE_FILES:
        for c in json.load(open(f))["cases"]:
            out.append(c)
    return {c["id"]: c for c in out}

CASES = cases()

def validate(rows=None):
    """validate's whole JSON report, for the given rows only (a temporary cases file) or for every case."""
    args = [BIN, "validate", "--format", "json"]
    if rows is not None:
        tmp = "Tests/Calibration/fit-rows.tmp.json"  # beside the cases: they name files relative to it
        json.dump({"schemaVersion": 1, "description": "rows being fitted", "cases": [CASES[i] for i in rows]}, open(tmp, "w"))
        args.append(tmp)
    r = subprocess.run(args, capture_output=True, text=True)
    return json.loads(r.stdout)

def evaluate(rows=None):
    """validate's results by case, for the given rows only or for every case."""
    return {c["id"]: c for c in validate(rows)["cases"]}

def loss(rows):
    res = evaluate(rows)
    return sum(res[i]["error"] ** 2 for i in rows), res

def golden(set_value, lo, hi, rows, iters=16):
    for _ in range(iters):
        a, b = hi - (hi - lo) / 1.618, lo + (hi - lo) / 1.618
        set_value(a); la, _ = loss(rows)
        set_value(b); lb, _ = loss(rows)
        if la < lb: hi = b
        else: lo = a
    best = round((lo + hi) / 2, 4)
    set_value(best)
    return best

def load(path): return json.load(open(path))
def save(path, doc): open(path, "w").write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")

def rows_where(pred):
    return sorted(i for i, c in CASES.items() if c["calibration"] and pred(c))

# Which silicon and stack a row runs on, as validate reports them.
first = evaluate()
def family(i): return first[i]["family"]
def stack(i): return first[i]["stack"]
def precision(i): return CASES[i]["experiment"]["training"].get("precision", "bf16")
def seq(i): return CASES[i]["experiment"]["training"].get("sequenceLength", 0)
# Rows this long are mostly attention: they set an attention kernel's share on their silicon.
LONG_SEQUENCE = 16384
def is_moe(c): return isinstance(c["experiment"]["model"], dict) and "moe" in c["experiment"]["model"]

def kernel(i):
    """The attention kernel a row runs: its experiment's override, else its stack file's."""
    fw = CASES[i]["experiment"]["training"].get("framework", "megatron-core")
    if isinstance(fw, dict) and "attentionKernel" in fw: return fw["attentionKernel"]
    name = fw["stack"] if isinstance(fw, dict) else fw
    return load(f"Topologies/frameworks/{name}.json").get("attentionKernel", {}).get("value", "fused")

def is_long(i):
    """A row of 16k tokens or more run with another attention kernel than the fused one the curves describe."""
    return seq(i) >= LONG_SEQUENCE and kernel(i) != "fused"

STACKS = ["megatron-core", "nemo", "pytorch-fsdp", "deepspeed", "mindspeed", "internlm"]

# The rows that set each constant, and the setters the searches move (shared by the fit and by
# --leave-one-out, so that both refit the same thing the same way).
def reference_rows(chip, fp8):
    """A silicon's dense rows run with its reference stacks: bf16/fp16 ones set its GEMM level, fp8 ones its fp8 factor."""
    return rows_where(lambda c: family(c["id"]) == chip and stack(c["id"]) in REFERENCE_STACKS
                      and (precision(c["id"]) == "fp8") == fp8 and not is_moe(c))

def stack_rows(st, moe):
    return rows_where(lambda c: stack(c["id"]) == st and is_moe(c) == moe)

def gemm_level_setter(path):
    """Sets a silicon's GEMM level: the factor on its curve's points at 1e10 FLOPs and above (the
    points themselves are never rewritten, so a refit finds the same level)."""
    def set_gemm(k):
        d = load(path)
        d["efficiency"]["gemm"]["level"]["value"] = round(k, 4)
        save(path, d)
    return set_gemm

def value_setter(path, *keys):
    """Sets the "value" of the entry at `keys` in a data file."""
    def set_value(v):
        d = load(path)
        node = d
        for k in keys: node = node.setdefault(k, {})
        node["value"] = round(v, 4)
        save(path, d)
    return set_value

def leave_one_out():
    """Each fitted row predicted by its constant refitted on the other rows that set it."""
    groups = []  # (what, rows, path, setter, lo, hi)
    for chip, path in SILICON_FILES.items():
        if rows := reference_rows(chip, fp8=False):
            groups.append((f"{chip} GEMM level", rows, path, gemm_level_setter(path), 0.6, 1.4))
        if rows := reference_rows(chip, fp8=True):
            groups.append((f"{chip} fp8GemmFactor", rows, path, value_setter(path, "efficiency", "fp8GemmFactor"), 0.4, 1.0))
    for st in FITTED_STACKS:
        path = f"Topologies/frameworks/{st}.json"
        rows = stack_rows(st, moe=False)
        for chip in sorted({family(i) for i in rows}):
            if short := [i for i in rows if family(i) == chip and not is_long(i)]:
                groups.append((f"{st} on {chip}", short, path, value_setter(path, "efficiencyFactorBySilicon", chip), 0.5, 1.2))
    for st in STACKS:
        path = f"Topologies/frameworks/{st}.json"
        if rows := stack_rows(st, moe=True):
            groups.append((f"{st} moeKernelEfficiency", rows, path, value_setter(path, "moeKernelEfficiency"), 0.05, 1.0))
    fitted = {i: c["error"] for i, c in first.items() if c["calibration"]}
    out = {}
    for what, rows, path, setter, lo, hi in groups:
        original = open(path).read()
        for i in rows:
            others = [j for j in rows if j != i]
            if not others:
                out[i] = (what, None); continue
            golden(setter, lo, hi, others)
            out[i] = (what, evaluate([i])[i]["error"])
            open(path, "w").write(original)
    print("leave-one-out: each row that sets a constant, predicted with that constant refitted on the other rows")
    print("that set it (its other constants as fitted); 'alone': no other row sets it")
    errs = []
    for i in sorted(fitted, key=lambda i: list(CASES).index(i)):
        what, e = out.get(i, ("(not refitted)", None))
        loo_text = "alone" if e is None else f"{e * 100:+7.1f} %"
        if e is not None: errs.append((i, abs(e)))
        print(f"{i:26} in-sample {fitted[i] * 100:+7.1f} %   left out {loo_text:>9}   {what}")
    if errs:
        v = sorted(a for _, a in errs)
        print(f"median |error| left out {v[len(v) // 2] * 100:.1f} % over {len(v)} rows (worst {v[-1] * 100:.1f} %)")
    for key, name in ((family, "device family"), (stack, "stack")):
        by = {}
        for i, a in errs: by.setdefault(key(i), []).append(a)
        for k in sorted(by):
            v = sorted(by[k])
            print(f"  {name} {k:14} {len(v)} rows  median {v[len(v) // 2] * 100:5.1f} %  worst {v[-1] * 100:5.1f} %")
    if os.path.exists("Tests/Calibration/fit-rows.tmp.json"):
        os.remove("Tests/Calibration/fit-rows.tmp.json")

if LEAVE_ONE_OUT:
    leave_one_out()
    sys.exit(0)

report = []
for chip, path in SILICON_FILES.items():
    if rows := reference_rows(chip, fp8=False):
        k = golden(gemm_level_setter(path), 0.6, 1.4, rows)
        doc = load(path)
        doc["efficiency"]["gemm"]["level"].update(
            {"source": f"fitted by Tests/Calibration/fit.py on rows {', '.join(rows)}: one factor on the points at 1e10 FLOPs and above", "confidence": "CAL"})
        save(path, doc)
        report.append(f"{chip} gemm level x{k} on {', '.join(rows)}")
    if rows8 := reference_rows(chip, fp8=True):
        v = golden(value_setter(path, "efficiency", "fp8GemmFactor"), 0.4, 1.0, rows8)
        doc = load(path)
        doc["efficiency"]["fp8GemmFactor"] = {"value": v, "source": f"fitted by Tests/Calibration/fit.py on rows {', '.join(rows8)} (fp8 GEMMs reach this share of the fp8 peak relative to bf16's share of the bf16 peak)", "confidence": "CAL"}
        save(path, doc)
        report.append(f"{chip} fp8GemmFactor {v} on {', '.join(rows8)}")


# The attention-kernel share a fit starts from, and the most alternations with the stack's share.
KERNEL_START, ALTERNATIONS = 0.5, 8
FLEX_OF_FLASH2 = 0.87  # FlexAttention / FlashAttention-2: 90 % forward, 85 % backward (PyTorch blog, Aug 2024)

def kernel_setter(silicon, kern, long_rows):
    """Sets the share of a silicon's attention curve that kernel `kern` reaches (and FlexAttention's with FlashAttention-2's)."""
    def set_kernel(x):
        sdoc = load(silicon)
        shares = sdoc["efficiency"].setdefault("attentionKernels", {})
        shares[kern] = {"value": round(x, 4), "source": f"fitted by Tests/Calibration/fit.py on rows {', '.join(long_rows)}: the share of this silicon's attention curve (the NVIDIA stacks' fused attention) that {kern} reaches; FlashAttention-2 runs on Hopper without its TMA and warp-group MMA instructions, at most 35 % of the H100's peak where FlashAttention-3 reaches 75 % (Shah et al. 2024, arXiv 2407.08608)", "confidence": "CAL"}
        if kern == "flash2":
            shares["flex"] = {"value": round(x * FLEX_OF_FLASH2, 4), "source": f"{FLEX_OF_FLASH2} of the flash2 share: FlexAttention reaches about 90 % of FlashAttention-2's forward and 85 % of its backward (PyTorch blog 'FlexAttention: The Flexibility of PyTorch with the Performance of FlashAttention', Aug 2024)", "confidence": "S"}
        save(silicon, sdoc)
    return set_kernel

for st in FITTED_STACKS:
    rows = stack_rows(st, moe=False)
    path = f"Topologies/frameworks/{st}.json"
    if not rows:
        report.append(f"{st}: no calibration rows; efficiencyFactor stays as its file says")
        continue
    doc = load(path)
    doc.pop("efficiencyFactorBySilicon", None)
    save(path, doc)
    # The attention kernels this stack's long rows set start from a fixed share, so that the
    # stack's own share (fitted on rows that run those kernels too) does not depend on the files.
    for chip in sorted({family(i) for i in rows if is_long(i) and family(i) in SILICON_FILES}):
        long_rows = [i for i in rows if family(i) == chip and is_long(i)]
        kernel_setter(SILICON_FILES[chip], kernel(long_rows[0]), long_rows)(KERNEL_START)
    short = [i for i in rows if seq(i) < LONG_SEQUENCE] or rows
    v = golden(value_setter(path, "efficiencyFactor"), 0.5, 1.2, short)
    doc = load(path)
    doc["efficiencyFactor"] = {"value": v, "source": f"fitted by Tests/Calibration/fit.py on rows {', '.join(short)}: the share of the reference stack's kernel efficiency this stack reaches (on silicon without a figure of its own below)", "confidence": "CAL"}
    save(path, doc)
    report.append(f"{st} efficiencyFactor {v} on {', '.join(short)}")
    # Then per silicon with rows of its own: the stack's kernels may reach a different share of one chip.
    # A silicon's rows of 16k tokens or more, mostly attention, set instead the share of that
    # silicon's attention curve the rows' attention kernel reaches (`attentionKernels` in the
    # silicon file), alternating with the stack's share on the silicon's shorter rows.
    by = {}
    for chip in sorted({family(i) for i in rows}):
        chip_rows = [i for i in rows if family(i) == chip]
        long_rows = [i for i in chip_rows if is_long(i)]
        short_rows = [i for i in chip_rows if i not in long_rows] or chip_rows
        set_chip = value_setter(path, "efficiencyFactorBySilicon", chip)
        silicon = SILICON_FILES.get(chip) if long_rows else None
        kern = kernel(long_rows[0]) if silicon else None
        set_kernel = kernel_setter(silicon, kern, long_rows) if silicon else None
        # Alternated from the fixed start set above until neither moves, so that the result
        # depends on the rows alone, not on what the files held before (a rerun writes the same figures).
        x = a = None
        for _ in range(ALTERNATIONS if silicon else 1):
            x0, a0 = x, a
            x = golden(set_chip, 0.5, 1.2, short_rows)
            if silicon:
                a = golden(set_kernel, 0.2, 1.5, long_rows)
            if (x, a) == (x0, a0): break
        by[chip] = {"value": x, "source": f"fitted by Tests/Calibration/fit.py on rows {', '.join(short_rows)}", "confidence": "CAL"}
        report.append(f"{st} on {chip}: {x} on {', '.join(short_rows)}")
        if silicon:
            report.append(f"{chip} attention kernel {kern}: {a} on {', '.join(long_rows)}")
    doc = load(path)
    doc["efficiencyFactorBySilicon"] = by
    save(path, doc)

for st in STACKS:
    if not (rows := stack_rows(st, moe=True)):
        continue
    path = f"Topologies/frameworks/{st}.json"
    v = golden(value_setter(path, "moeKernelEfficiency"), 0.05, 1.0, rows)
    doc = load(path)
    doc["moeKernelEfficiency"] = {"value": v, "source": f"fitted by Tests/Calibration/fit.py on rows {', '.join(rows)}: the share of a dense GEMM's efficiency (at the same size, on the fitted device curve) this stack's routed-expert GEMMs reach; no source measures it", "confidence": "CAL"}
    save(path, doc)
    report.append(f"{st} moeKernelEfficiency {v} on {', '.join(rows)}")

final_report = validate()
final = {c["id"]: c for c in final_report["cases"]}

# Last, what the shipped engine and data now give on the held-out rows, for reports to quote
# (Topologies/run/accuracy.json): per device family, stack and model kind, with the rows.
def write_accuracy(v):
    held = [c for c in v["cases"] if not c["calibration"]]
    def fig(x): return float(f"{x:.6g}")  # as the JSON report rounds (Analysis.round): reports then print what validate prints
    def groups(key, table):
        out = {}
        for g in v[table]:
            rows = sorted(c["id"] for c in held if c[key] == g["group"])
            out[g["group"]] = {"heldOut": g["heldOut"], "medianAbsError": fig(g["medianAbsError"]), "maxAbsError": fig(g["maxAbsError"]), "rows": rows}
        return out
    doc = {
        "schemaVersion": 1,
        "description": "How far trainsim's figures fell from published runs that set no constant: |predicted - published| / published on the held-out rows of Tests/Calibration/cases.json and cases-2.json, per device family (silicon), stack and model kind. Reports quote the groups a run falls in; a group with no held-out row is unvalidated. publishedMFU gives, per silicon, model kind and precision class, the MFU the published runs reach in trainsim's count (every row, fitted or not), which reports set a run beside. Written by Tests/Calibration/fit.py after it fits; do not edit.",
        "source": "trainsim validate on the held-out rows (calibration false) of Tests/Calibration/cases.json and cases-2.json, written by Tests/Calibration/fit.py",
        "overall": {"heldOut": len(held), "medianAbsError": fig(v["medianAbsErrorHeldOut"]), "maxAbsError": fig(v["maxAbsErrorHeldOut"])},
        "deviceFamily": groups("family", "byFamily"),
        "stack": groups("stack", "byStack"),
        "modelKind": groups("kind", "byKind"),
    }
    # The MFU published runs reach in trainsim's count, per silicon, model kind and precision class
    # (every row, fitted or not), as validate groups it.
    doc["publishedMFU"] = v["publishedMFU"]
    for key, table, what in [("planPairs", "pairs", "one model on one device family"),
                             ("planPairsAcrossFamilies", "pairsAcrossFamilies", "one model on two device families")]:
        p = v[table]["heldOut"]
        doc[key] = {"description": f"Plan against plan: pairs of held-out published runs of {what} in one metric; the ratio |error| is exp(|ln predicted a/b - ln published a/b|) - 1, and the order is tested on pairs measured at least 3 % apart (trainsim validate, 'plan against plan').",
                    "pairs": p["pairs"], "ordered": p["ordered"], "orderRight": p["orderRight"],
                    "medianAbsRatioError": fig(p["medianAbsRatioError"]), "maxAbsRatioError": fig(p["maxAbsRatioError"])}
        if "worstPair" in p: doc[key]["worstPair"] = p["worstPair"]
    save("Topologies/run/accuracy.json", doc)
    report.append(f"accuracy.json: held-out median {doc['overall']['medianAbsError']} over {len(held)} rows")

write_accuracy(final_report)
print("\n".join(report))
for i, c in final.items():
    print(f'{i:26} {c["error"]*100:+7.1f} %  {"fitted" if c["calibration"] else "held out"}')
if os.path.exists("Tests/Calibration/fit-rows.tmp.json"):
    os.remove("Tests/Calibration/fit-rows.tmp.json")
