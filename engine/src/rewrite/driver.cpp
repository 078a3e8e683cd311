// The driver: matching a profile's rules on an indexed graph, resolving overlaps, reporting
// blockers, and applying inside edit journals with verification and exact undo.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <set>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "graft/analysis.h"
#include "graft/eval.h"
#include "graft/rewrite.h"
#include "rewrite/declared.h"

namespace graft {

// ----------------------------------------------------------------------------- naming, provenance

std::string RewriteContext::scope() const {
  std::vector<std::string> common;
  bool first = true;
  for (const Node* n : matched_) {
    const std::string& name = n->name();
    if (name.empty() || name[0] != '/') continue;
    std::vector<std::string> parts;
    size_t start = 1;
    for (;;) {
      size_t slash = name.find('/', start);
      if (slash == std::string::npos) break;  // the last part is the op's own name
      parts.push_back(name.substr(start, slash - start));
      start = slash + 1;
    }
    if (first) {
      common = parts;
      first = false;
    } else {
      size_t k = 0;
      while (k < common.size() && k < parts.size() && common[k] == parts[k]) ++k;
      common.resize(k);
    }
  }
  std::string s;
  for (const auto& p : common) s += "/" + p;
  return s;
}

Result<Node*> RewriteContext::addNode(Graph& graph, Graph::NewNode spec, const Node* before) {
  std::string base;
  std::string sc = scope();
  if (!sc.empty()) {
    base = sc + "/" + spec.opType;
  } else {
    const Node* root = matched_.empty() ? nullptr : matched_.back();
    base = (root && !root->name().empty() ? root->name() + "/" : std::string()) + spec.opType;
  }
  if (spec.name.empty()) {
    spec.name = base;
    for (int i = 1; graph.findNodeByName(spec.name); ++i) spec.name = base + "_" + std::to_string(i);
  }
  std::string replaced;
  size_t shown = 0;
  for (const Node* n : matched_) {
    if (shown == 8) {
      replaced += ", ...";
      break;
    }
    replaced += (shown ? ", " : "") + MatchContext::label(n);
    ++shown;
  }
  std::string prov = std::string(kProvenancePrefix) + rule_ + (replaced.empty() ? "" : " (replaced " + replaced + ")");
  spec.docString = spec.docString.empty() ? prov : prov + "\n" + spec.docString;
  // A node of a domain the model does not import yet brings the import with it (version 1:
  // com.microsoft and other contrib domains have only that).
  if (!spec.domain.empty() && spec.domain != "ai.onnx" && graph.model().opsetVersion(spec.domain) < 0)
    graph.model().setOpsetImport(spec.domain, 1);
  auto node = graph.addNode(std::move(spec), before);
  if (node) created_.push_back(*node);
  return node;
}

std::string provenanceOf(const Node& node) {
  const std::string& doc = node.proto().doc_string();
  std::string prefix = kProvenancePrefix;
  if (doc.rfind(prefix, 0) != 0) return {};
  size_t end = doc.find_first_of(" \n", prefix.size());
  return doc.substr(prefix.size(), end == std::string::npos ? std::string::npos : end - prefix.size());
}

// ----------------------------------------------------------------------------- change records

Status ChangeRecord::undo(Model& model) const {
  if (!journal) return {ErrorCode::InvalidArgument, "this change has no journal to undo"};
  // Made inside an outer journal (recordChange nests): that journal must not keep it either.
  if (EditJournal* outer = model.activeJournal()) outer->forget(journal.get());
  model.undoJournal(*journal);
  return Status::ok();
}

Status ChangeRecord::redo(Model& model) const {
  if (!journal) return {ErrorCode::InvalidArgument, "this change has no journal to redo"};
  model.redoJournal(*journal);
  return Status::ok();
}

namespace {

// Collects what an apply touched, for the change record.
class Recorder : public ModelObserver {
 public:
  void nodeAdded(Node& n) override {
    added_.push_back(n.id());
    names_[n.id()] = MatchContext::label(&n);
  }
  void nodeRemoved(Node& n) override {
    auto it = std::find(added_.begin(), added_.end(), n.id());
    if (it != added_.end()) {
      added_.erase(it);
      return;
    }
    removed_.push_back(MatchContext::label(&n));
    removedIds_.insert(n.id());
  }
  void nodeChanged(Node& n) override {
    if (std::find(changed_.begin(), changed_.end(), n.id()) == changed_.end()) {
      changed_.push_back(n.id());
      names_[n.id()] = MatchContext::label(&n);
    }
  }
  void fill(ChangeRecord& r, const Graph& g) const {
    for (NodeId id : added_) {
      Node* n = g.findNode(id);
      r.added.push_back(n ? MatchContext::label(n) : names_.at(id));
      r.addedIds.push_back(id);
    }
    r.removed.insert(r.removed.end(), removed_.begin(), removed_.end());
    for (NodeId id : changed_) {
      if (removedIds_.count(id) || std::find(added_.begin(), added_.end(), id) != added_.end()) continue;
      Node* n = g.findNode(id);
      if (!n) continue;
      r.changed.push_back(MatchContext::label(n));
      r.changedIds.push_back(id);
    }
  }

 private:
  std::vector<NodeId> added_, changed_;
  std::vector<std::string> removed_;
  std::set<NodeId> removedIds_;
  std::map<NodeId, std::string> names_;
};


}  // namespace

Result<ChangeRecord> recordChange(Model& model, const std::function<Status(ChangeRecord&)>& fn) {
  // Inside another journal (a recipe replayed as one undo step) this change becomes one step of it.
  EditJournal* outer = model.activeJournal();
  if (outer) model.endJournal();
  ChangeRecord rec;
  rec.journal = std::make_shared<EditJournal>();
  (void)model.beginJournal(rec.journal.get());
  Recorder recorder;
  model.addObserver(&recorder);
  auto before = static_cast<std::int64_t>(model.graph().nodeCount());
  Status st = fn(rec);
  model.removeObserver(&recorder);
  model.endJournal();
  if (!st) {
    model.undoJournal(*rec.journal);
    if (outer) (void)model.beginJournal(outer);
    return st;
  }
  if (outer) {
    (void)model.beginJournal(outer);
    outer->append(rec.journal);
  }
  recorder.fill(rec, model.graph());
  rec.nodeDelta = static_cast<std::int64_t>(model.graph().nodeCount()) - before;
  return rec;
}

namespace {

bool nodesAlive(const Graph& g, const Match& m) {
  for (size_t i = 0; i < m.nodes.size(); ++i)
    if (g.findNode(m.nodeIds[i]) != m.nodes[i]) return false;
  for (const auto& [name, v] : m.values)
    if (!v || v->graph().findValue(v->name()) != v) return false;
  return true;
}

std::string nodeList(const std::vector<Node*>& nodes) {
  std::string s;
  for (size_t i = 0; i < nodes.size() && i < 10; ++i) s += (i ? ", " : "") + MatchContext::label(nodes[i]);
  if (nodes.size() > 10) s += ", ... (" + std::to_string(nodes.size()) + " nodes)";
  return s;
}

Status cancelled(const std::string& what) {
  return {ErrorCode::Cancelled, "applying " + what + " was cancelled; the model is unchanged"};
}

bool ruleWanted(const std::string& name, const ApplyOptions& o) {
  if (!o.only.empty() && std::find(o.only.begin(), o.only.end(), name) == o.only.end()) return false;
  return std::find(o.skip.begin(), o.skip.end(), name) == o.skip.end();
}

bool needsTypes(const std::vector<std::shared_ptr<const Rule>>& rules) {
  for (const auto& r : rules) {
    const RuleSpec* s = declaredSpec(*r);
    if (!s) return true;  // C++ rules may look at shapes
    for (const auto& c : s->conditions)
      if (c.kind == Condition::Kind::Broadcastable || c.kind == Condition::Kind::LastAxis ||
          c.term == Condition::Term::Rank || c.term == Condition::Term::Shape || c.term == Condition::Term::DType)
        return true;
  }
  return false;
}

std::unique_ptr<TypeTable> typesFor(const Model& model) {
  auto inf = inferShapes(model);
  if (!inf) return nullptr;
  auto t = std::make_unique<TypeTable>();
  t->types = std::move(inf->types);
  return t;
}

// Picks non-overlapping matches: higher benefit first, then earlier in topological order.
void resolveOverlaps(std::vector<Match>& all, std::vector<Match>& chosen, std::vector<Match>* lost) {
  // Sorts positions, not Matches: a Match is large (maps, strings), and moving tens of
  // thousands of them around in a stable sort showed up in profiles. Same order as sorting them.
  std::vector<std::uint32_t> idx(all.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<std::uint32_t>(i);
  std::stable_sort(idx.begin(), idx.end(), [&](std::uint32_t ia, std::uint32_t ib) {
    const Match& a = all[ia];
    const Match& b = all[ib];
    if (a.benefit != b.benefit) return a.benefit > b.benefit;
    if (a.order != b.order) return a.order < b.order;
    if (a.rule != b.rule) return a.rule < b.rule;
    return a.nodeIds < b.nodeIds;
  });
  // Node ids are dense: flags by id instead of a hash set.
  std::vector<char> taken;
  auto isTaken = [&](NodeId id) { return id < taken.size() && taken[static_cast<size_t>(id)]; };
  chosen.reserve(chosen.size() + all.size());
  for (std::uint32_t i : idx) {
    Match& m = all[i];
    bool free = std::none_of(m.nodeIds.begin(), m.nodeIds.end(), isTaken);
    if (free) {
      for (NodeId id : m.nodeIds) {
        if (id >= taken.size()) taken.resize(std::max<size_t>(static_cast<size_t>(id) + 1, taken.size() * 2), 0);
        taken[static_cast<size_t>(id)] = 1;
      }
      chosen.push_back(std::move(m));
    } else if (lost) {
      lost->push_back(std::move(m));
    }
  }
}

bool opMatches(const std::string& spec, const Node& n) {
  if (spec == "*") return true;
  auto colon = spec.rfind(':');
  if (colon == std::string::npos) return n.opType() == spec;
  std::string dom = spec.substr(0, colon);
  if (dom == "ai.onnx") dom.clear();
  return n.opType() == spec.substr(colon + 1) && n.domain() == dom;
}

void findBlockers(const Profile& p, const MatchContext& ctx, std::vector<BlockerHit>& out) {
  for (const auto& b : p.blockers) {
    // A blocker naming an op looks only at that op's nodes (the index), "*" at every node.
    std::string op = b.op.substr(b.op.rfind(':') == std::string::npos ? 0 : b.op.rfind(':') + 1);
    const auto& candidates = b.op == "*" ? ctx.topoOrder() : ctx.nodesOf(op);
    for (const Node* n : candidates) {
      if (!opMatches(b.op, *n)) continue;
      BlockerHit hit{n->id(), MatchContext::label(n), n->opType(), b.reason};
      switch (b.kind) {
        case Blocker::Kind::Op: out.push_back(hit); break;
        case Blocker::Kind::Attribute: {
          const auto* a = n->attribute(b.attribute);
          if (!a) break;
          bool hitIt = b.values.empty();
          for (const auto& v : b.values) {
            if (v.kind == Literal::Kind::String && a->type() == onnx::AttributeProto::STRING && a->s() == v.text) hitIt = true;
            if (v.kind == Literal::Kind::Number && a->type() == onnx::AttributeProto::INT && a->i() == v.number) hitIt = true;
            if (v.kind == Literal::Kind::Number && a->type() == onnx::AttributeProto::FLOAT && a->f() == v.number) hitIt = true;
          }
          if (hitIt) {
            hit.reason = b.attribute + ": " + b.reason;
            out.push_back(hit);
          }
          break;
        }
        case Blocker::Kind::DType: {
          for (const Value* v : n->outputs()) {
            const auto* t = ctx.type(v);
            if (t && t->has_tensor_type() && t->tensor_type().elem_type() == b.dtype) {
              hit.reason = std::string(dataTypeName(b.dtype)) + ": " + b.reason;
              out.push_back(hit);
              break;
            }
          }
          break;
        }
        case Blocker::Kind::DynamicShape: {
          for (const Value* v : n->inputs()) {
            if (!v || v->isConstant()) continue;
            const auto* t = ctx.type(v);
            bool dynamic = !t || !t->has_tensor_type() || !t->tensor_type().has_shape();
            if (!dynamic)
              for (const auto& d : t->tensor_type().shape().dim())
                if (!d.has_dim_value()) dynamic = true;
            if (dynamic) {
              hit.reason = "dynamic shape of '" + v->name() + "': " + b.reason;
              out.push_back(hit);
              break;
            }
          }
          break;
        }
      }
    }
  }
}

}  // namespace

// ----------------------------------------------------------------------------- rewriter

Result<Rewriter> Rewriter::create(const Profile& profile, const std::vector<std::string>& extraRuleFiles) {
  Rewriter r;
  r.profile_ = profile;
  std::vector<std::shared_ptr<const Rule>> pool;
  std::vector<std::string> files = extraRuleFiles;
  files.insert(files.end(), profile.ruleFiles.begin(), profile.ruleFiles.end());
  for (const auto& f : files) {
    auto rules = loadRuleFile(f);
    if (!rules) return rules.status();
    pool.insert(pool.end(), rules->begin(), rules->end());
  }
  auto& reg = RuleRegistry::instance();
  auto lookup = [&](const std::string& name) -> std::shared_ptr<const Rule> {
    for (const auto& r : pool)
      if (r->name() == name) return r;
    return reg.create(name);
  };
  std::vector<std::string> names;
  for (const auto& r : pool) names.push_back(r->name());
  for (const auto& n : reg.names()) names.push_back(n);
  std::set<std::string> added;
  auto addRule = [&](std::shared_ptr<const Rule> rule) {
    if (added.insert(rule->name()).second) r.rules_.push_back(std::move(rule));
  };
  for (const auto& pr : profile.rules) {
    std::vector<std::string> expanded;
    if (!pr.name.empty() && pr.name.back() == '*') {
      std::string prefix = pr.name.substr(0, pr.name.size() - 1);
      for (const auto& n : names)
        if (n.rfind(prefix, 0) == 0 && std::find(expanded.begin(), expanded.end(), n) == expanded.end())
          expanded.push_back(n);
      if (expanded.empty())
        return Status(ErrorCode::NotFound, pr.pos.str() + ": no rule matches '" + pr.name + "'");
    } else {
      expanded.push_back(pr.name);
    }
    for (const auto& n : expanded) {
      auto rule = lookup(n);
      if (!rule)
        return Status(ErrorCode::NotFound, pr.pos.str() + ": unknown rule '" + n +
                                               "' (not in the profile's rule files, the extra rule files, or the "
                                               "built-in C++ rules)");
      if (pr.inverse) {
        auto inv = rule->inverse();
        if (!inv) return Status(ErrorCode::Unsupported, pr.pos.str() + ": " + inv.message());
        addRule(*inv);
      } else {
        addRule(rule);
      }
    }
  }
  // Extra rule files given by the user apply too, even when the profile does not name them.
  for (const auto& f : extraRuleFiles) {
    auto rules = loadRuleFile(f);
    if (rules)
      for (auto& rule : *rules) addRule(rule);
  }
  for (const auto& n : profile.backendFuses) {
    auto rule = lookup(n);
    if (!rule) return Status(ErrorCode::NotFound, profile.path + ": backend-fuses names unknown rule '" + n + "'");
    r.fuses_.push_back(rule);
  }
  return r;
}

Rewriter Rewriter::fromRules(std::vector<std::shared_ptr<const Rule>> rules) {
  Rewriter r;
  r.profile_.name = "custom";
  r.rules_ = std::move(rules);
  return r;
}

const std::shared_ptr<const Rule>* Rewriter::findRule(const std::string& name) const {
  for (const auto& r : rules_)
    if (r->name() == name) return &r;
  return nullptr;
}

MatchReport Rewriter::match(const Model& model, const MatchOptions& options) const {
  MatchReport report;
  std::unique_ptr<TypeTable> types;
  if (!options.types && options.inferTypes && (needsTypes(rules_) || !profile_.blockers.empty()))
    types = typesFor(model);
  auto ctx = MatchContext::create(model.graph(), options.types ? options.types : types.get());
  if (!ctx) {
    report.warnings.push_back(ctx.message());
    return report;
  }
  std::vector<Match> all;
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (!reportProgress(options.progress, static_cast<double>(i) / static_cast<double>(rules_.size()),
                        rules_[i]->name())) {
      report.cancelled = true;
      report.warnings.push_back("matching was cancelled");
      return report;
    }
    rules_[i]->findMatches(**ctx, all, options.nearMisses ? &report.nearMisses : nullptr);
  }
  resolveOverlaps(all, report.matches, &report.overlapped);
  // What the backend fuses itself is reported, and not offered as a rewrite.
  std::vector<Match> fused;
  for (const auto& r : fuses_) r->findMatches(**ctx, fused, nullptr);
  std::unordered_set<NodeId> fusedNodes;
  for (const auto& m : fused) fusedNodes.insert(m.nodeIds.begin(), m.nodeIds.end());
  report.backendFuses = std::move(fused);
  findBlockers(profile_, **ctx, report.blocks);
  // Every near miss stays in the report; rankNearMisses picks what a person should read.
  return report;
}

std::vector<DimValues> verificationDims(const Model& model, const ApplyOptions& options) {
  std::vector<DimValues> sets = {options.dims};
  if (!options.varyDims) return sets;
  std::vector<std::string> names;
  for (const auto& in : modelInputs(model))
    for (size_t i = 0; i < in.shape.size(); ++i)
      if (in.shape[i] < 0 && std::find(names.begin(), names.end(), in.dimNames[i]) == names.end())
        names.push_back(in.dimNames[i]);
  DimValues varied = options.dims;
  static const std::int64_t kOthers[] = {3, 5, 11, 13, 6, 10};
  size_t other = 0;
  bool changed = false;
  for (const auto& name : names) {
    if (options.dims.count(name)) continue;
    std::string low;
    for (char c : name) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::int64_t v = 0;
    if (low.find("batch") != std::string::npos) v = 2;
    else if (low.find("seq") != std::string::npos || low.find("len") != std::string::npos ||
             low.find("token") != std::string::npos)
      v = 7;
    else v = kOthers[other++ % std::size(kOthers)];
    varied[name] = v;
    changed = true;
  }
  if (changed) sets.push_back(std::move(varied));
  return sets;
}

namespace {

// Outputs of the model on fixed random inputs, or nullopt when the evaluator cannot run it.
std::optional<NamedArrays> referenceOutputs(const Model& model, const ApplyOptions& o, const DimValues& dims,
                                            std::string& why, ErrorCode* code = nullptr) {
  auto inputs = randomInputs(model, o.seed, dims);
  if (!inputs) {
    why = inputs.message();
    if (code) *code = inputs.status().code();
    return std::nullopt;
  }
  auto out = evaluate(model, *inputs);
  if (!out) {
    why = out.message();
    if (code) *code = out.status().code();
    return std::nullopt;
  }
  return std::move(*out);
}

// Outputs at every assignment of the symbolic dims the check uses (nullopt where it cannot run).
struct References {
  std::vector<DimValues> dims;
  std::vector<std::optional<NamedArrays>> outputs;
  std::vector<ErrorCode> codes;  // why an assignment could not run (Unsupported: a missing kernel)
  bool any() const {
    return std::any_of(outputs.begin(), outputs.end(), [](const auto& o) { return o.has_value(); });
  }
};

References referenceOutputsAll(const Model& model, const ApplyOptions& o, std::string& why) {
  References r;
  r.dims = verificationDims(model, o);
  for (const auto& d : r.dims) {
    std::string w;
    ErrorCode code = ErrorCode::Ok;
    r.outputs.push_back(referenceOutputs(model, o, d, w, &code));
    r.codes.push_back(code);
    if (!r.outputs.back() && why.empty()) why = w;
  }
  return r;
}

std::string describeDims(const DimValues& dims) {
  std::string s;
  for (const auto& [name, v] : dims) s += (s.empty() ? "" : ", ") + name + " = " + std::to_string(v);
  return s.empty() ? s : " (at " + s + ")";
}

Status compareOutputs(const NamedArrays& before, const NamedArrays& after, const ApplyOptions& o,
                      double* maxAbsDiff = nullptr) {
  for (const auto& [name, a] : before) {
    auto it = after.find(name);
    if (it == after.end()) return {ErrorCode::Invalid, "output '" + name + "' is gone"};
    const Array& b = it->second;
    if (a.shape() != b.shape())
      return {ErrorCode::Invalid, "output '" + name + "' changed shape from " + formatArrayType(a) + " to " + formatArrayType(b)};
    auto da = arrayToDoubles(a), db = arrayToDoubles(b);
    if (!da || !db) continue;  // strings: compared elsewhere
    for (size_t i = 0; i < da->size(); ++i) {
      double x = (*da)[i], y = (*db)[i];
      if (std::isnan(x) && std::isnan(y)) continue;
      if (maxAbsDiff && std::isfinite(x) && std::isfinite(y)) *maxAbsDiff = std::max(*maxAbsDiff, std::fabs(x - y));
      if (!(std::fabs(x - y) <= o.atol + o.rtol * std::fabs(x)))
        return {ErrorCode::Invalid, "output '" + name + "' differs at element " + std::to_string(i) + ": " +
                                        std::to_string(x) + " before, " + std::to_string(y) + " after"};
    }
  }
  return Status::ok();
}

Status structuralCheck(const Model& model) {
  auto problems = structuralProblems(model);
  if (problems.empty()) return Status::ok();
  return {ErrorCode::Invalid, problems.front().message};
}

}  // namespace

Status verifyChange(Model& model, const ChangeRecord& record, const ApplyOptions& options, Verification* found) {
  Verification local;
  Verification& v = found ? *found : local;
  if (auto st = structuralCheck(model); !st) return st;
  v.structural = true;
  std::string why;
  auto after = referenceOutputsAll(model, options, why);
  if (std::all_of(after.codes.begin(), after.codes.end(), [](ErrorCode c) { return c == ErrorCode::Unsupported; })) {
    // The evaluator lacks a kernel the result needs: structure checks only.
    v.note = "the reference evaluator cannot run the result: " + why;
    return Status::ok();
  }
  if (auto st = record.undo(model); !st) return st;
  std::vector<std::optional<NamedArrays>> before;
  for (size_t k = 0; k < after.dims.size(); ++k) {
    std::string w;
    before.push_back(referenceOutputs(model, options, after.dims[k], w));
  }
  if (auto st = record.redo(model); !st) return st;
  for (size_t k = 0; k < after.dims.size(); ++k) {
    if (!before[k]) continue;  // the original cannot run at these dims either
    if (!after.outputs[k] && after.codes[k] == ErrorCode::Unsupported) continue;  // a kernel the evaluator lacks
    if (!after.outputs[k])
      return {ErrorCode::Invalid, "the result no longer runs" + describeDims(after.dims[k])};
    double diff = 0;
    auto st = compareOutputs(*before[k], *after.outputs[k], options, &diff);
    v.numeric = true;
    ++v.inputSets;
    v.maxAbsDiff = std::max(v.maxAbsDiff, diff);
    if (!st) return {st.code(), st.message() + describeDims(after.dims[k])};
  }
  if (!v.numeric) v.note = "the reference evaluator cannot run the model: " + why;
  return Status::ok();
}

Result<ChangeRecord> Rewriter::applyMatch(Model& model, const Match& match, const ApplyOptions& options) const {
  const auto* rule = findRule(match.rule);
  if (!rule) return Status(ErrorCode::NotFound, "rule '" + match.rule + "' is not part of this rewriter");
  if (!nodesAlive(model.graph(), match))
    return Status(ErrorCode::InvalidArgument, "the match of '" + match.rule + "' is stale: the graph changed since it was found");
  if (!reportProgress(options.progress, 0.0, match.rule)) return cancelled("'" + match.rule + "'");
  std::function<void()> kept;
  auto rec = recordChange(model, [&](ChangeRecord& r) {
    RewriteContext ctx(match.rule, match.nodes);
    if (options.onRewrite) kept = options.onRewrite(model, match);
    if (auto st = (*rule)->apply(model.graph(), match, ctx); !st) return st;
    r.rule = match.rule;
    r.rules = {match.rule};
    r.applied = 1;
    return Status::ok();
  });
  if (!rec) return Status(rec.status().code(), "rule '" + match.rule + "' at " + nodeList(match.nodes) + ": " + rec.message());
  if (!reportProgress(options.progress, 0.5, "verifying")) {
    (void)rec->undo(model);
    return cancelled("'" + match.rule + "'");
  }
  if (options.verify) {
    if (auto st = verifyChange(model, *rec, options, &rec->verification); !st) {
      (void)rec->undo(model);
      return Status(ErrorCode::Invalid, "rule '" + match.rule + "' at " + nodeList(match.nodes) +
                                            " was undone: " + st.message());
    }
  }
  if (!reportProgress(options.progress, 1.0, match.rule)) {
    (void)rec->undo(model);
    return cancelled("'" + match.rule + "'");
  }
  if (kept) kept();
  return rec;
}

namespace {

// Where a round of matches reports its progress: [from, from + span] of the whole call.
struct ProgressSpan {
  const ProgressFn* fn = nullptr;
  double from = 0, span = 1;
  bool report(double within, std::string_view stage) const {
    return !fn || reportProgress(*fn, from + span * within, stage);
  }
};

// Applies every chosen match of `rules` found on the current graph; returns how many applied.
// A cancel from `progress` returns ErrorCode::Cancelled with the round's edits still in the
// journal (the caller undoes them).
Result<size_t> applyRound(Model& model, const std::vector<std::shared_ptr<const Rule>>& rules, bool types,
                          std::vector<std::string>& appliedRules, const ProgressSpan& progress,
                          const ApplyOptions& hooks) {
  std::unique_ptr<TypeTable> table;
  if (types) table = typesFor(model);
  auto ctx = MatchContext::create(model.graph(), table.get());
  if (!ctx) return ctx.status();
  std::vector<Match> all, chosen;
  for (const auto& r : rules) r->findMatches(**ctx, all, nullptr);
  resolveOverlaps(all, chosen, nullptr);
  size_t applied = 0;
  for (size_t k = 0; k < chosen.size(); ++k) {
    const Match& m = chosen[k];
    if (!progress.report(static_cast<double>(k) / static_cast<double>(chosen.size()), m.rule))
      return Status(ErrorCode::Cancelled, "cancelled while applying '" + m.rule + "'");
    if (!nodesAlive(model.graph(), m)) continue;  // an earlier rewrite took part of it: next round
    const std::shared_ptr<const Rule>* rule = nullptr;
    for (const auto& r : rules)
      if (r->name() == m.rule) rule = &r;
    RewriteContext rc(m.rule, m.nodes);
    auto revision = model.revision();
    std::function<void()> kept;
    if (hooks.onRewrite) kept = hooks.onRewrite(model, m);
    if (auto st = (*rule)->apply(model.graph(), m, rc); !st)
      return Status(st.code(), "rule '" + m.rule + "' at " + nodeList(m.nodes) + ": " + st.message());
    if (model.revision() == revision) continue;  // the rule declined (e.g. a fold too big)
    if (kept) kept();
    if (std::find(appliedRules.begin(), appliedRules.end(), m.rule) == appliedRules.end()) appliedRules.push_back(m.rule);
    ++applied;
  }
  return applied;
}

}  // namespace

Result<ChangeRecord> Rewriter::applyRule(Model& model, const std::string& ruleName, const ApplyOptions& options) const {
  const auto* rule = findRule(ruleName);
  if (!rule) return Status(ErrorCode::NotFound, "rule '" + ruleName + "' is not part of this rewriter");
  std::vector<std::shared_ptr<const Rule>> one = {*rule};
  auto rec = recordChange(model, [&](ChangeRecord& r) {
    r.rule = ruleName;
    std::vector<std::string> appliedRules;
    auto n = applyRound(model, one, needsTypes(one), appliedRules, ProgressSpan{&options.progress, 0.0, 0.8}, options);
    if (!n) return n.status();
    r.applied = *n;
    r.rules = appliedRules;
    return Status::ok();
  });
  if (!rec && rec.status().code() == ErrorCode::Cancelled) return cancelled("'" + ruleName + "'");
  if (!rec) return rec;
  if (!reportProgress(options.progress, 0.8, "verifying")) {
    (void)rec->undo(model);
    return cancelled("'" + ruleName + "'");
  }
  if (options.verify && rec->applied) {
    if (auto st = verifyChange(model, *rec, options, &rec->verification); !st) {
      (void)rec->undo(model);
      if (options.onRewritesUndone) options.onRewritesUndone(ruleName);
      return Status(ErrorCode::Invalid, "rule '" + ruleName + "' (" + std::to_string(rec->applied) +
                                            " matches, nodes " + [&] {
                                              std::string s;
                                              for (size_t i = 0; i < rec->removed.size() && i < 10; ++i)
                                                s += (i ? ", " : "") + rec->removed[i];
                                              return s;
                                            }() + ") was undone: " + st.message());
    }
  }
  if (!reportProgress(options.progress, 1.0, ruleName)) {
    (void)rec->undo(model);
    return cancelled("'" + ruleName + "'");
  }
  return rec;
}

Result<ChangeRecord> Rewriter::applyAll(Model& model, const ApplyOptions& options) const {
  std::vector<std::shared_ptr<const Rule>> active;
  for (const auto& r : rules_)
    if (ruleWanted(r->name(), options)) active.push_back(r);
  References reference;
  std::string whyNot;
  std::vector<std::string> warnings;
  if (!reportProgress(options.progress, 0.0, "computing reference outputs")) return cancelled("the profile");
  if (options.verify) {
    reference = referenceOutputsAll(model, options, whyNot);
    if (!reference.any())
      warnings.push_back("outputs not compared (the reference evaluator cannot run this model: " + whyNot + ")");
  }
  auto rec = recordChange(model, [&](ChangeRecord& total) -> Status {
    total.warnings = warnings;
    if (options.verify && !reference.any()) total.verification.note = "the reference evaluator cannot run this model: " + whyNot;
    bool types = needsTypes(active);
    int iteration = 0;
    for (;; ++iteration) {
      if (iteration >= options.maxIterations) {
        std::string msg = "stopped after " + std::to_string(options.maxIterations) +
                          " rounds without reaching a fixed point (rules keep matching: " + [&] {
                            std::string s;
                            for (const auto& r : total.rules) s += (s.empty() ? "" : ", ") + r;
                            return s;
                          }() + ")";
        spdlog::warn("{}", msg);
        total.warnings.push_back(msg);
        break;
      }
      size_t appliedThisRound = 0;
      // The number of rounds is not known ahead: the first gets most of the bar, each later
      // one half of what is left.
      const double roundFrom = iteration == 0 ? 0.0 : 1.0 - 0.15 * std::pow(0.5, iteration - 1);
      const double roundTo = 1.0 - 0.15 * std::pow(0.5, iteration);
      const size_t rulesThisRound = active.size();
      size_t ruleIndex = 0;
      // One rule at a time, each in its own journal, so a rule that breaks the model is undone alone.
      for (auto it = active.begin(); it != active.end(); ++ruleIndex) {
        std::vector<std::shared_ptr<const Rule>> one = {*it};
        EditJournal* outer = model.activeJournal();
        model.endJournal();
        auto sub = std::make_shared<EditJournal>();
        (void)model.beginJournal(sub.get());
        std::vector<std::string> appliedRules;
        const double step = (roundTo - roundFrom) / static_cast<double>(std::max<size_t>(rulesThisRound, 1));
        ProgressSpan span{&options.progress, roundFrom + step * static_cast<double>(ruleIndex), step};
        auto n = applyRound(model, one, types, appliedRules, span, options);
        model.endJournal();
        Status bad = n ? Status::ok() : n.status();
        // Cancelled: this rule's edits go now, the earlier ones when the whole journal is undone.
        if (bad.code() == ErrorCode::Cancelled || (n && *n && !span.report(1.0, "verifying"))) {
          model.undoJournal(*sub);
          (void)model.beginJournal(outer);
          return cancelled("the profile");
        }
        if (n && *n && options.verify) {
          bad = structuralCheck(model);
          total.verification.structural = static_cast<bool>(bad);
          for (size_t k = 0; bad && k < reference.dims.size(); ++k) {
            if (!reference.outputs[k]) continue;
            std::string why;
            ErrorCode code = ErrorCode::Ok;
            auto now = referenceOutputs(model, options, reference.dims[k], why, &code);
            double diff = 0;
            if (!now && code == ErrorCode::Unsupported) {
              // A kernel the evaluator lacks (a new op): structure checks only.
              total.verification.note = "the reference evaluator cannot run the result: " + why;
            } else if (!now) {
              bad = Status(ErrorCode::Invalid, "the result no longer runs" + describeDims(reference.dims[k]) + ": " + why);
            } else if (auto cmp = compareOutputs(*reference.outputs[k], *now, options, &diff); !cmp) {
              bad = Status(cmp.code(), cmp.message() + describeDims(reference.dims[k]));
            } else {
              // Every rule is compared with the outputs before the whole apply, per set of dims.
              total.verification.numeric = true;
              total.verification.inputSets = std::max<int>(total.verification.inputSets, static_cast<int>(k) + 1);
              total.verification.maxAbsDiff = std::max(total.verification.maxAbsDiff, diff);
            }
          }
        }
        if (!bad) {
          model.undoJournal(*sub);
          if (options.onRewritesUndone) options.onRewritesUndone((*it)->name());
          std::string msg = "rule '" + (*it)->name() + "' was undone and skipped: " + bad.message();
          spdlog::warn("{}", msg);
          total.warnings.push_back(msg);
          (void)model.beginJournal(outer);
          it = active.erase(it);
          continue;
        }
        (void)model.beginJournal(outer);
        // The rule's edits become one step of the whole apply, which undoes as one.
        if (outer) outer->append(sub);
        if (n && *n) {
          appliedThisRound += *n;
          total.applied += *n;
          for (const auto& r : appliedRules)
            if (std::find(total.rules.begin(), total.rules.end(), r) == total.rules.end()) total.rules.push_back(r);
        }
        ++it;
      }
      if (appliedThisRound == 0) break;
    }
    return Status::ok();
  });
  if (rec && !reportProgress(options.progress, 1.0, "done")) {
    (void)rec->undo(model);
    return cancelled("the profile");
  }
  return rec;
}

Result<Preview> Rewriter::preview(Model& model, const Match& match) const {
  const auto* rule = findRule(match.rule);
  if (!rule) return Status(ErrorCode::NotFound, "rule '" + match.rule + "' is not part of this rewriter");
  if (!nodesAlive(model.graph(), match))
    return Status(ErrorCode::InvalidArgument, "the match of '" + match.rule + "' is stale: the graph changed since it was found");
  auto region = [&model](const std::vector<Node*>& nodes, onnx::GraphProto& g) {
    std::unordered_set<const Node*> in(nodes.begin(), nodes.end());
    std::set<std::string> inputs, outputs;
    for (const Node* n : nodes) {
      onnx::NodeProto p = n->proto();
      p.clear_input();
      p.clear_output();
      for (const Value* v : n->inputs()) {
        p.add_input(v ? v->name() : "");
        if (v && !(v->producer() && in.count(v->producer()))) inputs.insert(v->name());
      }
      for (const Value* v : n->outputs()) {
        p.add_output(v ? v->name() : "");
        if (!v) continue;
        bool outside = v->isGraphOutput();
        for (const Use& u : v->uses())
          if (!in.count(u.node)) outside = true;
        if (outside) outputs.insert(v->name());
      }
      *g.add_node() = std::move(p);
    }
    for (const auto& i : inputs) {
      g.add_input()->set_name(i);
      // Weights as dtype and dims only (no bytes): the rewrite's new ones are gone once it is
      // undone, and a view still wants their real shape.
      const Value* v = model.graph().findValue(i);
      if (v && v->isInitializer()) {
        onnx::TensorProto* t = g.add_initializer();
        t->set_name(i);
        t->set_data_type(v->initializer()->dataType());
        for (auto d : v->initializer()->proto().dims()) t->add_dims(d);
      }
    }
    for (const auto& o : outputs) g.add_output()->set_name(o);
  };
  auto alive = [&model](const Node* n) { return model.graph().findNode(n->id()) == n; };
  Preview pv;
  region(match.nodes, pv.before);
  std::vector<std::string> labels;  // taken now: a removed node may lose its outputs
  for (const Node* n : match.nodes) labels.push_back(MatchContext::label(n));
  // Nodes upstream of the match that it alone reads (a Constant, a Cast of one): the rewrite
  // can leave them without readers, and Apply then counts them as removed; so does the preview.
  std::vector<Node*> upstream;
  {
    std::unordered_set<const Node*> seen(match.nodes.begin(), match.nodes.end());
    std::vector<Node*> frontier(match.nodes.begin(), match.nodes.end());
    for (int depth = 0; depth < 3 && !frontier.empty(); ++depth) {
      std::vector<Node*> next;
      for (const Node* n : frontier)
        for (const Value* v : n->inputs())
          if (v && v->producer() && seen.insert(v->producer()).second) next.push_back(v->producer());
      upstream.insert(upstream.end(), next.begin(), next.end());
      frontier = std::move(next);
    }
  }
  std::vector<std::string> upstreamLabels;
  for (const Node* n : upstream) upstreamLabels.push_back(MatchContext::label(n));
  auto rec = recordChange(model, [&](ChangeRecord&) {
    RewriteContext ctx(match.rule, match.nodes);
    return (*rule)->apply(model.graph(), match, ctx);
  });
  if (!rec) return rec.status();
  std::vector<Node*> orphaned;
  for (size_t i = 0; i < upstream.size(); ++i)
    if (!alive(upstream[i])) {
      orphaned.push_back(upstream[i]);
      pv.removed.push_back(upstreamLabels[i]);
    }
  // The check Apply makes, on the same result; a failure is what Apply would refuse.
  ApplyOptions checkOptions;
  if (auto st = verifyChange(model, *rec, checkOptions, &pv.verification); !st)
    pv.verification.note = "Apply would undo this rewrite: " + st.message();
  // After: the nodes the rewrite made, and the matched nodes it kept (edited or not).
  std::vector<Node*> after;
  std::unordered_set<NodeId> matchedIds(match.nodeIds.begin(), match.nodeIds.end());
  for (Node* n : match.nodes)
    if (alive(n)) after.push_back(n);
  std::vector<Node*> created;
  for (NodeId id : rec->addedIds)
    if (Node* n = model.graph().findNode(id); n && !matchedIds.count(id)) created.push_back(n);
  after.insert(after.end(), created.begin(), created.end());
  region(after, pv.after);
  for (NodeId id : rec->changedIds)
    if (matchedIds.count(id))
      if (const Node* n = model.graph().findNode(id)) {
        pv.changed.push_back(MatchContext::label(n));
        pv.changedFrom.push_back(MatchContext::label(n));
      }
  // A removed node and a new node of the same op on the same data (same name, a shared output,
  // or the same first input) are one node that changed, e.g. a Conv with folded weights.
  std::vector<bool> paired(match.nodes.size(), false);
  for (const Node* c : created) {
    bool isChange = false;
    for (size_t i = 0; i < match.nodes.size() && !isChange; ++i) {
      if (paired[i] || alive(match.nodes[i])) continue;
      const onnx::NodeProto& old = pv.before.node(static_cast<int>(i));
      if (old.op_type() != c->opType() || old.domain() != c->domain()) continue;
      bool same = !old.name().empty() && old.name() == c->name();
      for (const Value* v : c->outputs())
        for (const auto& o : old.output()) same |= v && !o.empty() && v->name() == o;
      if (!c->inputs().empty() && c->inputs()[0] && old.input_size() > 0)
        same |= !old.input(0).empty() && c->inputs()[0]->name() == old.input(0);
      if (!same) continue;
      paired[i] = isChange = true;
      pv.changed.push_back(MatchContext::label(c));
      pv.changedFrom.push_back(labels[i]);
    }
    if (!isChange) pv.added.push_back(MatchContext::label(c));
  }
  for (size_t i = 0; i < match.nodes.size(); ++i)
    if (!paired[i] && !alive(match.nodes[i])) pv.removed.push_back(labels[i]);
  (void)rec->undo(model);
  if (!orphaned.empty()) {
    // The before side shows them too (they are alive again after the undo); matched nodes keep
    // their positions first, which `changedFrom` pairing above relied on.
    std::vector<Node*> shown(match.nodes.begin(), match.nodes.end());
    shown.insert(shown.end(), orphaned.begin(), orphaned.end());
    pv.before.Clear();
    region(shown, pv.before);
  }
  return pv;
}

}  // namespace graft
