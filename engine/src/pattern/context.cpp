#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "graft/eval.h"
#include "graft/pattern.h"
#include "rewrite/declared.h"  // detail::constantArray: the one reading of a constant value

namespace graft {

size_t MatchValues::lowerBound(std::string_view name) const {
  if (!names_) return 0;
  // Patterns bind a handful of values: a linear scan of the sorted names is as fast as a search.
  size_t i = 0;
  while (i < names_->size() && std::string_view((*names_)[i]) < name) ++i;
  return i;
}

Value* MatchValues::at(std::string_view name) const {
  size_t i = lowerBound(name);
  if (i >= values_.size() || (*names_)[i] != name)
    throw std::out_of_range("match binds no value named '" + std::string(name) + "'");
  return values_[i];
}

Value*& MatchValues::operator[](std::string_view name) {
  size_t i = lowerBound(name);
  if (i < values_.size() && (*names_)[i] == name) return values_[i];
  // A new name: the table may be shared with other matches, so this match gets its own copy.
  auto names = names_ ? std::make_shared<Names>(*names_) : std::make_shared<Names>();
  names->insert(names->begin() + static_cast<std::ptrdiff_t>(i), std::string(name));
  names_ = std::move(names);
  values_.insert(values_.begin() + static_cast<std::ptrdiff_t>(i), nullptr);
  return values_[i];
}

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

namespace {

// Marks a value whose type was not looked up yet (null is a valid answer: no type known).
const onnx::TypeProto* notLookedUp() {
  static const onnx::TypeProto marker;
  return &marker;
}

// Constants with more elements are converted on every call instead of kept: conditions compare
// scalars and short lists, and a context must not double the memory of a model's weights.
constexpr size_t kCachedConstantElements = 4096;

}  // namespace

const onnx::TypeProto* MatchContext::type(const Value* value) const {
  if (!value) return nullptr;
  // Rules ask for the same values again and again (every candidate root's operands, in every
  // rule): hashing the value's name into the type table each time showed up in profiles.
  auto id = static_cast<size_t>(value->id());
  if (id < typeById_.size() && typeById_[id] != notLookedUp()) return typeById_[id];
  const onnx::TypeProto* found = value->declaredType();
  if (!(found && found->has_tensor_type() && found->tensor_type().has_shape()) && types_)
    if (const auto* t = types_->find(value->name())) found = t;
  if (id >= typeById_.size()) typeById_.resize(std::max(id + 1, typeById_.size() * 2), notLookedUp());
  typeById_[id] = found;
  return found;
}

std::shared_ptr<const ConstantNumbers> MatchContext::constantNumbers(const Value* value) const {
  if (!value) return nullptr;
  if (auto it = constants_.find(value->id()); it != constants_.end()) return it->second;
  std::shared_ptr<ConstantNumbers> numbers;
  if (auto arr = detail::constantArray(value)) {
    if (auto d = arrayToDoubles(*arr)) {
      numbers = std::make_shared<ConstantNumbers>();
      numbers->dtype = arr->dtype();
      numbers->values = std::move(*d);
    }
  }
  // Not constant (the common answer) is kept too, so asking again costs one lookup.
  if (!numbers || numbers->values.size() <= kCachedConstantElements) constants_.emplace(value->id(), numbers);
  return numbers;
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
