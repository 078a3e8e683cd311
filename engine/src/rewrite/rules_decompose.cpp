// ONNX Runtime's contrib ops decomposed back into standard ONNX, for the portable profile (and any
// runtime without com.microsoft kernels): Attention, MultiHeadAttention, FusedMatMul, the Skip* and
// (Simplified) LayerNormalization forms ORT's optimizer and Graft's onnxruntime profiles emit, and
// QuickGelu with any alpha. Written in C++ because the standard form depends on the model's opset
// (Split/Unsqueeze/ReduceMean take their sizes and axes as attributes or inputs), on the dtype of the
// constants it needs, and on shapes (mask rank, transposes) that a rule file cannot compute.
// Semantics follow onnxruntime/docs/ContribOperators.md and onnxruntime/contrib_ops/cpu/bert
// (attention_cpu_base.h: scores = scale * Q K^T + mask, Softmax, times V; mask_index 2-D/3-D raw masks
// with 0 = masked get mask_filter_value; unidirectional adds it again above the diagonal).

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "graft/rewrite.h"
#include "rewrite/library_util.h"
#include "rewrite/registrars.h"

namespace graft::library {
namespace {

constexpr std::int32_t kFloat32 = onnx::TensorProto_DataType_FLOAT;
constexpr std::int32_t kFloat16 = onnx::TensorProto_DataType_FLOAT16;
constexpr std::int32_t kFloat64 = onnx::TensorProto_DataType_DOUBLE;
constexpr std::int32_t kInt32 = onnx::TensorProto_DataType_INT32;
constexpr std::int32_t kInt64 = onnx::TensorProto_DataType_INT64;

// Element type of a value from the inferred/declared types (0: unknown).
std::int32_t elemTypeOf(const MatchContext& ctx, const Value* v) {
  if (!v) return 0;
  if (v->initializer()) return v->initializer()->dataType();
  const onnx::TypeProto* t = ctx.type(v);
  return t && t->has_tensor_type() ? t->tensor_type().elem_type() : 0;
}

// Rank of a value (-1: unknown) and its dims (-1 for a dynamic dim).
std::vector<std::int64_t> dimsOf(const MatchContext& ctx, const Value* v, bool& known) {
  known = false;
  if (!v) return {};
  if (isConstantValue(v)) {
    known = true;
    return constantDims(v);
  }
  const onnx::TypeProto* t = ctx.type(v);
  if (!t || !t->has_tensor_type() || !t->tensor_type().has_shape()) return {};
  known = true;
  std::vector<std::int64_t> d;
  for (const auto& dim : t->tensor_type().shape().dim()) d.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
  return d;
}

// A refusal: the whole op was examined and one of its attributes/inputs is a form not decomposed:
// only a condition failed, which rankNearMisses shows by default.
constexpr int kRefusalDepth = 4;

NearMiss refusal(const std::string& rule, const Node* n, const std::string& why) {
  NearMiss m = library::nearMiss(rule, n, {n->id()}, kRefusalDepth, why);
  m.conditionOnly = true;
  return m;
}

bool isFloatType(std::int32_t t) { return t == kFloat32 || t == kFloat16 || t == kFloat64; }

// An output other than the first that someone reads (a statistics or present output).
int usedExtraOutput(const Node* n, std::size_t from) {
  for (std::size_t i = from; i < n->outputs().size(); ++i)
    if (Value* o = n->output(i); o && (!o->uses().empty() || o->isGraphOutput())) return static_cast<int>(i);
  return -1;
}

std::string where(const Node* n) { return n->opType() + " at " + MatchContext::label(n); }

// Emits standard nodes in front of the node being replaced, named by the RewriteContext (scope and
// provenance). The first failure sticks: later calls return null, and status() reports it.
class Emitter {
 public:
  Emitter(Graph& g, RewriteContext& rc, const Node* before, std::int32_t dtype)
      : g_(g), rc_(rc), before_(before), dtype_(dtype), opset_(g.model().opsetVersion("")) {
    base_ = rc.scope().empty() ? std::string("decomposed") : rc.scope();
  }
  const Status& status() const { return status_; }
  std::int64_t opset() const { return opset_; }

  std::vector<Value*> opN(const std::string& type, std::vector<Value*> ins, std::size_t outputs,
                          std::vector<onnx::AttributeProto> attrs = {}, std::vector<std::string> names = {}) {
    if (!status_) return std::vector<Value*>(outputs, nullptr);
    for (Value* v : ins)
      if (!v) {
        fail("internal: missing input for " + type);
        return std::vector<Value*>(outputs, nullptr);
      }
    Graph::NewNode spec;
    spec.opType = type;
    spec.inputs = std::move(ins);
    spec.attributes = std::move(attrs);
    for (std::size_t i = 0; i < outputs; ++i)
      spec.outputNames.push_back(i < names.size() && !names[i].empty() ? names[i]
                                                                       : freshName(g_, base_ + "/" + type + "_output_" + std::to_string(i)));
    auto n = rc_.addNode(g_, std::move(spec), before_);
    if (!n) {
      status_ = n.status();
      return std::vector<Value*>(outputs, nullptr);
    }
    return n.value()->outputs();
  }
  Value* op(const std::string& type, std::vector<Value*> ins, std::vector<onnx::AttributeProto> attrs = {},
            const std::string& name = {}) {
    return opN(type, std::move(ins), 1, std::move(attrs), {name})[0];
  }

  Value* tensor(const Array& a, const std::string& what) {
    if (!status_) return nullptr;
    auto v = g_.addInitializer(arrayToProto(a, freshName(g_, base_ + "/" + what)));
    if (!v) {
      status_ = v.status();
      return nullptr;
    }
    return v.value();
  }
  // A scalar of the activations' dtype.
  Value* scalar(double x, const std::string& what) { return scalarOf(x, dtype_, what); }
  Value* scalarOf(double x, std::int32_t dtype, const std::string& what) {
    Array d = Array::scalar<double>(kFloat64, x);
    auto c = castArray(d, dtype);
    if (!c) {
      status_ = c.status();
      return nullptr;
    }
    return tensor(c.value(), what);
  }
  Value* ints(const std::vector<std::int64_t>& v, const std::string& what) {
    Array a(kInt64, {static_cast<std::int64_t>(v.size())});
    for (std::size_t i = 0; i < v.size(); ++i) a.data<std::int64_t>()[i] = v[i];
    return tensor(a, what);
  }
  Value* int64Scalar(std::int64_t v, const std::string& what) {
    Array a = Array::scalar<std::int64_t>(kInt64, v);
    return tensor(a, what);
  }

  // Opset-dependent forms: axes/sizes as attributes before opset 13 (18 for ReduceMean), inputs after.
  Value* unsqueeze(Value* x, const std::vector<std::int64_t>& axes) {
    if (opset_ >= 13) return op("Unsqueeze", {x, ints(axes, "unsqueeze_axes")});
    return op("Unsqueeze", {x}, {intsAttr("axes", axes)});
  }
  Value* reduceMean(Value* x, const std::vector<std::int64_t>& axes) {
    if (opset_ >= 18) return op("ReduceMean", {x, ints(axes, "reduce_axes")}, {intAttr("keepdims", 1)});
    return op("ReduceMean", {x}, {intsAttr("axes", axes), intAttr("keepdims", 1)});
  }
  std::vector<Value*> split(Value* x, std::int64_t axis, const std::vector<std::int64_t>& sizes) {
    if (opset_ >= 13) return opN("Split", {x, ints(sizes, "split_sizes")}, sizes.size(), {intAttr("axis", axis)});
    return opN("Split", {x}, sizes.size(), {intAttr("axis", axis), intsAttr("split", sizes)});
  }
  Value* reshape(Value* x, const std::vector<std::int64_t>& shape, const std::string& name = {}) {
    return op("Reshape", {x, ints(shape, "shape")}, {}, name);
  }
  Value* transpose(Value* x, const std::vector<std::int64_t>& perm) { return op("Transpose", {x}, {intsAttr("perm", perm)}); }

 private:
  static onnx::AttributeProto intsAttr(const std::string& name, const std::vector<std::int64_t>& v) {
    onnx::AttributeProto a;
    a.set_name(name);
    a.set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a.add_ints(x);
    return a;
  }
  void fail(const std::string& why) {
    if (status_) status_ = Status(ErrorCode::Internal, why);
  }

  Graph& g_;
  RewriteContext& rc_;
  const Node* before_;
  std::int32_t dtype_;
  std::int64_t opset_;
  std::string base_;
  Status status_ = Status::ok();
};

// Replaces `node`'s output `index` by `v`, which takes over its name (graph outputs and readers of the
// saved file see the same name). Call before erasing the node.
Status handOver(Graph& g, Node* node, std::size_t index, Value* v) {
  Value* old = node->output(index);
  if (!old || !v) return Status::ok();
  auto keep = takeName(g, old);
  if (!keep) return keep.status();
  g.replaceAllUses(old, v);
  return g.renameValue(v, *keep);
}

// Erases the contrib node once every output was handed over, and the renamed-away values with it.
void eraseReplaced(Graph& g, Node* node) {
  std::vector<std::string> outs;
  for (Value* o : node->outputs())
    if (o) outs.push_back(o->name());
  std::vector<std::string> ins;
  for (Value* in : node->inputs())
    if (in) ins.push_back(in->name());
  g.eraseNode(node);
  for (const auto& n : outs) dropDangling(g, n);
  for (const auto& n : ins)
    if (Value* v = g.findValue(n)) dropIfUnused(g, v);
}

Node* matchedNode(Graph& g, const Match& m) { return m.nodeIds.empty() ? nullptr : g.findNode(m.nodeIds[0]); }

Match singleNodeMatch(const Rule& r, const MatchContext& ctx, Node* n, std::string becomes, int delta,
                      std::shared_ptr<void> payload) {
  return ruleMatch(r, ctx, {n}, n, std::move(becomes), delta, std::move(payload));
}

// ------------------------------------------------------------------------------------- attention

// How scores are masked: a raw key padding mask ([B, L] or [B, S, L], 0 = masked), causal masking,
// an additive attention_bias, each with ORT's mask_filter_value.
struct AttentionPlan {
  std::int64_t heads = 0;
  std::vector<std::int64_t> sizes;  // Attention: q, k, v widths of the packed projection
  double scale = 0;                 // resolved: attribute or 1/sqrt(head size)
  double filter = -10000.0;
  bool causal = false;
  int maskRank = 0;  // 0: no mask input
  std::int32_t maskType = kInt32;
  std::int32_t dtype = kFloat32;
};

// Q/K/V in [B, T, N*H] form -> context [B, S, N*Hv] named `outName`. `seqSource`/`keySource` are
// values whose dim 1 is S and L (for the causal mask).
Value* attentionCore(Emitter& em, const AttentionPlan& p, Value* q, Value* k, Value* v, Value* mask, Value* bias,
                     Value* seqSource, Value* keySource, const std::string& outName) {
  const std::int64_t N = p.heads;
  Value* qh = em.transpose(em.reshape(q, {0, 0, N, -1}), {0, 2, 1, 3});  // [B, N, S, H]
  Value* kt = em.transpose(em.reshape(k, {0, 0, N, -1}), {0, 2, 3, 1});  // [B, N, H, L]
  Value* vh = em.transpose(em.reshape(v, {0, 0, N, -1}), {0, 2, 1, 3});  // [B, N, L, Hv]
  // The scale goes on Q, before the first MatMul: S*H multiplications instead of S*L, and the form
  // TensorRT's attention fusion requires ("Q or K multiplied with the attention scale before the
  // first BMM", docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/transformers-fused-attention.html).
  Value* s = em.op("MatMul", {em.op("Mul", {qh, em.scalar(p.scale, "scale")}), kt});
  if (mask) {
    // keep = mask > 0 (ORT treats mask values <= 0 as masked); additive = keep ? 0 : filter.
    Value* keep = em.op("Greater", {mask, em.scalarOf(0, p.maskType, "mask_zero")});
    Value* add = em.op("Where", {keep, em.scalar(0, "zero"), em.scalar(p.filter, "mask_filter_value")});
    add = em.unsqueeze(add, p.maskRank == 2 ? std::vector<std::int64_t>{1, 2} : std::vector<std::int64_t>{1});
    s = em.op("Add", {s, add});
  }
  if (p.causal) {
    // future[i, j] = j > i over [S, L]: Range of each length, compared as a column against a row.
    auto lengthOf = [&](Value* src) {
      return em.op("Gather", {em.op("Shape", {src}), em.int64Scalar(1, "seq_axis")}, {intAttr("axis", 0)});
    };
    Value* zero = em.int64Scalar(0, "range_start");
    Value* one = em.int64Scalar(1, "range_step");
    Value* rows = em.op("Range", {zero, lengthOf(seqSource), one});
    Value* cols = keySource == seqSource ? rows : em.op("Range", {zero, lengthOf(keySource), one});
    Value* future = em.op("Greater", {em.unsqueeze(cols, {0}), em.unsqueeze(rows, {1})});
    s = em.op("Add", {s, em.op("Where", {future, em.scalar(p.filter, "causal_filter_value"), em.scalar(0, "zero")})});
  }
  if (bias) s = em.op("Add", {s, bias});
  Value* probs = em.op("Softmax", {s}, {intAttr("axis", -1)});
  Value* c = em.op("MatMul", {probs, vh});  // [B, N, S, Hv]
  return em.reshape(em.transpose(c, {0, 2, 1, 3}), {0, 0, -1}, outName);
}

// Reads the mask input (index `mi`) into the plan; empty string when it is one we decompose.
std::string planMask(const MatchContext& ctx, const Node* n, std::size_t mi, AttentionPlan& p) {
  Value* m = n->input(mi);
  if (!m) return {};
  bool known = false;
  auto d = dimsOf(ctx, m, known);
  if (!known) return "the rank of mask '" + m->name() + "' is unknown (run shape inference or give the input a shape)";
  if (d.size() == 1)
    return "mask '" + m->name() + "' is 1-D (key lengths or start/end positions); only raw [batch, sequence] and "
           "[batch, sequence, sequence] masks are decomposed";
  if (d.size() != 2 && d.size() != 3)
    return "mask '" + m->name() + "' is " + std::to_string(d.size()) + "-D; only raw 2-D and 3-D masks are decomposed";
  p.maskRank = static_cast<int>(d.size());
  std::int32_t t = elemTypeOf(ctx, m);
  p.maskType = t ? t : kInt32;
  return {};
}

class DecomposeAttentionRule : public LibraryRule {
 public:
  DecomposeAttentionRule()
      : LibraryRule("decompose.attention",
                    "com.microsoft Attention back to standard ONNX: packed QKV MatMul + bias, Split, heads by "
                    "Reshape/Transpose, scaled QK^T with the padding/causal mask, Softmax, context MatMul, "
                    "Transpose/Reshape back",
                    50) {}
  std::vector<std::string> rootOps() const override { return {"Attention"}; }

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    for (Node* n : ctx.nodesOf("Attention")) {
      if (n->domain() != "com.microsoft") continue;
      auto fail = [&](const std::string& why) {
        if (misses) misses->push_back(refusal(name_, n, where(n) + ": " + why));
      };
      auto plan = std::make_shared<AttentionPlan>();
      if (auto why = check(ctx, n, *plan); !why.empty()) {
        fail(why);
        continue;
      }
      out.push_back(singleNodeMatch(*this, ctx, n, "MatMul/Split/Reshape/Transpose/Softmax (standard ONNX)",
                                    14 + (plan->maskRank ? 4 : 0) + (plan->causal ? 10 : 0), plan));
    }
  }

  Status apply(Graph& g, const Match& match, RewriteContext& rc) const override {
    Node* n = matchedNode(g, match);
    auto p = std::static_pointer_cast<AttentionPlan>(match.payload);
    if (!n || !p) return Status(ErrorCode::InvalidArgument, name_ + ": the matched node is gone (stale match)");
    Emitter em(g, rc, n, p->dtype);
    Value* x = n->input(0);
    Value* qkv = em.op("MatMul", {x, n->input(1)});
    if (n->input(2)) qkv = em.op("Add", {qkv, n->input(2)});
    auto parts = em.split(qkv, 2, p->sizes);
    Value* y = attentionCore(em, *p, parts[0], parts[1], parts[2], n->input(3), n->input(5), x, x,
                             freshName(g, n->output(0)->name() + "_decomposed"));
    if (!em.status()) return em.status();
    if (auto st = handOver(g, n, 0, y); !st) return st;
    eraseReplaced(g, n);
    return Status::ok();
  }

 private:
  static std::string check(const MatchContext& ctx, const Node* n, AttentionPlan& p) {
    if (n->input(4)) return "it reads a past state (input 'past'); the KV-cache form is not decomposed";
    if (n->input(6)) return "it reads past_sequence_length; the KV-cache form is not decomposed";
    if (n->input(7)) return "it has input 7 (rotary cache); not decomposed";
    if (usedExtraOutput(n, 1) >= 0) return "its 'present' output is used; the KV-cache form is not decomposed";
    for (const char* a : {"do_rotary", "past_present_share_buffer"})
      if (const auto* at = n->attribute(a); at && at->i() != 0) return std::string("attribute ") + a + " is set; not decomposed";
    const auto* h = n->attribute("num_heads");
    if (!h || h->i() <= 0) return "num_heads is missing";
    p.heads = h->i();
    if (!n->input(1)) return "it has no weights";
    bool known = false;
    auto wd = dimsOf(ctx, n->input(1), known);
    if (wd.size() != 2 || wd[1] <= 0) return "the weights '" + n->input(1)->name() + "' are not a 2-D tensor of known width";
    std::vector<std::int64_t> sizes = intsAttr(*n, "qkv_hidden_sizes");
    if (sizes.empty()) {
      if (wd[1] % 3) return "the weight width " + std::to_string(wd[1]) + " is not 3 * hidden";
      sizes = {wd[1] / 3, wd[1] / 3, wd[1] / 3};
    }
    if (sizes.size() != 3 || sizes[0] + sizes[1] + sizes[2] != wd[1])
      return "qkv_hidden_sizes does not add up to the weight width " + std::to_string(wd[1]);
    if (sizes[0] != sizes[1]) return "qkv_hidden_sizes gives Q and K different widths; not decomposed";
    for (auto s : sizes)
      if (s % p.heads) return "qkv_hidden_sizes " + std::to_string(s) + " is not a multiple of num_heads";
    p.sizes = sizes;
    auto xd = dimsOf(ctx, n->input(0), known);
    if (known && xd.size() != 3) return "the input is not [batch, sequence, hidden]";
    p.dtype = elemTypeOf(ctx, n->input(0));
    if (!p.dtype) p.dtype = elemTypeOf(ctx, n->input(1));
    if (!isFloatType(p.dtype)) return "the input type is unknown or not float/float16/double";
    const auto* sc = n->attribute("scale");
    p.scale = sc && sc->f() != 0 ? sc->f() : 1.0 / std::sqrt(static_cast<double>(sizes[0] / p.heads));
    if (const auto* f = n->attribute("mask_filter_value")) p.filter = f->f();
    if (const auto* u = n->attribute("unidirectional")) p.causal = u->i() != 0;
    if (auto why = planMask(ctx, n, 3, p); !why.empty()) return why;
    if (n->input(5)) {
      auto bd = dimsOf(ctx, n->input(5), known);
      if (known && bd.size() != 4) return "attention_bias is not 4-D [batch or 1, heads or 1, sequence, sequence]";
    }
    return {};
  }
};

// MultiHeadAttention with separate, already projected query/key/value ([B, S, D], [B, L, D],
// [B, L, Dv]), optional packed bias [D + D + Dv], key padding mask and attention_bias.
class DecomposeMultiHeadAttentionRule : public LibraryRule {
 public:
  DecomposeMultiHeadAttentionRule()
      : LibraryRule("decompose.multihead_attention",
                    "com.microsoft MultiHeadAttention (separate 3-D query/key/value) back to standard ONNX: bias "
                    "Adds, heads by Reshape/Transpose, scaled QK^T with the mask, Softmax, context MatMul",
                    50) {}
  std::vector<std::string> rootOps() const override { return {"MultiHeadAttention"}; }

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    for (Node* n : ctx.nodesOf("MultiHeadAttention")) {
      if (n->domain() != "com.microsoft") continue;
      auto plan = std::make_shared<AttentionPlan>();
      if (auto why = check(ctx, n, *plan); !why.empty()) {
        if (misses) misses->push_back(refusal(name_, n, where(n) + ": " + why));
        continue;
      }
      out.push_back(singleNodeMatch(*this, ctx, n, "Reshape/Transpose/MatMul/Softmax (standard ONNX)", 10, plan));
    }
  }

  Status apply(Graph& g, const Match& match, RewriteContext& rc) const override {
    Node* n = matchedNode(g, match);
    auto p = std::static_pointer_cast<AttentionPlan>(match.payload);
    if (!n || !p) return Status(ErrorCode::InvalidArgument, name_ + ": the matched node is gone (stale match)");
    Emitter em(g, rc, n, p->dtype);
    Value *q = n->input(0), *k = n->input(1), *v = n->input(2);
    if (n->input(3)) {
      auto b = em.split(n->input(3), 0, p->sizes);
      q = em.op("Add", {q, b[0]});
      k = em.op("Add", {k, b[1]});
      v = em.op("Add", {v, b[2]});
    }
    Value* y = attentionCore(em, *p, q, k, v, n->input(4), n->input(5), n->input(0), n->input(1),
                             freshName(g, n->output(0)->name() + "_decomposed"));
    if (!em.status()) return em.status();
    if (auto st = handOver(g, n, 0, y); !st) return st;
    eraseReplaced(g, n);
    return Status::ok();
  }

 private:
  static std::string check(const MatchContext& ctx, const Node* n, AttentionPlan& p) {
    for (std::size_t i = 6; i < n->inputs().size(); ++i)
      if (n->input(i)) return "it reads past key/value or a cache input (input " + std::to_string(i) + "); not decomposed";
    if (int o = usedExtraOutput(n, 1); o >= 0)
      return "its output " + std::to_string(o) + " (present key/value or qk) is used; not decomposed";
    const auto* h = n->attribute("num_heads");
    if (!h || h->i() <= 0) return "num_heads is missing";
    p.heads = h->i();
    if (!n->input(1) || !n->input(2)) return "query/key/value are not given separately (packed QKV/KV); not decomposed";
    bool kq = false, kk = false, kv = false;
    auto qd = dimsOf(ctx, n->input(0), kq), kd = dimsOf(ctx, n->input(1), kk), vd = dimsOf(ctx, n->input(2), kv);
    if (!kq || !kk || !kv) return "the ranks of query/key/value are unknown";
    if (qd.size() != 3 || kd.size() != 3 || vd.size() != 3)
      return "query/key/value are not all 3-D [batch, sequence, hidden] (packed or BNSH forms are not decomposed)";
    if (n->input(3)) {
      if (qd[2] <= 0 || vd[2] <= 0) return "the hidden sizes are not static; cannot split the bias";
      p.sizes = {qd[2], qd[2], vd[2]};
    }
    if (qd[2] > 0 && qd[2] % p.heads) return "the query width is not a multiple of num_heads";
    p.dtype = elemTypeOf(ctx, n->input(0));
    if (!isFloatType(p.dtype)) return "the query type is unknown or not float/float16/double";
    const auto* sc = n->attribute("scale");
    if (sc && sc->f() != 0) {
      p.scale = sc->f();
    } else {
      if (qd[2] <= 0) return "the head size is not static and no scale is given";
      p.scale = 1.0 / std::sqrt(static_cast<double>(qd[2] / p.heads));
    }
    if (const auto* f = n->attribute("mask_filter_value")) p.filter = f->f();
    if (const auto* u = n->attribute("unidirectional")) p.causal = u->i() != 0;
    return planMask(ctx, n, 4, p);
  }
};

// ------------------------------------------------------------------------------- normalizations

// Normalization over the last axis written with standard ops (the form PyTorch exports, so the
// fusions recognize it again): LayerNorm mean/variance, or RMSNorm.
Value* layerNormPrimitives(Emitter& em, Value* x, Value* scale, Value* bias, double eps, bool rms, const std::string& outName) {
  Value* two = em.scalar(2, "two");
  if (rms) {
    Value* ms = em.reduceMean(em.op("Pow", {x, two}), {-1});
    Value* sd = em.op("Sqrt", {em.op("Add", {ms, em.scalar(eps, "epsilon")})});
    Value* r = em.op("Div", {em.scalar(1, "one"), sd});
    return em.op("Mul", {em.op("Mul", {x, r}), scale}, {}, outName);
  }
  Value* mean = em.reduceMean(x, {-1});
  Value* d = em.op("Sub", {x, mean});
  Value* var = em.reduceMean(em.op("Pow", {d, two}), {-1});
  Value* sd = em.op("Sqrt", {em.op("Add", {var, em.scalar(eps, "epsilon")})});
  Value* nrm = em.op("Div", {d, sd});
  if (!bias) return em.op("Mul", {nrm, scale}, {}, outName);
  return em.op("Add", {em.op("Mul", {nrm, scale}), bias}, {}, outName);
}

struct NormPlan {
  std::int32_t dtype = kFloat32;
  double eps = 1e-5;
};

// What every normalization decomposition reads first: the element type (float types only) and
// epsilon (the op's default when absent). Null after telling `fail` why.
template <typename Fail>
std::shared_ptr<NormPlan> startNormPlan(const MatchContext& ctx, const Node* n, double defaultEps, Fail&& fail) {
  auto plan = std::make_shared<NormPlan>();
  plan->dtype = elemTypeOf(ctx, n->input(0));
  if (!isFloatType(plan->dtype)) {
    fail("the input type is unknown or not float/float16/double");
    return nullptr;
  }
  const auto* e = n->attribute("epsilon");
  plan->eps = e ? e->f() : defaultEps;
  return plan;
}

// The normalization axis must be the last one (what every transformer uses).
std::string lastAxisOnly(const MatchContext& ctx, const Node* n) {
  const auto* a = n->attribute("axis");
  if (!a || a->i() == -1) return {};
  bool known = false;
  auto d = dimsOf(ctx, n->input(0), known);
  if (known && a->i() == static_cast<std::int64_t>(d.size()) - 1) return {};
  return "axis " + std::to_string(a->i()) + " is not the last axis; not decomposed";
}

// SkipLayerNormalization / SkipSimplifiedLayerNormalization -> Add (+ bias) and the normalization:
// LayerNormalization from opset 17, else the primitive ops. The sum output (3) keeps its readers.
class DecomposeSkipNormRule : public LibraryRule {
 public:
  explicit DecomposeSkipNormRule(bool simplified)
      : LibraryRule(simplified ? "decompose.skip_simplified_layernorm" : "decompose.skip_layernorm",
                    simplified ? "com.microsoft SkipSimplifiedLayerNormalization back to Add + RMSNorm over standard ops"
                               : "com.microsoft SkipLayerNormalization back to Add + LayerNormalization (opset 17) or "
                                 "its standard ops (older opsets)",
                    26),
        simplified_(simplified) {}
  std::vector<std::string> rootOps() const override {
    return {simplified_ ? "SkipSimplifiedLayerNormalization" : "SkipLayerNormalization"};
  }

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    for (Node* n : ctx.nodesOf(rootOps()[0])) {
      if (n->domain() != "com.microsoft") continue;
      auto fail = [&](const std::string& why) {
        if (misses) misses->push_back(refusal(name_, n, where(n) + ": " + why));
      };
      if (int o = usedExtraOutput(n, 1); o == 1 || o == 2) {
        fail("its mean/inv_std_var output is used; not decomposed");
        continue;
      }
      if (!n->input(2)) {
        fail("it has no gamma");
        continue;
      }
      auto plan = startNormPlan(ctx, n, 1e-12, fail);  // ORT's default epsilon for the Skip* ops (contrib_defs.cc)
      if (!plan) continue;
      const bool op17 = !simplified_ && ctx.graph().model().opsetVersion("") >= 17;
      out.push_back(singleNodeMatch(*this, ctx, n, op17 ? "Add + LayerNormalization" : "Add + normalization over standard ops",
                                    op17 ? 1 : 8, plan));
    }
  }

  Status apply(Graph& g, const Match& match, RewriteContext& rc) const override {
    Node* n = matchedNode(g, match);
    auto p = std::static_pointer_cast<NormPlan>(match.payload);
    if (!n || !p) return Status(ErrorCode::InvalidArgument, name_ + ": the matched node is gone (stale match)");
    Emitter em(g, rc, n, p->dtype);
    Value* s = em.op("Add", {n->input(0), n->input(1)});
    Value* bias = simplified_ ? n->input(3) : n->input(4);
    if (bias) s = em.op("Add", {s, bias});
    const std::string outName = freshName(g, n->output(0)->name() + "_decomposed");
    Value* y = nullptr;
    if (!simplified_ && em.opset() >= 17) {
      std::vector<Value*> ins{s, n->input(2)};
      if (n->input(3)) ins.push_back(n->input(3));
      y = em.op("LayerNormalization", ins, {intAttr("axis", -1), floatAttr("epsilon", static_cast<float>(p->eps))}, outName);
    } else {
      y = layerNormPrimitives(em, s, n->input(2), simplified_ ? nullptr : n->input(3), p->eps, simplified_, outName);
    }
    if (!em.status()) return em.status();
    if (auto st = handOver(g, n, 0, y); !st) return st;
    if (n->outputs().size() > 3)
      if (auto st = handOver(g, n, 3, s); !st) return st;
    eraseReplaced(g, n);
    return Status::ok();
  }

 private:
  bool simplified_;
};

// LayerNormalization where it is not standard ONNX (the com.microsoft domain, or the default domain
// below opset 17, ORT's contrib registration) and SimplifiedLayerNormalization (ORT's RMSNorm, default or
// com.microsoft domain): the primitive ops, or the opset-17 LayerNormalization where the model has it.
class DecomposeNormRule : public LibraryRule {
 public:
  explicit DecomposeNormRule(bool simplified)
      : LibraryRule(simplified ? "decompose.simplified_layernorm" : "decompose.layernorm",
                    simplified ? "ONNX Runtime's SimplifiedLayerNormalization (RMSNorm) back to standard ops"
                               : "LayerNormalization outside standard ONNX (com.microsoft, or below opset 17) back to "
                                 "standard ops",
                    26),
        simplified_(simplified) {}
  std::vector<std::string> rootOps() const override {
    return {simplified_ ? "SimplifiedLayerNormalization" : "LayerNormalization"};
  }

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    const std::int64_t opset = ctx.graph().model().opsetVersion("");
    for (Node* n : ctx.nodesOf(rootOps()[0])) {
      const bool contrib = n->domain() == "com.microsoft";
      if (!contrib && !isDefaultDomain(*n)) continue;
      if (!simplified_ && !contrib && opset >= 17) continue;  // standard ONNX already
      auto fail = [&](const std::string& why) {
        if (misses) misses->push_back(refusal(name_, n, where(n) + ": " + why));
      };
      if (usedExtraOutput(n, 1) >= 0) {
        fail("its mean/inv_std_var output is used; not decomposed");
        continue;
      }
      if (auto why = lastAxisOnly(ctx, n); !why.empty()) {
        fail(why);
        continue;
      }
      if (!n->input(1)) {
        fail("it has no scale");
        continue;
      }
      auto plan = startNormPlan(ctx, n, 1e-5, fail);
      if (!plan) continue;
      const bool toStd = !simplified_ && opset >= 17;
      out.push_back(singleNodeMatch(*this, ctx, n, toStd ? "LayerNormalization (opset 17)" : "normalization over standard ops",
                                    toStd ? 0 : (simplified_ ? 6 : 8), plan));
    }
  }

  Status apply(Graph& g, const Match& match, RewriteContext& rc) const override {
    Node* n = matchedNode(g, match);
    auto p = std::static_pointer_cast<NormPlan>(match.payload);
    if (!n || !p) return Status(ErrorCode::InvalidArgument, name_ + ": the matched node is gone (stale match)");
    Emitter em(g, rc, n, p->dtype);
    const std::string outName = freshName(g, n->output(0)->name() + "_decomposed");
    Value* y = nullptr;
    if (!simplified_ && em.opset() >= 17) {
      std::vector<Value*> ins{n->input(0), n->input(1)};
      if (n->input(2)) ins.push_back(n->input(2));
      y = em.op("LayerNormalization", ins, {intAttr("axis", -1), floatAttr("epsilon", static_cast<float>(p->eps))}, outName);
    } else {
      y = layerNormPrimitives(em, n->input(0), n->input(1), simplified_ ? nullptr : n->input(2), p->eps, simplified_, outName);
    }
    if (!em.status()) return em.status();
    if (auto st = handOver(g, n, 0, y); !st) return st;
    eraseReplaced(g, n);
    return Status::ok();
  }

 private:
  bool simplified_;
};

// ------------------------------------------------------------------------------ MatMul, QuickGelu

struct FusedMatMulPlan {
  std::int32_t dtype = kFloat32;
  double alpha = 1;
  std::int64_t rankA = 0, rankB = 0;
  bool transA = false, transB = false;
};

// FusedMatMul(A, B) = alpha * op(A) op(B), op = transpose of the last two dims when transA/transB.
class DecomposeFusedMatMulRule : public LibraryRule {
 public:
  DecomposeFusedMatMulRule()
      : LibraryRule("decompose.fusedmatmul",
                    "com.microsoft FusedMatMul back to (Transpose +) MatMul (+ Mul by alpha)", 20) {}
  std::vector<std::string> rootOps() const override { return {"FusedMatMul"}; }

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    for (Node* n : ctx.nodesOf("FusedMatMul")) {
      if (n->domain() != "com.microsoft") continue;
      auto fail = [&](const std::string& why) {
        if (misses) misses->push_back(refusal(name_, n, where(n) + ": " + why));
      };
      auto plan = std::make_shared<FusedMatMulPlan>();
      auto attrI = [&](const char* a) {
        const auto* at = n->attribute(a);
        return at ? at->i() : 0;
      };
      if (attrI("transBatchA") || attrI("transBatchB")) {
        fail("transBatchA/transBatchB is set; not decomposed");
        continue;
      }
      plan->transA = attrI("transA") != 0;
      plan->transB = attrI("transB") != 0;
      bool ka = false, kb = false;
      plan->rankA = static_cast<std::int64_t>(dimsOf(ctx, n->input(0), ka).size());
      plan->rankB = static_cast<std::int64_t>(dimsOf(ctx, n->input(1), kb).size());
      if ((plan->transA && (!ka || plan->rankA < 2)) || (plan->transB && (!kb || plan->rankB < 2))) {
        fail("a transposed operand has an unknown rank or is 1-D");
        continue;
      }
      const auto* a = n->attribute("alpha");
      plan->alpha = a ? a->f() : 1.0;
      plan->dtype = elemTypeOf(ctx, n->input(0));
      if (plan->alpha != 1.0 && !isFloatType(plan->dtype)) {
        fail("the input type is unknown or not float/float16/double");
        continue;
      }
      int delta = (plan->alpha != 1.0) + plan->transA + plan->transB;
      out.push_back(singleNodeMatch(*this, ctx, n, "MatMul", delta, plan));
    }
  }

  Status apply(Graph& g, const Match& match, RewriteContext& rc) const override {
    Node* n = matchedNode(g, match);
    auto p = std::static_pointer_cast<FusedMatMulPlan>(match.payload);
    if (!n || !p) return Status(ErrorCode::InvalidArgument, name_ + ": the matched node is gone (stale match)");
    Emitter em(g, rc, n, p->dtype);
    auto swapLast = [](std::int64_t rank) {
      std::vector<std::int64_t> perm;
      for (std::int64_t i = 0; i < rank; ++i) perm.push_back(i);
      std::swap(perm[static_cast<std::size_t>(rank - 1)], perm[static_cast<std::size_t>(rank - 2)]);
      return perm;
    };
    Value* a = p->transA ? em.transpose(n->input(0), swapLast(p->rankA)) : n->input(0);
    Value* b = p->transB ? em.transpose(n->input(1), swapLast(p->rankB)) : n->input(1);
    const std::string outName = freshName(g, n->output(0)->name() + "_decomposed");
    Value* y = p->alpha == 1.0 ? em.op("MatMul", {a, b}, {}, outName)
                               : em.op("Mul", {em.op("MatMul", {a, b}), em.scalar(p->alpha, "alpha")}, {}, outName);
    if (!em.status()) return em.status();
    if (auto st = handOver(g, n, 0, y); !st) return st;
    eraseReplaced(g, n);
    return Status::ok();
  }
};

// QuickGelu(x) = x * Sigmoid(alpha * x) for any alpha (ORT fuses alpha = 1.702 as well as SiLU's 1).
class DecomposeQuickGeluRule : public LibraryRule {
 public:
  DecomposeQuickGeluRule()
      : LibraryRule("decompose.quickgelu", "com.microsoft QuickGelu back to x * Sigmoid(alpha * x)", 15) {}
  std::vector<std::string> rootOps() const override { return {"QuickGelu"}; }

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    for (Node* n : ctx.nodesOf("QuickGelu")) {
      if (n->domain() != "com.microsoft") continue;
      auto plan = std::make_shared<FusedMatMulPlan>();
      const auto* a = n->attribute("alpha");
      plan->alpha = a ? a->f() : 1.702;  // ORT's default (contrib_defs.cc)
      plan->dtype = elemTypeOf(ctx, n->input(0));
      if (plan->alpha != 1.0 && !isFloatType(plan->dtype)) {
        if (misses)
          misses->push_back(refusal(name_, n, where(n) + ": the input type is unknown or not float/float16/double"));
        continue;
      }
      out.push_back(singleNodeMatch(*this, ctx, n, "Sigmoid + Mul", plan->alpha == 1.0 ? 1 : 2, plan));
    }
  }

  Status apply(Graph& g, const Match& match, RewriteContext& rc) const override {
    Node* n = matchedNode(g, match);
    auto p = std::static_pointer_cast<FusedMatMulPlan>(match.payload);
    if (!n || !p) return Status(ErrorCode::InvalidArgument, name_ + ": the matched node is gone (stale match)");
    Emitter em(g, rc, n, p->dtype);
    Value* x = n->input(0);
    Value* ax = p->alpha == 1.0 ? x : em.op("Mul", {x, em.scalar(p->alpha, "alpha")});
    Value* y = em.op("Mul", {x, em.op("Sigmoid", {ax})}, {}, freshName(g, n->output(0)->name() + "_decomposed"));
    if (!em.status()) return em.status();
    if (auto st = handOver(g, n, 0, y); !st) return st;
    eraseReplaced(g, n);
    return Status::ok();
  }
};

}  // namespace
}  // namespace graft::library

namespace graft {

void registerDecomposeRules(RuleRegistry& registry) {
  using namespace library;
  registry.add("decompose.attention", [] { return std::make_shared<DecomposeAttentionRule>(); });
  registry.add("decompose.multihead_attention", [] { return std::make_shared<DecomposeMultiHeadAttentionRule>(); });
  registry.add("decompose.skip_layernorm", [] { return std::make_shared<DecomposeSkipNormRule>(false); });
  registry.add("decompose.skip_simplified_layernorm", [] { return std::make_shared<DecomposeSkipNormRule>(true); });
  registry.add("decompose.layernorm", [] { return std::make_shared<DecomposeNormRule>(false); });
  registry.add("decompose.simplified_layernorm", [] { return std::make_shared<DecomposeNormRule>(true); });
  registry.add("decompose.fusedmatmul", [] { return std::make_shared<DecomposeFusedMatMulRule>(); });
  registry.add("decompose.quickgelu", [] { return std::make_shared<DecomposeQuickGeluRule>(); });
}

}  // namespace graft
