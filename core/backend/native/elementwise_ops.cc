// slipkit fused ops: bias + GELU (with its derivative), bias + residual, the bias + GELU's
// backward pass with its bias gradient, and column sums; each one pass over memory.

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
// SlipkitBiasGeluGrad(dy, h, b) → dz = dy ⊙ f′(h + b) and its sums over rows: the MLP's backward
// pass through the bias + GELU, recomputing f′ in registers instead of reading a derivative
// tensor written by another pass, with fc1's bias gradient in the same pass.
//
// dz is written over h and returned as an output that shares its buffer (the op's contract,
// core/backend/fused/gelu.ts: its h input is consumed). The caller is the pre-LN block's
// backward pass, whose saved pre-activation has no other reader by then; a fresh dz would keep
// three [tokens, 4W] tensors alive at once where the step's memory peaks.

void computeBiasGeluGrad(void*, TF_OpKernelContext* ctx) {
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input &dy = in[0], &h = in[1], &b = in[2];
  if (h.rank() < 1 || !sameShape(dy, h) || b.rank() != 1 || b.dim(0) != h.width()) {
    return fail(ctx, "SlipkitBiasGeluGrad: expected dy and h [..., F] of one shape and b [F], got " + shapeText(dy) + ", " + shapeText(h) + " and " +
                         shapeText(b));
  }
  const int64_t f = h.width(), rows = f == 0 ? 0 : h.size() / f;
  Output sums;
  if (!allocate(ctx, 1, {f}, sums)) return;
  const float *pdy = dy.data(), *pb = b.data();
  float* pz = const_cast<float*>(h.data());  // in place: see above
  const float twoOverSqrtPi = static_cast<float>(2.0 / std::sqrt(M_PI));
  Row(sums.data(), f) = forRowsSummingColumns(rows, f, [&](int64_t begin, int64_t end, Eigen::ArrayXf& partial) {
    alignas(64) float zBuf[kBlock];
    for (int64_t r = begin; r < end; ++r) {
      for (int64_t j = 0; j < f; j += kBlock) {
        const int64_t n = std::min<int64_t>(kBlock, f - j);
        Row z(zBuf, n), out(pz + r * f + j, n);
        z = ConstRow(pz + r * f + j, n) + ConstRow(pb + j, n);
        // f′(z) in the order of SlipkitBiasGeluWithDerivative, so dz has the bits of dy ⊙ f′.
        out = ConstRow(pdy + r * f + j, n) * ((1.0f + z.erf()) + z * (twoOverSqrtPi * (-z.square()).exp()));
        partial.segment(j, n) += out;
      }
    }
  });
  Status st;
  TF_SetOutput(ctx, 0, h.tensor, st.s);
  if (!st.ok()) return TF_OpKernelContext_Failure(ctx, st.s);
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
      {"SlipkitBiasGeluGrad", {"dy: float", "h: float", "b: float"}, {"dz: float", "sums: float"}, {}, unknownShapes, noState, computeBiasGeluGrad, noDelete},
      {"SlipkitColumnSums", {"x: float"}, {"sums: float"}, {}, unknownShapes, noState, computeColumnSums, noDelete},
  };
}

}  // namespace slipkit
