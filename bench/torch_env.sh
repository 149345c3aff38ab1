# Source before running a PyTorch peer: bench/torch_env.sh gives Debian's torch OpenBLAS and
# passive OpenMP waiting (../shared/docs/measuring.md). Debian's python3-torch is built with
# BLAS_INFO=generic and calls whatever libblas.so.3 resolves to: the reference BLAS (~4 GFLOP/s)
# unless libopenblas0-pthread is installed, which registers itself as the libblas.so.3
# alternative (~90 GFLOP/s per core here). If the alternative is not OpenBLAS but the package's
# directory exists, put it first on LD_LIBRARY_PATH so torch loads OpenBLAS anyway.
# torch_dlrm.py prints the library it actually mapped and a timed sgemm ("blas" in its JSON).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
_reco_openblas_dir=/usr/lib/x86_64-linux-gnu/openblas-pthread
case "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null)" in
  *openblas*) ;;  # the alternative already is OpenBLAS
  *)
    if [ -d "$_reco_openblas_dir" ]; then
      export LD_LIBRARY_PATH="$_reco_openblas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    else
      echo "warning: libblas.so.3 is not OpenBLAS and $_reco_openblas_dir is missing:" \
           "apt-get install -y libopenblas0-pthread, or torch runs on the reference BLAS" >&2
    fi ;;
esac
unset _reco_openblas_dir
# OpenBLAS kernels: Debian's 0.3.21 can misread a CPU newer than itself (an Intel Xeon family 6
# model 207 runs its SSE3 "Prescott" kernels, ~5x slower; AMD Zen 5 gets AVX2 kernels).
# bench/openblas_core.py times the candidate kernel sets and names the fastest correct one; it
# is exported for the whole benchmark (reco's fp32 GEMMs run on oneDNN, which detects the CPU
# itself, so only reco's RECO_SGEMM=openblas fall-back also sees it). A value set by the caller
# is kept; RECO_BENCH_OPENBLAS_AUTO=0 skips the choice.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ "${RECO_BENCH_OPENBLAS_AUTO:-1}" = 1 ]; then
  _reco_core=$(/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/openblas_core.py" 2>/dev/null || true)
  if [ -n "$_reco_core" ]; then
    export OPENBLAS_CORETYPE="$_reco_core"
    echo "torch_env: OPENBLAS_CORETYPE=$_reco_core (bench/openblas_core.py: faster than OpenBLAS's own detection)" >&2
  fi
  unset _reco_core
fi
