// Declared rules: checking a spec, matching its pattern (backtracking over commutative input
// orders, explaining the deepest failure), evaluating conditions and lets, and replacing.
#include "rewrite/declared.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <unordered_set>

#include <onnx/defs/schema.h>

#include "graft/eval.h"
#include "graft/schema.h"
#include "pattern/text.h"

namespace graft::detail {

namespace {

bool defaultDomain(const std::string& d) { return d.empty() || d == "ai.onnx"; }
bool sameDomain(const std::string& a, const std::string& b) {
  return a == b || (defaultDomain(a) && defaultDomain(b));
}

// Ops whose two inputs can be swapped without changing the result.
// Reduce* took their axes as an attribute until opset 13 (ReduceSum) or 18 (the others) and as
// input #1 since. A pattern that writes only the data input matches both forms; axes() reads both.
bool axesMovedToInput(const Node& n) {
  static const std::set<std::string> reduces = {"ReduceSum",  "ReduceMean", "ReduceMax",       "ReduceMin",
                                                "ReduceProd", "ReduceL1",   "ReduceL2",        "ReduceLogSum",
                                                "ReduceLogSumExp", "ReduceSumSquare"};
  return defaultDomain(n.domain()) && reduces.count(n.opType()) != 0;
}

bool isCommutative(const onnx::NodeProto& n) {
  static const std::set<std::string> ops = {"Add", "Mul", "Max", "Min", "Sum", "Mean", "And", "Or", "Xor",
                                            "Equal", "BitwiseAnd", "BitwiseOr", "BitwiseXor"};
  return defaultDomain(n.domain()) && n.input_size() == 2 && ops.count(n.op_type());
}

std::string quoted(const Value* v) { return v ? "'" + v->name() + "'" : "(omitted)"; }

std::string describeNode(const Node* n) {
  if (!n) return "nothing";
  return n->opType() + (n->name().empty() ? "" : " '" + n->name() + "'");
}

// Why a value is not a constant, in words.
std::string notConstantWhy(const Value* v) {
  if (!v) return "is omitted";
  if (v->isGraphInput()) return v->isInitializer() ? "is a graph input (its initializer is only a default), not a constant"
                                                   : "is a graph input, not a constant";
  if (Node* p = v->producer()) return "is computed by " + describeNode(p) + ", not a constant";
  return "is not a constant";
}

// Numbers an attribute holds (ints, floats, one int/float); nullopt for strings/tensors.
std::optional<std::vector<double>> attrNumbers(const onnx::AttributeProto& a) {
  std::vector<double> v;
  switch (a.type()) {
    case onnx::AttributeProto::INT: v.push_back(static_cast<double>(a.i())); break;
    case onnx::AttributeProto::FLOAT: v.push_back(a.f()); break;
    case onnx::AttributeProto::INTS:
      for (auto x : a.ints()) v.push_back(static_cast<double>(x));
      break;
    case onnx::AttributeProto::FLOATS:
      for (auto x : a.floats()) v.push_back(x);
      break;
    default: return std::nullopt;
  }
  return v;
}

std::optional<std::vector<std::int64_t>> staticDims(const onnx::TypeProto* t, std::vector<bool>* known = nullptr) {
  if (!t || !t->has_tensor_type() || !t->tensor_type().has_shape()) return std::nullopt;
  std::vector<std::int64_t> dims;
  for (const auto& d : t->tensor_type().shape().dim()) {
    dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    if (known) known->push_back(d.has_dim_value());
  }
  return dims;
}

// Dims of a value: its (declared or inferred) type, else an initializer's own dims.
std::optional<std::vector<std::int64_t>> valueDims(const MatchContext& ctx, const Value* v,
                                                   std::vector<bool>* known = nullptr) {
  if (auto d = staticDims(ctx.type(v), known)) return d;
  if (v && v->isInitializer()) {
    auto d = v->initializer()->dims();
    if (known) known->assign(d.size(), true);
    return d;
  }
  return std::nullopt;
}

bool nearlyEqual(double a, double b, double tol, bool exact) {
  if (tol >= 0) return std::fabs(a - b) <= tol;
  if (exact) return a == b;
  return std::fabs(a - b) <= 1e-5 * std::fabs(b) + 1e-12;
}

}  // namespace

std::optional<Array> constantArray(const Value* v) {
  if (!v) return std::nullopt;
  if (v->isInitializer() && !v->isGraphInput()) {
    auto a = arrayFromTensor(*v->initializer());
    if (a) return std::move(*a);  // no second copy of the data
    return std::nullopt;
  }
  Node* p = v->producer();
  if (!p || p->opType() != "Constant" || !defaultDomain(p->domain())) return std::nullopt;
  for (const auto& a : p->proto().attribute()) {
    if (a.name() == "value" && a.has_t()) {
      auto arr = arrayFromProto(a.t());
      if (arr) return std::move(*arr);
      return std::nullopt;
    }
    if (a.name() == "value_float") return Array::scalar<float>(onnx::TensorProto::FLOAT, a.f());
    if (a.name() == "value_int") return Array::scalar<std::int64_t>(onnx::TensorProto::INT64, a.i());
    if (a.name() == "value_floats") {
      Array arr(onnx::TensorProto::FLOAT, {a.floats_size()});
      for (int i = 0; i < a.floats_size(); ++i) arr.data<float>()[i] = a.floats(i);
      return arr;
    }
    if (a.name() == "value_ints") {
      Array arr(onnx::TensorProto::INT64, {a.ints_size()});
      for (int i = 0; i < a.ints_size(); ++i) arr.data<std::int64_t>()[i] = a.ints(i);
      return arr;
    }
  }
  return std::nullopt;
}

// The attribute as written, or the schema default for the model's opset.
std::optional<onnx::AttributeProto> attributeOf(const Node* n, const std::string& name) {
  if (const auto* a = n->attribute(name)) return *a;
  std::int64_t opset = n->graph().model().opsetVersion(n->domain());
  if (opset < 0) opset = 1000;
  schema::ensureRegistered();
  const auto* schema = onnx::OpSchemaRegistry::Schema(n->opType(), static_cast<int>(opset), n->domain());
  if (!schema) return std::nullopt;
  auto it = schema->attributes().find(name);
  if (it == schema->attributes().end() || !it->second.default_value.has_type()) return std::nullopt;
  return it->second.default_value;
}

// --------------------------------------------------------------------------- checking a spec

Result<std::shared_ptr<const DeclaredRule>> DeclaredRule::create(RuleSpec spec) {
  auto rule = std::shared_ptr<DeclaredRule>(new DeclaredRule());
  auto p = compilePattern(spec.pattern, false);
  if (!p) return p.status();
  auto r = compilePattern(spec.replacement, true);
  if (!r) return r.status();
  std::set<std::string> patternValues(spec.pattern.inputs.begin(), spec.pattern.inputs.end());
  for (const auto& n : spec.pattern.nodes)
    for (const auto& o : n.output())
      if (!o.empty()) patternValues.insert(o);
  auto known = [&](const std::string& v, const SourcePos& at, const std::string& where) -> Status {
    if (!patternValues.count(v))
      return text::Cursor::error(at, "'" + v + "' in " + where + " is not a value of the pattern of rule '" +
                                         spec.name + "'");
    return Status::ok();
  };
  for (const auto& c : spec.conditions)
    for (const auto& a : c.args)
      if (auto st = known(a, c.pos, "'" + c.text + "'"); !st) return st;
  std::set<std::string> lets;
  for (const auto& b : spec.bindings) {
    if (auto st = known(b.value, b.pos, "let " + b.name); !st) return st;
    if (!lets.insert(b.name).second) return text::Cursor::error(b.pos, "let " + b.name + " is defined twice");
  }
  std::set<std::string> inputs(spec.pattern.inputs.begin(), spec.pattern.inputs.end());
  for (const auto& i : spec.replacement.inputs)
    if (!inputs.count(i))
      return text::Cursor::error(spec.replacement.pos, "replacement input '" + i +
                                                           "' is not an input of the pattern (a replacement can only "
                                                           "read what the pattern reads)");
  std::multiset<std::string> po(spec.pattern.outputs.begin(), spec.pattern.outputs.end());
  std::multiset<std::string> ro(spec.replacement.outputs.begin(), spec.replacement.outputs.end());
  if (po != ro)
    return text::Cursor::error(spec.replacement.pos, "the replacement must produce the pattern's outputs (" +
                                                         std::to_string(po.size()) + " named the same)");
  for (size_t k = 0; k < spec.replacement.nodes.size(); ++k)
    for (const auto& a : spec.replacement.nodes[k].attribute())
      if (!a.ref_attr_name().empty() && !lets.count(a.ref_attr_name()))
        return text::Cursor::error(spec.replacement.nodePos[k], "@" + a.ref_attr_name() +
                                                                    " is not defined; add 'let " +
                                                                    a.ref_attr_name() + " = value(...)' to the rule");
  // Replacement nodes are created in the order written: each input must already exist.
  {
    std::set<std::string> defined(spec.replacement.inputs.begin(), spec.replacement.inputs.end());
    for (size_t k = 0; k < spec.replacement.nodes.size(); ++k) {
      for (const auto& i : spec.replacement.nodes[k].input())
        if (!i.empty() && !defined.count(i))
          return text::Cursor::error(spec.replacement.nodePos[k],
                                     "'" + i + "' is used before the node that computes it; write replacement nodes "
                                                "in order");
      for (const auto& o : spec.replacement.nodes[k].output()) defined.insert(o);
    }
  }
  if (spec.benefit < 0) return text::Cursor::error(spec.pos, "benefit must be >= 0");
  rule->spec_ = std::move(spec);
  rule->pattern_ = std::move(*p);
  rule->replacement_ = std::move(*r);
  return std::shared_ptr<const DeclaredRule>(rule);
}

std::vector<std::string> DeclaredRule::rootOps() const {
  return {spec_.pattern.nodes[static_cast<size_t>(pattern_.root)].op_type()};
}

// --------------------------------------------------------------------------- matching

namespace {

class Matcher {
 public:
  Matcher(const DeclaredRule& rule, const MatchContext& ctx, bool explain) : explain_(explain), spec_(rule.spec()), c_(rule.compiled()), ctx_(ctx) {
    std::set<std::string> ops;
    for (const auto& n : spec_.replacement.nodes) ops.insert(n.op_type());
    for (const auto& op : ops) becomes_ += (becomes_.empty() ? "" : " + ") + op;
    // Pattern value names -> slots, numbered in name order: a match's values are then the
    // state's slots as they are, under one name table shared by all matches of this run.
    std::set<std::string> names(spec_.pattern.inputs.begin(), spec_.pattern.inputs.end());
    for (const auto& n : spec_.pattern.nodes)
      for (const auto& o : n.output())
        if (!o.empty()) names.insert(o);
    for (const auto& name : names) slots_.emplace(name, static_cast<int>(slots_.size()));
    slotNames_ = std::make_shared<const MatchValues::Names>(names.begin(), names.end());
    for (const auto& i : spec_.pattern.inputs) placeholderSlot_.push_back(slotOf(i));
    for (const auto& n : spec_.pattern.nodes) {
      outputSlot_.emplace_back();
      for (const auto& o : n.output()) outputSlot_.back().push_back(o.empty() ? -1 : slotOf(o));
      commutative_.push_back(isCommutative(n));
    }
    for (const auto& o : spec_.pattern.outputs) patternOutputSlot_.push_back(slotOf(o));
    root_.nodes.assign(spec_.pattern.nodes.size(), nullptr);
    root_.values.assign(slots_.size(), nullptr);
  }

  // A necessary condition, checked before any state is built: the root's inputs produced by
  // pattern nodes come from nodes of the right op type (in some input order). Most roots of a
  // frequent op type fail here. Only used when no near miss has to be explained.
  bool plausible(const Node* n) const {
    const auto& ins = c_.inputs[static_cast<size_t>(c_.root)];
    auto fits = [&](bool swapped) {
      for (size_t j = 0; j < ins.size(); ++j) {
        const auto& in = ins[swapped ? 1 - j : j];
        if (in.node < 0 || in.omitted) continue;
        const Value* v = j < n->inputs().size() ? n->input(j) : nullptr;
        const Node* p = v ? v->producer() : nullptr;
        if (!p || p->opType() != spec_.pattern.nodes[static_cast<size_t>(in.node)].op_type()) return false;
      }
      return true;
    };
    if (fits(false)) return true;
    return ins.size() == 2 && commutative_[static_cast<size_t>(c_.root)] && fits(true);
  }

  // Tries one root; on success fills `match`; otherwise `miss` holds the deepest failure.
  bool run(Node* root, Match& match, NearMiss& miss) {
    best_.depth = -1;
    best_.conditionOnly = false;
    best_.reason.clear();
    best_.partial.clear();
    St& st = root_;
    std::fill(st.nodes.begin(), st.nodes.end(), nullptr);
    std::fill(st.values.begin(), st.values.end(), nullptr);
    st.nodes[static_cast<size_t>(c_.root)] = root;
    st.assigned = 1;
    if (step(st, 0)) {
      match.rule = spec_.name;
      match.benefit = spec_.benefit;
      match.nodes = result_.nodes;
      match.nodeIds.reserve(match.nodes.size());
      for (Node* n : match.nodes) match.nodeIds.push_back(n->id());
      match.root = root;
      match.values = MatchValues(slotNames_, result_.values);
      match.bindings = std::move(bindings_);
      match.order = ctx_.position(root);
      match.becomes = becomes_;
      match.nodeDelta = static_cast<int>(spec_.replacement.nodes.size()) - static_cast<int>(match.nodes.size());
      return true;
    }
    if (!explain_) return false;  // nobody reads the miss: no label strings per failed root
    miss.rule = spec_.name;
    miss.root = root->id();
    miss.rootName = MatchContext::label(root);
    miss.partial = best_.partial;
    miss.depth = best_.depth;
    miss.reason = best_.reason;
    miss.conditionOnly = best_.conditionOnly;
    return false;
  }

 private:
  struct St {
    std::vector<Node*> nodes;
    std::vector<Value*> values;
    int assigned = 0;
  };
  struct Failure {
    int depth = -1;
    bool conditionOnly = false;  // every pattern node was matched
    std::string reason;
    std::vector<NodeId> partial;
  };

  int slotOf(const std::string& name) const { return slots_.at(name); }

  std::map<std::string, int> slots_;
  std::shared_ptr<const MatchValues::Names> slotNames_;  // by slot
  std::vector<int> placeholderSlot_;            // per pattern input
  std::vector<std::vector<int>> outputSlot_;    // per pattern node, per output (-1: unnamed)
  std::vector<int> patternOutputSlot_;          // per pattern output
  std::vector<char> commutative_;               // per pattern node: inputs may be swapped
  St root_;                                     // reused for every root
  // Copies of the state per recursion depth, reused across candidates (no allocation per
  // step); a deque keeps references to shallower levels valid while it grows.
  std::deque<St> pool_;
  size_t depth_ = 0;
  St& scratch(const St& from) {
    while (pool_.size() <= depth_) pool_.emplace_back();
    St& s = pool_[depth_];
    s = from;
    return s;
  }

  // Records the deepest failure; the reason is only written when someone asked for near
  // misses (building strings for every failed start would dominate matching time).
  template <typename Reason>
  bool fail(const St& st, int bonus, Reason&& reason) {
    int depth = st.assigned * 4 + bonus;
    if (depth > best_.depth) {
      best_.depth = depth;
      best_.conditionOnly = bonus == 3 && st.assigned == static_cast<int>(spec_.pattern.nodes.size());
      if (explain_) {
        best_.reason = reason();
        best_.partial.clear();
        for (Node* n : st.nodes)
          if (n) best_.partial.push_back(n->id());
      }
    }
    return false;
  }

  bool used(const St& st, const Node* n) const {
    return std::find(st.nodes.begin(), st.nodes.end(), n) != st.nodes.end();
  }

  bool bindValue(St& st, int s, Value* v, const Node* at) {
    if (!st.values[static_cast<size_t>(s)]) {
      st.values[static_cast<size_t>(s)] = v;
      return true;
    }
    if (st.values[static_cast<size_t>(s)] == v) return true;
    return fail(st, 0, [&] { return std::string("'" + (*slotNames_)[static_cast<size_t>(s)] + "' must be one value, but " + describeNode(at) + " reads " + quoted(v) +
                        " where the pattern has " + quoted(st.values[static_cast<size_t>(s)])); });
  }

  bool step(St& st, size_t i) {
    if (i == c_.order.size()) return finish(st);
    int k = c_.order[i];
    const auto& pn = spec_.pattern.nodes[static_cast<size_t>(k)];
    if (!st.nodes[static_cast<size_t>(k)]) {
      // Not reached through an input (a second output's producer): look among consumers of bound values.
      std::vector<Node*> cands;
      for (const auto& in : c_.inputs[static_cast<size_t>(k)]) {
        Value* v = nullptr;
        if (in.placeholder >= 0) v = st.values[static_cast<size_t>(placeholderSlot_[static_cast<size_t>(in.placeholder)])];
        else if (in.node >= 0 && st.nodes[static_cast<size_t>(in.node)])
          v = st.nodes[static_cast<size_t>(in.node)]->output(static_cast<size_t>(in.output));
        if (!v) continue;
        for (const Use& u : v->uses())
          if (u.node->opType() == pn.op_type() && !used(st, u.node) &&
              std::find(cands.begin(), cands.end(), u.node) == cands.end())
            cands.push_back(u.node);
      }
      for (Node* cand : cands) {
        St& next = scratch(st);
        next.nodes[static_cast<size_t>(k)] = cand;
        next.assigned++;
        ++depth_;
        bool found = step(next, i);
        --depth_;
        if (found) return true;
      }
      return fail(st, 0, [&] { return std::string("no " + pn.op_type() + " node reads the matched values to produce '" +
                          (pn.output_size() ? pn.output(0) : std::string()) + "'"); });
    }
    Node* n = st.nodes[static_cast<size_t>(k)];
    if (n->opType() != pn.op_type() || !sameDomain(n->domain(), pn.domain()))
      return fail(st, 0, [&] { return std::string("expected " + pn.op_type() + " but found " + describeNode(n)); });
    for (const auto& a : pn.attribute()) {
      // Fast path: a numeric attribute written on the node with the pattern's numbers is the
      // same (the general comparison below would say so too, after copying and serializing).
      if (const auto* w = n->attribute(a.name())) {
        auto hn = attrNumbers(*w), wn = attrNumbers(a);
        if (hn && wn && *hn == *wn) continue;
      }
      auto have = attributeOf(n, a.name());
      onnx::AttributeProto want = a;
      if (!have) return fail(st, 1, [&] { return std::string(describeNode(n) + " has no attribute '" + a.name() + "'"); });
      onnx::AttributeProto h = *have;
      h.clear_doc_string();
      want.clear_doc_string();
      bool same = h.SerializeAsString() == want.SerializeAsString();
      if (!same) {
        auto hn = attrNumbers(h), wn = attrNumbers(want);
        same = hn && wn && *hn == *wn;
      }
      if (!same) return fail(st, 1, [&] { return std::string(describeNode(n) + " has " + a.name() + " different from the pattern's"); });
    }
    const auto& ins = c_.inputs[static_cast<size_t>(k)];
    for (size_t j = ins.size(); j < n->inputs().size(); ++j)
      if (n->input(j) && !(j == 1 && ins.size() == 1 && axesMovedToInput(*n)))
        return fail(st, 1, [&] { return std::string(describeNode(n) + " has an input #" + std::to_string(j) + " (" + quoted(n->input(j)) +
                            ") the pattern does not have"); });
    for (int o = 0; o < pn.output_size(); ++o) {
      if (pn.output(o).empty()) continue;
      Value* v = n->output(static_cast<size_t>(o));
      if (!v) return fail(st, 1, [&] { return std::string(describeNode(n) + " does not compute output #" + std::to_string(o)); });
      if (!bindValue(st, outputSlot_[static_cast<size_t>(k)][static_cast<size_t>(o)], v, n)) return false;
    }
    // Input orders to try: as written, then swapped for commutative two-input ops.
    const int orders = commutative_[static_cast<size_t>(k)] ? 2 : 1;
    for (int order = 0; order < orders; ++order) {
      St& next = scratch(st);
      bool ok = true;
      for (size_t j = 0; j < ins.size() && ok; ++j) {
        const auto& in = ins[order == 1 ? 1 - j : j];
        Value* v = n->input(j);
        if (in.omitted) {
          if (v) ok = fail(next, 1, [&] { return std::string(describeNode(n) + " has input #" + std::to_string(j) + " where the pattern has none"); });
        } else if (in.placeholder >= 0) {
          if (!v) ok = fail(next, 1, [&] { return std::string(describeNode(n) + " input #" + std::to_string(j) + " is omitted"); });
          else ok = bindValue(next, placeholderSlot_[static_cast<size_t>(in.placeholder)], v, n);
        } else {
          const auto& want = spec_.pattern.nodes[static_cast<size_t>(in.node)];
          Node* p = v ? v->producer() : nullptr;
          if (!p) {
            ok = fail(next, 2, [&] { return std::string(describeNode(n) + " input #" + std::to_string(j) + " " + quoted(v) +
                                (v && v->isGraphInput() ? " is a graph input" : v && v->isConstant() ? " is a constant" : " has no producer") +
                                ", expected the output of " + want.op_type()); });
          } else if (v->producerOutput() != in.output) {
            ok = fail(next, 2, [&] { return std::string(describeNode(n) + " reads another output of " + describeNode(p)); });
          } else if (Node* have = next.nodes[static_cast<size_t>(in.node)]) {
            if (have != p) ok = fail(next, 2, [&] { return std::string(describeNode(n) + " reads " + describeNode(p) + " where the pattern needs " + describeNode(have)); });
          } else if (used(next, p)) {
            ok = fail(next, 2, [&] { return std::string(describeNode(p) + " would match two pattern nodes"); });
          } else if (p->opType() != want.op_type() || !sameDomain(p->domain(), want.domain())) {
            ok = fail(next, 2, [&] { return std::string("expected " + want.op_type() + " feeding input #" + std::to_string(j) + " of " +
                                describeNode(n) + ", found " + describeNode(p)); });
          } else {
            next.nodes[static_cast<size_t>(in.node)] = p;
            next.assigned++;
          }
        }
      }
      if (ok) {
        ++depth_;
        bool found = step(next, i + 1);
        --depth_;
        if (found) return true;
      }
    }
    return false;
  }

  // Everything is bound: internal values must stay inside, then conditions and lets.
  bool finish(St& st) {
    // Patterns are small: linear scans beat building sets for every candidate.
    auto isOut = [&](const Value* v) {
      for (int s : patternOutputSlot_)
        if (st.values[static_cast<size_t>(s)] == v) return true;
      return false;
    };
    auto inside = [&](const Node* n) { return std::find(st.nodes.begin(), st.nodes.end(), n) != st.nodes.end(); };
    for (Node* n : st.nodes)
      for (Value* v : n->outputs()) {
        if (!v || isOut(v)) continue;
        if (v->isGraphOutput())
          return fail(st, 3, [&] { return std::string(describeNode(n) + " computes " + quoted(v) + " inside the match, but it is a graph output"); });
        for (const Use& u : v->uses())
          if (!inside(u.node))
            return fail(st, 3, [&] { return std::string(describeNode(n) + " has a second consumer outside the match: " + quoted(v) + " is also read by " +
                                describeNode(u.node)); });
      }
    for (const auto& c : spec_.conditions) {
      std::string why;
      bool holds = check(st, c, why);
      if (c.negated) {
        if (holds) return fail(st, 3, [&] { return std::string("'" + c.text + "' does not hold"); });
      } else if (!holds) {
        return fail(st, 3, [&] { return std::string(why.empty() ? "'" + c.text + "' does not hold" : why); });
      }
    }
    bindings_.clear();
    for (const auto& b : spec_.bindings) {
      std::string why;
      auto a = bind(st, b, why);
      if (!a) return fail(st, 3, [&] { return std::string("let " + b.name + ": " + why); });
      a->set_name(b.name);
      bindings_[b.name] = std::move(*a);
    }
    result_ = st;
    return true;
  }

  Value* val(const St& st, const std::string& name) const { return st.values[static_cast<size_t>(slotOf(name))]; }

  // The numbers a term stands for (nullopt with `why` when it cannot be read).
  std::optional<std::vector<double>> numbers(const St& st, Condition::Term term, const std::string& name,
                                             const std::string& attribute, std::string& why,
                                             std::vector<bool>* unknown = nullptr) const {
    Value* v = val(st, name);
    switch (term) {
      case Condition::Term::Rank: {
        auto d = valueDims(ctx_, v);
        if (!d) {
          if (explain_) why = name + " (" + quoted(v) + ") has an unknown rank";
          return std::nullopt;
        }
        return std::vector<double>{static_cast<double>(d->size())};
      }
      case Condition::Term::Shape: {
        std::vector<bool> known;
        auto d = valueDims(ctx_, v, &known);
        if (!d) {
          if (explain_) why = name + " (" + quoted(v) + ") has an unknown shape";
          return std::nullopt;
        }
        if (unknown)
          for (bool k : known) unknown->push_back(!k);
        return std::vector<double>(d->begin(), d->end());
      }
      case Condition::Term::DType: {
        std::int32_t dt = 0;
        if (const auto* t = ctx_.type(v); t && t->has_tensor_type()) dt = t->tensor_type().elem_type();
        if (!dt && v && v->isInitializer()) dt = v->initializer()->dataType();
        if (!dt) {
          if (explain_) why = name + " (" + quoted(v) + ") has an unknown dtype";
          return std::nullopt;
        }
        return std::vector<double>{static_cast<double>(dt)};
      }
      case Condition::Term::Attr: {
        Node* p = v ? v->producer() : nullptr;
        if (!p) {
          if (explain_) why = name + " is not computed by a node, so it has no attribute " + attribute;
          return std::nullopt;
        }
        auto a = attributeOf(p, attribute);
        if (!a) {
          if (explain_) why = describeNode(p) + " has no attribute '" + attribute + "'";
          return std::nullopt;
        }
        auto n = attrNumbers(*a);
        if (!n) if (explain_) why = describeNode(p) + " attribute '" + attribute + "' is not a number";
        return n;
      }
      case Condition::Term::Axes: {
        Node* p = v ? v->producer() : nullptr;
        if (!p) {
          if (explain_) why = name + " is not computed by a node, so it has no axes";
          return std::nullopt;
        }
        if (const auto* a = p->attribute("axes")) return attrNumbers(*a);
        if (Value* in = p->input(1)) {
          if (auto num = ctx_.constantNumbers(in)) return num->values;
          if (!constantArray(in)) {  // not a constant at all (else: not numeric, said below)
            if (explain_) why = describeNode(p) + " takes its axes from " + quoted(in) + ", which " + notConstantWhy(in);
            return std::nullopt;
          }
        }
        if (explain_) why = describeNode(p) + " has no axes (it reduces over all of them)";
        return std::nullopt;
      }
      case Condition::Term::Value: {
        // Read once per context and shared: many matches compare the same scalar constant.
        if (auto num = ctx_.constantNumbers(v)) return num->values;
        if (explain_) why = constantArray(v) ? name + " is not numeric" : name + " (" + quoted(v) + ") " + notConstantWhy(v);
        return std::nullopt;
      }
      case Condition::Term::None: break;
    }
    if (explain_) why = "nothing to compare";
    return std::nullopt;
  }

  bool check(const St& st, const Condition& c, std::string& why) const {
    Value* v = val(st, c.args[0]);
    switch (c.kind) {
      case Condition::Kind::Constant:
        if (v && v->isConstant()) return true;
        if (explain_) why = c.args[0] + " (" + quoted(v) + ") " + notConstantWhy(v);
        return false;
      case Condition::Kind::Initializer:
        if (v && v->isInitializer() && !v->isGraphInput()) return true;
        if (explain_) why = c.args[0] + " (" + quoted(v) + ") is not an initializer" +
              (v && v->producer() ? " (computed by " + describeNode(v->producer()) + ")" : "");
        return false;
      case Condition::Kind::SingleConsumer:
        if (v && v->uses().size() == 1 && !v->isGraphOutput()) return true;
        if (explain_) why = c.args[0] + " (" + quoted(v) + ") has " + std::to_string(v ? v->uses().size() : 0) + " consumers" +
              (v && v->isGraphOutput() ? " and is a graph output" : "") + ", the rule needs exactly one";
        return false;
      case Condition::Kind::Broadcastable: {
        Value* w = val(st, c.args[1]);
        auto a = valueDims(ctx_, v), b = valueDims(ctx_, w);
        if (!a || !b) {
          if (explain_) why = "cannot tell whether " + quoted(v) + " and " + quoted(w) + " broadcast: a shape is unknown";
          return false;
        }
        for (size_t i = 0; i < std::min(a->size(), b->size()); ++i) {
          auto x = (*a)[a->size() - 1 - i], y = (*b)[b->size() - 1 - i];
          if (x != y && x != 1 && y != 1 && x >= 0 && y >= 0) {
            if (explain_) why = quoted(v) + " and " + quoted(w) + " do not broadcast (" + std::to_string(x) + " vs " +
                  std::to_string(y) + ")";
            return false;
          }
        }
        return true;
      }
      case Condition::Kind::LastAxis: {
        auto axes = numbers(st, c.term, c.args[0], c.attribute, why);
        if (!axes) return false;
        Value* x = val(st, c.args[1]);
        auto d = valueDims(ctx_, x);
        if (axes->size() != 1) {
          if (explain_) why = "the axes " + Literal{Literal::Kind::List, 0, false, *axes, {}, {}, 0}.str() + " name more than one dim";
          return false;
        }
        double a = (*axes)[0];
        if (a == -1) return true;
        if (!d) {
          if (explain_) why = "axis " + std::to_string(static_cast<long long>(a)) + " may not be the last dim: the rank of " +
                quoted(x) + " is unknown";
          return false;
        }
        if (a == static_cast<double>(d->size()) - 1) return true;
        if (explain_) why = "axis " + std::to_string(static_cast<long long>(a)) + " is not the last dim of " + quoted(x) + " (rank " +
              std::to_string(d->size()) + ")";
        return false;
      }
      case Condition::Kind::Compare: break;
    }
    std::vector<bool> unknown;
    auto nums = numbers(st, c.term, c.args[0], c.attribute, why, &unknown);
    if (!nums) return false;
    auto shown = [&] {
      if (c.term == Condition::Term::DType) return std::string(dataTypeName(static_cast<std::int32_t>((*nums)[0])));
      Literal l;
      if (nums->size() == 1 && c.term != Condition::Term::Shape) {
        l.number = (*nums)[0];
      } else {
        l.kind = Literal::Kind::List;
        l.list = *nums;
        l.unknown = unknown;
      }
      return l.str();
    };
    auto eqLit = [&](const Literal& lit) {
      if (lit.kind == Literal::Kind::DType) return nums->size() == 1 && (*nums)[0] == lit.dtype;
      if (lit.kind == Literal::Kind::Number) {
        if (nums->empty()) return false;
        for (double x : *nums)
          if (!nearlyEqual(x, lit.number, c.tolerance, lit.isInteger && std::floor(x) == x)) return false;
        return true;
      }
      if (lit.kind == Literal::Kind::List) {
        if (lit.list.size() != nums->size()) return false;
        for (size_t i = 0; i < nums->size(); ++i) {
          if (i < lit.unknown.size() && lit.unknown[i]) continue;
          if (i < unknown.size() && unknown[i]) return false;
          if (!nearlyEqual((*nums)[i], lit.list[i], c.tolerance, true)) return false;
        }
        return true;
      }
      return false;
    };
    bool ok = false;
    switch (c.op) {
      case Condition::Op::Eq: ok = eqLit(c.rhs[0]); break;
      case Condition::Op::Ne: ok = !eqLit(c.rhs[0]); break;
      case Condition::Op::In: ok = std::any_of(c.rhs.begin(), c.rhs.end(), eqLit); break;
      case Condition::Op::InRange:
        ok = !nums->empty() && std::all_of(nums->begin(), nums->end(),
                                           [&](double x) { return x >= c.rhs[0].number && x <= c.rhs[1].number; });
        break;
      default: {
        double r = c.rhs[0].number;
        ok = !nums->empty() && std::all_of(nums->begin(), nums->end(), [&](double x) {
          switch (c.op) {
            case Condition::Op::Lt: return x < r;
            case Condition::Op::Le: return x <= r;
            case Condition::Op::Gt: return x > r;
            case Condition::Op::Ge: return x >= r;
            default: return false;
          }
        });
      }
    }
    if (!ok) if (explain_) why = "'" + c.text + "' does not hold: it is " + shown();
    return ok;
  }

  std::optional<onnx::AttributeProto> bind(const St& st, const Binding& b, std::string& why) const {
    onnx::AttributeProto a;
    if (b.term == Condition::Term::Attr) {
      Value* v = val(st, b.value);
      Node* p = v ? v->producer() : nullptr;
      auto at = p ? attributeOf(p, b.attribute) : std::nullopt;
      if (!at) {
        why = (p ? describeNode(p) : b.value) + " has no attribute '" + b.attribute + "'";
        return std::nullopt;
      }
      return at;
    }
    auto nums = numbers(st, b.term, b.value, b.attribute, why);
    if (!nums) return std::nullopt;
    bool integral = b.term != Condition::Term::Value;
    if (b.term == Condition::Term::Value) {
      auto num = ctx_.constantNumbers(val(st, b.value));
      integral = num && num->dtype != onnx::TensorProto::FLOAT && num->dtype != onnx::TensorProto::DOUBLE &&
                 num->dtype != onnx::TensorProto::FLOAT16 && num->dtype != onnx::TensorProto::BFLOAT16;
    }
    bool list = nums->size() != 1 || b.term == Condition::Term::Axes || b.term == Condition::Term::Shape;
    if (integral) {
      a.set_type(list ? onnx::AttributeProto::INTS : onnx::AttributeProto::INT);
      if (list)
        for (double x : *nums) a.add_ints(static_cast<std::int64_t>(x));
      else
        a.set_i(static_cast<std::int64_t>((*nums)[0]));
    } else {
      a.set_type(list ? onnx::AttributeProto::FLOATS : onnx::AttributeProto::FLOAT);
      if (list)
        for (double x : *nums) a.add_floats(static_cast<float>(x));
      else
        a.set_f(static_cast<float>((*nums)[0]));
    }
    return a;
  }

  bool explain_;
  std::string becomes_;
  const RuleSpec& spec_;
  const CompiledPattern& c_;
  const MatchContext& ctx_;
  Failure best_;
  St result_;
  std::map<std::string, onnx::AttributeProto> bindings_;
};

}  // namespace

void DeclaredRule::findMatches(const MatchContext& ctx, std::vector<Match>& out,
                               std::vector<NearMiss>* nearMisses) const {
  const auto& rootNode = spec_.pattern.nodes[static_cast<size_t>(pattern_.root)];
  // The replacement needs a newer opset than the model has: no match, and one note saying so.
  std::int64_t opset = ctx.graph().model().opsetVersion("");
  if (spec_.minOpset > 0 && opset >= 0 && opset < spec_.minOpset) {
    if (nearMisses)
      for (Node* n : ctx.nodesOf(rootNode.op_type())) {
        nearMisses->push_back({spec_.name, n->id(), MatchContext::label(n), {},
                               "the replacement needs opset " + std::to_string(spec_.minOpset) + ", the model imports " +
                                   std::to_string(opset) + " (use a profile with an opset-independent form)",
                               4, true});
        break;
      }
    return;
  }
  Matcher m(*this, ctx, nearMisses != nullptr);
  for (Node* n : ctx.nodesOf(rootNode.op_type())) {
    if (!sameDomain(n->domain(), rootNode.domain())) continue;
    if (!nearMisses && !m.plausible(n)) continue;
    Match match;
    NearMiss miss;
    if (m.run(n, match, miss)) {
      out.push_back(std::move(match));
    } else if (nearMisses) {
      nearMisses->push_back(std::move(miss));
    }
  }
}

// --------------------------------------------------------------------------- applying

namespace {

// Converts a `let` value to what the replacement's attribute declares (or leaves it as bound).
onnx::AttributeProto resolveRef(const onnx::AttributeProto& ref, const onnx::AttributeProto& bound) {
  onnx::AttributeProto a = bound;
  a.set_name(ref.name());
  if (ref.has_type() && ref.type() != bound.type()) {
    auto n = attrNumbers(bound);
    if (n) {
      a.Clear();
      a.set_name(ref.name());
      a.set_type(ref.type());
      switch (ref.type()) {
        case onnx::AttributeProto::INT: a.set_i(n->empty() ? 0 : static_cast<std::int64_t>((*n)[0])); break;
        case onnx::AttributeProto::FLOAT: a.set_f(n->empty() ? 0.f : static_cast<float>((*n)[0])); break;
        case onnx::AttributeProto::INTS:
          for (double x : *n) a.add_ints(static_cast<std::int64_t>(x));
          break;
        case onnx::AttributeProto::FLOATS:
          for (double x : *n) a.add_floats(static_cast<float>(x));
          break;
        default: break;
      }
    }
  }
  return a;
}

std::string freshName(const Graph& g, const std::string& base, const std::set<std::string>& reserved = {}) {
  if (!g.findValue(base) && !reserved.count(base)) return base;
  for (int i = 1;; ++i) {
    std::string n = base + "_" + std::to_string(i);
    if (!g.findValue(n) && !reserved.count(n)) return n;
  }
}

}  // namespace

Status applyReplacement(Graph& graph, const Match& match, RewriteContext& ctx, const PatternGraph& repl,
                        const std::vector<std::string>& patternOutputs);

Status DeclaredRule::apply(Graph& graph, const Match& match, RewriteContext& ctx) const {
  return applyReplacement(graph, match, ctx, spec_.replacement, spec_.pattern.outputs);
}

Status applyReplacement(Graph& graph, const Match& match, RewriteContext& ctx, const PatternGraph& repl,
                        const std::vector<std::string>& patternOutputs) {
  std::map<std::string, Value*> env;
  for (const auto& i : repl.inputs) {
    Value* v = match.values.get(i);
    if (!v) return {ErrorCode::Internal, "rule '" + match.rule + "': input '" + i + "' is not bound"};
    env[i] = v;
  }
  // Pattern outputs keep their value names: the old value is renamed out of the way and its
  // consumers move to the new one.
  std::map<std::string, Value*> oldOutputs;
  for (const auto& o : patternOutputs) {
    Value* v = match.values.at(o);
    oldOutputs[o] = v;
  }
  Node* before = match.root;
  std::map<std::string, std::string> finalName;
  for (auto& [name, v] : oldOutputs) {
    std::string keep = v->name();
    if (auto st = graph.renameValue(v, freshName(graph, keep + "__graft_replaced")); !st) return st;
    finalName[name] = keep;
  }
  std::string scope = ctx.scope();
  for (const auto& pn : repl.nodes) {
    Graph::NewNode spec;
    spec.opType = pn.op_type();
    spec.domain = defaultDomain(pn.domain()) ? "" : pn.domain();
    for (const auto& in : pn.input()) {
      if (in.empty()) {
        spec.inputs.push_back(nullptr);
        continue;
      }
      auto it = env.find(in);
      if (it == env.end()) return {ErrorCode::Internal, "rule '" + match.rule + "': '" + in + "' is not defined yet"};
      spec.inputs.push_back(it->second);
    }
    for (const auto& out : pn.output()) {
      if (out.empty()) {
        spec.outputNames.emplace_back();
      } else if (auto f = finalName.find(out); f != finalName.end()) {
        spec.outputNames.push_back(f->second);
      } else {
        std::set<std::string> reserved;
        for (const auto& [k, v] : finalName) reserved.insert(v);
        spec.outputNames.push_back(
            freshName(graph, (scope.empty() ? std::string() : scope + "/") + pn.op_type() + "_" + out, reserved));
      }
    }
    for (const auto& a : pn.attribute()) {
      if (!a.ref_attr_name().empty()) {
        auto b = match.bindings.find(a.ref_attr_name());
        if (b == match.bindings.end())
          return {ErrorCode::Internal, "rule '" + match.rule + "': @" + a.ref_attr_name() + " has no value"};
        spec.attributes.push_back(resolveRef(a, b->second));
      } else {
        spec.attributes.push_back(a);
      }
    }
    auto node = ctx.addNode(graph, std::move(spec), before);
    if (!node) return node.status();
    for (int o = 0; o < pn.output_size(); ++o)
      if (!pn.output(o).empty()) env[pn.output(o)] = (*node)->output(static_cast<size_t>(o));
  }
  for (auto& [name, old] : oldOutputs) {
    Value* now = env.at(name);
    graph.replaceAllUses(old, now);
    if (old->declaredType() && !now->declaredType()) (void)graph.setDeclaredType(now, *old->declaredType());
  }
  // Matched nodes go, consumers first.
  std::vector<Node*> doomed(match.nodes.begin(), match.nodes.end());
  std::set<Value*> inputsTouched;
  for (Node* n : doomed)
    for (Value* v : n->inputs())
      if (v) inputsTouched.insert(v);
  for (bool progress = true; progress && !doomed.empty();) {
    progress = false;
    for (auto it = doomed.begin(); it != doomed.end();) {
      bool free = true;
      for (Value* v : (*it)->outputs())
        if (v && (!v->uses().empty() || v->isGraphOutput())) free = false;
      if (free) {
        if (auto st = graph.removeNode(*it); !st) return st;
        it = doomed.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
  }
  if (!doomed.empty())
    return {ErrorCode::Internal, "rule '" + match.rule + "': matched node " + MatchContext::label(doomed.front()) +
                                     " is still used after the rewrite"};
  for (auto& [name, old] : oldOutputs)
    if (graph.findValue(old->name()) == old && !old->producer() && old->uses().empty() && !old->isGraphOutput())
      (void)graph.removeValue(old);
  // Constants only the match read are dead now.
  for (Value* v : inputsTouched) {
    if (!v->uses().empty() || v->isGraphOutput() || v->isGraphInput()) continue;
    if (Node* p = v->producer(); p && p->opType() == "Constant" && p->outputs().size() == 1) {
      if (auto st = graph.removeNode(p); !st) return st;
    } else if (v->isInitializer() && graph.findValue(v->name()) == v) {
      if (auto st = graph.removeInitializer(v); !st) return st;
      (void)graph.removeValue(v);
    }
  }
  return Status::ok();
}

// --------------------------------------------------------------------------- inverse

Result<std::shared_ptr<const Rule>> DeclaredRule::inverse() const {
  auto no = [&](const std::string& why) {
    return Status(ErrorCode::Unsupported, spec_.pos.str() + ": rule '" + spec_.name + "' has no inverse: " + why);
  };
  if (!spec_.invertible) return no("it says 'inverse: no'");
  if (!spec_.bindings.empty())
    return no("its replacement takes attributes from the match (let), which the other direction cannot recover");
  // Every pattern input the replacement drops must be a constant pinned to one number, so the
  // inverse can write it back as a Constant.
  std::set<std::string> kept(spec_.replacement.inputs.begin(), spec_.replacement.inputs.end());
  RuleSpec inv;
  inv.name = spec_.name + ".inverse";
  inv.description = "inverse of " + spec_.name + (spec_.description.empty() ? "" : ": " + spec_.description);
  inv.benefit = spec_.benefit;
  inv.backends = spec_.backends;
  inv.invertible = false;
  inv.pos = spec_.pos;
  inv.pattern = spec_.replacement;
  inv.replacement = spec_.pattern;
  inv.replacement.inputs = spec_.replacement.inputs;
  std::vector<onnx::NodeProto> constants;
  for (const auto& i : spec_.pattern.inputs) {
    if (kept.count(i)) continue;
    const Condition* pin = nullptr;
    std::int32_t dtype = onnx::TensorProto::FLOAT;
    for (const auto& c : spec_.conditions) {
      if (c.kind != Condition::Kind::Compare || c.args[0] != i || c.negated) continue;
      if (c.term == Condition::Term::Value && c.op == Condition::Op::Eq && c.rhs[0].kind == Literal::Kind::Number)
        pin = &c;
      if (c.term == Condition::Term::DType && c.op == Condition::Op::Eq) dtype = c.rhs[0].dtype;
    }
    if (!pin) return no("pattern input '" + i + "' is not kept by the replacement and not pinned by 'value(" + i + ") == N'");
    onnx::NodeProto cn;
    cn.set_op_type("Constant");
    cn.add_output(i);
    auto* a = cn.add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    auto* t = a->mutable_t();
    t->set_data_type(dtype);
    if (dtype == onnx::TensorProto::INT64)
      t->add_int64_data(static_cast<std::int64_t>(pin->rhs[0].number));
    else if (dtype == onnx::TensorProto::DOUBLE)
      t->add_double_data(pin->rhs[0].number);
    else if (dtype == onnx::TensorProto::FLOAT)
      t->add_float_data(static_cast<float>(pin->rhs[0].number));
    else
      return no("pinned constant '" + i + "' has a dtype the inverse cannot write");
    constants.push_back(std::move(cn));
  }
  inv.replacement.nodes.insert(inv.replacement.nodes.begin(), constants.begin(), constants.end());
  inv.replacement.nodePos.insert(inv.replacement.nodePos.begin(), constants.size(), spec_.pattern.pos);
  for (const auto& c : spec_.conditions) {
    bool onKept = std::all_of(c.args.begin(), c.args.end(), [&](const std::string& a) { return kept.count(a) != 0; });
    if (onKept) inv.conditions.push_back(c);
  }
  for (const auto& n : inv.pattern.nodes)
    for (const auto& a : n.attribute())
      if (!a.ref_attr_name().empty()) return no("its replacement has attribute references");
  auto r = DeclaredRule::create(std::move(inv));
  if (!r) return r.status();
  return std::shared_ptr<const Rule>(*r);
}

}  // namespace graft::detail
