// Multi-head self-attention as PyTorch exports it (BERT style: separate Q/K/V projections,
// Reshape/Transpose into heads, scaled QK^T, additive padding mask, Softmax, context MatMul,
// Transpose/Reshape back) fused into ONNX Runtime's com.microsoft Attention. C++ because the
// fused op takes one packed [hidden, 3*hidden] weight: the three projection weights are
// concatenated, which a rule file cannot compute.
//
// The padding mask must be the (1 - mask) * -10000 form of a 2-D [batch, sequence] mask:
// Attention's mask_index then takes the raw 0/1 mask (as int32) and applies the same -10000
// (its mask_filter_value default). See onnxruntime/contrib_ops/cpu/bert/attention.cc and
// onnxruntime/core/optimizer/attention_fusion.cc, which fuses the same subgraph.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "graft/rewrite.h"
#include "rewrite/library_util.h"

namespace graft::library {
namespace {

constexpr std::int32_t kInt32 = onnx::TensorProto_DataType_INT32;

// One projection branch: x -> MatMul(W) -> Add(b) -> Reshape -> Transpose(s).
struct Branch {
  Node *matmul = nullptr, *add = nullptr, *reshape = nullptr;
  std::vector<Node*> transposes;
  Value *x = nullptr, *w = nullptr, *b = nullptr;
};

struct Plan {
  std::vector<NodeId> remove;  // every node the Attention replaces
  NodeId output = 0;           // the final Reshape
  ValueId x = 0;
  std::string wq, wk, wv, bq, bk, bv;  // value names of the weights and biases
  std::string mask2d;                   // raw [batch, sequence] mask value, empty: none
  std::int64_t heads = 0;
  double scale = 0;  // 0: the default 1/sqrt(head size)
};

bool permIs(const Node* t, std::initializer_list<std::int64_t> perm) {
  return t && intsAttr(*t, "perm") == std::vector<std::int64_t>(perm);
}

// PyTorch reads batch and sequence sizes with Shape on the projections themselves (x.view(b, t, ...)
// after b, t = x.size()), so a value may also feed Shape nodes. A value of x's full shape may feed any
// Shape (apply() moves it to x); a [batch, sequence, ...] value only Shapes whose dims 0/1 are gathered.
bool shapeOnlyUse(const Use& u, bool fullShape) {
  Node* s = u.node;
  if (!s || s->opType() != "Shape" || !isDefaultDomain(*s) || s->attribute("start") || s->attribute("end")) return false;
  if (fullShape) return true;
  for (const Use& g : s->output(0)->uses()) {
    if (!g.node || g.node->opType() != "Gather" || g.index != 0) return false;
    double idx = -1;
    if (const auto* a = g.node->attribute("axis"); a && a->i() != 0) return false;
    if (!scalarOf(g.node->input(1), idx) || (idx != 0 && idx != 1)) return false;
  }
  return true;
}

// One consumer in the attention subgraph plus, at most, Shape readers (see shapeOnlyUse).
bool singleUseBesidesShape(const Value* v, bool fullShape) {
  if (!v || v->isGraphOutput()) return false;
  int real = 0;
  for (const Use& u : v->uses())
    if (!shapeOnlyUse(u, fullShape)) ++real;
  return real == 1;
}

// Below the context MatMul: the heads merged back, Transpose(0,2,1,3) then Reshape to
// [batch, sequence, hidden]. Both attention forms end this way. Empty string on success.
std::string parseContextMerge(Node* ctxMm, Node*& ctxT, Node*& ctxR) {
  ctxT = ctxMm->output(0)->uses()[0].node;
  if (!ctxT || ctxT->opType() != "Transpose" || !permIs(ctxT, {0, 2, 1, 3}) ||
      !singleUseBesidesShape(ctxT->output(0), false))
    return "the context is not transposed back with perm (0,2,1,3)";
  ctxR = nullptr;
  for (const Use& u : ctxT->output(0)->uses())
    if (!shapeOnlyUse(u, false)) ctxR = u.node;
  if (!ctxR || ctxR->opType() != "Reshape") return "the context is not reshaped back to [batch, sequence, hidden]";
  return {};
}

// Follows v up through Transpose(0,2,1,3) <- Reshape <- Add(bias) <- MatMul(x, W).
// `kTransposed`: the key branch, which ends in K^T: Transpose(0,2,3,1), or (0,2,1,3) then (0,1,3,2).
std::string parseBranch(Value* v, bool kTransposed, Branch& br) {
  Node* t = producerIs(v, "Transpose");
  if (!t) return "expected a Transpose into heads";
  if (kTransposed) {
    if (permIs(t, {0, 1, 3, 2})) {
      br.transposes.push_back(t);
      if (!singleUse(t->input(0))) return "the key Transpose output has another consumer";
      t = producerIs(t->input(0), "Transpose");
      if (!permIs(t, {0, 2, 1, 3})) return "the key is not transposed into heads with perm (0,2,1,3)";
    } else if (!permIs(t, {0, 2, 3, 1})) {
      return "the key is not transposed with perm (0,2,3,1)";
    }
  } else if (!permIs(t, {0, 2, 1, 3})) {
    return "a Transpose into heads does not have perm (0,2,1,3)";
  }
  br.transposes.push_back(t);
  Node* r = producerIs(t->input(0), "Reshape");
  if (!r || !singleUse(t->input(0))) return "the heads Transpose is not fed by a Reshape used only there";
  br.reshape = r;
  Node* add = producerIs(r->input(0), "Add");
  if (!add || !singleUseBesidesShape(r->input(0), true)) return "the projection has no bias Add used only by the Reshape";
  br.add = add;
  for (int side = 0; side < 2; ++side) {
    Node* mm = producerIs(add->input(static_cast<size_t>(side)), "MatMul");
    Value* bias = add->input(static_cast<size_t>(1 - side));
    if (mm && isConstantValue(bias)) {
      br.matmul = mm;
      br.b = bias;
      break;
    }
  }
  if (!br.matmul) return "the projection is not MatMul + constant bias";
  if (!singleUseBesidesShape(br.matmul->output(0), true)) return "the projection MatMul output has another consumer";
  br.x = br.matmul->input(0);
  br.w = br.matmul->input(1);
  if (!isConstantValue(br.w) || constantDims(br.w).size() != 2) return "the projection weight is not a constant 2-D matrix";
  if (constantDims(br.b).size() != 1) return "the projection bias is not a constant vector";
  return {};
}

// Number of heads the Reshape splits into: its constant shape [.., .., H, dh], or the constant
// third piece of a Concat building that shape.
std::int64_t headsOf(const Node* reshape) {
  Value* s = reshape->input(1);
  if (isConstantValue(s)) {
    auto d = constantDoubles(s);
    if (d.size() == 4 && d[2] > 0) return static_cast<std::int64_t>(d[2]);
    return 0;
  }
  if (Node* c = producerIs(s, "Concat"); c && c->inputs().size() == 4) {
    double h = 0;
    if (scalarOf(c->input(2), h) && h > 0) return static_cast<std::int64_t>(h);
  }
  return 0;
}

// Parses the additive mask (1 - Cast(Unsqueeze(Unsqueeze(m)))) * -10000 back to m.
std::string parseMask(Value* v, Value*& mask2d, std::vector<Node*>& chain) {
  Node* mul = producerIs(v, "Mul");
  if (!mul) return "the mask is not (1 - mask) * -10000";
  double filter = 0;
  Value* inner = nullptr;
  for (int side = 0; side < 2; ++side)
    if (scalarOf(mul->input(static_cast<size_t>(side)), filter)) {
      inner = mul->input(static_cast<size_t>(1 - side));
      break;
    }
  if (!inner) return "the mask is not scaled by a constant";
  if (std::abs(filter + 10000.0) > 1e-3)
    return "the mask filter value is " + std::to_string(filter) + ", Attention applies -10000";
  Node* sub = producerIs(inner, "Sub");
  double one = 0;
  if (!sub || !scalarOf(sub->input(0), one) || one != 1.0) return "the mask is not (1 - mask)";
  chain = {mul, sub};
  Value* cur = sub->input(1);
  int unsqueezed = 0;
  for (int guard = 0; guard < 6; ++guard) {
    Node* p = cur ? cur->producer() : nullptr;
    if (p && isDefaultDomain(*p) && (p->opType() == "Cast" || p->opType() == "Unsqueeze")) {
      if (p->opType() == "Unsqueeze") {
        std::vector<std::int64_t> axes = intsAttr(*p, "axes");
        if (axes.empty() && p->input(1)) {
          for (double a : constantDoubles(p->input(1))) axes.push_back(static_cast<std::int64_t>(a));
        }
        for (auto a : axes)
          if (a != 1 && a != 2) return "the mask is not unsqueezed to [batch, 1, 1, sequence]";
        unsqueezed += static_cast<int>(axes.size());
      }
      chain.push_back(p);
      cur = p->input(0);
      continue;
    }
    break;
  }
  if (unsqueezed != 2) return "the mask is not a 2-D [batch, sequence] mask unsqueezed to 4-D";
  mask2d = cur;
  return {};
}

class AttentionRule : public LibraryRule {
 public:
  AttentionRule()
      : LibraryRule("fuse.attention",
                    "BERT-style multi-head self-attention (Q/K/V MatMul+Add, Reshape/Transpose into heads, scaled "
                    "QK^T, additive padding mask, Softmax, context MatMul, Transpose/Reshape) becomes one ONNX "
                    "Runtime com.microsoft Attention with a packed QKV weight.",
                    50) {
    backends_ = {"onnxruntime-cpu", "onnxruntime-cuda"};
  }
  std::vector<std::string> rootOps() const override { return {"Softmax"}; }

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    for (Node* sm : ctx.nodesOf("Softmax")) {
      if (!isDefaultDomain(*sm)) continue;
      std::vector<NodeId> partial{sm->id()};
      int depth = 1;
      auto fail = [&](const std::string& why) {
        if (misses)
          misses->push_back(nearMiss(name_, sm, partial, depth, "Attention at " + scopeOf(sm) + ": " + why));
      };
      if (producerIs(sm->input(0), "Where")) continue;  // the causal form: fuse.attention_causal
      if (const auto* a = sm->attribute("axis"); a && a->i() != -1 && a->i() != 3) {
        fail("Softmax is not over the last axis");
        continue;
      }
      auto plan = std::make_shared<Plan>();
      std::vector<Node*> nodes{sm};
      // Below the Softmax: context MatMul with V, Transpose(0,2,1,3), Reshape.
      if (!singleUse(sm->output(0))) {
        fail("the Softmax output has another consumer");
        continue;
      }
      Node* ctxMm = sm->output(0)->uses()[0].node;
      if (!ctxMm || ctxMm->opType() != "MatMul" || sm->output(0)->uses()[0].index != 0) {
        continue;  // not attention at all: no near miss
      }
      Branch vb;
      if (auto why = parseBranch(ctxMm->input(1), false, vb); !why.empty()) {
        fail("value branch: " + why);
        continue;
      }
      nodes.push_back(ctxMm);
      partial.push_back(ctxMm->id());
      depth += 5;  // Softmax, context MatMul and the value branch
      if (!singleUse(ctxMm->output(0))) {
        fail("the context MatMul output has another consumer");
        continue;
      }
      Node* ctxT = nullptr;
      Node* ctxR = nullptr;
      if (auto why = parseContextMerge(ctxMm, ctxT, ctxR); !why.empty()) {
        fail(why);
        continue;
      }
      nodes.push_back(ctxT);
      nodes.push_back(ctxR);
      depth += 2;
      // Above the Softmax: optional mask Add, optional scale, QK^T MatMul.
      Value* cur = sm->input(0);
      Node* maskAdd = nullptr;
      Value* maskValue = nullptr;
      std::vector<Node*> maskChain;
      Node* qk = nullptr;
      Node* scaleNode = nullptr;
      double scale = 1.0;
      bool scaled = false;
      auto parseScores = [&](Value* s, Node*& qkOut, Node*& scaleOut, double& sc, bool& scd) -> bool {
        Node* p = s ? s->producer() : nullptr;
        if (!p || !isDefaultDomain(*p)) return false;
        double c = 0;
        if ((p->opType() == "Div" && scalarOf(p->input(1), c) && c != 0) ||
            (p->opType() == "Mul" && (scalarOf(p->input(1), c) || scalarOf(p->input(0), c)))) {
          Value* inner = p->opType() == "Div" || isConstantValue(p->input(1)) ? p->input(0) : p->input(1);
          Node* mm = producerIs(inner, "MatMul");
          if (!mm || !singleUse(inner)) return false;
          qkOut = mm;
          scaleOut = p;
          sc = p->opType() == "Div" ? 1.0 / c : c;
          scd = true;
          return true;
        }
        if (p->opType() == "MatMul") {
          qkOut = p;
          return true;
        }
        return false;
      };
      if (Node* add = producerIs(cur, "Add")) {
        for (int side = 0; side < 2 && !qk; ++side) {
          Value* s = add->input(static_cast<size_t>(side));
          if (parseScores(s, qk, scaleNode, scale, scaled)) {
            if (!singleUse(s)) {
              qk = nullptr;
              continue;
            }
            maskAdd = add;
            maskValue = add->input(static_cast<size_t>(1 - side));
          }
        }
        if (maskAdd && !singleUse(maskAdd->output(0))) {
          fail("mask Add has a second consumer");
          continue;
        }
      } else {
        parseScores(cur, qk, scaleNode, scale, scaled);
      }
      if (!qk) {
        fail("no scaled QK^T MatMul (optionally plus a mask) feeds the Softmax");
        continue;
      }
      if (!singleUse(sm->input(0))) {
        fail("the scores feeding the Softmax have another consumer");
        continue;
      }
      partial.push_back(qk->id());
      ++depth;
      Branch qb, kb;
      if (auto why = parseBranch(qk->input(0), false, qb); !why.empty()) {
        fail("query branch: " + why);
        continue;
      }
      if (auto why = parseBranch(qk->input(1), true, kb); !why.empty()) {
        fail("key branch: " + why);
        continue;
      }
      if (qb.x != kb.x || qb.x != vb.x) {
        fail("Q, K and V are not projections of the same input (not self-attention)");
        continue;
      }
      auto dq = constantDims(qb.w), dk = constantDims(kb.w), dv = constantDims(vb.w);
      if (dq != dk || dq != dv || dq[0] != dq[1]) {
        fail("the Q/K/V weights are not all [hidden, hidden]");
        continue;
      }
      std::int64_t heads = headsOf(qb.reshape);
      if (heads <= 0 || dq[1] % heads != 0 || headsOf(kb.reshape) != heads || headsOf(vb.reshape) != heads) {
        fail("cannot read the number of heads from the Reshape shapes");
        continue;
      }
      Value* mask2d = nullptr;
      if (maskAdd) {
        if (auto why = parseMask(maskValue, mask2d, maskChain); !why.empty()) {
          fail(why);
          continue;
        }
      }
      for (Branch* b : {&qb, &kb, &vb}) {
        nodes.push_back(b->matmul);
        nodes.push_back(b->add);
        nodes.push_back(b->reshape);
        for (Node* t : b->transposes) nodes.push_back(t);
      }
      nodes.push_back(qk);
      if (scaleNode) nodes.push_back(scaleNode);
      if (maskAdd) nodes.push_back(maskAdd);

      const double headSize = static_cast<double>(dq[1] / heads);
      plan->heads = heads;
      plan->scale = (!scaled || std::abs(scale * std::sqrt(headSize) - 1.0) < 1e-6) ? (scaled ? 0.0 : 1.0) : scale;
      plan->x = qb.x->id();
      plan->wq = qb.w->name();
      plan->wk = kb.w->name();
      plan->wv = vb.w->name();
      plan->bq = qb.b->name();
      plan->bk = kb.b->name();
      plan->bv = vb.b->name();
      plan->mask2d = mask2d ? mask2d->name() : "";
      plan->output = ctxR->id();
      for (Node* n : nodes) plan->remove.push_back(n->id());

      Match m = ruleMatch(*this, ctx, nodes, ctxR, "com.microsoft:Attention", 1 - static_cast<int>(nodes.size()), plan);
      m.values["x"] = qb.x;
      m.values["y"] = ctxR->output(0);
      out.push_back(std::move(m));
    }
  }

  Status apply(Graph& graph, const Match& match, RewriteContext& rctx) const override {
    auto plan = std::static_pointer_cast<Plan>(match.payload);
    if (!plan) return Status(ErrorCode::Internal, name_ + ": match without a plan");
    std::vector<Node*> nodes;
    for (NodeId id : plan->remove) {
      Node* n = graph.findNode(id);
      if (!n) return Status(ErrorCode::InvalidArgument, name_ + ": the matched nodes are gone (stale match)");
      nodes.push_back(n);
    }
    Node* outReshape = graph.findNode(plan->output);
    Value* x = graph.findValueById(plan->x);
    auto find = [&](const std::string& n) { return graph.resolveValue(n); };
    Value *wq = find(plan->wq), *wk = find(plan->wk), *wv = find(plan->wv);
    Value *bq = find(plan->bq), *bk = find(plan->bk), *bv = find(plan->bv);
    if (!x || !outReshape || !wq || !wk || !wv || !bq || !bk || !bv)
      return Status(ErrorCode::InvalidArgument, name_ + ": the matched values are gone (stale match)");
    auto aq = readConstant(wq), ak = readConstant(wk), av = readConstant(wv);
    auto cq = readConstant(bq), ck = readConstant(bk), cv = readConstant(bv);
    for (auto* r : {&aq, &ak, &av, &cq, &ck, &cv})
      if (!*r) return r->status();
    const std::int32_t dtype = aq.value().dtype();
    const std::int64_t hidden = aq.value().dim(0), width = aq.value().dim(1);
    // Packed weight [hidden, 3*width] = [Wq | Wk | Wv], bias [3*width] = [bq, bk, bv].
    Array w = Array(dtype, {hidden, 3 * width});
    Array b = Array(dtype, {3 * width});
    const std::size_t es = w.elementSize();
    auto* wp = static_cast<std::byte*>(w.raw());
    const Array* parts[3] = {&aq.value(), &ak.value(), &av.value()};
    for (int k = 0; k < 3; ++k) {
      auto c = castArray(*parts[k], dtype);
      if (!c) return c.status();
      const auto* src = static_cast<const std::byte*>(c.value().raw());
      for (std::int64_t r = 0; r < hidden; ++r)
        std::memcpy(wp + static_cast<std::size_t>((r * 3 * width) + k * width) * es,
                    src + static_cast<std::size_t>(r * width) * es, static_cast<std::size_t>(width) * es);
    }
    const Array* bparts[3] = {&cq.value(), &ck.value(), &cv.value()};
    for (int k = 0; k < 3; ++k) {
      auto c = castArray(*bparts[k], dtype);
      if (!c) return c.status();
      std::memcpy(static_cast<std::byte*>(b.raw()) + static_cast<std::size_t>(k * width) * es, c.value().raw(),
                  static_cast<std::size_t>(width) * es);
    }
    std::string scope = rctx.scope();
    auto wv2 = graph.addInitializer(arrayToProto(w, freshName(graph, (scope.empty() ? "" : scope + "/") + "qkv_weight")));
    if (!wv2) return wv2.status();
    auto bv2 = graph.addInitializer(arrayToProto(b, freshName(graph, (scope.empty() ? "" : scope + "/") + "qkv_bias")));
    if (!bv2) return bv2.status();

    // New nodes go where the query projection was: x and the mask are defined before it.
    Node* before = nodes.front();
    for (Node* n : nodes)
      if (n->opType() == "MatMul" && n->input(0) == x) {
        before = n;
        break;
      }
    // The raw mask as int32, shared by every layer: reuse a Cast another fusion made.
    Value* maskIndex = nullptr;
    if (!plan->mask2d.empty()) {
      Value* m = graph.resolveValue(plan->mask2d);
      if (!m) return Status(ErrorCode::InvalidArgument, name_ + ": mask '" + plan->mask2d + "' is gone");
      const onnx::TypeProto* t = m->declaredType();
      bool isInt32 = t && t->has_tensor_type() && t->tensor_type().elem_type() == kInt32;
      if (isInt32) {
        maskIndex = m;
      } else {
        for (const Use& u : m->uses())
          if (u.node && u.node->opType() == "Cast" && isDefaultDomain(*u.node) && u.node->attribute("to") &&
              u.node->attribute("to")->i() == kInt32 && &u.node->graph() == &graph) {
            maskIndex = u.node->output(0);
            break;
          }
        if (!maskIndex) {
          Graph::NewNode cast;
          cast.opType = "Cast";
          cast.name = freshName(graph, m->name() + "_int32");
          cast.inputs = {m};
          cast.outputNames = {freshName(graph, m->name() + "_int32")};
          cast.attributes = {intAttr("to", kInt32)};
          auto c = rctx.addNode(graph, std::move(cast), before);
          if (!c) return c.status();
          maskIndex = c.value()->output(0);
        }
      }
    }

    Graph::NewNode spec;
    spec.opType = "Attention";
    spec.domain = "com.microsoft";
    spec.inputs = {x, wv2.value(), bv2.value()};
    if (maskIndex) spec.inputs.push_back(maskIndex);
    Value* oldOut = outReshape->output(0);
    auto outName = takeName(graph, oldOut);
    if (!outName) return outName.status();
    const std::string replacedName = oldOut->name();
    spec.outputNames = {*outName};
    spec.attributes = {intAttr("num_heads", plan->heads)};
    if (plan->scale != 0) spec.attributes.push_back(floatAttr("scale", static_cast<float>(plan->scale)));
    ensureDomain(graph, "com.microsoft");
    auto node = rctx.addNode(graph, std::move(spec), before);
    if (!node) return node.status();
    graph.replaceAllUses(oldOut, node.value()->output(0));

    // Shape readers of the removed projections / context read x instead: same batch and sequence
    // (and, for the projections, the same full shape: the weights are square).
    std::set<Node*> matched(nodes.begin(), nodes.end());
    for (Node* n : nodes)
      for (Value* o : n->outputs()) {
        if (!o) continue;
        std::vector<Node*> shapes;
        for (const Use& u : o->uses())
          if (u.node && !matched.count(u.node) && u.node->opType() == "Shape") shapes.push_back(u.node);
        for (Node* sh : shapes)
          if (auto st = graph.setInput(sh, 0, x); !st) return st;
      }
    // Inputs from outside the match (weights, Reshape shapes, the mask chain) by name: the
    // outputs of erased nodes go away with them.
    std::vector<std::string> leftovers;
    for (Node* n : nodes)
      for (Value* in : n->inputs())
        if (in) leftovers.push_back(in->name());
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) graph.eraseNode(*it);
    for (const auto& name : leftovers)
      if (Value* v = graph.findValue(name)) dropIfUnused(graph, v);
    dropDangling(graph, replacedName);
    return Status::ok();
  }

 private:
  static std::string scopeOf(const Node* n) {
    const std::string& name = n->name();
    auto slash = name.rfind('/');
    return slash == std::string::npos || slash == 0 ? MatchContext::label(n) : name.substr(0, slash);
  }
};


// ---------------------------------------------------------------------------------------------
// GPT-style causal self-attention: one packed projection (MatMul by [hidden, 3*hidden] + bias),
// Split into Q/K/V along the last axis, heads by Reshape/Transpose, scaled QK^T, the causal mask
// as Where(Equal(Slice(tril buffer), 0), -inf, scores), Softmax, context. The packed weight is
// already Attention's layout; the mask becomes unidirectional = 1. ONNX Runtime's own
// AttentionFusion does not fuse this form (ORT 1.30 left it apart on the GPT decoder we measured).

// Follows a head branch up: Transpose(s) <- Reshape <- origin. Returns the Reshape or null.
Node* headBranch(Value* v, bool kTransposed, std::vector<Node*>& nodes, std::string& why) {
  Node* t = producerIs(v, "Transpose");
  if (!t || !singleUse(v)) {
    why = "expected a Transpose into heads used only by attention";
    return nullptr;
  }
  if (kTransposed && permIs(t, {0, 1, 3, 2})) {
    nodes.push_back(t);
    Value* in = t->input(0);
    t = producerIs(in, "Transpose");
    if (!t || !singleUse(in) || !permIs(t, {0, 2, 1, 3})) {
      why = "the key is not transposed into heads";
      return nullptr;
    }
  } else if (kTransposed ? !permIs(t, {0, 2, 3, 1}) : !permIs(t, {0, 2, 1, 3})) {
    why = "a Transpose into heads has an unexpected perm";
    return nullptr;
  }
  nodes.push_back(t);
  Node* r = producerIs(t->input(0), "Reshape");
  if (!r || !singleUse(t->input(0))) {
    why = "the heads Transpose is not fed by a Reshape used only there";
    return nullptr;
  }
  nodes.push_back(r);
  return r;
}

// True when v is the causal mask: Equal(Slice..(tril(ones) buffer), 0) with every Slice starting at 0.
std::string parseCausal(Value* cond, std::vector<Node*>& chain) {
  // Exported with static shapes, the whole condition is folded into a [.., S, S] boolean constant
  // that is true above the diagonal.
  if (isConstantValue(cond)) {
    auto dims = constantDims(cond);
    auto vals = constantDoubles(cond);
    if (dims.size() < 2 || dims[dims.size() - 1] != dims[dims.size() - 2]) return "the constant mask is not square";
    const std::int64_t S = dims.back();
    if (vals.size() != static_cast<size_t>(S * S)) return "the constant mask holds more than one matrix";
    for (std::int64_t i = 0; i < S; ++i)
      for (std::int64_t j = 0; j < S; ++j)
        if ((vals[static_cast<size_t>(i * S + j)] != 0) != (j > i)) return "the constant mask is not causal (upper triangle)";
    return {};
  }
  Node* eq = producerIs(cond, "Equal");
  if (!eq) return "the Where condition is not Equal(mask, 0)";
  double zero = 1;
  Value* cur = nullptr;
  for (int side = 0; side < 2; ++side)
    if (scalarOf(eq->input(static_cast<size_t>(side)), zero) && zero == 0.0) cur = eq->input(static_cast<size_t>(1 - side));
  if (!cur) return "the Where condition does not compare with 0";
  chain.push_back(eq);
  for (int guard = 0; guard < 4; ++guard) {
    Node* sl = producerIs(cur, "Slice");
    if (!sl) break;
    for (double st : constantDoubles(sl->input(1)))
      if (st != 0) return "the causal mask is not sliced from its start";
    if (!isConstantValue(sl->input(1))) return "the causal mask Slice starts are not constant";
    chain.push_back(sl);
    cur = sl->input(0);
  }
  if (!isConstantValue(cur)) return "the causal mask is not a constant buffer";
  auto dims = constantDims(cur);
  if (dims.size() < 2 || dims[dims.size() - 1] != dims[dims.size() - 2]) return "the causal mask buffer is not square";
  auto vals = constantDoubles(cur);
  const std::int64_t P = dims.back();
  if (vals.size() != static_cast<size_t>(P * P)) return "the causal mask buffer holds more than one matrix";
  for (std::int64_t i = 0; i < P; ++i)
    for (std::int64_t j = 0; j < P; ++j)
      if ((vals[static_cast<size_t>(i * P + j)] != 0) != (j <= i)) return "the mask buffer is not lower-triangular ones";
  return {};
}

struct CausalPlan {
  std::vector<NodeId> remove;
  NodeId output = 0;
  ValueId x = 0, w = 0, b = 0;
  std::int64_t heads = 0;
  double scale = 0;
};

class CausalAttentionRule : public LibraryRule {
 public:
  CausalAttentionRule()
      : LibraryRule("fuse.attention_causal",
                    "GPT-style causal self-attention (packed QKV projection, Split, heads, scaled QK^T, "
                    "Where(tril mask) -inf, Softmax, context) becomes com.microsoft Attention with "
                    "unidirectional = 1.",
                    50) {
    backends_ = {"onnxruntime-cpu", "onnxruntime-cuda"};
  }
  std::vector<std::string> rootOps() const override { return {"Softmax"}; }

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    for (Node* sm : ctx.nodesOf("Softmax")) {
      if (!isDefaultDomain(*sm)) continue;
      Node* where = producerIs(sm->input(0), "Where");
      if (!where) continue;  // not this form: the padding-mask rule explains its own misses
      std::vector<NodeId> partial{sm->id(), where->id()};
      auto fail = [&](const std::string& why) {
        if (misses) misses->push_back(nearMiss(name_, sm, partial, 2, "causal Attention at " + MatchContext::label(sm) + ": " + why));
      };
      if (!singleUse(sm->input(0)) || !singleUse(sm->output(0))) {
        fail("the masked scores or the Softmax output have another consumer");
        continue;
      }
      double fill = 0;
      if (!scalarOf(where->input(1), fill) || fill > -1e4) {
        fail("the masked value is not -inf (or at most -10000)");
        continue;
      }
      std::vector<Node*> nodes{sm, where};
      std::vector<Node*> maskChain;
      if (auto why = parseCausal(where->input(0), maskChain); !why.empty()) {
        fail(why);
        continue;
      }
      // Scores: optional scalar Mul/Div on QK^T.
      Value* sc = where->input(2);
      Node* qk = producerIs(sc, "MatMul");
      double scale = 0;
      if (!qk) {
        Node* p = sc ? sc->producer() : nullptr;
        double c = 0;
        if (p && isDefaultDomain(*p) && (p->opType() == "Mul" || p->opType() == "Div") && singleUse(sc)) {
          Value* inner = nullptr;
          if (scalarOf(p->input(1), c)) inner = p->input(0);
          else if (p->opType() == "Mul" && scalarOf(p->input(0), c)) inner = p->input(1);
          if (inner && c != 0 && (qk = producerIs(inner, "MatMul")) && singleUse(inner)) {
            scale = p->opType() == "Mul" ? c : 1.0 / c;
            nodes.push_back(p);
          } else {
            qk = nullptr;
          }
        }
      } else if (!singleUse(sc)) {
        qk = nullptr;
      }
      if (!qk) {
        fail("no (scaled) QK^T MatMul feeds the mask");
        continue;
      }
      nodes.push_back(qk);
      Node* ctxMm = sm->output(0)->uses()[0].node;
      if (!ctxMm || ctxMm->opType() != "MatMul" || !singleUse(ctxMm->output(0))) {
        fail("the Softmax does not feed a context MatMul");
        continue;
      }
      Node* ctxT = nullptr;
      Node* ctxR = nullptr;
      if (auto why = parseContextMerge(ctxMm, ctxT, ctxR); !why.empty()) {
        fail(why);
        continue;
      }
      nodes.push_back(ctxMm);
      nodes.push_back(ctxT);
      nodes.push_back(ctxR);
      std::string why;
      Node* rq = headBranch(qk->input(0), false, nodes, why);
      Node* rk = rq ? headBranch(qk->input(1), true, nodes, why) : nullptr;
      Node* rv = rk ? headBranch(ctxMm->input(1), false, nodes, why) : nullptr;
      if (!rv) {
        fail(why);
        continue;
      }
      Node* split = producerIs(rq->input(0), "Split");
      if (!split || split->outputs().size() != 3 || producerIs(rk->input(0), "Split") != split ||
          producerIs(rv->input(0), "Split") != split || rq->input(0) != split->output(0) ||
          rk->input(0) != split->output(1) || rv->input(0) != split->output(2)) {
        fail("Q, K and V are not the three outputs of one Split (in that order)");
        continue;
      }
      if (!std::all_of(split->outputs().begin(), split->outputs().end(), [](Value* o) { return singleUse(o); })) {
        fail("a Split output has another consumer");
        continue;
      }
      Node* add = producerIs(split->input(0), "Add");
      Node* mm = nullptr;
      Value* bias = nullptr;
      if (add && singleUse(split->input(0)))
        for (int side = 0; side < 2; ++side)
          if (Node* m = producerIs(add->input(static_cast<size_t>(side)), "MatMul");
              m && isConstantValue(add->input(static_cast<size_t>(1 - side))) && singleUse(m->output(0))) {
            mm = m;
            bias = add->input(static_cast<size_t>(1 - side));
          }
      if (!mm) {
        fail("the Split is not fed by a packed MatMul + constant bias");
        continue;
      }
      auto wd = constantDims(mm->input(1));
      auto bd = constantDims(bias);
      if (!isConstantValue(mm->input(1)) || wd.size() != 2 || wd[1] % 3 != 0 || bd.size() != 1 || bd[0] != wd[1]) {
        fail("the packed projection is not a constant [hidden, 3*hidden] weight with a [3*hidden] bias");
        continue;
      }
      if (const auto* ax = split->attribute("axis"); !ax || (ax->i() != 2 && ax->i() != -1)) {
        fail("the Split is not along the last axis");
        continue;
      }
      if (split->input(1)) {
        auto parts = constantDoubles(split->input(1));
        if (parts.size() != 3 || parts[0] != parts[1] || parts[1] != parts[2]) {
          fail("the Split parts are not equal");
          continue;
        }
      }
      std::int64_t heads = headsOf(rq);
      if (heads <= 0 || (wd[1] / 3) % heads != 0) {
        fail("cannot read the number of heads from the Reshape shapes");
        continue;
      }
      nodes.push_back(split);
      nodes.push_back(add);
      nodes.push_back(mm);
      for (Node* n : maskChain) nodes.push_back(n);
      // The mask chain may be shared with other layers: only take what only this layer reads.
      std::vector<Node*> owned;
      for (Node* n : nodes) {
        bool inMaskChain = std::find(maskChain.begin(), maskChain.end(), n) != maskChain.end();
        if (inMaskChain && !singleUse(n->output(0))) continue;
        owned.push_back(n);
      }
      auto plan = std::make_shared<CausalPlan>();
      const double headSize = static_cast<double>(wd[1] / 3 / heads);
      plan->heads = heads;
      plan->scale = scale == 0 ? 1.0 : (std::abs(scale * std::sqrt(headSize) - 1.0) < 1e-6 ? 0.0 : scale);
      plan->x = mm->input(0)->id();
      plan->w = mm->input(1)->id();
      plan->b = bias->id();
      plan->output = ctxR->id();
      for (Node* n : owned) plan->remove.push_back(n->id());
      Match m = ruleMatch(*this, ctx, owned, ctxR, "com.microsoft:Attention", 1 - static_cast<int>(owned.size()), plan);
      m.values["x"] = mm->input(0);
      m.values["y"] = ctxR->output(0);
      out.push_back(std::move(m));
    }
  }

  Status apply(Graph& graph, const Match& match, RewriteContext& rctx) const override {
    auto plan = std::static_pointer_cast<CausalPlan>(match.payload);
    if (!plan) return Status(ErrorCode::Internal, name_ + ": match without a plan");
    std::vector<Node*> nodes;
    for (NodeId id : plan->remove) {
      Node* n = graph.findNode(id);
      if (!n) return Status(ErrorCode::InvalidArgument, name_ + ": the matched nodes are gone (stale match)");
      nodes.push_back(n);
    }
    Node* outReshape = graph.findNode(plan->output);
    Value *x = graph.findValueById(plan->x), *w = graph.findValueById(plan->w), *b = graph.findValueById(plan->b);
    if (!outReshape || !x || !w || !b) return Status(ErrorCode::InvalidArgument, name_ + ": the matched values are gone");
    Node* before = nullptr;
    for (Node* n : nodes)
      if (n->opType() == "MatMul" && n->input(0) == x) before = n;
    Graph::NewNode spec;
    spec.opType = "Attention";
    spec.domain = "com.microsoft";
    spec.inputs = {x, w, b};
    Value* oldOut = outReshape->output(0);
    auto outName = takeName(graph, oldOut);
    if (!outName) return outName.status();
    const std::string replacedName = oldOut->name();
    spec.outputNames = {*outName};
    spec.attributes = {intAttr("num_heads", plan->heads), intAttr("unidirectional", 1)};
    if (plan->scale != 0) spec.attributes.push_back(floatAttr("scale", static_cast<float>(plan->scale)));
    ensureDomain(graph, "com.microsoft");
    auto node = rctx.addNode(graph, std::move(spec), before ? before : nodes.front());
    if (!node) return node.status();
    graph.replaceAllUses(oldOut, node.value()->output(0));
    std::vector<std::string> leftovers;
    for (Node* n : nodes)
      for (Value* in : n->inputs())
        if (in) leftovers.push_back(in->name());
    for (Node* n : nodes) graph.eraseNode(n);
    for (const auto& name : leftovers)
      if (Value* v = graph.findValue(name)) dropIfUnused(graph, v);
    dropDangling(graph, replacedName);
    return Status::ok();
  }
};

}  // namespace

void registerAttentionRules(RuleRegistry& registry) {
  registry.add("fuse.attention", [] { return std::make_shared<AttentionRule>(); });
  registry.add("fuse.attention_causal", [] { return std::make_shared<CausalAttentionRule>(); });
}

}  // namespace graft::library
