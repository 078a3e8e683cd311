#include <algorithm>
#include <cstdint>

#include "graft/pattern.h"

namespace graft {

Result<std::unique_ptr<MatchContext>> MatchContext::create(const Graph& graph, const TypeTable* types) {
  auto ctx = std::unique_ptr<MatchContext>(new MatchContext());
  ctx->graph_ = &graph;
  ctx->types_ = types;
  // Files are almost always stored in topological order: check that in one pass with a table
  // indexed by node id (no hashing), and sort only when it is not.
  std::vector<Node*> stored;
  stored.reserve(graph.nodeCount());
  NodeId maxId = 0;
  graph.forEachNode([&](const Node& n) {
    stored.push_back(const_cast<Node*>(&n));
    maxId = std::max(maxId, n.id());
  });
  constexpr std::uint32_t kUnseen = UINT32_MAX;
  ctx->posById_.assign(static_cast<size_t>(maxId) + 1, kUnseen);
  bool sorted = true;
  for (size_t i = 0; i < stored.size() && sorted; ++i) {
    for (const Value* v : stored[i]->inputs())
      if (v && v->producer() && &v->producer()->graph() == &graph &&
          ctx->posById_[static_cast<size_t>(v->producer()->id())] == kUnseen) {
        sorted = false;
        break;
      }
    // Subgraph captures also order nodes; graphs with subgraphs take the full sort.
    if (!stored[i]->subgraphs().empty()) sorted = false;
    ctx->posById_[static_cast<size_t>(stored[i]->id())] = static_cast<std::uint32_t>(i);
  }
  if (sorted) {
    ctx->order_ = std::move(stored);
  } else {
    auto order = graph.topologicalOrder();
    if (!order) return order.status();
    ctx->order_ = std::move(*order);
    for (size_t i = 0; i < ctx->order_.size(); ++i)
      ctx->posById_[static_cast<size_t>(ctx->order_[i]->id())] = static_cast<std::uint32_t>(i);
  }
  for (Node* n : ctx->order_) ctx->byOp_[n->opType()].push_back(n);
  return ctx;
}

const std::vector<Node*>& MatchContext::nodesOf(const std::string& opType) const {
  static const std::vector<Node*> none;
  auto it = byOp_.find(opType);
  return it == byOp_.end() ? none : it->second;
}

std::size_t MatchContext::position(const Node* node) const {
  if (!node || node->id() >= posById_.size() || posById_[static_cast<size_t>(node->id())] == UINT32_MAX ||
      order_[posById_[static_cast<size_t>(node->id())]] != node)
    return order_.size();
  return posById_[static_cast<size_t>(node->id())];
}

const onnx::TypeProto* MatchContext::type(const Value* value) const {
  if (!value) return nullptr;
  if (const auto* t = value->declaredType(); t && t->has_tensor_type() && t->tensor_type().has_shape()) return t;
  if (types_)
    if (const auto* t = types_->find(value->name())) return t;
  return value->declaredType();
}

const onnx::TensorProto* MatchContext::constantTensor(const Value* value) const {
  if (!value) return nullptr;
  if (value->isInitializer() && !value->isGraphInput()) return &value->initializer()->proto();
  if (Node* p = value->producer(); p && p->opType() == "Constant" && (p->domain().empty() || p->domain() == "ai.onnx"))
    if (const auto* a = p->attribute("value"); a && a->has_t()) return &a->t();
  return nullptr;
}

std::string MatchContext::label(const Node* node) {
  if (!node) return "?";
  if (!node->name().empty()) return node->name();
  std::string out = node->outputs().empty() || !node->outputs()[0] ? std::string("?") : node->outputs()[0]->name();
  return node->opType() + " producing '" + out + "'";
}

}  // namespace graft
