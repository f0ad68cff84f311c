// slipkit's fused TensorFlow ops for the native `tensorflow` backend.
//
// Why: a transformer step on the CPU spends a third of its non-matmul time in chains of
// element-wise TensorFlow ops (a GELU and its derivative took nine, a LayerNorm five, its
// backward pass six, a residual with its bias two), each a full pass over an activation
// in memory. Each op here does one such chain in one pass, row by row, on all cores.
//
// The library is a Node.js addon (N-API) so that `require` loads it into the process that
// already holds tfjs-node's libtensorflow: loading it registers the ops and their CPU
// kernels through TensorFlow's C API (tensorflow/c/ops.h, kernels.h), after which tfjs-node
// runs them by name like any built-in op. Built by scripts/setup-native.js with the
// headers of the same PyPI wheel; the JavaScript side is core/backend/fused-ops.ts, and
// the formulas each op must equal are in core/nn (the tf-ops fallbacks).
//
// Every op takes float32 tensors whose last axis is the row (width D); all other axes are
// rows. Arithmetic is vectorised by Eigen (the same erf and exp TensorFlow's own kernels use).
//
// Files: row_pool.h (threads), row_sums.h (reproducible parallel sums), kernel_io.h (inputs,
// outputs, errors, op records), one *_ops.cc per family of ops, shape_fns.cc, and this file,
// which registers them all and is the addon's entry point. Built as one shared library by
// scripts/setup-native.js.

#include <node_api.h>

#include <mutex>
#include <string>
#include <vector>

#include "kernel_io.h"
#include "row_pool.h"

namespace slipkit {
namespace {

// Every op of every file, in registration order.
const std::vector<OpSpec>& allOps() {
  static const std::vector<OpSpec> ops = [] {
    std::vector<OpSpec> all;
    for (auto family : {layerNormOps, elementwiseOps, normFoldingOps, attentionOps, adamwOps}) {
      std::vector<OpSpec> some = family();
      all.insert(all.end(), some.begin(), some.end());
    }
    return all;
  }();
  return ops;
}

// Registers every op and its CPU kernel once per process; returns an error text or "".
std::string registerOps() {
  static std::once_flag once;
  static std::string error;
  std::call_once(once, [] {
    for (const OpSpec& spec : allOps()) {
      Status st;
      TF_OpDefinitionBuilder* op = TF_NewOpDefinitionBuilder(spec.name);
      for (const char* a : spec.attrs) TF_OpDefinitionBuilderAddAttr(op, a);
      for (const char* i : spec.inputs) TF_OpDefinitionBuilderAddInput(op, i);
      for (const char* o : spec.outputs) TF_OpDefinitionBuilderAddOutput(op, o);
      TF_OpDefinitionBuilderSetShapeInferenceFunction(op, spec.shapeFn);
      TF_RegisterOpDefinition(op, st.s);
      if (!st.ok()) {
        error = std::string("registering op ") + spec.name + ": " + TF_Message(st.s);
        return;
      }
      TF_KernelBuilder* kernel = TF_NewKernelBuilder(spec.name, "CPU", spec.create, spec.compute, spec.destroy);
      TF_RegisterKernelBuilder((std::string(spec.name) + "Op").c_str(), kernel, st.s);
      if (!st.ok()) {
        error = std::string("registering the CPU kernel of ") + spec.name + ": " + TF_Message(st.s);
        return;
      }
    }
  });
  return error;
}

// The addon: `require` registers the ops and returns { ops: string[], threads: number }.
napi_value Init(napi_env env, napi_value exports) {
  const std::string error = registerOps();
  if (!error.empty()) {
    napi_throw_error(env, nullptr, error.c_str());
    return nullptr;
  }
  napi_value names;
  napi_create_array_with_length(env, allOps().size(), &names);
  for (size_t i = 0; i < allOps().size(); ++i) {
    napi_value name;
    napi_create_string_utf8(env, allOps()[i].name, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, names, static_cast<uint32_t>(i), name);
  }
  napi_set_named_property(env, exports, "ops", names);
  napi_value threads;
  napi_create_int32(env, RowPool::instance().threads(), &threads);
  napi_set_named_property(env, exports, "threads", threads);
  return exports;
}

}  // namespace
}  // namespace slipkit

NAPI_MODULE(NODE_GYP_MODULE_NAME, slipkit::Init)
