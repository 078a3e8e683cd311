// The pattern language and the matcher: subgraphs written in ONNX's own text syntax plus a
// small condition vocabulary, found in a graph from op-type-indexed roots, with near misses explained.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graft/ir.h"
#include "graft/result.h"

namespace graft {

// A place in a rule or profile file, for `file:line:column: what is wrong` messages.
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;  // "file:3:7" (or "file" when line is 0)
};

// A number, list of numbers, string or dtype that a condition compares against or a `let`
// binds. Lists keep their shape ("[?, ?, 768]": `unknown` marks the `?` entries).
struct Literal {
  enum class Kind { Number, List, String, DType } kind = Kind::Number;
  double number = 0;
  bool isInteger = false;
  std::vector<double> list;
  std::vector<bool> unknown;  // parallel to list: true for `?`
  std::string text;           // String, or the dtype name
  std::int32_t dtype = 0;     // DType
  std::string str() const;
};

// One line of a rule's `where { }` block. Values are named as in the pattern (its inputs, or
// the outputs of its nodes; a node is named by its first output).
struct Condition {
  enum class Kind {
    Constant,        // constant(v): initializer or Constant output (or folded Shape)
    Initializer,     // initializer(v)
    SingleConsumer,  // single_consumer(v): exactly one use and not a graph output
    Broadcastable,   // broadcastable(a, b): numpy broadcasting of the inferred shapes works
    LastAxis,        // last_axis(TERM, x): TERM (axes(v) / attr(v, axis)) names x's last dim only
    Compare,         // TERM OP RHS
  };
  enum class Term { None, Rank, Shape, DType, Attr, Axes, Value };
  enum class Op { Eq, Ne, Lt, Le, Gt, Ge, In, InRange };

  Kind kind = Kind::Compare;
  bool negated = false;            // `not ...`
  std::vector<std::string> args;   // value names (TERM's value first)
  Term term = Term::None;
  std::string attribute;           // Term::Attr
  Op op = Op::Eq;
  std::vector<Literal> rhs;        // one literal; In: the set; InRange: lo, hi
  double tolerance = -1;           // `tol X`; < 0: exact for integers, 1e-6 relative for floats
  std::string text;                // the line as written, for messages
  SourcePos pos;
};

// `let NAME = TERM`: a value a replacement reads as an attribute reference `@NAME`.
struct Binding {
  std::string name;
  Condition::Term term = Condition::Term::Value;
  std::string value;      // pattern value name
  std::string attribute;  // Term::Attr
  SourcePos pos;
};

// A subgraph in ONNX text: `(a, b) => (y) { ... }`. Inputs are placeholders that match any
// value (a name used twice must bind the same value); node attributes written in a pattern
// must be equal in the graph; attribute references (@x) are only allowed in replacements.
struct PatternGraph {
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<onnx::NodeProto> nodes;
  std::vector<SourcePos> nodePos;  // parallel to nodes
  std::string text;                // the body as written
  SourcePos pos;
};

// The values a match binds, by pattern value name, kept in name order. Slot-indexed: the
// names are one table shared by every match of a rule (a profile finds tens of thousands of
// matches on a large model, and a map per match dominated matching and freeing them); each
// match holds only its Value pointers. Reads like a std::map<std::string, Value*>.
class MatchValues {
 public:
  using Names = std::vector<std::string>;  // sorted, no duplicates
  MatchValues() = default;
  // `names` sorted; values parallel to it.
  MatchValues(std::shared_ptr<const Names> names, std::vector<Value*> values)
      : names_(std::move(names)), values_(std::move(values)) {}

  size_t size() const { return values_.size(); }
  bool empty() const { return values_.empty(); }
  const std::string& name(size_t slot) const { return (*names_)[slot]; }
  Value* value(size_t slot) const { return values_[slot]; }
  // The value bound to `name`, or null when the name is not bound.
  Value* get(std::string_view name) const {
    size_t i = lowerBound(name);
    return i < values_.size() && (*names_)[i] == name ? values_[i] : nullptr;
  }
  bool contains(std::string_view name) const {
    size_t i = lowerBound(name);
    return i < values_.size() && (*names_)[i] == name;
  }
  // Like std::map::at: throws std::out_of_range when `name` is not bound.
  Value* at(std::string_view name) const;
  // Binds `name` (C++ rules: m.values["x"] = v), keeping name order.
  Value*& operator[](std::string_view name);

  class const_iterator {
   public:
    using value_type = std::pair<const std::string&, Value*>;
    struct Arrow {
      value_type pair;
      const value_type* operator->() const { return &pair; }
    };
    const_iterator(const MatchValues* m, size_t i) : m_(m), i_(i) {}
    value_type operator*() const { return {m_->name(i_), m_->value(i_)}; }
    Arrow operator->() const { return {**this}; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }

   private:
    const MatchValues* m_;
    size_t i_;
  };
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, values_.size()}; }

 private:
  size_t lowerBound(std::string_view name) const;

  std::shared_ptr<const Names> names_;
  std::vector<Value*> values_;
};

// A successful match: which graph node each pattern node matched and which value each
// pattern value name is bound to. Node pointers are valid until the model is edited; the ids
// stay valid (for the studio) and findNode() gets the node back.
struct Match {
  std::string rule;
  int benefit = 0;
  std::vector<Node*> nodes;      // parallel to the pattern's nodes (C++ rules: the nodes they touch)
  std::vector<NodeId> nodeIds;   // same, as ids
  Node* root = nullptr;          // the node producing the pattern's first output
  MatchValues values;
  std::map<std::string, onnx::AttributeProto> bindings;  // `let` results
  std::size_t order = 0;         // topological position of the root: the tie breaker
  std::string becomes;           // what it turns into ("LayerNormalization", "removed"), for lists
  int nodeDelta = 0;             // expected change in node count
  // C++ rules may stash anything they computed while matching.
  std::shared_ptr<void> payload;
};

// Where a match started (the root op type matched) but failed: the deepest partial match and
// why, in words naming the node: "LayerNorm at /h.3/ln_1: epsilon is a graph input, not a constant".
struct NearMiss {
  std::string rule;
  NodeId root = 0;
  std::string rootName;
  std::vector<NodeId> partial;  // graph nodes matched before the failure
  std::string reason;
  int depth = 0;                // how many pattern nodes matched (best partial wins)
  // Every pattern node matched and only a condition failed (a `where` line, a second consumer,
  // a C++ rule's check, the opset): the near misses most worth reading.
  bool conditionOnly = false;
};

// Types of values as seen by conditions: declared types, else inferred ones. Built once per
// match run (inference on a 60k-node graph is the expensive part, so it is optional).
struct TypeTable {
  std::unordered_map<std::string, onnx::TypeProto> types;
  const onnx::TypeProto* find(const std::string& name) const {
    auto it = types.find(name);
    return it == types.end() ? nullptr : &it->second;
  }
};

// The elements of a constant (initializer or Constant output) as numbers, with its dtype.
struct ConstantNumbers {
  std::int32_t dtype = 0;
  std::vector<double> values;
};

// The indexed view of one graph the matcher works on: nodes by op type, topological
// positions, value types. Build it once and run every rule on it. Types and constants are
// looked up once per value and then kept by value id, shared by every rule, so a context is
// used by one thread at a time and the graph must not change while it lives.
class MatchContext {
 public:
  // types may be null (conditions on shapes/dtypes then fall back to declared types).
  static Result<std::unique_ptr<MatchContext>> create(const Graph& graph, const TypeTable* types = nullptr);

  const Graph& graph() const { return *graph_; }
  // Nodes with this op type (any domain), in topological order.
  const std::vector<Node*>& nodesOf(const std::string& opType) const;
  const std::vector<Node*>& topoOrder() const { return order_; }
  std::size_t position(const Node* node) const;  // index in topoOrder()
  const onnx::TypeProto* type(const Value* value) const;
  // Constant value of a value (initializer or Constant node output), read lazily; null if none.
  const onnx::TensorProto* constantTensor(const Value* value) const;
  // The numbers a constant holds (initializer that is not a graph input, or Constant output,
  // as detail::constantArray reads it); null when the value is no numeric constant. Small
  // constants (the scalars conditions compare) are read once and shared.
  std::shared_ptr<const ConstantNumbers> constantNumbers(const Value* value) const;
  // Human name of a node for messages: its name, else "<OpType> producing <output>".
  static std::string label(const Node* node);

 private:
  const Graph* graph_ = nullptr;
  const TypeTable* types_ = nullptr;
  std::vector<Node*> order_;
  std::vector<std::uint32_t> posById_;  // NodeId -> index in order_ (ids are dense)
  std::unordered_map<std::string, std::vector<Node*>> byOp_;
  // Lazily filled caches, by value id (see type() and constantNumbers()).
  mutable std::vector<const onnx::TypeProto*> typeById_;
  mutable std::unordered_map<ValueId, std::shared_ptr<const ConstantNumbers>> constants_;
};

// Evaluates the number expressions rules use: 0.5, 1e-5, sqrt(2/pi), -1, 2^0.5 (pi, e, sqrt, exp, log).
Result<double> evalNumberExpression(const std::string& text);

}  // namespace graft
