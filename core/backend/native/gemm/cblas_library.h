// A single-precision GEMM taken from a BLAS library loaded at run time (dlopen), run
// single-threaded per call: the callers split a product over slipkit's own thread pool, so
// that the split (and so every result bit) depends only on the shape and the thread count,
// and no library thread spins on a core that TensorFlow's next op needs.
#pragma once

#include <string>

namespace slipkit {

// cblas_sgemm's signature (row-major order, transposes as CBLAS enums).
using SgemmFn = void (*)(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
                         int ldb, float beta, float* c, int ldc);

constexpr int kRowMajor = 101;
constexpr int kNoTrans = 111;
constexpr int kTrans = 112;

struct CblasLibrary {
  SgemmFn sgemm = nullptr;
  // What was loaded, for `slipkit doctor`: the file and the symbol family.
  std::string path;
  std::string flavour;
};

// Loads the library at `path` once per process and makes it single-threaded per call (OpenBLAS,
// also as shipped by the scipy-openblas wheels; MKL through libmkl_rt; BLIS). Returns "" or why
// it failed. A second call with another path fails: one process uses one GEMM.
std::string loadCblasLibrary(const std::string& path);

// The loaded library, or nullptr.
const CblasLibrary* cblasLibrary();

}  // namespace slipkit
