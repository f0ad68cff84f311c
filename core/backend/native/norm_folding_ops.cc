// slipkit fused ops: a LayerNorm's scale and shift folded into the next linear layer, and the
// gradients unfolded.

#include <algorithm>
#include <string>
#include <vector>

#include "kernel_io.h"
#include "row_pool.h"
#include "row_sums.h"

namespace slipkit {
namespace {

// SlipkitFoldNorm(W, b, γ, β, s) → W′, b′ and SlipkitUnfoldNormGrad(dW′, db′, W, γ, β, s) →
// dW, db, dγ, dβ: a LayerNorm's scale and shift folded into the linear layer after it, with a
// scale per output column (core/nn/norm-folding.ts; W [I, O], b and s [O], γ and β [I]):
//   W′ = diag(γ)·W·diag(s),  b′ = (β·W + b) ⊙ s
//   dW = diag(γ)·dW′·diag(s) + β ⊗ (db′ ⊙ s),  db = db′ ⊙ s,
//   dγᵢ = Σⱼ dW′ᵢⱼ·Wᵢⱼ·sⱼ,  dβ = W·(db′ ⊙ s).
// Weight-sized work that took about twenty small TensorFlow ops per fold and unfold.

bool checkFoldShapes(TF_OpKernelContext* ctx, const char* op, const Input& w, const Input& gamma, const Input& beta, const Input& s,
                     const std::vector<const Input*>& columnVectors, const Input* sameAsW) {
  const bool ok = w.rank() == 2 && gamma.shape() == std::vector<int64_t>{w.dim(0)} && beta.shape() == gamma.shape() &&
                  s.shape() == std::vector<int64_t>{w.dim(1)} && (!sameAsW || sameShape(*sameAsW, w)) &&
                  std::all_of(columnVectors.begin(), columnVectors.end(), [&](const Input* v) { return v->shape() == s.shape(); });
  if (!ok) {
    fail(ctx, std::string(op) + ": expected W [I, O], γ and β [I], and b, s (and dW′ like W, db′ like b) [O]; got W " + shapeText(w) +
                  ", γ " + shapeText(gamma) + ", β " + shapeText(beta) + ", s " + shapeText(s));
  }
  return ok;
}

void computeFoldNorm(void*, TF_OpKernelContext* ctx) {
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input &w = in[0], &b = in[1], &gamma = in[2], &beta = in[3], &s = in[4];
  if (!checkFoldShapes(ctx, "SlipkitFoldNorm", w, gamma, beta, s, {&b}, nullptr)) return;
  const int64_t rows = w.dim(0), cols = w.dim(1);
  Output wFolded, bFolded;
  if (!allocate(ctx, 0, w.shape(), wFolded) || !allocate(ctx, 1, b.shape(), bFolded)) return;
  const float *pw = w.data(), *pg = gamma.data(), *pbeta = beta.data();
  float* pwf = wFolded.data();
  ConstRow scale(s.data(), cols);
  const Eigen::ArrayXf shift = forRowsSummingColumns(rows, cols, [&](int64_t begin, int64_t end, Eigen::ArrayXf& partial) {
    for (int64_t i = begin; i < end; ++i) {
      ConstRow wr(pw + i * cols, cols);
      Row(pwf + i * cols, cols) = (pg[i] * wr) * scale;
      partial += pbeta[i] * wr;  // β·W
    }
  });
  Row(bFolded.data(), cols) = (shift + ConstRow(b.data(), cols)) * scale;
}

void computeUnfoldNormGrad(void*, TF_OpKernelContext* ctx) {
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input &dwFolded = in[0], &dbFolded = in[1], &w = in[2], &gamma = in[3], &beta = in[4], &s = in[5];
  if (!checkFoldShapes(ctx, "SlipkitUnfoldNormGrad", w, gamma, beta, s, {&dbFolded}, &dwFolded)) return;
  const int64_t rows = w.dim(0), cols = w.dim(1);
  Output dw, db, dGamma, dBeta;
  if (!allocate(ctx, 0, w.shape(), dw) || !allocate(ctx, 1, {cols}, db) || !allocate(ctx, 2, {rows}, dGamma) || !allocate(ctx, 3, {rows}, dBeta)) return;
  ConstRow scale(s.data(), cols);
  Row scaledDb(db.data(), cols);
  scaledDb = ConstRow(dbFolded.data(), cols) * scale;
  const float *pdwf = dwFolded.data(), *pw = w.data(), *pg = gamma.data(), *pbeta = beta.data();
  float *pdw = dw.data(), *pdg = dGamma.data(), *pdbeta = dBeta.data();
  RowPool::instance().forRows(rows, cols, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      ConstRow dwr(pdwf + i * cols, cols), wr(pw + i * cols, cols);
      Row(pdw + i * cols, cols) = pg[i] * dwr * scale + pbeta[i] * scaledDb;
      pdg[i] = (dwr * wr * scale).sum();
      pdbeta[i] = (wr * scaledDb).sum();
    }
  });
}

}  // namespace

std::vector<OpSpec> normFoldingOps() {
  return {
      {"SlipkitFoldNorm", {"w: float", "b: float", "gamma: float", "beta: float", "s: float"}, {"w_folded: float", "b_folded: float"}, {},
       unknownShapes, noState, computeFoldNorm, noDelete},
      {"SlipkitUnfoldNormGrad", {"dw_folded: float", "db_folded: float", "w: float", "gamma: float", "beta: float", "s: float"},
       {"dw: float", "db: float", "dgamma: float", "dbeta: float"}, {}, unknownShapes, noState, computeUnfoldNormGrad, noDelete},
  };
}

}  // namespace slipkit
