#!/usr/bin/env bash
# Writes the seed corpus of every fuzz target into fuzz/corpus/TARGET/ from
# the shared scenarios (../shared/scenarios: *.model, **/*.scenarios.json)
# and the examples. Each file is named by the hash of its content, so that a
# rerun adds nothing twice. Needs python3.
#
#   fuzz/seed.sh [SHARED]     (SHARED defaults to ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${1:-../shared}"
if [ ! -d "$SHARED/scenarios" ]; then
  echo "seed.sh: $SHARED/scenarios is missing: give the path to shared/ as the first argument" >&2
  exit 1
fi
exec python3 - "$SHARED/scenarios" <<'EOF'
import glob, hashlib, json, os, random, sys

scenarios = sys.argv[1]
out = "fuzz/corpus"
# The models of fuzz/src/lib.rs (MODELS), in order: a selector byte picks one.
selector = {
    "examples/todos/todos.scenarios.json": 0,
    "examples/orders/order.scenarios.json": 1,
    os.path.join(scenarios, "account.scenarios.json"): 2,
    os.path.join(scenarios, "cart.scenarios.json"): 3,
    os.path.join(scenarios, "todos.scenarios.json"): 4,
}
written = {}

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    path = os.path.join(d, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    written[target] = written.get(target, 0) + 1

def text(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))

# model: every model file, every source of a check case.
models = sorted(glob.glob(os.path.join(scenarios, "**/*.model"), recursive=True)
                + glob.glob("examples/*/*.model"))
for m in models:
    put("model", open(m, encoding="utf-8").read())
for f in sorted(glob.glob(os.path.join(scenarios, "**/check.scenarios.json"), recursive=True)):
    for case in json.load(open(f))["cases"]:
        if "source" in case:
            put("model", case["source"])
# Two files of one domain, split at a NUL byte.
put("model", open("examples/todos/todos.model").read() + "\0" + open("examples/orders/order.model").read())

sources = [{"name": os.path.basename(m), "text": open(m, encoding="utf-8").read()}
           for m in ["examples/todos/todos.model", "examples/orders/order.model"]]
put("c_api", "0" + text(sources))
put("c_api", "0" + text([{"name": "bad.model", "text": "model M { state { x: in } }"}]))
put("c_api", "6\x10")

for f, sel in selector.items():
    if not os.path.exists(f):
        continue
    spec = json.load(open(f))
    model = spec["model"]
    for case in spec["cases"]:
        given = case.get("given", [])
        lines = ["e " + text(e) for e in given]
        if "when" in case:
            lines.append("c " + text(case["when"]))
        if "query" in case:
            q = case["query"]
            lines.append("q %s %s" % (q["name"], text(q.get("args", {}))))
        if lines:
            put("evaluate", bytes([sel]) + "\n".join(lines).encode())
        # decode: kind byte (0 command, 1 event, 2 state, 3 replay, 4 query args), model byte.
        if "when" in case:
            put("decode", bytes([0, sel]) + text(case["when"]).encode())
        for e in given[:1]:
            put("decode", bytes([1, sel]) + text(e).encode())
        if "state" in case:
            put("decode", bytes([2, sel]) + text(case["state"]).encode())
        if given:
            put("decode", bytes([3, sel]) + text(given).encode())
        if "query" in case:
            put("decode", bytes([4, sel]) + text(case["query"].get("args", {})).encode())
        # c_api: propose (op 1) and accept (op 2), arguments split at NUL;
        # an engine (op 7) running the command on a stream.
        if "when" in case and sel < 4:
            put("c_api", b"1" + b"\0".join([model.encode(), b"", text(case["when"]).encode(), b"2026-01-02T03:04:05Z"]))
            put("c_api", b"7" + b"\0".join([b"", b"0" + b"\x01".join([model.encode(), b"a", text(case["when"]).encode()]),
                                                b"2" + model.encode() + b"\x01a", b"5"]))
        for e in given[:1]:
            if sel < 4:
                put("c_api", b"2" + b"\0".join([model.encode(), b"", text(e).encode()]))
                # upcast (op 8): the event as stored, at schema 1.
                put("c_api", b"8" + b"\0".join([model.encode(), text(dict(e, schema=1)).encode()]))

# decode: deep nesting and huge numbers.
for sel in range(5):
    put("decode", bytes([0, sel]) + ('{"type":"x","data":' + "[" * 70 + "]" * 70 + "}").encode())
    put("decode", bytes([2, sel]) + b'{"todos":{},"balance":123456789012345678901234567890,"x":1e400}')
    put("decode", bytes([1, sel]) + b'{"type":"created","data":{"id":"a","id":"b","text":"\\ud800","completed":false}}')

# decode: states with duplicate keys, a lone surrogate, numbers an int refuses.
todo = '{"id":"a","text":"x","completed":false}'
for state in ['{"todos":{"a":%s},"todos":{}}' % todo,
              '{"todos":{"a":%s,"a":{"id":"b","text":"y","completed":true}}}' % todo,
              '{"todos":{"a":{"id":"a","text":"\\ud800","completed":false,"completed":true}}}']:
    put("decode", bytes([2, 0]) + state.encode())
for n in ["1.0", "1e2", "-0", "100000000000000000000", "-9223372036854775809", "9223372036854775807"]:
    put("decode", bytes([2, 2]) + ('{"balance":%s}' % n).encode())

# c_api on version 1: the shared board model (fuzz/models/board.model, in the
# c_api domain): each upcast case (op 8), and each projection case's events
# and tables (op 9).
v1 = os.path.join(scenarios, "v1")
if os.path.exists(os.path.join(v1, "board.scenarios.json")):
    for case in json.load(open(os.path.join(v1, "board.scenarios.json")))["cases"]:
        if "upcast" in case:
            put("c_api", b"8" + b"\0".join([b"Board", text(case["upcast"]).encode()]))
    for case in json.load(open(os.path.join(v1, "board-projection.scenarios.json")))["cases"]:
        args = [case["projection"].encode(), text(case.get("given", [])).encode()]
        if "tables" in case:
            args.append(text(case["tables"]).encode())
        put("c_api", b"9" + b"\0".join(args))

# typed: bytes for the generator, fixed by a seed.
rng = random.Random(11)
for n in (0, 16, 64, 256, 1024):
    for _ in range(4):
        put("typed", bytes(rng.getrandbits(8) for _ in range(n)))

for target in sorted(written):
    count = len(os.listdir(os.path.join(out, target)))
    print(f"{target}: {count} files")
EOF
