#!/usr/bin/env bash
# Compares `qari render --plain` (wrap at 80 + reorder + shape) with GNU FriBidi's
# `fribidi --nobreak --nopad` (reorder + shape, no wrapping) on the same ~10 MB of paragraphs
# built from the bundled samples, in one run. Prints the best of seven runs of each and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v fribidi >/dev/null; then
    apt-get install -y -qq libfribidi-bin >/dev/null
fi
bytes=${1:-10000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q
cargo run --release -q --example make_library -- --paragraphs "$work/p.txt" "$bytes"
size=$(stat -c %s "$work/p.txt")
# Runs alternate (qari, fribidi, qari, ...) so that both see the same load on a shared
# machine; the best of seven of each counts.
run_ms() {
    local s e
    s=$(date +%s%N)
    "$@" <"$work/p.txt" >/dev/null
    e=$(date +%s%N)
    echo $(((e - s) / 1000000))
}
q=999999
f=999999
for _ in 1 2 3 4 5 6 7; do
    t=$(run_ms target/release/qari render --plain --width 80 -)
    ((t < q)) && q=$t
    t=$(run_ms fribidi --nobreak --nopad)
    ((t < f)) && f=$t
done
echo "input: $size bytes, $(wc -l <"$work/p.txt") paragraphs"
echo "qari render --plain --width 80: ${q} ms ($((size / 1000 / (q > 0 ? q : 1))) MB/s)"
echo "fribidi --nobreak --nopad:      ${f} ms ($((size / 1000 / (f > 0 ? f : 1))) MB/s)"
awk -v q="$q" -v f="$f" 'BEGIN { printf "qari throughput / fribidi throughput: %.2f\n", f / q }'
