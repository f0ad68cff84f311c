// SlipkitGemm and SlipkitBatchGemm: float32 matrix products on the GEMM library setup chose.
//
//   SlipkitGemm(a, b; transpose_a, transpose_b) = op(a)·op(b), a and b rank 2
//   SlipkitBatchGemm(a, b; adj_x, adj_y) = op(a[i])·op(b[i]) for each i, a and b rank 3 with
//   the same leading (batch) size
//
// where op(x) is x or xᵀ: the forward product and both backward products of a linear layer
// (dX = dY·Wᵀ, dW = Xᵀ·dY) read their operands in place. Work is split over slipkit's thread
// pool in parts fixed by the shape and the thread count alone (rows of the product when it
// has at least as many rows as columns, else columns; batch items for the batched op), each
// part one single-threaded library call: the same build on the same thread count gives the
// same bits on every run.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "../kernel_io.h"
#include "../row_pool.h"
#include "cblas_library.h"

namespace slipkit {
namespace {

// Output shapes depend on attrs: left to the kernel (eager callers read the outputs).
void unknownShape(TF_ShapeInferenceContext* ctx, TF_Status* status) { TF_ShapeInferenceContextSetUnknownShape(ctx, status); }

struct GemmAttrs {
  bool transposeA = false;
  bool transposeB = false;
};

void* createGemm(TF_OpKernelConstruction* ctx, const char* nameA, const char* nameB) {
  auto* attrs = new GemmAttrs();
  Status st;
  TF_Bool a = 0, b = 0;
  TF_OpKernelConstruction_GetAttrBool(ctx, nameA, &a, st.s);
  if (st.ok()) TF_OpKernelConstruction_GetAttrBool(ctx, nameB, &b, st.s);
  if (!st.ok()) TF_OpKernelConstruction_Failure(ctx, st.s);
  attrs->transposeA = a != 0;
  attrs->transposeB = b != 0;
  return attrs;
}

void* create2d(TF_OpKernelConstruction* ctx) { return createGemm(ctx, "transpose_a", "transpose_b"); }
void* createBatched(TF_OpKernelConstruction* ctx) { return createGemm(ctx, "adj_x", "adj_y"); }
void deleteGemm(void* attrs) { delete static_cast<GemmAttrs*>(attrs); }

// One product C [m, n] = op(A)·op(B) with A stored [m, k] (or [k, m] transposed) and B
// stored [k, n] (or [n, k]), row-major, contiguous.
struct Product {
  const float* a;
  const float* b;
  float* c;
  int64_t m, n, k;
  bool transposeA, transposeB;
};

// Rows [r0, r1) of the product.
void productRows(SgemmFn sgemm, const Product& p, int64_t r0, int64_t r1) {
  const int64_t lda = p.transposeA ? p.m : p.k, ldb = p.transposeB ? p.k : p.n;
  const float* a = p.transposeA ? p.a + r0 : p.a + r0 * lda;
  sgemm(kRowMajor, p.transposeA ? kTrans : kNoTrans, p.transposeB ? kTrans : kNoTrans, static_cast<int>(r1 - r0), static_cast<int>(p.n),
        static_cast<int>(p.k), 1.0f, a, static_cast<int>(lda), p.b, static_cast<int>(ldb), 0.0f, p.c + r0 * p.n, static_cast<int>(p.n));
}

// Columns [c0, c1) of the product.
void productColumns(SgemmFn sgemm, const Product& p, int64_t c0, int64_t c1) {
  const int64_t lda = p.transposeA ? p.m : p.k, ldb = p.transposeB ? p.k : p.n;
  const float* b = p.transposeB ? p.b + c0 * ldb : p.b + c0;
  sgemm(kRowMajor, p.transposeA ? kTrans : kNoTrans, p.transposeB ? kTrans : kNoTrans, static_cast<int>(p.m), static_cast<int>(c1 - c0),
        static_cast<int>(p.k), 1.0f, p.a, static_cast<int>(lda), b, static_cast<int>(ldb), 0.0f, p.c + c0, static_cast<int>(p.n));
}

// Below this many multiply-adds a product runs on the calling thread alone (waking the pool
// costs more than it saves).
constexpr int64_t kParallelMacs = int64_t{1} << 18;

// The whole product, split into one part per pool thread. forRows over `parts` items makes
// exactly `parts` chunks, so each part is one library call whatever thread takes it.
void product(SgemmFn sgemm, const Product& p) {
  if (p.m == 0 || p.n == 0) return;
  if (p.k == 0) {
    std::fill(p.c, p.c + p.m * p.n, 0.0f);
    return;
  }
  RowPool& pool = RowPool::instance();
  const bool byRows = p.m >= p.n;
  const int64_t extent = byRows ? p.m : p.n;
  const int64_t parts = p.m * p.n * p.k < kParallelMacs ? 1 : std::min<int64_t>(pool.threads(), extent);
  if (parts <= 1) return productRows(sgemm, p, 0, p.m);
  pool.forRows(parts, int64_t{1} << 20, [&](int64_t begin, int64_t end) {
    for (int64_t part = begin; part < end; ++part) {
      const int64_t lo = extent * part / parts, hi = extent * (part + 1) / parts;
      byRows ? productRows(sgemm, p, lo, hi) : productColumns(sgemm, p, lo, hi);
    }
  });
}

const CblasLibrary* libraryOrFail(TF_OpKernelContext* ctx, const char* op) {
  const CblasLibrary* lib = cblasLibrary();
  if (!lib) fail(ctx, std::string(op) + ": no GEMM library is loaded");
  return lib;
}

void computeGemm(void* state, TF_OpKernelContext* ctx) {
  const auto* attrs = static_cast<const GemmAttrs*>(state);
  const CblasLibrary* lib = libraryOrFail(ctx, "SlipkitGemm");
  if (!lib) return;
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input &a = in[0], &b = in[1];
  if (a.rank() != 2 || b.rank() != 2) return fail(ctx, "SlipkitGemm: expected rank-2 a and b, got " + shapeText(a) + " and " + shapeText(b));
  const int64_t m = attrs->transposeA ? a.dim(1) : a.dim(0), k = attrs->transposeA ? a.dim(0) : a.dim(1);
  const int64_t kb = attrs->transposeB ? b.dim(1) : b.dim(0), n = attrs->transposeB ? b.dim(0) : b.dim(1);
  if (k != kb) return fail(ctx, "SlipkitGemm: inner dimensions differ: " + shapeText(a) + (attrs->transposeA ? "ᵀ" : "") + " · " + shapeText(b) + (attrs->transposeB ? "ᵀ" : ""));
  Output c;
  if (!allocate(ctx, 0, {m, n}, c)) return;
  product(lib->sgemm, {a.data(), b.data(), c.data(), m, n, k, attrs->transposeA, attrs->transposeB});
}

void computeBatchGemm(void* state, TF_OpKernelContext* ctx) {
  const auto* attrs = static_cast<const GemmAttrs*>(state);
  const CblasLibrary* lib = libraryOrFail(ctx, "SlipkitBatchGemm");
  if (!lib) return;
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input &a = in[0], &b = in[1];
  if (a.rank() != 3 || b.rank() != 3 || a.dim(0) != b.dim(0)) {
    return fail(ctx, "SlipkitBatchGemm: expected rank-3 a and b with the same batch size, got " + shapeText(a) + " and " + shapeText(b));
  }
  const int64_t batch = a.dim(0);
  const int64_t m = attrs->transposeA ? a.dim(2) : a.dim(1), k = attrs->transposeA ? a.dim(1) : a.dim(2);
  const int64_t kb = attrs->transposeB ? b.dim(2) : b.dim(1), n = attrs->transposeB ? b.dim(1) : b.dim(2);
  if (k != kb) return fail(ctx, "SlipkitBatchGemm: inner dimensions differ: " + shapeText(a) + " · " + shapeText(b));
  Output c;
  if (!allocate(ctx, 0, {batch, m, n}, c)) return;
  if (batch == 0) return;
  const auto item = [&](int64_t i) {
    return Product{a.data() + i * m * k, b.data() + i * k * n, c.data() + i * m * n, m, n, k, attrs->transposeA, attrs->transposeB};
  };
  if (batch == 1) return product(lib->sgemm, item(0));
  // Items are independent: each is one single-threaded call, items split over the pool.
  RowPool::instance().forRows(batch, m * n * k < kParallelMacs ? m * n : int64_t{1} << 20, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const Product p = item(i);
      if (p.k == 0) std::fill(p.c, p.c + m * n, 0.0f);
      else if (m > 0 && n > 0) productRows(lib->sgemm, p, 0, m);
    }
  });
}

}  // namespace

std::vector<OpSpec> gemmOps() {
  return {
      {"SlipkitGemm", {"a: float", "b: float"}, {"product: float"}, {"transpose_a: bool = false", "transpose_b: bool = false"}, unknownShape,
       create2d, computeGemm, deleteGemm},
      {"SlipkitBatchGemm", {"a: float", "b: float"}, {"product: float"}, {"adj_x: bool = false", "adj_y: bool = false"}, unknownShape,
       createBatched, computeBatchGemm, deleteGemm},
  };
}

}  // namespace slipkit
