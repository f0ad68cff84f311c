// slipkit's fused element-wise TensorFlow ops for the native `tensorflow` backend.
//
// Why: a transformer step on the CPU spends a third of its non-matmul time in chains of
// element-wise TensorFlow ops (a GELU and its derivative took nine, a LayerNorm five, its
// backward pass six, a residual with its bias two), each a full pass over an activation
// in memory. Each op here does one such chain in one pass, row by row, on all cores.
//
// The library is a Node.js addon (N-API) so that `require` loads it into the process that
// already holds tfjs-node's libtensorflow: loading it registers the ops and their CPU
// kernels through TensorFlow's C API (tensorflow/c/ops.h, kernels.h), after which tfjs-node
// runs them by name like any built-in op. Built by scripts/setup-native.js with the
// headers of the same PyPI wheel; the JavaScript side is core/backend/native-ops.ts, and
// the formulas each op must equal are in core/nn (the tf-ops fallbacks).
//
// Every op takes float32 tensors whose last axis is the row (width D); all other axes are
// rows. Arithmetic is vectorised by Eigen (the same erf and exp TensorFlow's own kernels use).

#include <node_api.h>

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <sched.h>
#include <string>
#include <thread>
#include <vector>

#include "tensorflow/c/kernels.h"
#include "tensorflow/c/ops.h"
#include "tensorflow/c/tf_status.h"
#include "tensorflow/c/tf_tensor.h"

namespace {

using ConstRow = Eigen::Map<const Eigen::ArrayXf>;
using Row = Eigen::Map<Eigen::ArrayXf>;

// ---------------------------------------------------------------------------------------
// Row-parallel loops on a small persistent pool. TensorFlow's C API does not expose its
// intra-op thread pool to kernels; its threads are idle while an eager op runs.

class RowPool {
 public:
  static RowPool& instance() {
    static RowPool pool;
    return pool;
  }

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(begin, end) over [0, rows) split into one contiguous range per thread; the
  // caller runs the first range. Small jobs (rows·width below a pass of ~64 KiB) run inline.
  void forRows(int64_t rows, int64_t width, const std::function<void(int64_t, int64_t)>& fn) {
    const int parts = static_cast<int>(std::min<int64_t>(threads(), rows));
    if (parts <= 1 || rows * width < (1 << 14)) {
      fn(0, rows);
      return;
    }
    std::unique_lock<std::mutex> submit(submitMutex_);  // one job at a time
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &fn;
      rows_ = rows;
      parts_ = parts;
      pending_ = parts - 1;
      ++generation_;
    }
    wake_.notify_all();
    fn(0, rangeEnd(0, rows, parts));
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  RowPool() {
    int n = configuredThreads();
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, i] { work(i); });
  }

  ~RowPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      ++generation_;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

  // SLIPKIT_OP_THREADS, else the CPUs this process may run on (as TensorFlow's intra-op pool).
  static int configuredThreads() {
    if (const char* env = std::getenv("SLIPKIT_OP_THREADS")) {
      int n = std::atoi(env);
      if (n >= 1) return std::min(n, 256);
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
  }

  static int64_t rangeEnd(int part, int64_t rows, int parts) { return rows * (part + 1) / parts; }

  void work(int index) {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int64_t, int64_t)>* job;
      int64_t rows;
      int parts;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stopping_) return;
        job = job_;
        rows = rows_;
        parts = parts_;
      }
      if (job && index < parts) {
        (*job)(rangeEnd(index - 1, rows, parts), rangeEnd(index, rows, parts));
        std::lock_guard<std::mutex> lock(mutex_);
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex submitMutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t rows_ = 0;
  int parts_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
};

// ---------------------------------------------------------------------------------------
// Kernel plumbing: inputs, outputs and errors through the C API.

struct Status {
  TF_Status* s = TF_NewStatus();
  ~Status() { TF_DeleteStatus(s); }
  bool ok() const { return TF_GetCode(s) == TF_OK; }
};

// An input tensor, released when the kernel returns.
struct Input {
  TF_Tensor* tensor = nullptr;
  ~Input() {
    if (tensor) TF_DeleteTensor(tensor);
  }
  const float* data() const { return static_cast<const float*>(TF_TensorData(tensor)); }
  int rank() const { return TF_NumDims(tensor); }
  int64_t dim(int i) const { return TF_Dim(tensor, i); }
  int64_t size() const { return TF_TensorElementCount(tensor); }
  int64_t width() const { return rank() == 0 ? 1 : dim(rank() - 1); }
  std::vector<int64_t> shape() const {
    std::vector<int64_t> s(rank());
    for (int i = 0; i < rank(); ++i) s[i] = dim(i);
    return s;
  }
};

struct Output {
  TF_Tensor* tensor = nullptr;
  ~Output() {
    if (tensor) TF_DeleteTensor(tensor);
  }
  float* data() const { return static_cast<float*>(TF_TensorData(tensor)); }
};

void fail(TF_OpKernelContext* ctx, const std::string& message) {
  Status st;
  TF_SetStatus(st.s, TF_INVALID_ARGUMENT, message.c_str());
  TF_OpKernelContext_Failure(ctx, st.s);
}

bool readInputs(TF_OpKernelContext* ctx, std::vector<Input>& inputs) {
  inputs = std::vector<Input>(TF_NumInputs(ctx));
  for (size_t i = 0; i < inputs.size(); ++i) {
    Status st;
    TF_GetInput(ctx, static_cast<int>(i), &inputs[i].tensor, st.s);
    if (!st.ok()) {
      TF_OpKernelContext_Failure(ctx, st.s);
      return false;
    }
  }
  return true;
}

bool allocate(TF_OpKernelContext* ctx, int index, const std::vector<int64_t>& shape, Output& out) {
  Status st;
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  out.tensor = TF_AllocateOutput(ctx, index, TF_FLOAT, shape.data(), static_cast<int>(shape.size()), count * sizeof(float), st.s);
  if (!st.ok()) {
    TF_OpKernelContext_Failure(ctx, st.s);
    return false;
  }
  return true;
}

bool sameShape(const Input& a, const Input& b) { return a.shape() == b.shape(); }

std::string shapeText(const Input& t) {
  std::string s = "[";
  for (int i = 0; i < t.rank(); ++i) s += (i ? "," : "") + std::to_string(t.dim(i));
  return s + "]";
}

// The shape of x with its last axis replaced by 1: per-row statistics.
std::vector<int64_t> rowStatShape(const Input& x) {
  std::vector<int64_t> s = x.shape();
  if (s.empty()) s.push_back(1);
  s.back() = 1;
  return s;
}

// ---------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------
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
  Row(ps, d).setZero();
  std::mutex merge;
  RowPool::instance().forRows(rows, d, [&](int64_t begin, int64_t end) {
    Eigen::ArrayXf partial = Eigen::ArrayXf::Zero(d);
    for (int64_t r = begin; r < end; ++r) {
      Row out(pp + r * d, d);
      out = ConstRow(pa + r * d, d) * ConstRow(pg + r * d, d);
      partial += out;
    }
    std::lock_guard<std::mutex> lock(merge);
    Row(ps, d) += partial;
  });
}

// ---------------------------------------------------------------------------------------
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
  Eigen::ArrayXf shift = Eigen::ArrayXf::Zero(cols);  // β·W
  std::mutex merge;
  RowPool::instance().forRows(rows, cols, [&](int64_t begin, int64_t end) {
    Eigen::ArrayXf partial = Eigen::ArrayXf::Zero(cols);
    for (int64_t i = begin; i < end; ++i) {
      ConstRow wr(pw + i * cols, cols);
      Row(pwf + i * cols, cols) = (pg[i] * wr) * scale;
      partial += pbeta[i] * wr;
    }
    std::lock_guard<std::mutex> lock(merge);
    shift += partial;
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

// ---------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------
// Shape functions (graph-mode callers; eager execution reads the kernels' outputs).

void sameAsFirstInput(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  TF_ShapeHandle* x = TF_NewShapeHandle();
  TF_ShapeInferenceContextGetInput(ctx, 0, x, status);
  if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextSetOutput(ctx, 0, x, status);
  TF_DeleteShapeHandle(x);
}

void secondInputShape(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  TF_ShapeHandle* x = TF_NewShapeHandle();
  TF_ShapeInferenceContextGetInput(ctx, 1, x, status);
  if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextSetOutput(ctx, 0, x, status);
  TF_DeleteShapeHandle(x);
}

// Shapes that depend on attrs: left to the kernel (eager callers read the outputs).
void unknownShapes(TF_ShapeInferenceContext* ctx, TF_Status* status) { TF_ShapeInferenceContextSetUnknownShape(ctx, status); }

void firstInputTwice(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  TF_ShapeHandle* x = TF_NewShapeHandle();
  TF_ShapeInferenceContextGetInput(ctx, 0, x, status);
  if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextSetOutput(ctx, 0, x, status);
  if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextSetOutput(ctx, 1, x, status);
  TF_DeleteShapeHandle(x);
}

// x and x with its last axis replaced by 1.
void valueAndRowStat(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  TF_ShapeHandle* x = TF_NewShapeHandle();
  TF_ShapeHandle* leading = TF_NewShapeHandle();
  TF_ShapeHandle* stat = TF_NewShapeHandle();
  TF_ShapeInferenceContextGetInput(ctx, 0, x, status);
  if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextSetOutput(ctx, 0, x, status);
  if (TF_GetCode(status) == TF_OK && TF_ShapeInferenceContextRankKnown(ctx, x)) {
    TF_ShapeInferenceContextSubshape(ctx, x, 0, -1, leading, status);
    TF_ShapeHandle* one = TF_ShapeInferenceContextVectorFromSize(ctx, 1);
    if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextConcatenateShapes(ctx, leading, one, stat, status);
    if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextSetOutput(ctx, 1, stat, status);
    TF_DeleteShapeHandle(one);
  } else if (TF_GetCode(status) == TF_OK) {
    TF_ShapeInferenceContextSetUnknownShape(ctx, status);
  }
  TF_DeleteShapeHandle(x);
  TF_DeleteShapeHandle(leading);
  TF_DeleteShapeHandle(stat);
}

// ---------------------------------------------------------------------------------------
// Registration.

struct OpSpec {
  const char* name;
  std::vector<const char*> inputs;
  std::vector<const char*> outputs;
  std::vector<const char*> attrs;
  void (*shapeFn)(TF_ShapeInferenceContext*, TF_Status*);
  void* (*create)(TF_OpKernelConstruction*);
  void (*compute)(void*, TF_OpKernelContext*);
  void (*destroy)(void*);
};

void* noState(TF_OpKernelConstruction*) { return nullptr; }
void noDelete(void*) {}

const std::vector<OpSpec>& opSpecs() {
  static const std::vector<OpSpec> specs = {
      {"SlipkitLayerNorm", {"x: float"}, {"x_hat: float", "inv_std: float"}, {"eps: float = 1e-5"}, valueAndRowStat, createLayerNorm, computeLayerNorm, deleteLayerNorm},
      {"SlipkitLayerNormGrad", {"dx_hat: float", "x_hat: float", "inv_std: float"}, {"dx: float"}, {}, sameAsFirstInput, noState, computeLayerNormGrad, noDelete},
      {"SlipkitLayerNormGradAdd", {"dx_hat: float", "x_hat: float", "inv_std: float", "residual: float"}, {"dx: float"}, {}, sameAsFirstInput, noState, computeLayerNormGrad, noDelete},
      {"SlipkitBiasGelu", {"h: float", "b: float"}, {"value: float"}, {}, sameAsFirstInput, noState, computeBiasGelu, noDelete},
      {"SlipkitBiasGeluWithDerivative", {"h: float", "b: float"}, {"value: float", "derivative: float"}, {}, firstInputTwice, noState, computeBiasGelu, noDelete},
      {"SlipkitBiasResidual", {"x: float", "h: float", "b: float"}, {"y: float"}, {}, sameAsFirstInput, noState, computeBiasResidual, noDelete},
      {"SlipkitMulColumnSums", {"a: float", "g: float"}, {"product: float", "sums: float"}, {}, unknownShapes, noState, computeMulColumnSums, noDelete},
      {"SlipkitFoldNorm", {"w: float", "b: float", "gamma: float", "beta: float", "s: float"}, {"w_folded: float", "b_folded: float"}, {},
       unknownShapes, noState, computeFoldNorm, noDelete},
      {"SlipkitUnfoldNormGrad", {"dw_folded: float", "db_folded: float", "w: float", "gamma: float", "beta: float", "s: float"},
       {"dw: float", "db: float", "dgamma: float", "dbeta: float"}, {}, unknownShapes, noState, computeUnfoldNormGrad, noDelete},
      {"SlipkitAttention", {"qkv: float", "b: float"}, {"context: float", "probs: float", "qkv_biased: float"},
       {"heads: int >= 1", "tokens: int >= 1", "causal: bool = false", "scale: float = 1.0"}, unknownShapes, createAttention, computeAttention, deleteAttention},
      {"SlipkitAttentionGrad", {"d_context: float", "qkv_biased: float", "probs: float"}, {"d_qkv: float"},
       {"heads: int >= 1", "tokens: int >= 1", "causal: bool = false", "scale: float = 1.0"}, secondInputShape, createAttention, computeAttentionGrad, deleteAttention},
  };
  return specs;
}

// Registers every op and its CPU kernel once per process; returns an error text or "".
std::string registerOps() {
  static std::once_flag once;
  static std::string error;
  std::call_once(once, [] {
    for (const OpSpec& spec : opSpecs()) {
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

// ---------------------------------------------------------------------------------------
// The addon: `require` registers the ops and returns { ops: string[], threads: number }.

napi_value Init(napi_env env, napi_value exports) {
  const std::string error = registerOps();
  if (!error.empty()) {
    napi_throw_error(env, nullptr, error.c_str());
    return nullptr;
  }
  napi_value names;
  napi_create_array_with_length(env, opSpecs().size(), &names);
  for (size_t i = 0; i < opSpecs().size(); ++i) {
    napi_value name;
    napi_create_string_utf8(env, opSpecs()[i].name, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, names, static_cast<uint32_t>(i), name);
  }
  napi_set_named_property(env, exports, "ops", names);
  napi_value threads;
  napi_create_int32(env, RowPool::instance().threads(), &threads);
  napi_set_named_property(env, exports, "threads", threads);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
