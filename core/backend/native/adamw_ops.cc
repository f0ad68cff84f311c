// slipkit fused ops: one AdamW update of a parameter, its moments and its gradient in one pass.

#include <algorithm>
#include <string>
#include <vector>

#include "kernel_io.h"
#include "row_pool.h"

namespace slipkit {
namespace {

// SlipkitAdamW(param, grad, m, v, hyper) → param′, m′, v′, torch.optim.AdamW's update in its
// order of operations (core/backend/fused/adamw.ts has the reference):
//   m′ = β1·m + (1−β1)·g,  v′ = β2·v + (1−β2)·g²,  p′ = p·decay − (lr/bc1)·m′ / (√v′/bc2Sqrt + ε)
// hyper = [β1, 1−β1, β2, 1−β2, bc2Sqrt, ε, decay, lr/bc1] (float32, computed in double by the
// caller, as the reference formulation's scalars are). The scalars travel as a tensor, not as
// attributes, because they change every step: TensorFlow's eager runtime caches one kernel per
// distinct attribute value, which would grow without bound over a run.
//
// m′ and v′ are written over m and v and returned as outputs that share their buffers (the op's
// contract, core/backend/fused/adamw.ts: its m and v inputs are consumed). Fresh moments would
// hold two copies of the largest parameter's moments at once, and the allocator's pool keeps
// such peaks: on the small SLIP model that cost 0.2 GiB of peak memory. The optimizer owns its
// moments (core/backend/adamw/ops-slots.ts hands out and takes in copies only), so nothing else
// sees the buffers change. param′ is fresh: a tfjs variable's value may be shared.
// Before it: TensorFlow's ResourceApplyAdam on resource variables, with a decay pass and copies
// into and out of the resource variable around it.

enum Hyper { kBeta1, kOneMinusBeta1, kBeta2, kOneMinusBeta2, kBc2Sqrt, kEps, kDecay, kStepSize, kHyperCount };

void computeAdamW(void*, TF_OpKernelContext* ctx) {
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input &param = in[0], &grad = in[1], &m = in[2], &v = in[3], &hyper = in[4];
  if (!sameShape(param, grad) || !sameShape(param, m) || !sameShape(param, v)) {
    return fail(ctx, "SlipkitAdamW: expected param, grad, m and v of one shape, got " + shapeText(param) + ", " + shapeText(grad) + ", " +
                         shapeText(m) + ", " + shapeText(v));
  }
  if (hyper.rank() != 1 || hyper.dim(0) != kHyperCount) {
    return fail(ctx, "SlipkitAdamW: expected hyper [" + std::to_string(kHyperCount) + "], got " + shapeText(hyper));
  }
  Output pOut;
  if (!allocate(ctx, 0, param.shape(), pOut)) return;
  const float* h = hyper.data();
  const float beta1 = h[kBeta1], oneMinusBeta1 = h[kOneMinusBeta1], beta2 = h[kBeta2], oneMinusBeta2 = h[kOneMinusBeta2];
  const float bc2Sqrt = h[kBc2Sqrt], eps = h[kEps], decay = h[kDecay], stepSize = h[kStepSize];
  const float *pp = param.data(), *pg = grad.data(), *pm = m.data(), *pv = v.data();
  float* op = pOut.data();
  float* om = const_cast<float*>(pm);  // in place: see above
  float* ov = const_cast<float*>(pv);
  // Element ranges over the pool (a "row" is one element here); ranges are cache-sized pieces.
  RowPool::instance().forRows(param.size(), 1, [&](int64_t begin, int64_t end) {
    constexpr int64_t kPiece = 4096;
    for (int64_t i = begin; i < end; i += kPiece) {
      const int64_t n = std::min(kPiece, end - i);
      ConstRow g(pg + i, n);
      Row mNew(om + i, n), vNew(ov + i, n);
      mNew = ConstRow(pm + i, n) * beta1 + g * oneMinusBeta1;
      vNew = ConstRow(pv + i, n) * beta2 + g.square() * oneMinusBeta2;
      Row(op + i, n) = ConstRow(pp + i, n) * decay - (mNew / (vNew.sqrt() / bc2Sqrt + eps)) * stepSize;
    }
  });
  for (int i : {1, 2}) {
    Status st;
    TF_SetOutput(ctx, i, in[i + 1].tensor, st.s);
    if (!st.ok()) return TF_OpKernelContext_Failure(ctx, st.s);
  }
}

}  // namespace

std::vector<OpSpec> adamwOps() {
  return {
      {"SlipkitAdamW", {"param: float", "grad: float", "m: float", "v: float", "hyper: float"}, {"param_out: float", "m_out: float", "v_out: float"}, {},
       unknownShapes, noState, computeAdamW, noDelete},
  };
}

}  // namespace slipkit
