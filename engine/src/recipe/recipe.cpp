// Recipes (graft/recipe.h): reading and writing the JSON, anchored references through the diff's
// structural hashes, recording steps, and replaying them with a per-step report.
#include "graft/recipe.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "graft/analysis.h"
#include "graft/eval.h"
#include "recipe/recipe_internal.h"

namespace graft {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

std::string hex(std::uint64_t v) {
  char buf[17];
  auto [p, ec] = std::to_chars(buf, buf + 16, v, 16);
  return std::string(buf, p);
}

std::uint64_t unhex(const json& j) {
  if (!j.is_string()) return 0;
  const std::string& s = j.get_ref<const std::string&>();
  std::uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v, 16);
  return v;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::string refLabel(const json& ref) {
  if (ref.is_string()) return quote(ref.get<std::string>());
  if (!ref.is_object()) return "?";
  if (ref.contains("input")) return "input " + quote(str(ref, "input"));
  if (ref.contains("node") && ref["node"].is_object()) {
    std::string s = refLabel(ref["node"]);
    if (ref.contains("output")) s = "output " + std::to_string(ref.value("output", 0)) + " of " + s;
    return s;
  }
  if (ref.contains("initializer")) return "weight " + quote(str(ref, "initializer"));
  std::string op = str(ref, "op"), name = str(ref, "name");
  if (!op.empty()) return op + (name.empty() ? "" : " " + quote(name));
  return quote(name);
}

std::string dimText(const DimSpec& d) { return d.value ? std::to_string(*d.value) : d.param.empty() ? "?" : d.param; }

DimSpec dimFrom(const json& j) {
  DimSpec d;
  if (j.is_number_integer()) d.value = j.get<std::int64_t>();
  else if (j.is_string() && j.get<std::string>() != "?") {
    std::int64_t v;
    const std::string s = j.get<std::string>();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size()) d.value = v;
    else d.param = s;
  }
  return d;
}

json dimJson(const DimSpec& d) { return d.value ? json(*d.value) : json(d.param.empty() ? "?" : d.param); }

std::map<std::string, StepKind>& kinds();

// ------------------------------------------------------------------------- edits as steps

const char* kEditFields[][2] = {{"delete-node", "node"},       {"rename-node", "node"},     {"rename-value", "value"},
                                {"set-attribute", "node"},     {"remove-attribute", "node"}, {"add-node", "op"},
                                {"set-input-type", "input"},   {"set-dim", "dim"},           {"set-input-dim", "input"},
                                {"add-output", "value"},       {"remove-output", "value"},  {"replace-initializer", "value"},
                                {"set-doc-string", "text"},    {"set-metadata", "key"},     {"remove-metadata", "key"}};

std::string validateEdit(const json& s) {
  std::string op = str(s, "edit");
  if (op.empty()) return "an edit step needs \"edit\" (delete-node, rename-value, set-dim, ...)";
  if (!editKindFromName(op)) return "unknown edit " + quote(op);
  for (const auto& f : kEditFields)
    if (op == f[0] && !s.contains(f[1])) return "edit " + op + " needs \"" + f[1] + "\"";
  return {};
}

std::string describeEditStep(const json& s) {
  std::string op = str(s, "edit");
  auto k = editKindFromName(op);
  if (!k) return "edit " + op;
  using K = Edit::Kind;
  switch (*k) {
    case K::DeleteNode:
      return "delete " + refLabel(s["node"]) + (str(s, "mode") == "cone" ? " and its downstream cone" : " (bypass)");
    case K::RenameNode: return "rename node " + refLabel(s["node"]) + " to " + quote(str(s, "new_name"));
    case K::RenameValue: return "rename value " + refLabel(s["value"]) + " to " + quote(str(s, "new_name"));
    case K::SetAttribute: return "set " + refLabel(s["node"]) + "." + str(s, "attribute") + " = " + str(s, "value");
    case K::RemoveAttribute: return "remove " + refLabel(s["node"]) + "." + str(s, "attribute");
    case K::AddNode: return "add " + str(s, "op") + " node" + (str(s, "name").empty() ? "" : " " + quote(str(s, "name")));
    case K::SetInputType:
      return "set " + refLabel(s["input"]) + " to " + str(s, "dtype") + (s.contains("shape") ? "[" + str(s, "shape") + "]" : "");
    case K::SetDim: return "set dim " + str(s, "dim") + " = " + dimText(dimFrom(s.value("value", json("?"))));
    case K::SetInputDim:
      return "set dim " + std::to_string(s.value("axis", 0)) + " of " + refLabel(s["input"]) + " to " +
             dimText(dimFrom(s.value("value", json("?"))));
    case K::AddOutput: return "add graph output " + refLabel(s["value"]);
    case K::RemoveOutput: return "remove graph output " + refLabel(s["value"]);
    case K::ReplaceInitializer: return "replace " + refLabel(s["value"]) + " from " + str(s, "file");
    case K::SetDocString: return s.contains("node") ? "set the doc string of " + refLabel(s["node"]) : "set the model's doc string";
    case K::SetMetadata: return "set metadata " + quote(str(s, "key")) + " = " + quote(str(s, "value"));
    case K::RemoveMetadata: return "remove metadata " + quote(str(s, "key"));
  }
  return "edit " + op;
}

// Whether a graph input or output still declares the symbolic dim `param`.
bool declaresDim(const Model& model, const std::string& param) {
  for (const auto* list : {&model.graph().inputs(), &model.graph().outputs()})
    for (const Value* v : *list)
      if (const onnx::TypeProto* t = v->declaredType(); t && t->has_tensor_type())
        for (const auto& d : t->tensor_type().shape().dim())
          if (d.has_dim_param() && d.dim_param() == param) return true;
  return false;
}

StepReport notApplicable(StepReport r, std::string why) {
  r.outcome = StepOutcome::NotApplicable;
  r.message = std::move(why);
  return r;
}

StepReport applyEditStep(StepContext& ctx, const json& s) {
  StepReport r;
  r.kind = "edit";
  r.description = describeEditStep(s);
  Model& model = *ctx.model;
  auto kind = editKindFromName(str(s, "edit"));
  using K = Edit::Kind;
  Edit e;
  e.kind = *kind;
  auto node = [&](const char* key) -> Result<Node*> {
    std::string how;
    auto n = ctx.targets.resolveNode(s[key], &how);
    if (n) r.target = MatchContext::label(*n) + (how.empty() ? "" : " (" + how + ")");
    return n;
  };
  auto value = [&](const char* key) -> Result<Value*> { return ctx.targets.resolveValue(s[key]); };
  bool already = false;
  switch (*kind) {
    case K::DeleteNode: {
      auto n = node("node");
      if (!n) return notApplicable(r, n.message());
      e.node = (*n)->name();
      e.deleteMode = str(s, "mode") == "cone" ? Edit::DeleteMode::Cone : Edit::DeleteMode::Bypass;
      break;
    }
    case K::RenameNode: {
      e.newName = str(s, "new_name");
      auto n = node("node");
      if (!n) {
        if (model.graph().findNodeByName(e.newName)) {
          r.outcome = StepOutcome::AlreadyTrue;
          return r;
        }
        return notApplicable(r, n.message());
      }
      e.node = (*n)->name();
      already = e.node == e.newName;
      break;
    }
    case K::RenameValue: {
      e.newName = str(s, "new_name");
      auto v = value("value");
      if (!v) return notApplicable(r, v.message());
      e.value = (*v)->name();
      already = e.value == e.newName;
      break;
    }
    case K::SetAttribute:
    case K::RemoveAttribute: {
      auto n = node("node");
      if (!n) return notApplicable(r, n.message());
      e.node = (*n)->name();
      e.attribute = str(s, "attribute");
      e.text = s.contains("value") ? (s["value"].is_string() ? s["value"].get<std::string>() : s["value"].dump()) : "";
      const auto* cur = (*n)->attribute(e.attribute);
      if (*kind == K::RemoveAttribute) {
        already = cur == nullptr;
      } else if (cur) {
        auto want = attributeFromText(**n, e.attribute, e.text);
        already = want && attributeToText(*want) == attributeToText(*cur);
      }
      break;
    }
    case K::AddNode: {
      e.opType = str(s, "op");
      e.domain = str(s, "domain");
      e.newName = str(s, "name");
      if (!e.newName.empty()) {
        if (Node* existing = model.graph().findNodeByName(e.newName); existing && existing->opType() == e.opType) {
          r.outcome = StepOutcome::AlreadyTrue;
          return r;
        }
      }
      for (const auto& in : s.value("inputs", json::array())) {
        if (in.is_null() || (in.is_string() && in.get<std::string>().empty())) {
          e.inputs.emplace_back();
          continue;
        }
        auto v = ctx.targets.resolveValue(in);
        if (!v) return notApplicable(r, "input " + refLabel(in) + ": " + v.message());
        e.inputs.push_back((*v)->name());
      }
      for (const auto& o : s.value("outputs", json::array()))
        if (o.is_string()) e.outputs.push_back(o.get<std::string>());
      const json attributes = s.value("attributes", json::object());  // items() must not outlive it
      for (const auto& [k, v] : attributes.items())
        e.attributes.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
      break;
    }
    case K::SetInputType:
    case K::SetInputDim: {
      auto v = value("input");
      if (!v) return notApplicable(r, v.message());
      e.value = (*v)->name();
      if (*kind == K::SetInputDim) {
        e.axis = s.value("axis", 0);
        e.dim = dimFrom(s.value("value", json("?")));
      } else {
        if (s.contains("dtype")) {
          auto t = dataTypeFromName(str(s, "dtype"));
          if (!t) return notApplicable(r, "unknown dtype " + quote(str(s, "dtype")));
          e.dtype = *t;
        }
        if (s.contains("shape")) {
          auto shape = parseShape(str(s, "shape"));
          if (!shape) return notApplicable(r, shape.message());
          e.shape = *shape;
        }
      }
      break;
    }
    case K::SetDim: {
      e.param = str(s, "dim");
      e.dim = dimFrom(s.value("value", json("?")));
      // Replayed on its own result the symbol is gone: already true when the graph inputs that
      // declared it (recorded in "at") now have the value there.
      auto at = s.value("at", json::array());
      if (!at.empty() && !declaresDim(model, e.param)) {
        bool all = true;
        for (const auto& place : at) {
          const Value* in = model.graph().findValue(str(place, "input"));
          const onnx::TypeProto* t = in && in->isGraphInput() ? in->declaredType() : nullptr;
          const int axis = place.value("axis", -1);
          if (!t || !t->has_tensor_type() || axis < 0 || axis >= t->tensor_type().shape().dim_size()) {
            all = false;
            break;
          }
          const auto& d = t->tensor_type().shape().dim(axis);
          all = all && (e.dim.value ? d.has_dim_value() && d.dim_value() == *e.dim.value
                                    : d.has_dim_param() && d.dim_param() == e.dim.param);
        }
        already = all;
      }
      break;
    }
    case K::AddOutput:
    case K::RemoveOutput: {
      auto v = value("value");
      if (!v) {
        if (*kind == K::RemoveOutput) {
          r.outcome = StepOutcome::AlreadyTrue;
          return r;
        }
        return notApplicable(r, v.message());
      }
      e.value = (*v)->name();
      already = (*kind == K::AddOutput) == (*v)->isGraphOutput();
      break;
    }
    case K::ReplaceInitializer: {
      auto v = value("value");
      if (!v) return notApplicable(r, v.message());
      e.value = (*v)->name();
      e.path = str(s, "file");
      auto arr = readArrayFile(e.path);
      if (!arr) return notApplicable(r, arr.message());
      e.tensor = arrayToProto(*arr, e.value);
      break;
    }
    case K::SetDocString: {
      e.text = str(s, "text");
      if (s.contains("node")) {
        auto n = node("node");
        if (!n) return notApplicable(r, n.message());
        e.node = (*n)->name();
        already = (*n)->proto().doc_string() == e.text;
      } else {
        already = model.shell().doc_string() == e.text;
      }
      break;
    }
    case K::SetMetadata:
    case K::RemoveMetadata: {
      e.attribute = str(s, "key");
      e.text = str(s, "value");
      bool found = false, same = false;
      for (const auto& p : model.shell().metadata_props())
        if (p.key() == e.attribute) {
          found = true;
          same = p.value() == e.text;
        }
      already = *kind == K::RemoveMetadata ? !found : same;
      break;
    }
  }
  if (already) {
    r.outcome = StepOutcome::AlreadyTrue;
    return r;
  }
  auto rec = applyEdit(model, e, ctx.options.edit);
  if (!rec) return notApplicable(r, rec.message());
  r.outcome = StepOutcome::Applied;
  for (const auto& w : rec->warnings) r.message += (r.message.empty() ? "" : "; ") + w;
  return r;
}

// ------------------------------------------------------------------------- rewrites and profiles

// Rewriters per profile (and rule files), made once per replay.
struct RewriterCache {
  std::map<std::string, std::shared_ptr<Rewriter>> byProfile;
  Result<std::shared_ptr<Rewriter>> get(const std::string& name, const std::vector<std::string>& ruleFiles) {
    auto it = byProfile.find(name);
    if (it != byProfile.end()) return it->second;
    auto profile = findProfile(name);
    if (!profile) return profile.status();
    auto rw = Rewriter::create(*profile, ruleFiles);
    if (!rw) return rw.status();
    auto p = std::make_shared<Rewriter>(std::move(*rw));
    byProfile[name] = p;
    return p;
  }
  // The matches of the rule of the last run of rewrite steps, found when the run began. A
  // profile finds a round's matches once and then applies them one after another, so a later
  // match of the round may no longer be found on the graph the earlier ones left (its input
  // became a constant); the run replays from the same snapshot. The journals of the steps
  // applied since keep the nodes those matches point to alive.
  struct Snapshot {
    std::string rule, profile;
    MatchReport report;
    std::vector<std::shared_ptr<EditJournal>> keep;
  };
  std::optional<Snapshot> snapshot;
};

thread_local RewriterCache* tlsCache = nullptr;

Result<std::shared_ptr<Rewriter>> rewriterFor(const std::string& profile, const ReplayOptions& o) {
  if (tlsCache) return tlsCache->get(profile, o.ruleFiles);
  RewriterCache local;
  return local.get(profile, o.ruleFiles);
}

std::string rewriteDescription(const json& s) {
  if (s.contains("at") && s["at"].is_null()) {
    std::string names;
    const json values = s.value("values", json::object());
    for (const auto& [k, v] : values.items())
      names += (names.empty() ? "" : ", ") + (v.is_object() && v.contains("name") ? quote(str(v, "name")) : k);
    return "rewrite " + str(s, "rule") + " of " + (names.empty() ? std::string("?") : names);
  }
  return "rewrite " + str(s, "rule") + " at " + refLabel(s.value("at", json()));
}

std::string rewriteVerdict(const ReplayOptions& o) {
  return o.apply.verify ? "verified (checker, shape inference, same outputs where the evaluator runs)" : "not verified";
}

// A match without a root node (weights shared by cleanup.duplicate_initializers): recorded by
// the contents of the weights it binds, which survive renames; any match binding weights with
// those contents does the same (equal weights are interchangeable).
StepReport applyRootlessRewrite(StepContext& ctx, const json& s, const Rewriter& one, StepReport r) {
  const json want = s.value("values", json::object());
  if (want.empty()) return notApplicable(r, "the step names neither a node (\"at\") nor the values it binds (\"values\")");
  MatchReport report = one.match(*ctx.model, {});
  const Match* found = nullptr;
  for (const auto* list : {&report.matches, &report.overlapped})
    for (const auto& m : *list) {
      if (found) break;
      bool all = true;
      for (const auto& [name, ref] : want.items()) {
        const Value* v = m.values.get(name);
        if (!v) {
          all = false;
        } else if (ref.is_object() && ref.contains("content")) {
          all = v->initializer() && hex(tensorContentHash(v->initializer()->proto())) == str(ref, "content");
        } else {
          auto resolved = ctx.targets.resolveValue(ref);
          all = resolved && *resolved == v;
        }
        if (!all) break;
      }
      if (all) found = &m;
    }
  if (!found)
    return notApplicable(r, "rule " + quote(str(s, "rule")) + " has no match binding the recorded values here");
  r.target = found->becomes;
  auto rec = one.applyMatch(*ctx.model, *found, ctx.options.apply);
  if (!rec) return notApplicable(r, rec.message());
  r.outcome = StepOutcome::Applied;
  r.message = rewriteVerdict(ctx.options);
  return r;
}

StepReport applyRewriteStep(StepContext& ctx, const json& s) {
  StepReport r;
  r.kind = "rewrite";
  r.description = rewriteDescription(s);
  const std::string ruleName = str(s, "rule");
  const std::string profile = s.value("profile", std::string("portable"));
  auto rw = rewriterFor(profile, ctx.options);
  if (!rw) return notApplicable(r, rw.message());
  const auto* rule = (*rw)->findRule(ruleName);
  if (!rule) return notApplicable(r, "profile " + quote(profile) + " has no rule " + quote(ruleName));
  Rewriter one = Rewriter::fromRules({*rule});
  if (s["at"].is_null()) return applyRootlessRewrite(ctx, s, one, std::move(r));
  std::string how;
  auto root = ctx.targets.resolveNode(s["at"], &how);
  if (root) r.target = MatchContext::label(*root) + " (" + how + ")";
  const json& at = s["at"];
  const std::uint64_t up = at.is_object() ? unhex(at.value("up", json())) : 0;
  // The match rooted at the anchored node; else at a twin: a node computing the same value
  // (equal upstream cones, e.g. the copies CSE merges). Which twin a rule keeps follows the
  // node order, so on a reordered export the recorded one may be gone while a twin still
  // matches; any twin gives the same graph.
  auto find = [&](const MatchReport& report, bool* twin) -> const Match* {
    for (const auto* list : {&report.matches, &report.overlapped})
      for (const auto& m : *list)
        if (root && m.root == *root) return &m;
    const StructuralHashes& h = ctx.targets.hashes();
    for (const auto* list : {&report.matches, &report.overlapped})
      for (const auto& m : *list) {
        if (!up || !m.root || m.root->opType() != str(at, "op")) continue;
        const std::int32_t i = h.indexOf(m.root);
        if (i >= 0 && h.up[static_cast<size_t>(i)] == up) {
          *twin = true;
          return &m;
        }
      }
    return nullptr;
  };
  std::optional<RewriterCache::Snapshot> local;
  auto& snap = tlsCache ? tlsCache->snapshot : local;
  if (snap && (snap->rule != ruleName || snap->profile != profile)) snap.reset();
  Result<ChangeRecord> rec = Status(ErrorCode::NotFound, "no match");
  bool twin = false;
  const Match* found = nullptr;
  if (snap) {
    found = find(snap->report, &twin);
    if (found) rec = one.applyMatch(*ctx.model, *found, ctx.options.apply);  // refuses a stale match
  }
  if (!found || !rec) {
    MatchOptions mo;
    mo.nearMisses = true;
    snap = RewriterCache::Snapshot{ruleName, profile, one.match(*ctx.model, mo), {}};
    twin = false;
    found = find(snap->report, &twin);
    if (!found) {
      std::string why = root ? "rule " + quote(ruleName) + " does not match at " + MatchContext::label(*root) : root.message();
      if (root)
        for (const auto& nm : snap->report.nearMisses)
          if (nm.root == (*root)->id()) why += ": " + nm.reason;
      snap.reset();
      return notApplicable(r, why);
    }
    rec = one.applyMatch(*ctx.model, *found, ctx.options.apply);
  }
  if (twin) r.target = MatchContext::label(found->root) + " (a twin: same upstream cone)";
  if (!rec) return notApplicable(r, rec.message());
  snap->keep.push_back(rec->journal);
  r.outcome = StepOutcome::Applied;
  r.message = rewriteVerdict(ctx.options);
  return r;
}


StepReport applyProfileStep(StepContext& ctx, const json& s) {
  StepReport r;
  r.kind = "profile";
  const std::string profile = str(s, "profile");
  r.description = "apply profile " + profile;
  auto rw = rewriterFor(profile, ctx.options);
  if (!rw) return notApplicable(r, rw.message());
  ApplyOptions o = ctx.options.apply;
  for (const auto& x : s.value("only", json::array())) o.only.push_back(x.get<std::string>());
  for (const auto& x : s.value("skip", json::array())) o.skip.push_back(x.get<std::string>());
  if (s.contains("max_rounds")) o.maxIterations = s["max_rounds"].get<int>();
  auto rec = (*rw)->applyAll(*ctx.model, o);
  if (!rec) return notApplicable(r, rec.message());
  r.outcome = rec->applied ? StepOutcome::Applied : StepOutcome::AlreadyTrue;
  r.message = std::to_string(rec->applied) + " rewrites";
  for (const auto& w : rec->warnings) r.message += "; " + w;
  return r;
}

StepReport applyOpsetStep(StepContext& ctx, const json& s) {
  StepReport r;
  r.kind = "opset";
  const std::int64_t version = s.value("version", std::int64_t(0));
  r.description = "convert to ai.onnx opset " + std::to_string(version);
  if (ctx.model->opsetVersion("") == version) {
    r.outcome = StepOutcome::AlreadyTrue;
    return r;
  }
  if (ctx.options.inPlace) return notApplicable(r, "an opset conversion makes a new model; apply it to a file instead");
  auto converted = convertOpset(*ctx.model, version);
  if (!converted) return notApplicable(r, converted.message());
  if (ctx.options.apply.verify) {
    auto same = verifyModels(*ctx.model, **converted);
    if (same && same->comparable && !same->withinTolerance)
      return notApplicable(r, "the converted model computes different outputs");
    if (same && same->comparable) r.message = "verified: same outputs";
  }
  ctx.model = std::move(*converted);
  ctx.targets.setModel(*ctx.model);
  r.outcome = StepOutcome::Applied;
  return r;
}

StepReport applyExtractStep(StepContext& ctx, const json& s) {
  StepReport r;
  r.kind = "extract";
  r.description = "extract the subgraph between " + std::to_string(s.value("inputs", json::array()).size()) + " inputs and " +
                  std::to_string(s.value("outputs", json::array()).size()) + " outputs";
  if (ctx.options.inPlace) return notApplicable(r, "extracting makes a new model; apply it to a file instead");
  std::vector<std::string> ins, outs;
  for (const auto& [list, names] : {std::pair{"inputs", &ins}, std::pair{"outputs", &outs}})
    for (const auto& ref : s.value(list, json::array())) {
      auto v = ctx.targets.resolveValue(ref);
      if (!v) return notApplicable(r, refLabel(ref) + ": " + v.message());
      names->push_back((*v)->name());
    }
  auto sub = extractModel(*ctx.model, ins, outs);
  if (!sub) return notApplicable(r, sub.message());
  ctx.model = std::move(*sub);
  ctx.targets.setModel(*ctx.model);
  r.outcome = StepOutcome::Applied;
  return r;
}

std::map<std::string, StepKind>& kinds() {
  static std::map<std::string, StepKind> k = [] {
    std::map<std::string, StepKind> m;
    m["edit"] = {validateEdit, describeEditStep, applyEditStep};
    m["rewrite"] = {[](const json& s) -> std::string {
                      if (str(s, "rule").empty()) return "a rewrite step needs \"rule\"";
                      if (!s.contains("at")) return "a rewrite step needs \"at\" (the node the match starts at)";
                      if (s["at"].is_null() && !s.contains("values"))
                        return "a rewrite step without a node (\"at\": null) needs \"values\"";
                      return {};
                    },
                    rewriteDescription,
                    applyRewriteStep};
    m["profile"] = {[](const json& s) -> std::string {
                      return str(s, "profile").empty() ? "a profile step needs \"profile\"" : std::string();
                    },
                    [](const json& s) { return "apply profile " + str(s, "profile"); }, applyProfileStep};
    m["opset"] = {[](const json& s) -> std::string {
                    return s.contains("version") && s["version"].is_number_integer() ? std::string()
                                                                                      : "an opset step needs \"version\" (a number)";
                  },
                  [](const json& s) { return "convert to ai.onnx opset " + std::to_string(s.value("version", 0)); },
                  applyOpsetStep};
    m["extract"] = {[](const json& s) -> std::string {
                      return s.contains("outputs") && s["outputs"].is_array() ? std::string()
                                                                              : "an extract step needs \"outputs\" (a list)";
                    },
                    [](const json& s) {
                      return "extract " + std::to_string(s.value("outputs", json::array()).size()) + " outputs";
                    },
                    applyExtractStep};
    m["quantize"] = quantizeStepKind();
    return m;
  }();
  return k;
}

std::mutex& kindsMutex() {
  static std::mutex m;
  return m;
}

}  // namespace

// ----------------------------------------------------------------------------- file

Result<Recipe> parseRecipe(const std::string& text, const std::string& fileName) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    return Status(ErrorCode::Corrupt, fileName + ": not JSON: " + e.what());
  }
  if (!j.is_object()) return Status(ErrorCode::Corrupt, fileName + ": a recipe is a JSON object with \"steps\"");
  if (j.contains("format") && j["format"] != "graft-recipe")
    return Status(ErrorCode::Corrupt, fileName + ": \"format\" is not \"graft-recipe\"");
  Recipe r;
  r.version = j.value("version", 1);
  if (r.version > kRecipeVersion)
    return Status(ErrorCode::Unsupported, fileName + ": recipe version " + std::to_string(r.version) +
                                              " is newer than this Graft reads (" + std::to_string(kRecipeVersion) +
                                              "); update Graft");
  r.description = str(j, "description");
  if (!j.contains("steps") || !j["steps"].is_array())
    return Status(ErrorCode::Corrupt, fileName + ": a recipe needs \"steps\", a list");
  std::lock_guard<std::mutex> lock(kindsMutex());
  int index = 0;
  for (const auto& s : j["steps"]) {
    ++index;
    const std::string where = fileName + ": step " + std::to_string(index) + ": ";
    if (!s.is_object()) return Status(ErrorCode::Corrupt, where + "a step is a JSON object");
    std::string kind = str(s, "kind");
    auto it = kinds().find(kind);
    if (it == kinds().end()) {
      std::string known;
      for (const auto& [k, v] : kinds()) known += (known.empty() ? "" : ", ") + k;
      return Status(ErrorCode::Corrupt, where + "unknown kind " + quote(kind) + " (known: " + known + ")");
    }
    if (auto err = it->second.validate(s); !err.empty()) return Status(ErrorCode::Corrupt, where + err);
    r.steps.push_back({ojson(s)});
  }
  return r;
}

Result<Recipe> readRecipe(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::Io, "cannot read recipe " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parseRecipe(ss.str(), path);
}

std::string recipeToText(const Recipe& recipe) {
  ojson j;
  j["format"] = "graft-recipe";
  j["version"] = recipe.version;
  if (!recipe.description.empty()) j["description"] = recipe.description;
  j["steps"] = ojson::array();
  for (const auto& s : recipe.steps) j["steps"].push_back(s.json);
  return j.dump(2) + "\n";
}

Status writeRecipe(const Recipe& recipe, const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return {ErrorCode::Io, "cannot write recipe " + path};
    out << recipeToText(recipe);
    if (!out) return {ErrorCode::Io, "cannot write recipe " + path};
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return {ErrorCode::Io, "cannot write recipe " + path + ": " + ec.message()};
  return Status::ok();
}

std::string describeStep(const RecipeStep& step) {
  std::lock_guard<std::mutex> lock(kindsMutex());
  auto it = kinds().find(step.kind());
  if (it == kinds().end()) return step.kind();
  return it->second.describe(step.json);
}

void registerRecipeStepKind(const std::string& kind, StepKind handler) {
  std::lock_guard<std::mutex> lock(kindsMutex());
  kinds()[kind] = std::move(handler);
}

std::vector<std::string> recipeStepKinds() {
  std::lock_guard<std::mutex> lock(kindsMutex());
  std::vector<std::string> out;
  for (const auto& [k, v] : kinds()) out.push_back(k);
  return out;
}

// ----------------------------------------------------------------------------- references

const StructuralHashes& RecipeTargets::hashes() {
  if (!hashes_) {
    auto h = hashGraph(model_->graph());
    hashes_ = h ? std::move(*h) : StructuralHashes{};
  }
  return *hashes_;
}

ojson RecipeTargets::nodeRef(const Node& node) {
  NodeAnchor a = anchorOf(hashes(), node);
  ojson j;
  j["op"] = a.opType;
  if (!a.domain.empty()) j["domain"] = a.domain;
  j["name"] = a.name;
  j["neighbourhood"] = hex(a.neighbourhood);
  j["up"] = hex(a.up);
  j["down"] = hex(a.down);
  return j;
}

ojson RecipeTargets::valueRef(const Value& v) {
  ojson j;
  const Graph& g = model_->graph();
  if (v.isGraphInput() && !v.isInitializer()) {
    j["input"] = v.name();
    const auto& ins = g.inputs();
    j["index"] = std::find(ins.begin(), ins.end(), &v) - ins.begin();
    return j;
  }
  if (v.producer()) {
    j["node"] = nodeRef(*v.producer());
    j["output"] = v.producerOutput();
    j["name"] = v.name();
    return j;
  }
  if (v.isInitializer()) {
    j["initializer"] = v.name();
    for (const Use& u : v.uses())
      if (&u.node->graph() == &g) {
        j["reader"] = nodeRef(*u.node);
        j["slot"] = u.index;
        break;
      }
    return j;
  }
  j["name"] = v.name();
  return j;
}

Result<Node*> RecipeTargets::resolveNode(const json& ref, std::string* how) {
  Graph& g = const_cast<Model*>(model_)->graph();
  auto byName = [&](const std::string& name, const std::string& op) -> Result<Node*> {
    Node* n = g.findNodeByName(name);
    if (!n || (!op.empty() && n->opType() != op))
      return Status(ErrorCode::NotFound, "no " + (op.empty() ? std::string("node") : op + " node") + " named " + quote(name));
    if (how) *how = "name";
    return n;
  };
  if (ref.is_string()) return byName(ref.get<std::string>(), {});
  if (!ref.is_object()) return Status(ErrorCode::InvalidArgument, "a node reference is a name or an object");
  if (!ref.contains("neighbourhood") && !ref.contains("up") && !ref.contains("down"))
    return byName(str(ref, "name"), str(ref, "op"));
  NodeAnchor a;
  a.opType = str(ref, "op");
  a.domain = str(ref, "domain");
  a.name = str(ref, "name");
  a.neighbourhood = unhex(ref.value("neighbourhood", json()));
  a.up = unhex(ref.value("up", json()));
  a.down = unhex(ref.value("down", json()));
  auto m = resolveAnchor(hashes(), a);
  if (!m && m.status().code() == ErrorCode::InvalidArgument) {
    // Several nodes fit equally: when they agree on every hash they are interchangeable (the
    // same op on the same data feeding the same kind of readers), so the first one will do.
    const StructuralHashes& h = hashes();
    size_t twins = 0;
    Node* first = nullptr;
    for (size_t i = 0; i < h.nodes.size(); ++i) {
      const Node& n = *h.nodes[i];
      if (n.opType() != a.opType || h.up[i] != a.up || h.down[i] != a.down || h.neighbourhood[i] != a.neighbourhood) continue;
      if (!first) first = h.nodes[i];
      ++twins;
    }
    if (first) {
      if (how) *how = "structure (one of " + std::to_string(twins) + " identical nodes)";
      return first;
    }
  }
  if (!m) return m.status();
  if (how) *how = m->how;
  return m->node;
}

Result<Value*> RecipeTargets::resolveValue(const json& ref) {
  Graph& g = const_cast<Model*>(model_)->graph();
  auto named = [&](const std::string& name) -> Result<Value*> {
    Value* v = g.findValue(name);
    if (!v) return Status(ErrorCode::NotFound, "no value named " + quote(name));
    return v;
  };
  if (ref.is_string()) return named(ref.get<std::string>());
  if (!ref.is_object()) return Status(ErrorCode::InvalidArgument, "a value reference is a name or an object");
  if (ref.contains("input")) {
    Value* v = g.findValue(str(ref, "input"));
    if (v && v->isGraphInput()) return v;
    size_t index = ref.value("index", std::size_t(0));
    std::vector<Value*> real;
    for (Value* in : g.inputs())
      if (!in->isInitializer()) real.push_back(in);
    if (ref.contains("index") && index < real.size()) return real[index];
    return Status(ErrorCode::NotFound, "no graph input named " + quote(str(ref, "input")));
  }
  if (ref.contains("node")) {
    auto n = resolveNode(ref["node"]);
    if (!n) return n.status();
    size_t k = ref.value("output", std::size_t(0));
    Value* v = (*n)->output(k);
    if (!v) return Status(ErrorCode::NotFound, MatchContext::label(*n) + " has no output " + std::to_string(k));
    return v;
  }
  if (ref.contains("initializer")) {
    if (ref.contains("reader")) {
      auto n = resolveNode(ref["reader"]);
      if (n) {
        Value* v = (*n)->input(ref.value("slot", std::size_t(0)));
        if (v && v->isInitializer()) return v;
      }
    }
    return named(str(ref, "initializer"));
  }
  return named(str(ref, "name"));
}

// ----------------------------------------------------------------------------- recording

RecipeStep recipeStepForEdit(const Model& model, const Edit& e) {
  RecipeTargets t(model);
  const Graph& g = model.graph();
  ojson j;
  j["kind"] = "edit";
  j["edit"] = editKindName(e.kind);
  auto node = [&](const std::string& name) -> ojson {
    const Node* n = g.findNodeByName(name);
    return n ? t.nodeRef(*n) : ojson(name);
  };
  auto value = [&](const std::string& name) -> ojson {
    const Value* v = g.findValue(name);
    return v ? t.valueRef(*v) : ojson(name);
  };
  using K = Edit::Kind;
  switch (e.kind) {
    case K::DeleteNode:
      j["node"] = node(e.node);
      j["mode"] = e.deleteMode == Edit::DeleteMode::Cone ? "cone" : "bypass";
      break;
    case K::RenameNode:
      j["node"] = node(e.node);
      j["new_name"] = e.newName;
      break;
    case K::RenameValue:
      j["value"] = value(e.value);
      j["new_name"] = e.newName;
      break;
    case K::SetAttribute:
      j["node"] = node(e.node);
      j["attribute"] = e.attribute;
      j["value"] = e.text;
      break;
    case K::RemoveAttribute:
      j["node"] = node(e.node);
      j["attribute"] = e.attribute;
      break;
    case K::AddNode: {
      j["op"] = e.opType;
      if (!e.domain.empty()) j["domain"] = e.domain;
      if (!e.newName.empty()) j["name"] = e.newName;
      j["inputs"] = ojson::array();
      for (const auto& in : e.inputs) j["inputs"].push_back(in.empty() ? ojson(nullptr) : value(in));
      if (!e.outputs.empty()) j["outputs"] = e.outputs;
      if (!e.attributes.empty()) {
        j["attributes"] = ojson::object();
        for (const auto& [k, v] : e.attributes) j["attributes"][k] = v;
      }
      break;
    }
    case K::SetInputType:
      j["input"] = value(e.value);
      if (e.dtype) j["dtype"] = dataTypeName(e.dtype);
      if (e.shape) j["shape"] = formatShape(*e.shape);
      break;
    case K::SetDim:
      j["dim"] = e.param;
      j["value"] = dimJson(e.dim);
      j["at"] = ojson::array();
      for (const Value* in : g.inputs()) {
        const onnx::TypeProto* t = in->isInitializer() ? nullptr : in->declaredType();
        if (!t || !t->has_tensor_type()) continue;
        const auto& dims = t->tensor_type().shape().dim();
        for (int k = 0; k < dims.size(); ++k)
          if (dims[k].has_dim_param() && dims[k].dim_param() == e.param) j["at"].push_back({{"input", in->name()}, {"axis", k}});
      }
      break;
    case K::SetInputDim:
      j["input"] = value(e.value);
      j["axis"] = e.axis;
      j["value"] = dimJson(e.dim);
      break;
    case K::AddOutput:
    case K::RemoveOutput:
      j["value"] = value(e.value);
      break;
    case K::ReplaceInitializer:
      j["value"] = value(e.value);
      j["file"] = e.path;
      break;
    case K::SetDocString:
      if (!e.node.empty()) j["node"] = node(e.node);
      j["text"] = e.text;
      break;
    case K::SetMetadata:
      j["key"] = e.attribute;
      j["value"] = e.text;
      break;
    case K::RemoveMetadata:
      j["key"] = e.attribute;
      break;
  }
  return {j};
}

RecipeStep recipeStepForRewrite(const Model& model, const Match& match, const std::string& profile) {
  RecipeTargets t(model);
  ojson j;
  j["kind"] = "rewrite";
  j["rule"] = match.rule;
  j["profile"] = profile;
  const Node* root = match.root ? match.root : (match.nodes.empty() ? nullptr : match.nodes.back());
  j["at"] = root ? t.nodeRef(*root) : ojson(nullptr);
  if (!root) {
    // No node to anchor at: the weights it binds, by content (their names change on re-export).
    j["values"] = ojson::object();
    for (const auto& [name, v] : match.values) {
      if (!v) continue;
      if (v->initializer()) j["values"][name] = {{"content", hex(tensorContentHash(v->initializer()->proto()))}, {"name", v->name()}};
      else j["values"][name] = t.valueRef(*v);
    }
  }
  return {j};
}

RecipeStep recipeStepForProfile(const std::string& profile, const ApplyOptions& o) {
  ojson j;
  j["kind"] = "profile";
  j["profile"] = profile;
  if (!o.only.empty()) j["only"] = o.only;
  if (!o.skip.empty()) j["skip"] = o.skip;
  return {j};
}

RecipeStep recipeStepForOpset(std::int64_t version) {
  ojson j;
  j["kind"] = "opset";
  j["version"] = version;
  return {j};
}

RecipeStep recipeStepForExtract(const Model& model, const std::vector<std::string>& inputs,
                                const std::vector<std::string>& outputs) {
  RecipeTargets t(model);
  ojson j;
  j["kind"] = "extract";
  for (const auto& [key, names] : {std::pair{"inputs", &inputs}, std::pair{"outputs", &outputs}}) {
    j[key] = ojson::array();
    for (const auto& n : *names) {
      const Value* v = model.graph().findValue(n);
      j[key].push_back(v ? t.valueRef(*v) : ojson(n));
    }
  }
  return {j};
}

void RecipeRecorder::attach(ApplyOptions& options, const std::string& profile) {
  options.onRewrite = [this, profile](const Model& model, const Match& match) -> std::function<void()> {
    auto step = std::make_shared<RecipeStep>(recipeStepForRewrite(model, match, profile));
    return [this, step] { recipe_.steps.push_back(std::move(*step)); };
  };
  options.onRewritesUndone = [this](const std::string& rule) {
    auto& steps = recipe_.steps;
    while (!steps.empty() && steps.back().kind() == "rewrite" && steps.back().json.value("rule", std::string()) == rule)
      steps.pop_back();
  };
}

// ----------------------------------------------------------------------------- replay

const char* stepOutcomeName(StepOutcome o) {
  switch (o) {
    case StepOutcome::Applied: return "applied";
    case StepOutcome::AlreadyTrue: return "already true";
    case StepOutcome::NotApplicable: return "not applicable";
  }
  return "?";
}

Result<ReplayReport> applyRecipe(std::unique_ptr<Model>& model, const Recipe& recipe, const ReplayOptions& options) {
  if (!model) return Status(ErrorCode::InvalidArgument, "no model to apply the recipe to");
  ReplayReport report;
  RewriterCache cache;
  tlsCache = &cache;
  struct Reset {
    ~Reset() { tlsCache = nullptr; }
  } reset;
  RecipeTargets targets(*model);
  StepContext ctx{model, targets, options};
  for (size_t i = 0; i < recipe.steps.size(); ++i) {
    const RecipeStep& step = recipe.steps[i];
    if (!reportProgress(options.progress, static_cast<double>(i) / static_cast<double>(recipe.steps.size()),
                        describeStep(step)))
      return Status(ErrorCode::Cancelled, "applying the recipe was cancelled at step " + std::to_string(i + 1));
    StepKind kind;
    {
      std::lock_guard<std::mutex> lock(kindsMutex());
      auto it = kinds().find(step.kind());
      if (it == kinds().end())
        return Status(ErrorCode::InvalidArgument, "step " + std::to_string(i + 1) + ": unknown kind " + quote(step.kind()));
      kind = it->second;
    }
    if (step.kind() != "rewrite") cache.snapshot.reset();  // a run of rewrites ends here
    StepReport r = kind.apply(ctx, step.json);
    if (r.description.empty()) r.description = kind.describe(step.json);
    if (r.kind.empty()) r.kind = step.kind();
    switch (r.outcome) {
      case StepOutcome::Applied:
        ++report.applied;
        targets.invalidate();
        break;
      case StepOutcome::AlreadyTrue: ++report.alreadyTrue; break;
      case StepOutcome::NotApplicable: ++report.notApplicable; break;
    }
    report.steps.push_back(std::move(r));
  }
  (void)reportProgress(options.progress, 1.0, "done");
  return report;
}

}  // namespace graft
