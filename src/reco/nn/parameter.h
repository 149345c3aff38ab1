// Parameter and gradient types shared by layers, optimizers, trainers and model files.
//
// A Parameter is a named trainable tensor. Dense parameters (weights, biases) get a dense
// gradient of the same shape every step. Embedding tables (`sparse == true`, shape
// [table rows, dim]) never get a dense gradient: a step produces a RowGrad holding only
// the rows the batch touched, so a 10M x 64 table costs no 2.5 GB gradient buffer.
//
// Ownership: layers own their Parameters; optimizers keep per-parameter state indexed by
// the slot returned from Optimizer::add and hold a pointer to the Parameter, which must
// outlive the optimizer (models own both).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reco/nn/tensor.h"

namespace reco::nn {

struct Parameter {
  std::string name;     ///< unique within a model, e.g. "bottom.0.weight", "emb.C1"
  Tensor value;         ///< [rows, cols]; a bias is [1, n]
  bool sparse = false;  ///< embedding table: updated row-wise from RowGrad
  bool decay = true;    ///< weight decay applies (off for biases by convention)
};

/// Coalesced row-sparse gradient of one embedding table: `rows` are unique and ascending;
/// values.row(i) is the summed gradient of table row rows[i]. values is [rows.size(), dim].
struct RowGrad {
  std::vector<uint32_t> rows;
  Tensor values;
  void clear() {
    rows.clear();
    values.resize(0, values.cols());
  }
};

}  // namespace reco::nn
