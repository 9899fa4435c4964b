"""Checks the PyTorch bench peer (bench/models/torch_models.py) against the
float64 reference (test/Import/Inputs/hf_reference.py).

  check_torch_peer.py WORKDIR NAME:T,T,... ...

For each NAME, WORKDIR/NAME.json and WORKDIR/NAME.safetensors are the config
and its weights; for each prompt length T, random ids (numpy, seeded) are
prefilled and 4 tokens generated greedily with recurrent decode steps, and
the peer's prefill and decode logits must match the reference over prompt +
generated ids to <= 1e-4 relative RMS. One process for every case, so torch
is imported once. Prints one line per case and "OK" at the end.
"""
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "bench", "models"))
import torch_models  # noqa: E402


def main():
    work = sys.argv[1]
    failed = False
    rng = np.random.default_rng(7)
    for case in sys.argv[2:]:
        name, lengths = case.split(":")
        config = os.path.join(work, name + ".json")
        weights = os.path.join(work, name + ".safetensors")
        cfg, model = torch_models.build(config, weights)
        for T in map(int, lengths.split(",")):
            ids = [int(i) for i in rng.integers(0, cfg["vocab_size"], T)]
            out, _, _, pl, dl = torch_models.generate(model, ids, 4, keep_logits=True)
            errs = torch_models.reference_errors(cfg, weights, ids, out, pl, dl)
            ok = all(e <= 1e-4 for e in errs.values()) and len(errs) == 2
            failed |= not ok
            print("%s T=%d: prefill %.1e decode %.1e %s" % (
                name, T, errs["prefill"], errs.get("decode", float("nan")),
                "ok" if ok else "FAILED"))
    print("FAILED" if failed else "OK")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
