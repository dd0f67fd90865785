"""Rebuild the vendored reference figures from the reference folder (the one holding
torchvision_reference.json, timm_reference.json and outputs/), so that the tests never read it:

    python tests/reference/vendor.py PATH/TO/reference

Writes torchvision.json.gz and timm.json.gz here, keeping only the fields the tests use."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT_FIELDS = ("input_shape", "output_shape", "params", "sum", "abs_sum", "max_abs", "sample_stride", "sample")


def vendor(source: Path) -> dict[str, dict]:
    """Two tables, torchvision's and timm's, each model's output figures with its state_dict keys and
    shapes; `macs` (convolutions and linears only) where the reference lists them."""
    tables: dict[str, dict] = {"torchvision": {}, "timm": {}}
    for path in sorted((source / "outputs").glob("*.json")):
        entry = json.loads(path.read_text())
        figures = {field: entry[field] for field in OUTPUT_FIELDS}
        figures["state_dict"] = [[key, shape] for key, shape, *_ in entry["state_dict"]]
        tables["timm" if path.stem.startswith("timm_") else "torchvision"][entry["name"]] = figures
    for table, models in tables.items():
        for name, entry in json.loads((source / f"{table}_reference.json").read_text()).items():
            assert [[key, shape] for key, shape, *_ in entry["state_dict"]] == models[name]["state_dict"]
            models[name]["macs"] = entry["macs_conv_linear"]
    return tables


def main(source: str) -> None:
    for table, models in vendor(Path(source)).items():
        text = json.dumps(models, separators=(",", ":"), sort_keys=True)
        (HERE / f"{table}.json.gz").write_bytes(gzip.compress(text.encode(), mtime=0))


if __name__ == "__main__":
    main(sys.argv[1])
