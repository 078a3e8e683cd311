// The pattern language and the matcher: subgraphs written in ONNX's own text syntax plus a
// small condition vocabulary, found in a graph from op-type-indexed roots, with near misses explained.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
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

// A successful match: which graph node each pattern node matched and which value each
// pattern value name is bound to. Node pointers are valid until the model is edited; the ids
// stay valid (for the studio) and findNode() gets the node back.
struct Match {
  std::string rule;
  int benefit = 0;
  std::vector<Node*> nodes;      // parallel to the pattern's nodes (C++ rules: the nodes they touch)
  std::vector<NodeId> nodeIds;   // same, as ids
  Node* root = nullptr;          // the node producing the pattern's first output
  std::map<std::string, Value*> values;
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

// The indexed view of one graph the matcher works on: nodes by op type, topological
// positions, value types. Build it once and run every rule on it.
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
  // Human name of a node for messages: its name, else "<OpType> producing <output>".
  static std::string label(const Node* node);

 private:
  const Graph* graph_ = nullptr;
  const TypeTable* types_ = nullptr;
  std::vector<Node*> order_;
  std::vector<std::uint32_t> posById_;  // NodeId -> index in order_ (ids are dense)
  std::unordered_map<std::string, std::vector<Node*>> byOp_;
};

// Evaluates the number expressions rules use: 0.5, 1e-5, sqrt(2/pi), -1, 2^0.5 (pi, e, sqrt, exp, log).
Result<double> evalNumberExpression(const std::string& text);

}  // namespace graft
