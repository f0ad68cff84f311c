#include "cblas_library.h"

#include <dlfcn.h>

#include <mutex>

namespace slipkit {
namespace {

CblasLibrary loaded;
std::mutex loadMutex;

template <typename Fn>
Fn symbol(void* handle, const char* name) {
  return reinterpret_cast<Fn>(dlsym(handle, name));
}

}  // namespace

std::string loadCblasLibrary(const std::string& path) {
  std::lock_guard<std::mutex> lock(loadMutex);
  if (loaded.sgemm) return loaded.path == path ? "" : "a GEMM library is already loaded in this process: " + loaded.path;
  // RTLD_LOCAL: the library's BLAS symbols must not take the place of anything libtensorflow
  // or another addon resolves.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) return std::string("dlopen failed: ") + dlerror();
  using SetThreads = void (*)(int);
  CblasLibrary lib;
  lib.path = path;
  if (auto sgemm = symbol<SgemmFn>(handle, "scipy_cblas_sgemm")) {
    // OpenBLAS as the scipy-openblas32 wheel ships it (its symbols carry a scipy_ prefix).
    lib.sgemm = sgemm;
    lib.flavour = "OpenBLAS (scipy-openblas)";
    if (auto set = symbol<SetThreads>(handle, "scipy_openblas_set_num_threads")) set(1);
  } else if (auto sgemm = symbol<SgemmFn>(handle, "cblas_sgemm")) {
    lib.sgemm = sgemm;
    if (auto set = symbol<SetThreads>(handle, "openblas_set_num_threads")) {
      lib.flavour = "OpenBLAS";
      set(1);
    } else if (auto layer = symbol<int (*)(int)>(handle, "MKL_Set_Threading_Layer")) {
      lib.flavour = "MKL";
      layer(1);  // MKL_THREADING_SEQUENTIAL: no OpenMP runtime, one thread per call
    } else if (auto set = symbol<SetThreads>(handle, "bli_thread_set_num_threads")) {
      lib.flavour = "BLIS";
      set(1);
    } else {
      lib.flavour = "CBLAS";
    }
  } else {
    dlclose(handle);
    return "no cblas_sgemm in " + path;
  }
  loaded = lib;
  return "";
}

const CblasLibrary* cblasLibrary() { return loaded.sgemm ? &loaded : nullptr; }

}  // namespace slipkit
