// Inputs, outputs, errors and op records of slipkit's fused ops, over TensorFlow's C kernel API
// (tensorflow/c/kernels.h, ops.h).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "tensorflow/c/kernels.h"
#include "tensorflow/c/ops.h"
#include "tensorflow/c/tf_status.h"
#include "tensorflow/c/tf_tensor.h"

namespace slipkit {

using ConstRow = Eigen::Map<const Eigen::ArrayXf>;
using Row = Eigen::Map<Eigen::ArrayXf>;

struct Status {
  TF_Status* s = TF_NewStatus();
  ~Status() { TF_DeleteStatus(s); }
  bool ok() const { return TF_GetCode(s) == TF_OK; }
};

// An input tensor, released when the kernel returns.
struct Input {
  TF_Tensor* tensor = nullptr;
  ~Input() {
    if (tensor) TF_DeleteTensor(tensor);
  }
  const float* data() const { return static_cast<const float*>(TF_TensorData(tensor)); }
  int rank() const { return TF_NumDims(tensor); }
  int64_t dim(int i) const { return TF_Dim(tensor, i); }
  int64_t size() const { return TF_TensorElementCount(tensor); }
  int64_t width() const { return rank() == 0 ? 1 : dim(rank() - 1); }
  std::vector<int64_t> shape() const {
    std::vector<int64_t> s(rank());
    for (int i = 0; i < rank(); ++i) s[i] = dim(i);
    return s;
  }
};

struct Output {
  TF_Tensor* tensor = nullptr;
  ~Output() {
    if (tensor) TF_DeleteTensor(tensor);
  }
  float* data() const { return static_cast<float*>(TF_TensorData(tensor)); }
};

inline void fail(TF_OpKernelContext* ctx, const std::string& message) {
  Status st;
  TF_SetStatus(st.s, TF_INVALID_ARGUMENT, message.c_str());
  TF_OpKernelContext_Failure(ctx, st.s);
}

inline bool readInputs(TF_OpKernelContext* ctx, std::vector<Input>& inputs) {
  inputs = std::vector<Input>(TF_NumInputs(ctx));
  for (size_t i = 0; i < inputs.size(); ++i) {
    Status st;
    TF_GetInput(ctx, static_cast<int>(i), &inputs[i].tensor, st.s);
    if (!st.ok()) {
      TF_OpKernelContext_Failure(ctx, st.s);
      return false;
    }
  }
  return true;
}

inline bool allocate(TF_OpKernelContext* ctx, int index, const std::vector<int64_t>& shape, Output& out) {
  Status st;
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  out.tensor = TF_AllocateOutput(ctx, index, TF_FLOAT, shape.data(), static_cast<int>(shape.size()), count * sizeof(float), st.s);
  if (!st.ok()) {
    TF_OpKernelContext_Failure(ctx, st.s);
    return false;
  }
  return true;
}

inline bool sameShape(const Input& a, const Input& b) { return a.shape() == b.shape(); }

inline std::string shapeText(const Input& t) {
  std::string s = "[";
  for (int i = 0; i < t.rank(); ++i) s += (i ? "," : "") + std::to_string(t.dim(i));
  return s + "]";
}

// The shape of x with its last axis replaced by 1: per-row statistics.
inline std::vector<int64_t> rowStatShape(const Input& x) {
  std::vector<int64_t> s = x.shape();
  if (s.empty()) s.push_back(1);
  s.back() = 1;
  return s;
}

// One op: its definition (inputs, outputs and attrs in TensorFlow's op-spec syntax, and a
// shape function) and its CPU kernel's create, compute and delete functions.
struct OpSpec {
  const char* name;
  std::vector<const char*> inputs;
  std::vector<const char*> outputs;
  std::vector<const char*> attrs;
  void (*shapeFn)(TF_ShapeInferenceContext*, TF_Status*);
  void* (*create)(TF_OpKernelConstruction*);
  void (*compute)(void*, TF_OpKernelContext*);
  void (*destroy)(void*);
};

inline void* noState(TF_OpKernelConstruction*) { return nullptr; }
inline void noDelete(void*) {}

// Shape functions, for graph-mode callers (eager execution reads the kernels' outputs); in
// shape_fns.cc.
void sameAsFirstInput(TF_ShapeInferenceContext* ctx, TF_Status* status);
void secondInputShape(TF_ShapeInferenceContext* ctx, TF_Status* status);
void firstInputTwice(TF_ShapeInferenceContext* ctx, TF_Status* status);
void valueAndRowStat(TF_ShapeInferenceContext* ctx, TF_Status* status);
void unknownShapes(TF_ShapeInferenceContext* ctx, TF_Status* status);

// The ops each file defines.
std::vector<OpSpec> layerNormOps();
std::vector<OpSpec> elementwiseOps();
std::vector<OpSpec> normFoldingOps();
std::vector<OpSpec> attentionOps();
std::vector<OpSpec> adamwOps();

}  // namespace slipkit
