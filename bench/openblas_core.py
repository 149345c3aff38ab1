#!/usr/bin/python3
"""Picks the OpenBLAS kernel set (OPENBLAS_CORETYPE) that gives a peer its fastest correct sgemm.

Debian's OpenBLAS 0.3.21 detects the core by CPU model number. A CPU newer than the library
can be misread: on an Intel Xeon of family 6 model 207 (2026-12) it falls back to "Prescott"
(SSE3, ~39 GFLOP/s on one core instead of ~190 with its AVX-512 "SkylakeX" kernels), and on
AMD Zen 5 it runs AVX2 kernels. A peer on those kernels is a crippled peer, so bench/torch_env.sh
asks this script which core type to export before any PyTorch run.

Each candidate (the library's own choice, then AVX-512 and AVX2 kernel sets the CPU supports)
runs in a child process with OPENBLAS_CORETYPE set and one thread: a 1024^3 sgemm through
numpy (the same libblas.so.3 torch calls), checked against a float64 product, best of 5.
Prints the winner's name on stdout ("" = the library's own detection; a later candidate wins
only when more than 5 % faster than the best before it), and one line per candidate on stderr.

    bench/openblas_core.py            # -> e.g. SkylakeX
"""
import os
import subprocess
import sys

CHILD = r"""
import ctypes, glob, os, time
import numpy as np
corename = "?"
for lib in glob.glob("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas*.so*"):
    try:
        f = ctypes.CDLL(lib).openblas_get_corename
        f.restype = ctypes.c_char_p
        corename = f().decode()
        break
    except (OSError, AttributeError):
        pass
n = 1024
rng = np.random.default_rng(0)
a = rng.standard_normal((n, n), dtype=np.float32)
b = rng.standard_normal((n, n), dtype=np.float32)
c = a @ b
ref = a.astype(np.float64) @ b.astype(np.float64)
err = float(np.abs(c - ref).max() / np.abs(ref).max())
best = min((lambda t: (a @ b, time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
print(corename, 2 * n ** 3 / best / 1e9, err)
"""


def cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def measure(coretype: str):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    try:
        out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120)
        name, gflops, err = out.stdout.split()
        return name, float(gflops), float(err)
    except (subprocess.SubprocessError, ValueError):
        return None


def main() -> None:
    if os.environ.get("OPENBLAS_CORETYPE"):  # the caller chose: keep it
        print(os.environ["OPENBLAS_CORETYPE"])
        return
    flags = cpu_flags()
    candidates = [""]
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        candidates += ["SkylakeX", "Cooperlake"] if "avx512_bf16" in flags else ["SkylakeX"]
    if {"avx2", "fma"} <= flags:
        candidates.append("Haswell")
    results = {}
    for c in candidates:
        r = measure(c)
        label = c or "(detected)"
        if r is None:
            print(f"openblas_core: {label}: failed", file=sys.stderr)
            continue
        name, gflops, err = r
        ok = err < 1e-5  # fp32 rounding of a 1024-term sum is ~1e-7 relative; a wrong kernel is far off
        print(f"openblas_core: {label} -> {name}: {gflops:.1f} GFLOP/s, rel err {err:.1e}{'' if ok else ' WRONG'}",
              file=sys.stderr)
        if ok:
            results[c] = gflops
    if not results:
        print("")
        return
    # In candidate order (the library's own choice first), a later set replaces the best so far
    # only when it is more than 5 % faster: timing noise does not flip the choice between
    # SkylakeX and Cooperlake, whose sgemm kernels are the same.
    best = None
    for c in candidates:
        if c in results and (best is None or results[c] > 1.05 * results[best]):
            best = c
    print(best)


if __name__ == "__main__":
    main()
