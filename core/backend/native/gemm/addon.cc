// slipkit's GEMM addon for the native `tensorflow` backend: SlipkitGemm and SlipkitBatchGemm
// (gemm_ops.cc) on a BLAS library loaded at run time (cblas_library.cc).
//
// Why a library of its own beside the fused ops: which GEMM is fastest depends on the machine
// (TensorFlow's own MatMul, OpenBLAS, MKL, ...), so scripts/setup-native.js measures the
// candidates at the SLIP step's shapes and records the winner; this addon loads that one.
// `require` returns { load(path) }: load dlopens the library, registers the two ops and their
// CPU kernels with the libtensorflow tfjs-node loaded, and returns { ops, threads, library,
// flavour }. Built by scripts/setup-native.js into .native/gemm/gemm_ops.node; the JavaScript
// side is core/backend/gemm.ts.

#include <node_api.h>

#include <mutex>
#include <string>
#include <vector>

#include "../kernel_io.h"
#include "../row_pool.h"
#include "cblas_library.h"

namespace slipkit {

std::vector<OpSpec> gemmOps();

namespace {

std::string registerOps() {
  static std::once_flag once;
  static std::string error;
  std::call_once(once, [] {
    for (const OpSpec& spec : gemmOps()) {
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

napi_value str(napi_env env, const std::string& s) {
  napi_value v;
  napi_create_string_utf8(env, s.c_str(), s.size(), &v);
  return v;
}

napi_value Load(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  size_t length = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, arg, nullptr, 0, &length) != napi_ok) {
    napi_throw_type_error(env, nullptr, "load(path): path must be a string");
    return nullptr;
  }
  std::string path(length, '\0');
  napi_get_value_string_utf8(env, arg, path.data(), length + 1, &length);
  std::string error = loadCblasLibrary(path);
  if (error.empty()) error = registerOps();
  if (!error.empty()) {
    napi_throw_error(env, nullptr, error.c_str());
    return nullptr;
  }
  napi_value result, names, threads;
  napi_create_object(env, &result);
  const std::vector<OpSpec> ops = gemmOps();
  napi_create_array_with_length(env, ops.size(), &names);
  for (size_t i = 0; i < ops.size(); ++i) napi_set_element(env, names, static_cast<uint32_t>(i), str(env, ops[i].name));
  napi_create_int32(env, RowPool::instance().threads(), &threads);
  napi_set_named_property(env, result, "ops", names);
  napi_set_named_property(env, result, "threads", threads);
  napi_set_named_property(env, result, "library", str(env, cblasLibrary()->path));
  napi_set_named_property(env, result, "flavour", str(env, cblasLibrary()->flavour));
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value load;
  napi_create_function(env, "load", NAPI_AUTO_LENGTH, Load, nullptr, &load);
  napi_set_named_property(env, exports, "load", load);
  return exports;
}

}  // namespace
}  // namespace slipkit

NAPI_MODULE(NODE_GYP_MODULE_NAME, slipkit::Init)
