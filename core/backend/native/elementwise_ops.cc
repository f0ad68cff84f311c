// slipkit fused ops: bias + GELU (with its derivative), bias + residual, and a product with
// its column sums; each one pass over memory.

#include <unsupported/Eigen/SpecialFunctions>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernel_io.h"
#include "row_pool.h"
#include "row_sums.h"

namespace slipkit {
namespace {

// SlipkitBiasGelu(h, b) → f(z) and SlipkitBiasGeluWithDerivative(h, b) → f(z), f′(z), for
// z = h + b (b broadcast over rows), f(z) = z·(1 + erf z) = √2·GELU(√2·z) and
// f′(z) = 1 + erf z + z·(2/√π)·exp(−z²). Equals `scaledGeluForward(h + b)`.

constexpr int kBlock = 256;  // elements per stack block: the row is processed in cache-sized pieces

void computeBiasGelu(void*, TF_OpKernelContext* ctx) {
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input &h = in[0], &b = in[1];
  if (h.rank() < 1 || b.rank() != 1 || b.dim(0) != h.width()) {
    return fail(ctx, "SlipkitBiasGelu: expected h [..., F] and b [F], got " + shapeText(h) + " and " + shapeText(b));
  }
  const bool withDerivative = TF_NumOutputs(ctx) == 2;
  Output value, derivative;
  if (!allocate(ctx, 0, h.shape(), value)) return;
  if (withDerivative && !allocate(ctx, 1, h.shape(), derivative)) return;
  const int64_t f = h.width(), rows = h.size() / f;
  const float *ph = h.data(), *pb = b.data();
  float *pv = value.data(), *pd = withDerivative ? derivative.data() : nullptr;
  const float twoOverSqrtPi = static_cast<float>(2.0 / std::sqrt(M_PI));
  RowPool::instance().forRows(rows, f, [&](int64_t begin, int64_t end) {
    alignas(64) float zBuf[kBlock];
    alignas(64) float eBuf[kBlock];
    for (int64_t r = begin; r < end; ++r) {
      for (int64_t j = 0; j < f; j += kBlock) {
        const int64_t n = std::min<int64_t>(kBlock, f - j);
        Row z(zBuf, n), onePlusErf(eBuf, n);
        z = ConstRow(ph + r * f + j, n) + ConstRow(pb + j, n);
        onePlusErf = 1.0f + z.erf();
        Row(pv + r * f + j, n) = z * onePlusErf;
        if (pd) Row(pd + r * f + j, n) = onePlusErf + z * (twoOverSqrtPi * (-z.square()).exp());
      }
    }
  });
}

// ---------------------------------------------------------------------------------------
// SlipkitBiasResidual(x, h, b) = x + h + b (b broadcast over rows): a residual connection
// after a linear layer, in one pass instead of two.

void computeBiasResidual(void*, TF_OpKernelContext* ctx) {
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input &x = in[0], &h = in[1], &b = in[2];
  if (x.rank() < 1 || !sameShape(x, h) || b.rank() != 1 || b.dim(0) != x.width()) {
    return fail(ctx, "SlipkitBiasResidual: expected x and h [..., D] of one shape and b [D], got " + shapeText(x) + ", " + shapeText(h) + ", " + shapeText(b));
  }
  Output out;
  if (!allocate(ctx, 0, x.shape(), out)) return;
  const int64_t d = x.width(), rows = x.size() / d;
  const float *px = x.data(), *ph = h.data(), *pb = b.data();
  float* po = out.data();
  RowPool::instance().forRows(rows, d, [&](int64_t begin, int64_t end) {
    ConstRow br(pb, d);
    for (int64_t r = begin; r < end; ++r) Row(po + r * d, d) = ConstRow(px + r * d, d) + ConstRow(ph + r * d, d) + br;
  });
}

// ---------------------------------------------------------------------------------------
// SlipkitMulColumnSums(a, g) → a ⊙ g and its sums over rows: the gradient through an
// element-wise derivative g (e.g. the GELU's) together with the bias gradient it gives, in
// one pass instead of a multiply and a reduction that reads the product back.

void computeMulColumnSums(void*, TF_OpKernelContext* ctx) {
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input &a = in[0], &g = in[1];
  if (a.rank() < 1 || !sameShape(a, g)) return fail(ctx, "SlipkitMulColumnSums: expected a and g of one shape, got " + shapeText(a) + " and " + shapeText(g));
  const int64_t d = a.width(), rows = a.size() / d;
  Output product, sums;
  if (!allocate(ctx, 0, a.shape(), product) || !allocate(ctx, 1, {d}, sums)) return;
  const float *pa = a.data(), *pg = g.data();
  float *pp = product.data(), *ps = sums.data();
  Row(ps, d) = forRowsSummingColumns(rows, d, [&](int64_t begin, int64_t end, Eigen::ArrayXf& partial) {
    for (int64_t r = begin; r < end; ++r) {
      Row out(pp + r * d, d);
      out = ConstRow(pa + r * d, d) * ConstRow(pg + r * d, d);
      partial += out;
    }
  });
}

// ---------------------------------------------------------------------------------------
// SlipkitColumnSums(x) → the sums of x [..., D] over its rows: a bias gradient in one pass over
// x, summed in a fixed order (row_sums.h). It was a product with a row of ones, which the GEMM
// runs as a matrix-vector product at ~12 GB/s.

void computeColumnSums(void*, TF_OpKernelContext* ctx) {
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input& x = in[0];
  if (x.rank() < 1) return fail(ctx, "SlipkitColumnSums: expected x [..., D], got " + shapeText(x));
  const int64_t d = x.width(), rows = d == 0 ? 0 : x.size() / d;
  Output sums;
  if (!allocate(ctx, 0, {d}, sums)) return;
  const float* px = x.data();
  Row(sums.data(), d) = forRowsSummingColumns(rows, d, [&](int64_t begin, int64_t end, Eigen::ArrayXf& partial) {
    for (int64_t r = begin; r < end; ++r) partial += ConstRow(px + r * d, d);
  });
}

}  // namespace

std::vector<OpSpec> elementwiseOps() {
  return {
      {"SlipkitBiasGelu", {"h: float", "b: float"}, {"value: float"}, {}, sameAsFirstInput, noState, computeBiasGelu, noDelete},
      {"SlipkitBiasGeluWithDerivative", {"h: float", "b: float"}, {"value: float", "derivative: float"}, {}, firstInputTwice, noState, computeBiasGelu, noDelete},
      {"SlipkitBiasResidual", {"x: float", "h: float", "b: float"}, {"y: float"}, {}, sameAsFirstInput, noState, computeBiasResidual, noDelete},
      {"SlipkitMulColumnSums", {"a: float", "g: float"}, {"product: float", "sums: float"}, {}, unknownShapes, noState, computeMulColumnSums, noDelete},
      {"SlipkitColumnSums", {"x: float"}, {"sums: float"}, {}, unknownShapes, noState, computeColumnSums, noDelete},
  };
}

}  // namespace slipkit
