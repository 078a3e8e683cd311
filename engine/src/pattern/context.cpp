#include <algorithm>

#include "graft/pattern.h"

namespace graft {

Result<std::unique_ptr<MatchContext>> MatchContext::create(const Graph& graph, const TypeTable* types) {
  auto order = graph.topologicalOrder();
  if (!order) return order.status();
  auto ctx = std::unique_ptr<MatchContext>(new MatchContext());
  ctx->graph_ = &graph;
  ctx->types_ = types;
  ctx->order_ = std::move(*order);
  ctx->pos_.reserve(ctx->order_.size());
  for (size_t i = 0; i < ctx->order_.size(); ++i) {
    Node* n = ctx->order_[i];
    ctx->pos_[n] = i;
    ctx->byOp_[n->opType()].push_back(n);
  }
  return ctx;
}

const std::vector<Node*>& MatchContext::nodesOf(const std::string& opType) const {
  static const std::vector<Node*> none;
  auto it = byOp_.find(opType);
  return it == byOp_.end() ? none : it->second;
}

std::size_t MatchContext::position(const Node* node) const {
  auto it = pos_.find(node);
  return it == pos_.end() ? order_.size() : it->second;
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
