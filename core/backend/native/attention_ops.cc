// slipkit fused ops: multi-head self-attention and its gradient on packed projections.

#include <string>
#include <vector>

#include "kernel_io.h"
#include "row_pool.h"

namespace slipkit {
namespace {

// SlipkitAttention(qkv, b) → context, probs, qkv_biased and SlipkitAttentionGrad(d_context,
// qkv_biased, probs) → d_qkv: multi-head self-attention on packed projections, per head
//   S = scale·q·kᵀ (+ causal mask),  P = softmax(S),  O = P·v
//   dV = Pᵀ·dO,  dP = dO·vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dq = scale·dS·k,  dk = scale·dSᵀ·q
// with qkv [B·T, 3·W] (q heads, then k heads, then v heads, PyTorch's order), context and
// d_context [B·T, W] (heads side by side), probs [B·H, T, T]. Heads are read and written in
// place through strides: no split, transpose or merge passes. Equals core/nn/attention.ts
// `attentionForward` / `attentionBackward` (with the bias added to qkv first).

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Strided = Eigen::Map<RowMajor, 0, Eigen::OuterStride<>>;
using ConstStrided = Eigen::Map<const RowMajor, 0, Eigen::OuterStride<>>;

struct AttentionAttrs {
  int32_t heads = 1;
  int32_t tokens = 1;
  bool causal = false;
  float scale = 1.0f;
};

void* createAttention(TF_OpKernelConstruction* ctx) {
  auto* attrs = new AttentionAttrs();
  Status st;
  TF_OpKernelConstruction_GetAttrInt32(ctx, "heads", &attrs->heads, st.s);
  if (st.ok()) TF_OpKernelConstruction_GetAttrInt32(ctx, "tokens", &attrs->tokens, st.s);
  if (st.ok()) {
    TF_Bool causal = 0;
    TF_OpKernelConstruction_GetAttrBool(ctx, "causal", &causal, st.s);
    attrs->causal = causal != 0;
  }
  if (st.ok()) TF_OpKernelConstruction_GetAttrFloat(ctx, "scale", &attrs->scale, st.s);
  if (!st.ok()) TF_OpKernelConstruction_Failure(ctx, st.s);
  return attrs;
}

void deleteAttention(void* attrs) { delete static_cast<AttentionAttrs*>(attrs); }

// The problem's sizes, checked against qkv [B·T, 3·W]; empty text when they fit.
struct AttentionDims {
  int64_t batch, tokens, heads, width, headDim, packed;
};

std::string attentionDims(const AttentionAttrs& a, const Input& qkv, AttentionDims& d) {
  if (qkv.rank() != 2 || a.heads < 1 || a.tokens < 1 || qkv.dim(1) % (3 * a.heads) != 0 || qkv.dim(0) % a.tokens != 0) {
    return "expected qkv [B·T, 3·W] with T = tokens (" + std::to_string(a.tokens) + ") dividing its rows and 3·heads (" +
           std::to_string(3 * a.heads) + ") dividing its columns, got " + shapeText(qkv);
  }
  d.tokens = a.tokens;
  d.batch = qkv.dim(0) / a.tokens;
  d.heads = a.heads;
  d.packed = qkv.dim(1);
  d.width = d.packed / 3;
  d.headDim = d.width / d.heads;
  return "";
}

// Row-wise softmax of scale·S in place; with a causal mask, row i keeps columns 0..i.
void softmaxRows(Eigen::Map<RowMajor>& s, float scale, bool causal) {
  const int64_t t = s.rows();
  for (int64_t i = 0; i < t; ++i) {
    const int64_t valid = causal ? i + 1 : t;
    Row row(s.row(i).data(), valid);
    const float max = row.maxCoeff();
    row = ((row - max) * scale).exp();
    row /= row.sum();
    if (valid < t) Row(s.row(i).data() + valid, t - valid).setZero();
  }
}

void computeAttention(void* kernel, TF_OpKernelContext* ctx) {
  const AttentionAttrs& a = *static_cast<AttentionAttrs*>(kernel);
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input &qkv = in[0], &bias = in[1];
  AttentionDims d;
  std::string bad = attentionDims(a, qkv, d);
  if (bad.empty() && (bias.rank() != 1 || bias.dim(0) != d.packed)) bad = "expected b [" + std::to_string(d.packed) + "], got " + shapeText(bias);
  if (!bad.empty()) return fail(ctx, "SlipkitAttention: " + bad);
  Output context, probs, biased;
  if (!allocate(ctx, 0, {d.batch * d.tokens, d.width}, context) || !allocate(ctx, 1, {d.batch * d.heads, d.tokens, d.tokens}, probs) ||
      !allocate(ctx, 2, qkv.shape(), biased)) {
    return;
  }
  const float *pIn = qkv.data(), *pb = bias.data();
  float *pq = biased.data(), *pc = context.data(), *pp = probs.data();
  RowPool::instance().forRows(d.batch * d.tokens, d.packed, [&](int64_t begin, int64_t end) {
    ConstRow br(pb, d.packed);
    for (int64_t r = begin; r < end; ++r) Row(pq + r * d.packed, d.packed) = ConstRow(pIn + r * d.packed, d.packed) + br;
  });
  const int64_t t = d.tokens, hd = d.headDim;
  RowPool::instance().forRows(d.batch * d.heads, t * t * hd, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / d.heads, h = bh % d.heads;
      const float* base = pq + b * t * d.packed + h * hd;
      ConstStrided q(base, t, hd, Eigen::OuterStride<>(d.packed));
      ConstStrided k(base + d.width, t, hd, Eigen::OuterStride<>(d.packed));
      ConstStrided v(base + 2 * d.width, t, hd, Eigen::OuterStride<>(d.packed));
      Eigen::Map<RowMajor> p(pp + bh * t * t, t, t);
      p.noalias() = q * k.transpose();
      softmaxRows(p, a.scale, a.causal);
      Strided o(pc + b * t * d.width + h * hd, t, hd, Eigen::OuterStride<>(d.width));
      o.noalias() = p * v;
    }
  });
}

void computeAttentionGrad(void* kernel, TF_OpKernelContext* ctx) {
  const AttentionAttrs& a = *static_cast<AttentionAttrs*>(kernel);
  std::vector<Input> in;
  if (!readInputs(ctx, in)) return;
  const Input &dContext = in[0], &qkv = in[1], &probs = in[2];
  AttentionDims d;
  std::string bad = attentionDims(a, qkv, d);
  if (bad.empty() && dContext.shape() != std::vector<int64_t>{d.batch * d.tokens, d.width}) bad = "d_context must be [B·T, W], got " + shapeText(dContext);
  if (bad.empty() && probs.shape() != std::vector<int64_t>{d.batch * d.heads, d.tokens, d.tokens}) bad = "probs must be [B·H, T, T], got " + shapeText(probs);
  if (!bad.empty()) return fail(ctx, "SlipkitAttentionGrad: " + bad);
  Output dQkv;
  if (!allocate(ctx, 0, qkv.shape(), dQkv)) return;
  const float *pdc = dContext.data(), *pq = qkv.data(), *pp = probs.data();
  float* pd = dQkv.data();
  const int64_t t = d.tokens, hd = d.headDim;
  RowPool::instance().forRows(d.batch * d.heads, t * t * hd, [&](int64_t begin, int64_t end) {
    RowMajor dScores(t, t);
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / d.heads, h = bh % d.heads;
      const int64_t offset = b * t * d.packed + h * hd;
      ConstStrided q(pq + offset, t, hd, Eigen::OuterStride<>(d.packed));
      ConstStrided k(pq + offset + d.width, t, hd, Eigen::OuterStride<>(d.packed));
      ConstStrided v(pq + offset + 2 * d.width, t, hd, Eigen::OuterStride<>(d.packed));
      ConstStrided dOut(pdc + b * t * d.width + h * hd, t, hd, Eigen::OuterStride<>(d.width));
      Eigen::Map<const RowMajor> p(pp + bh * t * t, t, t);
      Strided dq(pd + offset, t, hd, Eigen::OuterStride<>(d.packed));
      Strided dk(pd + offset + d.width, t, hd, Eigen::OuterStride<>(d.packed));
      Strided dv(pd + offset + 2 * d.width, t, hd, Eigen::OuterStride<>(d.packed));
      dv.noalias() = p.transpose() * dOut;
      dScores.noalias() = dOut * v.transpose();
      for (int64_t i = 0; i < t; ++i) {
        auto pr = p.row(i).array();
        auto sr = dScores.row(i).array();
        const float dot = (sr * pr).sum();
        sr = pr * (sr - dot) * a.scale;
      }
      dq.noalias() = dScores * k;
      dk.noalias() = dScores.transpose() * q;
    }
  });
}

}  // namespace

std::vector<OpSpec> attentionOps() {
  return {
      {"SlipkitAttention", {"qkv: float", "b: float"}, {"context: float", "probs: float", "qkv_biased: float"},
       {"heads: int >= 1", "tokens: int >= 1", "causal: bool = false", "scale: float = 1.0"}, unknownShapes, createAttention, computeAttention, deleteAttention},
      {"SlipkitAttentionGrad", {"d_context: float", "qkv_biased: float", "probs: float"}, {"d_qkv: float"},
       {"heads: int >= 1", "tokens: int >= 1", "causal: bool = false", "scale: float = 1.0"}, secondInputShape, createAttention, computeAttentionGrad, deleteAttention},
  };
}

}  // namespace slipkit
