// Runs a graph in topological order: looks up each node's kernel, frees every tensor after
// its last use, runs subgraphs for control flow, reports progress and honours cancel.
#include <algorithm>
#include <array>
#include <cstring>
#include <chrono>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <onnx/defs/schema.h>
#include <spdlog/spdlog.h>

#include "eval/conv_fusion.h"
#include "eval/fusion.h"
#include "eval/kernel.h"
#include "eval/onednn.h"
#include "eval/linalg.h"
#include "eval/qdq_fusion.h"
#include "eval/onednn_matmul.h"
#include "graft/guard.h"

namespace graft {

using namespace graft::eval;

namespace {

struct Scope {
  std::unordered_map<const Value*, Array> values;
  // Values of `values` held channels-last ([N, H, W, C] bytes) between fused QDQ chains; only
  // chains read them (Plan::layoutFree), and a chain that falls back restores them first.
  std::unordered_set<const Value*> channelsLast;
  const Scope* parent = nullptr;
  const Array* find(const Value* v) const {
    for (const Scope* s = this; s; s = s->parent) {
      auto it = s->values.find(v);
      if (it != s->values.end()) return &it->second;
    }
    return nullptr;
  }
};

struct Plan {
  std::vector<Node*> order;
  // Values of this graph that die after order[i] has run.
  std::vector<std::vector<const Value*>> freeAfter;
  // QDQ convolutions run as QLinearConv (qdq_fusion.h): the chain a Conv at order[i] heads, and
  // the chain whose fused run makes order[i] unnecessary (-1: none).
  std::vector<QdqConv> qdq;
  std::vector<int> qdqAt, qdqSkip;
  // Quantized activations that only fused chains read (each through a DequantizeLinear the chain
  // skips), with those chains: a run in which all of them fuse may keep the value channels-last,
  // so consecutive int8 convolutions pass bytes in the layout the library computes in.
  std::vector<std::pair<const Value*, std::vector<std::size_t>>> layoutFree;
  // Prepare-time fusion (main graph only): chainAt[i] is the chain that runs in place of order[i]
  // (its last member), -2 for the chain's other members, -1 for a node that runs alone; the
  // values die later than unfused (a chain reads its inputs where its last member runs).
  std::vector<FusedChain> chains;
  std::vector<int> chainAt;
  std::vector<std::vector<const Value*>> fusedFreeAfter;
  // The nodes a Conv at order[i] may take over (conv_fusion.h).
  std::vector<ConvFusion> fusions;
};

void collectUses(const Node& node, std::vector<const Value*>& out) {
  for (const Value* v : node.inputs())
    if (v) out.push_back(v);
  for (const auto& sg : node.subgraphs()) {
    sg.graph->forEachNode([&](const Node& inner) { collectUses(inner, out); });
    for (const Value* v : sg.graph->outputs()) out.push_back(v);
  }
}

std::string describeNode(const Node& node) {
  std::string name = node.name();
  if (name.empty()) {
    name = "<unnamed " + node.opType();
    if (!node.outputs().empty() && node.outputs()[0]) name += " producing '" + node.outputs()[0]->name() + "'";
    name += ">";
  }
  std::string op = node.domain().empty() || node.domain() == "ai.onnx" ? node.opType() : node.domain() + ":" + node.opType();
  return "node '" + name + "' (" + op + ")";
}

bool typeMatches(const onnx::TypeProto* t, const Array& a, std::string& why, bool checkShape) {
  if (!t || !t->has_tensor_type()) return true;
  const auto& tt = t->tensor_type();
  if (tt.elem_type() && tt.elem_type() != a.dtype()) {
    why = "element type";
    return false;
  }
  if (!tt.has_shape() || !checkShape) return true;
  if (tt.shape().dim_size() != static_cast<int>(a.rank())) {
    why = "rank";
    return false;
  }
  for (int i = 0; i < tt.shape().dim_size(); ++i) {
    const auto& d = tt.shape().dim(i);
    if (d.has_dim_value() && d.dim_value() != a.dim(static_cast<std::size_t>(i))) {
      why = "dimension " + std::to_string(i);
      return false;
    }
  }
  return true;
}

std::string declaredTypeString(const onnx::TypeProto* t) {
  if (!t || !t->has_tensor_type()) return "?";
  const auto& tt = t->tensor_type();
  std::string s = dtypeName(tt.elem_type());
  if (!tt.has_shape()) return s;
  s += "[";
  for (int i = 0; i < tt.shape().dim_size(); ++i) {
    if (i) s += ",";
    const auto& d = tt.shape().dim(i);
    s += d.has_dim_value() ? std::to_string(d.dim_value()) : (d.dim_param().empty() ? "?" : d.dim_param());
  }
  return s + "]";
}

}  // namespace

struct Evaluator::Impl {
  const Model* model = nullptr;
  std::unordered_map<const Value*, Array> constants;
  std::unordered_map<const Graph*, Plan> plans;
  EvalStats stats;
  std::size_t liveBytes = 0;
  // Freed activations kept for reuse within and across runs (at most 64 MiB idle).
  std::shared_ptr<BufferPool> buffers = std::make_shared<BufferPool>(std::size_t(64) << 20);
  // Constant convolution weights in the kernel library's blocked layouts, packed on first use.
  std::shared_ptr<PackedWeights> packed = makePackedWeights();
  // Constant MatMul/Gemm weights in the matmul primitive's layout, packed on first use.
  std::shared_ptr<PackedMatmulWeights> packedMatmul = makePackedMatmulWeights();
  const EvalOptions* options = nullptr;
  // Bytes of dying inputs runNode handed to a kernel (still live until the node's outputs are counted).
  std::size_t movedBytes = 0;
  bool isExtraOutput(const Value* v) const {
    return options && std::find(options->extraOutputs.begin(), options->extraOutputs.end(), v->name()) != options->extraOutputs.end();
  }
  // Node executions left in this run, subgraph nodes and subgraph runs included: a Loop of 2^62
  // trips ends at the budget instead of never.
  std::uint64_t stepsLeft = ~std::uint64_t(0);
  std::uint64_t stepBudget = ~std::uint64_t(0);
  Status stepsExhausted(const Node& node) const {
    return Status(ErrorCode::Unsupported, describeNode(node) + ": stopped after " + std::to_string(stepBudget) +
                                              " node executions (the evaluator's step budget); a Loop or Scan "
                                              "runs far longer than this model can mean");
  }

  Result<const Plan*> plan(const Graph& g) {
    auto it = plans.find(&g);
    if (it != plans.end()) return &it->second;
    auto order = g.topologicalOrder();
    if (!order) return order.status();
    Plan p;
    p.order = std::move(order.value());
    p.freeAfter.resize(p.order.size());
    std::unordered_map<const Value*, std::size_t> last;
    for (std::size_t i = 0; i < p.order.size(); ++i) {
      std::vector<const Value*> uses;
      collectUses(*p.order[i], uses);
      for (const Value* v : uses)
        if (&v->graph() == &g) last[v] = i;
    }
    std::unordered_set<const Value*> keep(g.outputs().begin(), g.outputs().end());
    for (auto& [v, i] : last)
      if (!keep.count(v) && !v->isInitializer()) p.freeAfter[i].push_back(v);
    p.qdq = planQdqConvs(p.order);
    p.qdqAt.assign(p.order.size(), -1);
    p.qdqSkip.assign(p.order.size(), -1);
    for (std::size_t k = 0; k < p.qdq.size(); ++k) {
      const QdqConv& c = p.qdq[k];
      const int chain = static_cast<int>(k);
      p.qdqAt[c.convAt] = chain;
      if (c.quantizeAt != c.convAt) p.qdqSkip[c.quantizeAt] = chain;
      if (c.relu) p.qdqSkip[c.reluAt] = chain;
      if (c.pool) p.qdqSkip[c.poolAt] = chain;
      for (std::size_t at : c.skippedBefore) p.qdqSkip[at] = chain;
      // Fused, the Conv (or Add) reads the quantized inputs itself: they live until then.
      for (const Value* q : {c.x, c.b})
        for (std::size_t j = 0; q && j < c.convAt; ++j) {
          auto& f = p.freeAfter[j];
          if (auto it = std::find(f.begin(), f.end(), q); it != f.end()) {
            f.erase(it);
            p.freeAfter[c.convAt].push_back(q);
          }
        }
    }
    planLayoutFree(p, g);
    if (&g == &model->graph()) planChains(p, g);
    p.fusions = planConvFusions(p.order);
    // Nodes of a QDQ chain or a prepare-time chain are that chain's (it runs them as written when
    // it cannot fuse).
    for (std::size_t i = 0; i < p.fusions.size(); ++i) {
      ConvFusion& f = p.fusions[i];
      for (std::size_t j : {i, f.add, f.activation})
        if (j != ConvFusion::npos &&
            (p.qdqAt[j] >= 0 || p.qdqSkip[j] >= 0 || (j < p.chainAt.size() && p.chainAt[j] != -1)))
          f = ConvFusion{};
    }
    return &plans.emplace(&g, std::move(p)).first->second;
  }

  static void planLayoutFree(Plan& p, const Graph& g) {
    std::unordered_map<const Node*, std::size_t> at;
    for (std::size_t i = 0; i < p.order.size(); ++i) at[p.order[i]] = i;
    std::unordered_map<const Node*, std::size_t> chainOf;  // head -> chain
    for (std::size_t k = 0; k < p.qdq.size(); ++k) chainOf[p.qdq[k].conv] = k;
    std::unordered_set<const Value*> seen;
    for (const QdqConv& c : p.qdq)
      for (const Value* v : {c.x, c.b}) {
        if (c.matmul) break;  // a MatMul reads its rows in the order written
        if (!v || !seen.insert(v).second || &v->graph() != &g || v->isGraphOutput() || v->isGraphInput() || v->isInitializer() ||
            v->uses().empty())
          continue;
        std::vector<std::size_t> chains;
        bool free = true;
        for (const Use& u : v->uses()) {
          // Each reader a DequantizeLinear (input 0) that chains skip, whose every reader is a
          // chain head reading it as its quantized input.
          const Node* dq = u.node;
          auto pos = at.find(dq);
          free = free && u.index == 0 && pos != at.end() && dq->opType() == "DequantizeLinear" && dq->outputs().size() == 1 &&
                 dq->output(0) && !dq->output(0)->isGraphOutput();
          for (std::size_t j = 0; free && j < dq->output(0)->uses().size(); ++j) {
            const Use& r = dq->output(0)->uses()[j];
            auto k = chainOf.find(r.node);
            free = k != chainOf.end() && !p.qdq[k->second].matmul && readsQuantized(p.qdq[k->second], static_cast<std::size_t>(r.index));
            if (!free) break;
            const auto& skipped = p.qdq[k->second].skippedBefore;
            free = std::find(skipped.begin(), skipped.end(), pos->second) != skipped.end();
            chains.push_back(k->second);
          }
          if (!free) break;
        }
        if (free) p.layoutFree.emplace_back(v, std::move(chains));
      }
  }

  // A scalar behind v known before any run: an initializer or a Constant node's value.
  std::optional<double> scalarOf(const Value* v) const {
    if (!v) return std::nullopt;
    if (auto it = constants.find(v); it != constants.end())
      return it->second.isTensor() && it->second.size() == 1 && it->second.dtype() != kString ? std::optional<double>(readDouble(it->second, 0))
                                                                                             : std::nullopt;
    const Node* n = v->producer();
    if (!n || n->opType() != "Constant" || !(n->domain().empty() || n->domain() == "ai.onnx")) return std::nullopt;
    if (const auto* f = n->attribute("value_float")) return f->f();
    if (const auto* i = n->attribute("value_int")) return static_cast<double>(i->i());
    const auto* t = n->attribute("value");
    if (!t || !t->has_t()) return std::nullopt;
    auto a = arrayFromProto(t->t());
    if (!a || !a.value().isTensor() || a.value().size() != 1 || a.value().dtype() == kString) return std::nullopt;
    return readDouble(a.value(), 0);
  }

  void planChains(Plan& p, const Graph& g) {
    p.chains = findFusedChains(p.order, [this](const Value* v) { return scalarOf(v); }, model->opsetVersion(""));
    std::unordered_map<const Node*, std::size_t> index;
    for (std::size_t i = 0; i < p.order.size(); ++i) index[p.order[i]] = i;
    // Nodes a QDQ convolution chain runs or skips stay with it.
    std::erase_if(p.chains, [&](const FusedChain& c) {
      return std::any_of(c.nodes.begin(), c.nodes.end(), [&](const Node* n) {
        std::size_t i = index.at(n);
        return p.qdqAt[i] >= 0 || p.qdqSkip[i] >= 0;
      });
    });
    if (p.chains.empty()) return;
    p.chainAt.assign(p.order.size(), -1);
    std::vector<std::size_t> at(p.order.size());
    for (std::size_t i = 0; i < p.order.size(); ++i) at[i] = i;
    for (std::size_t k = 0; k < p.chains.size(); ++k) {
      std::size_t lastIndex = 0;
      for (const Node* n : p.chains[k].nodes) lastIndex = std::max(lastIndex, index.at(n));
      for (const Node* n : p.chains[k].nodes) {
        p.chainAt[index.at(n)] = -2;
        at[index.at(n)] = lastIndex;
      }
      p.chainAt[lastIndex] = static_cast<int>(k);
    }
    // A value dies where it died unfused (freeAfter, with the QDQ chains' moves), or later where a
    // chain that reads it runs.
    std::unordered_map<const Value*, std::size_t> death;
    for (std::size_t i = 0; i < p.freeAfter.size(); ++i)
      for (const Value* v : p.freeAfter[i]) death[v] = i;
    for (std::size_t i = 0; i < p.order.size(); ++i) {
      std::vector<const Value*> uses;
      collectUses(*p.order[i], uses);
      for (const Value* v : uses)
        if (&v->graph() == &g)
          if (auto it = death.find(v); it != death.end()) it->second = std::max(it->second, at[i]);
    }
    p.fusedFreeAfter.assign(p.order.size(), {});
    for (auto& [v, i] : death) p.fusedFreeAfter[i].push_back(v);
  }

  // Runs chain k of the plan in place of its members, or (when these arrays do not fit its kernel)
  // the members one by one, dropping the values only the chain used.
  Status runChain(const Plan& p, std::size_t k, Scope& scope) {
    const FusedChain& c = p.chains[k];
    std::vector<Array> inputs(c.inputs.size());
    std::vector<bool> constant(c.inputs.size(), false);
    bool ready = true;
    for (std::size_t i = 0; i < c.inputs.size(); ++i) {
      if (!c.inputs[i]) continue;
      const Array* a = lookup(scope, c.inputs[i]);
      if (!a) {
        ready = false;
        break;
      }
      inputs[i] = *a;
      constant[i] = !scope.find(c.inputs[i]);
    }
    if (ready) {
      Array out;
      Result<bool> handled = false;
      try {
        handled = runFusedChain(c, inputs, constant, out);
      } catch (const ArrayTooLarge& e) {
        handled = Status(ErrorCode::Unsupported, std::string("cannot allocate ") + e.what());
      } catch (const std::bad_alloc&) {
        handled = Status(ErrorCode::Unsupported, "out of memory (the process's memory limit was reached)");
      }
      if (!handled) return Status(handled.status().code(), describeNode(*c.nodes.back()) + " (fused " + c.name() + "): " + handled.message());
      if (handled.value()) {
        liveBytes += out.bytes();
        scope.values[c.output] = std::move(out);
        stats.nodesRun += c.nodes.size();
        stats.nodesFused += c.nodes.size() - 1;
        return Status::ok();
      }
    }
    for (const Node* n : c.nodes) {
      if (auto s = runNode(*n, scope); !s) return s;
      ++stats.nodesRun;
    }
    for (const Node* n : c.nodes)
      for (const Value* v : n->outputs())
        if (v && v != c.output)
          if (auto it = scope.values.find(v); it != scope.values.end()) {
            liveBytes -= std::min(liveBytes, it->second.bytes());
            scope.values.erase(it);
          }
    return Status::ok();
  }

  const Array* lookup(const Scope& scope, const Value* v) const {
    if (const Array* a = scope.find(v)) return a;
    auto it = constants.find(v);
    return it == constants.end() ? nullptr : &it->second;
  }

  // `epilogue`: work of later nodes handed to this node's kernel; when the kernel did it, output 0
  // is stored as `fusedOutput` (the last fused node's output) and *fused is set.
  // `dying`: values of `scope` whose last reader is this node; the node gets them as the only
  // holder (their bytes are counted live until the caller subtracts movedBytes), so an elementwise
  // kernel may write its output in place.
  Status runNode(const Node& node, Scope& scope, const Epilogue* epilogue = nullptr, const Value* fusedOutput = nullptr,
                 bool* fused = nullptr, const std::vector<const Value*>* dying = nullptr) {
    NodeMemo& memo = memoOf(node);
    const KernelInfo* k = memo.kernel;
    if (!k)
      return Status(ErrorCode::Unsupported, describeNode(node) + ": the evaluator has no kernel for op '" + node.opType() +
                                                (node.domain().empty() ? std::string() : "' in domain '" + node.domain()) +
                                                "'; the model cannot be run or folded here");
    std::vector<Array> inputs(node.inputs().size());
    std::int32_t halfType = 0, subByteType = 0;
    std::uint64_t constantMask = 0;
    std::size_t moved = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Value* v = node.inputs()[i];
      if (!v) continue;
      const Array* a = lookup(scope, v);
      if (!a)
        return Status(ErrorCode::Invalid, describeNode(node) + ": input '" + v->name() +
                                              "' has no value (not a graph input, initializer or output of an earlier node)");
      if (i < 64 && !scope.find(v) && a->isTensor()) constantMask |= std::uint64_t(1) << i;
      auto own = scope.values.end();
      // (Not for nodes with subgraphs, which may read the same value from this scope.)
      if (dying && node.subgraphs().empty() && std::find(dying->begin(), dying->end(), v) != dying->end() &&
          std::count(node.inputs().begin(), node.inputs().end(), v) == 1 && !isExtraOutput(v))
        own = scope.values.find(v);
      if (own != scope.values.end()) {
        moved += own->second.bytes();
        inputs[i] = std::move(own->second);
        scope.values.erase(own);
      } else {
        inputs[i] = *a;
      }
      const Array& in = inputs[i];
      if (k->nativeHalf || !in.isTensor()) continue;
      if (isNarrowFloat(in.dtype())) {
        halfType = in.dtype();
        auto c = castArray(in, kFloat);
        if (!c) return c.status();
        inputs[i] = std::move(c.value());
        constantMask &= ~(std::uint64_t(1) << i);  // a fresh widened copy, not the constant's bytes
      } else if (std::int32_t carrier = subByteCarrier(in.dtype())) {
        // 4- and 2-bit integers are int8/uint8 bytes in arrays: the kernel sees those.
        subByteType = in.dtype();
        inputs[i] = in.relabeled(carrier);
      }
    }
    const std::int64_t opset = memo.opset;
    // Kernels index inputs, dims and attribute values as the schema promises them; a model
    // that breaks the promise gets an error here instead of a wild read or write (guard.h).
    if (auto problem = checkAgainstSchema(node, memo, inputs))
      return Status(ErrorCode::Invalid, describeNode(node) + ": " + *problem);
    SubgraphRunner sub = [this, &scope](const Graph& g, const std::vector<Array>& in) -> Result<std::vector<Array>> {
      return runSubgraph(g, in, scope);
    };
    Context ctx(node, std::move(inputs), opset, &sub);
    ctx.setConstantInputs(constantMask);
    if (epilogue && !halfType && !subByteType) ctx.setEpilogue(epilogue);
    Status s;
    try {
      s = k->fn(ctx);
    } catch (const ArrayTooLarge& e) {
      s = Status(ErrorCode::Unsupported, std::string("cannot allocate ") + e.what());
    } catch (const std::bad_alloc&) {
      s = Status(ErrorCode::Unsupported, "out of memory (the process's memory limit was reached)");
    } catch (const std::exception& e) {
      s = Status(ErrorCode::Internal, e.what());
    }
    if (!s) {
      // Errors from nested subgraph nodes already name their node.
      if (s.message().rfind("node '", 0) == 0) return s;
      return Status(s.code(), describeNode(node) + ": " + s.message());
    }
    movedBytes = moved;  // after the kernel, whose subgraphs run nodes of their own
    bool epilogueApplied = ctx.epilogue() && ctx.epilogueApplied();
    if (fused) *fused = epilogueApplied;
    for (std::size_t i = 0; i < node.outputs().size(); ++i) {
      const Value* v = i == 0 && epilogueApplied ? fusedOutput : node.outputs()[i];
      if (!v) continue;
      Array& a = ctx.outputs()[i];
      if (!a.valid())
        return Status(ErrorCode::Unsupported, describeNode(node) + ": output " + std::to_string(i) + " ('" + v->name() +
                                                  "') is not computed by the evaluator");
      if (halfType && a.dtype() == kFloat) {
        auto c = castArray(a, halfType);
        if (!c) return c.status();
        a = std::move(c.value());
      }
      if (subByteType && a.dtype() == subByteCarrier(subByteType)) a = a.relabeled(subByteType);
      liveBytes += a.bytes();
      scope.values[v] = std::move(a);
    }
    return Status::ok();
  }

  // What one node needs on every run, looked up once: its kernel, its domain's opset, its schema,
  // and the input signature (presence, kind, element type and rank of each input) the schema
  // last accepted. The checks compare strings (attribute names, type constraints), and on a
  // Swin Transformer's 1,500 small nodes they were a third of the run; with an unchanged
  // signature they are not repeated.
  struct NodeMemo {
    const KernelInfo* kernel = nullptr;
    std::int64_t opset = 0;
    const onnx::OpSchema* schema = nullptr;
    std::vector<std::int64_t> accepted;
    bool hasAccepted = false;
  };
  std::unordered_map<const Node*, NodeMemo> memos;
  NodeMemo& memoOf(const Node& node) {
    auto it = memos.find(&node);
    if (it != memos.end()) return it->second;
    NodeMemo m;
    m.kernel = findKernel(node.domain(), node.opType());
    m.opset = model->opsetVersion(node.domain());
    // An op the model's opset does not have yet (Trilu at opset 13) still runs on its kernel,
    // so it is checked against the newest schema there is rather than not at all.
    m.schema = findSchema(node.opType(), node.domain(), m.opset);
    if (!m.schema) m.schema = findSchema(node.opType(), node.domain(), std::int64_t(1) << 20);
    return memos.emplace(&node, std::move(m)).first->second;
  }

  // Each elementwise QDQ chain's table (by its op), made on its first fused run; empty when the
  // nodes as written would not give one (the chain then runs them). A unary chain maps each byte
  // (256 entries), a Mul chain each pair of bytes (a << 8 | b: 65,536 entries).
  struct ByteTable {
    std::int32_t type = 0;
    std::vector<std::uint8_t> bytes;
  };
  std::unordered_map<const Node*, std::optional<ByteTable>> byteTables;
  const ByteTable* byteTable(const QdqConv& c, const Scope& scope) {
    if (auto it = byteTables.find(c.conv); it != byteTables.end()) return it->second ? &*it->second : nullptr;
    std::optional<ByteTable>& made = byteTables[c.conv];
    // Every node as written, on all the byte values: the kernels an unfused run calls, so the
    // table holds their bytes (each computes an element from its elements alone).
    auto run = [&](const Node& n, std::vector<Array> in) -> std::optional<Array> {
      for (std::size_t k = in.size(); k < n.inputs().size(); ++k) {
        const Array* a = n.input(k) ? lookup(scope, n.input(k)) : nullptr;
        in.push_back(a ? *a : Array());
      }
      NodeMemo& memo = memoOf(n);
      // A node its schema refuses gives no table: the nodes then run and report it.
      if (!memo.kernel || checkAgainstSchema(n, memo, in)) return std::nullopt;
      Context ctx(n, std::move(in), memo.opset, nullptr);
      try {
        if (!memo.kernel->fn(ctx) || ctx.outputs().empty() || !ctx.outputs()[0].valid()) return std::nullopt;
      } catch (const std::exception&) {
        return std::nullopt;
      }
      return std::move(ctx.outputs()[0]);
    };
    const std::int64_t entries = c.mul ? 65536 : 256;
    // The bytes of one quantized input: for a pair table, x is the high byte of the index.
    auto bytes = [&](const Value* zero, int shift) {
      const Array* z = zero ? lookup(scope, zero) : nullptr;
      Array a = Array::uninitialized(z ? z->dtype() : onnx::TensorProto_DataType_UINT8, {entries});
      for (std::int64_t i = 0; i < entries; ++i) static_cast<std::uint8_t*>(a.raw())[i] = static_cast<std::uint8_t>(i >> shift);
      return a;
    };
    std::optional<Array> v = run(*c.conv->input(0)->producer(), {bytes(c.xZero, c.mul ? 8 : 0)});
    if (v && c.mul) {
      std::optional<Array> w = run(*c.conv->input(1)->producer(), {bytes(c.bZero, 0)});
      v = w ? run(*c.conv, {std::move(*v), std::move(*w)}) : std::nullopt;
    } else if (v) {
      v = run(*c.conv, {std::move(*v)});
    }
    if (v && c.relu) v = run(*c.conv->output(0)->uses()[0].node, {std::move(*v)});
    if (v) v = run(*c.y->producer(), {std::move(*v)});
    if (v && v->isTensor() && v->size() == entries && v->elementSize() == 1 &&
        (v->dtype() == onnx::TensorProto_DataType_UINT8 || v->dtype() == onnx::TensorProto_DataType_INT8)) {
      made.emplace();
      made->type = v->dtype();
      const auto* p = static_cast<const std::uint8_t*>(v->raw());
      made->bytes.assign(p, p + entries);
    }
    return made ? &*made : nullptr;
  }

  // A Mul chain of an image [N, C, H, W] (channels-last: [N, H, W, C]) and one value per image
  // and channel ([1 or N, C, 1, 1]; [., 1, 1, C]), either way round: each (image, channel) has one
  // other byte, so a row of 256 bytes of the pair table maps the image's bytes there. False when
  // the shapes are not that.
  bool scaleChannels(const QdqConv& c, const Scope& scope, const Array& x, const Array& b, bool channelsLast, Array& y) {
    const bool xBig = x.size() >= b.size();
    const Array &big = xBig ? x : b, &small = xBig ? b : x;
    if (big.rank() != 4 || small.rank() != 4) return false;
    const std::size_t cAxis = channelsLast ? 3 : 1;
    const std::int64_t N = big.dim(0), C = big.dim(cAxis);
    for (std::size_t d = 1; d < 4; ++d)
      if (small.dim(d) != (d == cAxis ? C : 1)) return false;
    if (small.dim(0) != 1 && small.dim(0) != N) return false;
    const ByteTable* table = byteTable(c, scope);
    if (!table) return false;
    y = Array::uninitialized(table->type, big.shape());
    const auto* in = static_cast<const std::uint8_t*>(big.raw());
    const auto* ps = static_cast<const std::uint8_t*>(small.raw());
    auto* out = static_cast<std::uint8_t*>(y.raw());
    const std::uint8_t* pair = table->bytes.data();
    const std::int64_t plane = big.size() / std::max<std::int64_t>(1, N * C);
    const unsigned bigShift = xBig ? 8 : 0, smallShift = xBig ? 0 : 8;
    auto smallOf = [&](std::int64_t n, std::int64_t ch) { return unsigned(ps[(small.dim(0) == 1 ? 0 : n) * C + ch]) << smallShift; };
    if (!channelsLast && plane >= 1024) {
      // Large planes: the plane's row of the pair table (256 bytes), applied 64 bytes a step.
      parallelFor(N * C, std::max<std::int64_t>(1, (1 << 15) / plane), [&](std::int64_t p0, std::int64_t p1) {
        std::array<std::uint8_t, 256> row;
        for (std::int64_t p = p0; p < p1; ++p) {
          const unsigned s = smallOf(p / C, p % C);
          for (unsigned v = 0; v < 256; ++v) row[v] = pair[(v << bigShift) | s];
          mapBytes(in + p * plane, out + p * plane, plane, row.data());
        }
      });
    } else if (!channelsLast) {
      parallelFor(N * C, std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(1, plane)), [&](std::int64_t p0, std::int64_t p1) {
        for (std::int64_t p = p0; p < p1; ++p) {
          const unsigned s = smallOf(p / C, p % C);
          for (std::int64_t i = p * plane; i < (p + 1) * plane; ++i) out[i] = pair[(unsigned(in[i]) << bigShift) | s];
        }
      });
    } else {
      // Channels-last: each pixel's C bytes against the image's C small bytes, from the pair table.
      parallelFor(N * plane, std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(1, C)), [&](std::int64_t p0, std::int64_t p1) {
        for (std::int64_t p = p0; p < p1; ++p) {
          const std::int64_t n = p / plane;
          for (std::int64_t ch = 0; ch < C; ++ch) out[p * C + ch] = pair[(unsigned(in[p * C + ch]) << bigShift) | smallOf(n, ch)];
        }
      });
    }
    return true;
  }

  // Whether a quantized input holds the bytes its DequantizeLinear expects (the zero point's type).
  bool quantizedAs(const Array& a, const Value* zero, const Scope& scope) const {
    return a.isTensor() && a.elementSize() == 1 && a.dtype() == (zero ? lookup(scope, zero)->dtype() : onnx::TensorProto_DataType_UINT8);
  }

  // The schema check of one node with the arrays it is about to get.
  std::optional<std::string> checkAgainstSchema(const Node& node, NodeMemo& memo, const std::vector<Array>& inputs) {
    if (!memo.schema) return std::nullopt;
    std::vector<std::int64_t> signature;
    signature.reserve(inputs.size());
    for (const Array& a : inputs)
      signature.push_back(!a.valid() ? -1
                                     : (static_cast<std::int64_t>(a.rank()) << 24) | (static_cast<std::int64_t>(a.dtype()) << 4) |
                                           (a.isTensor() ? 1 : a.isSequence() ? 2 : a.isOptional() ? 3 : 0));
    if (memo.hasAccepted && signature == memo.accepted) return std::nullopt;
    NodeShape ns;
    ns.node = &node.proto();
    ns.inputCount = inputs.size();
    ns.outputCount = node.outputs().size();
    ns.inputPresent = [&](std::size_t i) { return inputs[i].valid(); };
    ns.inputRank = [&](std::size_t i) { return inputs[i].valid() ? static_cast<int>(inputs[i].rank()) : -1; };
    if (auto problem = checkNodeAgainstSchema(ns, *memo.schema)) return problem;
    if (auto problem = checkSharedTypes(*memo.schema, inputs)) return problem;
    memo.accepted = std::move(signature);
    memo.hasAccepted = true;
    return std::nullopt;
  }

  static std::optional<std::string> kindProblem(const onnx::OpSchema::FormalParameter& formal, const Array& input) {
    bool tensor = false, sequence = false, optional = false;
    auto note = [&](const std::string& t) {
      tensor = tensor || t.rfind("tensor(", 0) == 0 || t.rfind("sparse_tensor(", 0) == 0;
      sequence = sequence || t.rfind("seq(", 0) == 0;
      optional = optional || t.rfind("optional(", 0) == 0;
    };
    for (const auto* t : formal.GetTypes())
      if (t) note(*t);
    if (!tensor && !sequence && !optional) return std::nullopt;  // a type the check does not know
    if (input.isTensor() && !tensor) return std::string("a tensor, but the op takes a sequence or an optional there");
    if (input.isSequence() && !sequence) return std::string("a sequence, but the op takes a tensor there");
    if (input.isOptional() && !optional && !sequence && !tensor) return std::string("an optional");
    if (input.isOptional() && !optional) return std::string("an optional, but the op takes no optional there");
    return std::nullopt;
  }

  // Inputs the schema gives one type variable (Gemm's A, B and C are all T) must have one
  // element type: kernels read them all as that type, so an int8 C in a float Gemm would be
  // read four bytes per element past its buffer.
  static std::optional<std::string> checkSharedTypes(const onnx::OpSchema& schema, const std::vector<Array>& inputs) {
    const auto& formals = schema.inputs();
    if (formals.empty()) return std::nullopt;
    std::map<std::string, std::size_t> first;  // type string -> first input index with it
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const bool pastFormals = i >= formals.size();
      const auto& f = formals[std::min(i, formals.size() - 1)];
      if (pastFormals && f.GetOption() != onnx::OpSchema::Variadic) break;
      if (!inputs[i].valid()) continue;
      // A sequence where the schema takes only tensors (Mul of a SequenceEmpty) has no buffer
      // for the kernel to read, and the reverse has no items.
      if (auto kind = kindProblem(f, inputs[i]))
        return "input " + std::to_string(i) + " ('" + f.GetName() + "') is " + *kind;
      if (f.GetOption() == onnx::OpSchema::Variadic && !f.GetIsHomogeneous()) continue;
      if (!inputs[i].isTensor()) continue;
      auto [at, inserted] = first.emplace(f.GetTypeStr(), i);
      if (inserted || inputs[at->second].dtype() == inputs[i].dtype()) continue;
      return "inputs " + std::to_string(at->second) + " and " + std::to_string(i) + " must have the same element type (" +
             f.GetTypeStr() + ") but are " + formatArrayType(inputs[at->second]) + " and " + formatArrayType(inputs[i]);
    }
    return std::nullopt;
  }

  // A Constant, or a layout op (slicing, transposing, reshaping, gathering, casting) of constants,
  // or the DequantizeLinear of a QDQ model's quantized weights: its outputs are the same on every
  // run, so the first run keeps them with the constants (and they count as constants for the
  // kernels, so convolutions can pack weights made this way). A 4-bit blocked QDQ GPT decoder
  // dequantized its 10M weights on every run: 187 ms where its float original takes 35.
  // Exported attention often slices its packed projection weights out of a Constant on every run
  // (ViT-B/16: a copy of 85 MB and 36 slices per run). Not done for initializers the caller may
  // override, nor when every value must be observed or kept.
  bool derivesFromConstants(const Node& node, const Scope& scope) const {
    static const std::unordered_set<std::string_view> kOps = {"Constant", "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
                                                              "Transpose", "Slice", "Split", "Concat", "Gather", "Shape", "Cast",
                                                              "DequantizeLinear"};
    if (!node.domain().empty() || !kOps.count(node.opType()) || !node.subgraphs().empty()) return false;
    for (const Value* v : node.inputs())
      if (v && (scope.find(v) || !constants.count(v) || v->isGraphInput())) return false;
    return true;
  }

  // Whether this run may fuse the chain: not when it must see one of the values fusing skips.
  bool fusing(const QdqConv& c, bool main) const {
    if (!options) return true;
    if (!options->fuse || options->observe || options->keepAllValues) return false;
    if (!main || options->extraOutputs.empty()) return true;
    for (const Value* v : qdqIntermediates(c))
      if (std::find(options->extraOutputs.begin(), options->extraOutputs.end(), v->name()) != options->extraOutputs.end()) return false;
    return true;
  }

  // Stores a fused chain's output, channels-last or not.
  void storeQuantized(Scope& scope, const Value* v, Array y, bool channelsLast) {
    liveBytes += y.bytes();
    scope.values[v] = std::move(y);
    if (channelsLast)
      scope.channelsLast.insert(v);
    else
      scope.channelsLast.erase(v);
  }

  // An elementwise chain's output: in its inputs' layout where only chains read it (lastOk),
  // else turned back to NC<spatial> order.
  void storeElementwise(Scope& scope, const Value* v, Array y, bool inputsLast, const std::unordered_set<const Value*>& lastOk) {
    const bool last = inputsLast && lastOk.count(v) > 0;
    storeQuantized(scope, v, inputsLast && !last ? bytesToChannelsFirst(y) : std::move(y), last);
  }

  // A value held channels-last back in NC<spatial> order (before anything but a fused chain reads it).
  static void restoreChannelsFirst(Scope& scope, const Value* v) {
    if (!v || !scope.channelsLast.erase(v)) return;
    auto it = scope.values.find(v);
    if (it != scope.values.end()) it->second = bytesToChannelsFirst(it->second);
  }

  // The chain as one QLinearConv on the bytes; false when it does not apply to these arrays (the
  // caller then runs the chain's nodes as written, which also gives their own errors, after
  // restoring its inputs' layout). `lastOk`: the values this run may hold channels-last.
  bool runFusedQdqConv(const QdqConv& c, Scope& scope, const std::unordered_set<const Value*>& lastOk) {
    const Array* x = lookup(scope, c.x);
    if (!x) return false;
    auto constant = [&](const Value* v) { return lookup(scope, v); };
    bool xLast = scope.channelsLast.count(c.x) > 0;
    if (c.matmul) {
      Array y;
      try {
        if (xLast || !runQdqMatMul(c, *x, constant, y)) return false;
      } catch (const std::exception&) {
        return false;
      }
      storeQuantized(scope, c.y, std::move(y), false);
      return true;
    }
    if (c.add) {
      const Array* b = lookup(scope, c.b);
      if (!b) return false;
      // Elementwise: any layout, as long as both inputs share it.
      const bool bLast = scope.channelsLast.count(c.b) > 0;
      Array converted;
      if (xLast != bLast) {
        const Array& first = xLast ? *b : *x;
        if (first.rank() != 4 || first.elementSize() != 1) return false;
        converted = bytesToChannelsLast(first);
        (xLast ? b : x) = &converted;
      }
      Array y;
      if (c.mul) {
        // Two same-shaped byte tensors through the pair table, or an image times one value per
        // image and channel (squeeze-and-excitation).
        if (!quantizedAs(*x, c.xZero, scope) || !quantizedAs(*b, c.bZero, scope)) return false;
        if (x->shape() != b->shape()) {
          if (!scaleChannels(c, scope, *x, *b, xLast || bLast, y)) return false;
          storeElementwise(scope, c.y, std::move(y), xLast || bLast, lastOk);
          return true;
        }
        const ByteTable* table = byteTable(c, scope);
        if (!table) return false;
        y = Array::uninitialized(table->type, x->shape());
        // b = unary(x) (the SiLU): y[i] = pair[x[i], unary[x[i]]], one table of 256 on x. The
        // unary chain's table exists once that chain has run fused; b holds its bytes either way.
        const auto *pa = static_cast<const std::uint8_t*>(x->raw()), *pb = static_cast<const std::uint8_t*>(b->raw());
        auto* out = static_cast<std::uint8_t*>(y.raw());
        if (auto u = c.bFromUnary ? byteTables.find(c.bFromUnary) : byteTables.end(); u != byteTables.end() && u->second) {
          std::array<std::uint8_t, 256> composed;
          for (unsigned v = 0; v < 256; ++v) composed[v] = table->bytes[(v << 8) | u->second->bytes[v]];
          parallelFor(x->size(), 1 << 16, [&](std::int64_t s0, std::int64_t s1) { mapBytes(pa + s0, out + s0, s1 - s0, composed.data()); });
        } else {
          const std::uint8_t* t = table->bytes.data();
          parallelFor(x->size(), 1 << 15, [&](std::int64_t s0, std::int64_t s1) {
            for (std::int64_t i = s0; i < s1; ++i) out[i] = t[(static_cast<unsigned>(pa[i]) << 8) | pb[i]];
          });
        }
      } else if (!runQdqAdd(c, *x, *b, constant, y)) {
        return false;
      }
      storeElementwise(scope, c.y, std::move(y), xLast || bLast, lastOk);
      return true;
    }
    if (c.unary) {
      if (!quantizedAs(*x, c.xZero, scope)) return false;
      const ByteTable* table = byteTable(c, scope);
      if (!table) return false;
      Array y = Array::uninitialized(table->type, x->shape());
      const auto* in = static_cast<const std::uint8_t*>(x->raw());
      auto* out = static_cast<std::uint8_t*>(y.raw());
      parallelFor(x->size(), 1 << 16, [&](std::int64_t b, std::int64_t e) { mapBytes(in + b, out + b, e - b, table->bytes.data()); });
      storeElementwise(scope, c.y, std::move(y), xLast, lastOk);
      return true;
    }
    const NodeMemo& memo = memoOf(*c.conv);
    const std::int64_t opset = memo.opset;
    if (x->isTensor() && x->rank() == 4 && x->elementSize() == 1 && (xLast || lastOk.count(c.x) || lastOk.count(c.y) || c.pool) &&
        onednnInt8Available()) {
      // Channels-last on the kernel library: the input converted once (kept so when only chains
      // read it), the output kept so when only chains read it.
      Array converted;
      if (!xLast) converted = bytesToChannelsLast(*x);
      Array y, pooled;
      if (runQdqConvChannelsLast(c, xLast ? *x : converted, memo, constant, y) &&
          (!c.pool || maxPoolBytesChannelsLast(*c.pool, y, pooled))) {
        if (c.pool) y = std::move(pooled);
        if (!xLast && lastOk.count(c.x)) {
          scope.values[c.x] = std::move(converted);
          scope.channelsLast.insert(c.x);
        }
        const bool last = lastOk.count(c.y) > 0;
        storeQuantized(scope, c.y, last ? std::move(y) : bytesToChannelsFirst(y), last);
        return true;
      }
    }
    if (xLast) {
      restoreChannelsFirst(scope, c.x);
      x = lookup(scope, c.x);
    }
    if (c.pool) return false;  // only the channels-last form pools the bytes
    // An int32 bias (or none): QLinearConv, ONNX Runtime's fused form. A float bias: the exact
    // int32 sums of ConvInteger, finished in float as the Conv and QuantizeLinear would.
    const bool integerForm = !c.floatBias;
    auto inputs = integerForm ? qdqConvInputs(c, *x, constant) : qdqConvIntegerInputs(c, *x, constant);
    if (inputs.empty()) return false;
    std::vector<int> ranks{static_cast<int>(inputs[0].rank()), static_cast<int>(inputs[integerForm ? 3 : 1].rank())};
    if (integerForm && inputs.size() > 8) ranks.push_back(static_cast<int>(inputs[8].rank()));
    if (!passesConvChecks(c, memo, ranks)) return false;
    if (!integerForm) {
      // A float-bias chain on the kernel library's int8 convolution with its own requantization
      // (AMX/VNNI), writing the bytes directly: within a step of the float chain as written.
      std::vector<float> scale, bias;
      std::int32_t yZero = 0;
      bool yUnsigned = true;
      Array y;
      Context shapeOnly(*c.conv, {}, opset, nullptr);
      try {
        if (qdqLibraryRequantization(c, constant, scale, bias, yZero, yUnsigned) &&
            convolveInteger8LibraryRequantized(shapeOnly, inputs[0], static_cast<std::int32_t>(readIndex(inputs[2], 0)), inputs[1], true,
                                               scale, bias, yZero, yUnsigned, c.relu, y)) {
          storeQuantized(scope, c.y, std::move(y), false);
          return true;
        }
      } catch (const std::exception&) {
        // falls through to the exact sums below
      }
    }
    static const KernelInfo* qlinearConv = findKernel("", "QLinearConv");
    static const KernelInfo* convInteger = findKernel("", "ConvInteger");
    const KernelInfo* kernel = integerForm ? qlinearConv : convInteger;
    if (!kernel) return false;
    Array yZero = c.yZero ? *lookup(scope, c.yZero) : Array(onnx::TensorProto_DataType_UINT8, {});
    Context ctx(*c.conv, std::move(inputs), opset, nullptr);
    ctx.setConstantInputs(~std::uint64_t(1));  // all but x are the model's fixed initializers
    Array y;
    try {
      if (!kernel->fn(ctx) || !ctx.outputs()[0].valid()) return false;
      y = integerForm ? std::move(ctx.outputs()[0]) : quantizeConvSums(ctx.outputs()[0], c, constant);
    } catch (const std::exception&) {
      return false;
    }
    if (c.relu && integerForm) applyQuantizedRelu(y, yZero);
    storeQuantized(scope, c.y, std::move(y), false);
    return true;
  }

  // The Conv's own checks (arity, ranks, attribute ranges) for a fused chain whose arrays have
  // these ranks; not its rule that x and w share one float type, which the fused forms replace.
  static bool passesConvChecks(const QdqConv& c, const NodeMemo& memo, const std::vector<int>& ranks) {
    if (!memo.schema) return true;
    NodeShape ns;
    ns.node = &c.conv->proto();
    ns.inputCount = ranks.size();
    ns.outputCount = 1;
    ns.inputPresent = [](std::size_t) { return true; };
    ns.inputRank = [&](std::size_t i) { return ranks[i]; };
    return !checkNodeAgainstSchema(ns, *memo.schema);
  }

  // A 2-D chain on channels-last bytes x through the kernel library, into channels-last y: the
  // library's requantization for a float bias, QLinearConv's exact one for an int32 bias.
  bool runQdqConvChannelsLast(const QdqConv& c, const Array& x, const NodeMemo& memo, const std::function<const Array*(const Value*)>& constant,
                              Array& y) {
    const Array* xZeroArray = c.xZero ? constant(c.xZero) : nullptr;
    const std::int32_t xType = xZeroArray ? xZeroArray->dtype() : onnx::TensorProto_DataType_UINT8;
    if (x.dtype() != xType) return false;
    const Array& w = *constant(c.w);
    if (w.rank() != 4) return false;
    if (!passesConvChecks(c, memo, {4, 4})) return false;
    std::vector<float> scale, bias;
    Int8Requantize q;
    q.relu = c.relu;
    if (c.floatBias || !c.bias) {
      if (!qdqLibraryRequantization(c, constant, scale, bias, q.yZero, q.yUnsigned)) return false;
      q.scale = scale.data();
      q.bias = bias.data();
    } else {
      qdqExactRequantization(c, constant, scale, q.intBias, q.yZero, q.yUnsigned);
      q.multiplier = scale.data();
    }
    Context shapeOnly(*c.conv, {}, memo.opset, nullptr);
    const std::int32_t xZero = xZeroArray ? static_cast<std::int32_t>(readIndex(*xZeroArray, 0)) : 0;
    try {
      return convolveInteger8ChannelsLast(shapeOnly, x, xZero, w, true, q, y);
    } catch (const std::exception&) {
      return false;
    }
  }

  void freeDying(const Plan& pl, std::size_t i, Scope& scope, bool main, bool chained) {
    for (const Value* v : (chained ? pl.fusedFreeAfter : pl.freeAfter)[i]) {
      auto it = scope.values.find(v);
      if (it == scope.values.end()) continue;
      if (main && options && std::find(options->extraOutputs.begin(), options->extraOutputs.end(), v->name()) !=
                                 options->extraOutputs.end())
        continue;
      liveBytes -= std::min(liveBytes, it->second.bytes());
      scope.values.erase(it);
    }
  }

  // Whether this run may fuse the Conv at pl.order[i] with the nodes after it: not when every value
  // is observed or kept, nor when a value the fusion never computes was asked for.
  bool mayFuse(const Plan& pl, std::size_t i, bool main) const {
    if (!main || !options) return true;
    if (!options->fuse || options->observe || options->keepAllValues) return false;
    const ConvFusion& f = pl.fusions[i];
    for (std::size_t j : {i, f.add})
      if (j != ConvFusion::npos && j != f.last())
        for (const Value* v : pl.order[j]->outputs())
          if (v && std::find(options->extraOutputs.begin(), options->extraOutputs.end(), v->name()) != options->extraOutputs.end())
            return false;
    return true;
  }

  Status runGraph(const Graph& g, Scope& scope, bool main) {
    auto p = plan(g);
    if (!p) return p.status();
    const Plan& pl = *p.value();
    std::size_t n = pl.order.size();
    // Chains fused in this run (checked at their Conv: the skipped nodes come before and after it).
    std::vector<char> fused(pl.qdq.size(), 0);
    for (std::size_t k = 0; k < pl.qdq.size(); ++k) fused[k] = fusing(pl.qdq[k], main);
    // The values this run may hold channels-last: all their readers fuse, none was asked for.
    std::unordered_set<const Value*> lastOk;
    for (const auto& [v, chains] : pl.layoutFree)
      if (std::all_of(chains.begin(), chains.end(), [&](std::size_t k) { return fused[k] != 0; }) &&
          !(main && options && std::find(options->extraOutputs.begin(), options->extraOutputs.end(), v->name()) != options->extraOutputs.end()))
        lastOk.insert(v);
    const bool chained = main && !pl.chains.empty() && options && options->fuse && !options->observe &&
                         !options->keepAllValues && options->extraOutputs.empty();
    std::vector<char> done;  // nodes a fused float Conv already computed in this run
    for (std::size_t i = 0; i < n; ++i) {
      const Node& node = *pl.order[i];
      if (chained && pl.chainAt[i] == -2) continue;  // a chain member: the chain runs at its last node
      if (pl.qdqSkip[i] >= 0 && fused[static_cast<std::size_t>(pl.qdqSkip[i])]) {
        const QdqConv& c = pl.qdq[static_cast<std::size_t>(pl.qdqSkip[i])];
        // The DequantizeLinear nodes before the Conv wait for it (it runs them if it cannot
        // fuse); the Relu and QuantizeLinear after it were done by the fused Conv, or run here.
        if (i > c.convAt && !scope.values.count(c.y)) {
          if (auto s = runNode(node, scope); !s) return s;
        } else if (i > c.convAt) {
          ++stats.nodesFused;
        }
        ++stats.nodesRun;
        freeDying(pl, i, scope, main, chained);
        continue;
      }
      if (pl.qdqAt[i] >= 0 && fused[static_cast<std::size_t>(pl.qdqAt[i])]) {
        const QdqConv& c = pl.qdq[static_cast<std::size_t>(pl.qdqAt[i])];
        if (!runFusedQdqConv(c, scope, lastOk)) {
          // Not for these arrays: the skipped DequantizeLinear nodes run now, then the Conv
          // below, and the Relu and QuantizeLinear at their places (they see y missing).
          restoreChannelsFirst(scope, c.x);
          restoreChannelsFirst(scope, c.b);
          for (std::size_t at : c.skippedBefore)
            if (auto s = runNode(*pl.order[at], scope); !s) return s;
        } else {
          ++stats.nodesRun;
          // A DequantizeLinear two chains skip (read by both) counts once, for the chain that owns it.
          for (std::size_t at : c.skippedBefore) stats.nodesFused += pl.qdqSkip[at] == pl.qdqAt[i];
          stats.peakBytes = std::max(stats.peakBytes, liveBytes);
          freeDying(pl, i, scope, main, chained);
          continue;
        }
      }
      if (main && options && !reportProgress(options->progress, static_cast<double>(i) / static_cast<double>(n), node.name()))
        return Status(ErrorCode::Cancelled, "evaluation cancelled before " + describeNode(node));
      if (stepsLeft == 0) return stepsExhausted(node);
      --stepsLeft;
      // A long Loop in the main graph would otherwise not see a cancel until it ends.
      if (!main && options && options->progress && (stepsLeft & 0xfff) == 0 &&
          !options->progress(-1, "running a subgraph"))
        return Status(ErrorCode::Cancelled, "evaluation cancelled in " + describeNode(node));
      bool keep = main && options && !options->observe && !options->keepAllValues && derivesFromConstants(node, scope);
      if (keep && std::all_of(node.outputs().begin(), node.outputs().end(), [&](const Value* v) { return !v || constants.count(v); })) {
        ++stats.nodesRun;  // computed by an earlier run
        continue;
      }
      if (chained && pl.chainAt[i] >= 0) {
        if (auto s = runChain(pl, static_cast<std::size_t>(pl.chainAt[i]), scope); !s) return s;
        stats.peakBytes = std::max(stats.peakBytes, liveBytes);
        freeDying(pl, i, scope, main, chained);
        continue;
      }
      if (!done.empty() && done[i]) {
        ++stats.nodesRun;
        if (!(main && options && options->keepAllValues)) freeDying(pl, i, scope, main, chained);
        continue;
      }
      const ConvFusion& fusion = pl.fusions[i];
      Epilogue epilogue;
      bool fuse = fusion.any() && mayFuse(pl, i, main) && !node.inputs().empty() && node.inputs()[0] &&
                  makeEpilogue(fusion, pl.order, [&](const Value* v) { return lookup(scope, v); },
                               model->opsetVersion(""), epilogue);
      if (fuse) {
        const Array* x = lookup(scope, node.inputs()[0]);
        fuse = x && x->isTensor() && x->dtype() == kFloat;
      }
      bool convFused = false;
      const bool keepAll = main && options && options->keepAllValues;
      movedBytes = 0;
      if (auto s = runNode(node, scope, fuse ? &epilogue : nullptr, fuse ? pl.order[fusion.last()]->outputs()[0] : nullptr,
                           &convFused, keepAll ? nullptr : &(chained ? pl.fusedFreeAfter : pl.freeAfter)[i]);
          !s)
        return s;
      if (convFused) {
        done.resize(n, 0);
        for (std::size_t j : {fusion.add, fusion.activation})
          if (j != ConvFusion::npos) {
            done[j] = 1;
            ++stats.nodesFused;
          }
      }
      if (keep)
        for (const Value* v : node.outputs())
          if (auto it = v ? scope.values.find(v) : scope.values.end(); it != scope.values.end()) {
            liveBytes -= std::min(liveBytes, it->second.bytes());
            constants[v] = std::move(it->second);
            scope.values.erase(it);
          }
      if (main && options && options->observe)
        for (const Value* v : node.outputs())
          if (v)
            if (auto it = scope.values.find(v); it != scope.values.end()) options->observe(*v, it->second);
      ++stats.nodesRun;
      stats.peakBytes = std::max(stats.peakBytes, liveBytes);
      liveBytes -= std::min(liveBytes, movedBytes);
      if (main && options && options->keepAllValues) continue;
      freeDying(pl, i, scope, main, chained);
    }
    return Status::ok();
  }

  Result<std::vector<Array>> runSubgraph(const Graph& g, const std::vector<Array>& inputs, const Scope& parent) {
    if (stepsLeft == 0)
      return Status(ErrorCode::Unsupported, "stopped after " + std::to_string(stepBudget) +
                                                " node executions (the evaluator's step budget) in a subgraph");
    --stepsLeft;
    Scope scope;
    scope.parent = &parent;
    const auto& gi = g.inputs();
    for (std::size_t i = 0; i < gi.size() && i < inputs.size(); ++i) scope.values[gi[i]] = inputs[i];
    std::size_t before = liveBytes;
    if (auto s = runGraph(g, scope, false); !s) return s;
    std::vector<Array> out;
    for (const Value* v : g.outputs()) {
      const Array* a = lookup(scope, v);
      if (!a) return Status(ErrorCode::Invalid, "subgraph output '" + v->name() + "' has no value");
      out.push_back(*a);
    }
    liveBytes = before;
    return out;
  }
};

namespace {
// What run() returns may outlive the model (or see it edited): values that are a weight passed
// through (Identity, Reshape, a graph output that is an initializer) get their own bytes.
Array ownedCopy(const Array& a) { return a.isBorrowed() ? a.clone() : a; }
}  // namespace

Evaluator::Evaluator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Evaluator::~Evaluator() = default;

Result<std::unique_ptr<Evaluator>> Evaluator::create(const Model& model) {
  ensureKernelsRegistered();
  auto impl = std::make_unique<Impl>();
  impl->model = &model;
  Status failed;
  model.forEachGraph([&](const Graph& g) {
    if (!failed) return;
    for (const Value* v : g.initializers()) {
      if (!v->initializer()) continue;
      // Weights are used in place (the evaluator lives no longer than the model it runs):
      // copying them would double the memory a run needs.
      auto a = arrayViewOfTensor(*v->initializer());
      if (!a) {
        failed = Status(a.status().code(), "initializer '" + v->name() + "': " + a.message());
        return;
      }
      impl->constants[v] = std::move(a.value());
    }
  });
  if (!failed) return failed;
  auto p = impl->plan(model.graph());
  if (!p) return p.status();
  return std::unique_ptr<Evaluator>(new Evaluator(std::move(impl)));
}

const EvalStats& Evaluator::lastStats() const { return impl_->stats; }

std::vector<std::pair<std::string, std::string>> Evaluator::fusedChains() const {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = impl_->plans.find(&impl_->model->graph());
  if (it != impl_->plans.end())
    for (const FusedChain& c : it->second.chains) out.emplace_back(c.nodes.back()->name(), c.name());
  return out;
}

Result<NamedArrays> Evaluator::run(const NamedArrays& inputs, const EvalOptions& options) {
  auto start = std::chrono::steady_clock::now();
  setThreads(options.threads);
  setOnednnRequested(!options.referenceKernels);
  Impl& im = *impl_;
  refreshMemoryBudget();
  BufferPoolScope pooled(im.buffers);
  PackedWeightsScope packed(im.packed);
  PackedMatmulScope packedMatmul(im.packedMatmul);
  im.stats = {};
  im.liveBytes = 0;
  im.options = &options;
  im.stepsLeft = im.stepBudget = options.maxSteps ? options.maxSteps : ~std::uint64_t(0);
  const Graph& g = im.model->graph();
  Scope scope;
  for (const auto& [name, arr] : inputs) {
    const Value* v = g.findValue(name);
    bool isInput = v && std::find(g.inputs().begin(), g.inputs().end(), v) != g.inputs().end();
    if (!isInput) {
      std::string names;
      for (const Value* in : g.inputs())
        if (!in->isInitializer()) names += (names.empty() ? "" : ", ") + in->name();
      return Status(ErrorCode::NotFound, "the model has no input named '" + name + "' (its inputs: " + names + ")");
    }
    std::string why;
    if (!typeMatches(v->declaredType(), arr, why, options.checkInputShapes))
      return Status(ErrorCode::InvalidArgument, "input '" + name + "' is " + formatArrayType(arr) + " but the model declares " +
                                                    declaredTypeString(v->declaredType()) + " (" + why + " differs)");
    scope.values[v] = arr;
  }
  for (const Value* v : g.inputs()) {
    if (scope.values.count(v) || v->isInitializer()) continue;
    return Status(ErrorCode::InvalidArgument,
                  "missing input '" + v->name() + "': the model needs " + declaredTypeString(v->declaredType()));
  }
  for (const auto& name : options.extraOutputs)
    if (!g.findValue(name)) return Status(ErrorCode::NotFound, "the model has no value named '" + name + "'");
  Status s = im.runGraph(g, scope, true);
  im.options = nullptr;
  if (!s) return s;
  NamedArrays out;
  for (const Value* v : g.outputs()) {
    const Array* a = im.lookup(scope, v);
    if (!a) return Status(ErrorCode::Invalid, "graph output '" + v->name() + "' was never computed");
    out[v->name()] = ownedCopy(*a);
  }
  for (const auto& name : options.extraOutputs)
    if (const Array* a = im.lookup(scope, g.findValue(name))) out[name] = ownedCopy(*a);
  if (options.keepAllValues)
    for (const auto& [v, a] : scope.values) out[v->name()] = ownedCopy(a);
  reportProgress(options.progress, 1.0, "done");
  im.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

namespace eval {

Result<std::vector<Array>> runSingleNode(const Node& node, const std::vector<Array>& inputs, std::uint64_t maxSteps) {
  Evaluator::Impl im;
  im.model = &node.graph().model();
  im.stepsLeft = im.stepBudget = maxSteps ? maxSteps : ~std::uint64_t(0);
  Scope scope;
  for (std::size_t i = 0; i < inputs.size() && i < node.inputs().size(); ++i)
    if (node.inputs()[i] && inputs[i].valid()) scope.values[node.inputs()[i]] = inputs[i];
  if (auto s = im.runNode(node, scope); !s) return s;
  std::vector<Array> out;
  for (const Value* v : node.outputs()) out.push_back(v ? scope.values[v] : Array());
  return out;
}

}  // namespace eval

Result<NamedArrays> evaluate(const Model& model, const NamedArrays& inputs, const EvalOptions& options) {
  auto ev = Evaluator::create(model);
  if (!ev) return ev.status();
  return ev.value()->run(inputs, options);
}

}  // namespace graft
