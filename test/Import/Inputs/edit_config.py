"""Writes a variant of a config.json: edit_config.py IN OUT EDIT...

Each EDIT is KEY=JSON (set KEY to the JSON value), -KEY (remove KEY) or
!TEXT (replace the whole document by TEXT, for malformed-JSON tests).
"""
import json
import sys

src, dst = sys.argv[1], sys.argv[2]
cfg = json.load(open(src))
raw = None
for edit in sys.argv[3:]:
    if edit.startswith("!"):
        raw = edit[1:]
    elif edit.startswith("-"):
        del cfg[edit[1:]]
    else:
        key, value = edit.split("=", 1)
        cfg[key] = json.loads(value)
with open(dst, "w") as f:
    f.write(raw if raw is not None else json.dumps(cfg, indent=1))
