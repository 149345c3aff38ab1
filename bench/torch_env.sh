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
