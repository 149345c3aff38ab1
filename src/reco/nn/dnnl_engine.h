// The process's oneDNN CPU engine, shared by every oneDNN user in reco::nn (engines are
// thread-safe; streams are not, so each worker owns its own). Include only under RECO_HAVE_DNNL.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

namespace reco::nn {

inline dnnl::engine& dnnl_cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

}  // namespace reco::nn
