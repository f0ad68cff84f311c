// slipkit fused ops: LayerNorm forward and backward, one pass per row.

#include <cmath>
#include <string>
#include <vector>

#include "kernel_io.h"
#include "row_pool.h"

namespace slipkit {
namespace {

// SlipkitLayerNorm: x̂ = (x − mean) / sqrt(var + eps) and 1/σ per row (var the biased
// variance, as PyTorch's LayerNorm). Equals core/nn/layer-norm.ts `normalise`.

struct LayerNormAttrs {
  float eps;
};

void* createLayerNorm(TF_OpKernelConstruction* ctx) {
  auto* attrs = new LayerNormAttrs{1e-5f};
  Status st;
  TF_OpKernelConstruction_GetAttrFloat(ctx, "eps", &attrs->eps, st.s);
  if (!st.ok()) TF_OpKernelConstruction_Failure(ctx, st.s);
  return attrs;
}

void deleteLayerNorm(void* attrs) { delete static_cast<LayerNormAttrs*>(attrs); }

void computeLayerNorm(void* kernel, TF_OpKernelContext* ctx) {
  const float eps = static_cast<LayerNormAttrs*>(kernel)->eps;
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input& x = in[0];
  if (x.rank() < 1 || x.width() == 0) return fail(ctx, "SlipkitLayerNorm: x must have a non-empty last axis, got " + shapeText(x));
  Output xHat, invStd;
  if (!allocate(ctx, 0, x.shape(), xHat) || !allocate(ctx, 1, rowStatShape(x), invStd)) return;
  const int64_t d = x.width(), rows = x.size() / d;
  const float* px = x.data();
  float* ph = xHat.data();
  float* ps = invStd.data();
  RowPool::instance().forRows(rows, d, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      ConstRow xr(px + r * d, d);
      Row hr(ph + r * d, d);
      hr = xr - xr.mean();
      const float inv = 1.0f / std::sqrt(hr.square().mean() + eps);
      hr *= inv;
      ps[r] = inv;
    }
  });
}

// ---------------------------------------------------------------------------------------
// SlipkitLayerNormGrad(dx̂, x̂, 1/σ) and SlipkitLayerNormGradAdd(dx̂, x̂, 1/σ, r): the
// gradient of x̂ = normalise(x), (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ, plus r when given
// (the residual branch's gradient in a pre-LN block). Equals `normaliseBackward`.

void computeLayerNormGrad(void*, TF_OpKernelContext* ctx) {
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input &g = in[0], &xHat = in[1], &invStd = in[2];
  const bool withResidual = in.size() == 4;
  if (g.rank() < 1 || !sameShape(g, xHat) || invStd.shape() != rowStatShape(g) || (withResidual && !sameShape(g, in[3]))) {
    return fail(ctx, "SlipkitLayerNormGrad: expected dx_hat and x_hat of one shape, inv_std with a last axis of 1" +
                         std::string(withResidual ? " and a residual like dx_hat" : "") + "; got " + shapeText(g) + ", " +
                         shapeText(xHat) + ", " + shapeText(invStd) + (withResidual ? ", " + shapeText(in[3]) : ""));
  }
  Output dx;
  if (!allocate(ctx, 0, g.shape(), dx)) return;
  const int64_t d = g.width(), rows = g.size() / d;
  const float *pg = g.data(), *ph = xHat.data(), *ps = invStd.data(), *pr = withResidual ? in[3].data() : nullptr;
  float* po = dx.data();
  RowPool::instance().forRows(rows, d, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      ConstRow gr(pg + r * d, d), hr(ph + r * d, d);
      Row out(po + r * d, d);
      const float meanG = gr.mean();
      const float meanGx = (gr * hr).mean();
      if (pr) {
        out = ConstRow(pr + r * d, d) + (gr - meanG - hr * meanGx) * ps[r];
      } else {
        out = (gr - meanG - hr * meanGx) * ps[r];
      }
    }
  });
}

}  // namespace

std::vector<OpSpec> layerNormOps() {
  return {
      {"SlipkitLayerNorm", {"x: float"}, {"x_hat: float", "inv_std: float"}, {"eps: float = 1e-5"}, valueAndRowStat, createLayerNorm, computeLayerNorm, deleteLayerNorm},
      {"SlipkitLayerNormGrad", {"dx_hat: float", "x_hat: float", "inv_std: float"}, {"dx: float"}, {}, sameAsFirstInput, noState, computeLayerNormGrad, noDelete},
      {"SlipkitLayerNormGradAdd", {"dx_hat: float", "x_hat: float", "inv_std: float", "residual: float"}, {"dx: float"}, {}, sameAsFirstInput, noState, computeLayerNormGrad, noDelete},
  };
}

}  // namespace slipkit
