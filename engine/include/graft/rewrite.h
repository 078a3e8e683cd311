// Rules (declared in text files or written in C++), backend profiles, and the driver that
// matches, explains, previews and applies them with an undoable change record.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graft/ir.h"
#include "graft/pattern.h"
#include "graft/progress.h"
#include "graft/result.h"

namespace graft {

class Rule;

// ----------------------------------------------------------------------------- rules

// What every rule, declared or C++, offers the driver. A rule finds its matches on an indexed
// graph (and, when asked, near misses), and rewrites one match through the Graph edit API (so the
// edit journal records it and the change can be undone exactly).
class Rule {
 public:
  virtual ~Rule() = default;
  virtual const std::string& name() const = 0;
  virtual const std::string& description() const = 0;
  virtual int benefit() const = 0;
  // Backends this rule was written for ("*" = any); informative, the profile decides what runs.
  virtual const std::vector<std::string>& backends() const = 0;
  // Op types a match can start at (its root); empty = the rule scans the graph itself.
  virtual std::vector<std::string> rootOps() const = 0;

  // Appends every match (overlapping ones included: the driver resolves overlaps).
  // nearMisses is null when nobody asked; otherwise append the best failed attempt per root.
  virtual void findMatches(const MatchContext& ctx, std::vector<Match>& out,
                           std::vector<NearMiss>* nearMisses) const = 0;
  // Rewrites one match found on the current revision of the graph. Nodes created must go
  // through RewriteContext::addNode (names and provenance).
  virtual Status apply(Graph& graph, const Match& match, class RewriteContext& ctx) const = 0;

  // The same rewrite the other way round, or an error saying why there is none.
  virtual Result<std::shared_ptr<const Rule>> inverse() const {
    return Status(ErrorCode::Unsupported, "rule '" + name() + "' has no inverse");
  }
  // Declared rules: where they were written; C++ rules: empty.
  virtual SourcePos source() const { return {}; }
};

// A rule read from a rule file (see docs/rules.md): pattern + conditions + lets + replacement.
struct RuleSpec {
  std::string name;
  std::string description;
  int benefit = 1;
  std::vector<std::string> backends;
  std::int64_t minOpset = 0;  // default-domain opset the replacement needs (0: any)
  bool invertible = true;     // `inverse: no` forbids the inverse even when it is well-defined
  PatternGraph pattern;
  std::vector<Condition> conditions;
  std::vector<Binding> bindings;
  PatternGraph replacement;
  SourcePos pos;
};

// A rule file parsed: all its rules, or the first mistake as `file:line:column: what is wrong`
// (and no rules at all: a file with a mistake loads nothing).
Result<std::vector<std::shared_ptr<const Rule>>> parseRules(const std::string& text, const std::string& fileName);
Result<std::vector<std::shared_ptr<const Rule>>> loadRuleFile(const std::string& path);
// Builds the declared rule from a spec (also checks it): for tools that generate rules.
Result<std::shared_ptr<const Rule>> makeDeclaredRule(RuleSpec spec);
// The spec behind a declared rule, null for C++ rules.
const RuleSpec* declaredSpec(const Rule& rule);

// C++ rules by name. The built-in ones (cleanup, folding, and the library's fusions) are
// registered by the functions listed in engine/src/rewrite/registry.cpp; call add() to
// register more at run time (e.g. a plugin or a test).
class RuleRegistry {
 public:
  using Factory = std::function<std::shared_ptr<const Rule>()>;
  static RuleRegistry& instance();  // built-ins registered on first use

  void add(const std::string& name, Factory factory);  // replaces a rule of the same name
  std::shared_ptr<const Rule> create(const std::string& name) const;  // null when unknown
  std::vector<std::string> names() const;  // sorted

 private:
  std::map<std::string, Factory> factories_;
};

// ----------------------------------------------------------------------------- profiles

// What blocks a backend or runs poorly there; reported as "blocks" with the reason.
struct Blocker {
  enum class Kind { Op, Attribute, DType, DynamicShape };
  Kind kind = Kind::Op;
  std::string op;          // "Op" or "domain:Op" ("*" in Attribute/DType = any op)
  std::string attribute;   // Attribute: name
  std::vector<Literal> values;  // Attribute: values that block (empty: present at all)
  std::int32_t dtype = 0;  // DType
  std::string reason;      // shown to the user, with the citation
  SourcePos pos;
};

struct ProfileRule {
  std::string name;
  bool inverse = false;
  SourcePos pos;
};

// A backend profile (see docs/rules.md for the file format).
struct Profile {
  std::string name;
  std::string description;
  std::int64_t opset = 0;            // target default-domain opset (0: keep the model's)
  std::vector<std::string> domains;  // domains the backend accepts ("" = ai.onnx)
  std::vector<std::string> ruleFiles;  // `rules FILE`: resolved to absolute paths
  std::vector<ProfileRule> rules;    // in profile order
  std::vector<std::string> backendFuses;  // rule names whose matches the backend fuses itself
  std::vector<Blocker> blockers;
  // `quantize-KEY: values` lines (quant's placement for static/dynamic INT8), by KEY.
  std::map<std::string, std::vector<std::string>> quantize;
  std::string path;  // file it came from
};

Result<Profile> parseProfile(const std::string& text, const std::string& fileName);
Result<Profile> loadProfileFile(const std::string& path);
// Folders searched for `NAME.profile`: $GRAFT_PROFILE_PATH (':'-separated), the source tree's
// resources/profiles, the installed share/graft/profiles. A NAME containing '/' or ending in
// .profile is a path.
std::vector<std::string> profileSearchDirs();
Result<Profile> findProfile(const std::string& nameOrPath);
std::vector<std::string> availableProfiles();  // names, sorted
// Default folder for rule files named by profiles (resources/rules).
std::vector<std::string> ruleSearchDirs();

// ----------------------------------------------------------------------------- matching

struct BlockerHit {
  NodeId node = 0;
  std::string nodeName, opType;
  std::string reason;
};

struct MatchOptions {
  bool nearMisses = false;  // costs a little: every failed start is explained
  bool inferTypes = true;   // run shape inference for shape/dtype/rank conditions
  // Types computed earlier (the studio caches inference between edits); used instead of inferring.
  const TypeTable* types = nullptr;
  // Called between rules; returning false stops matching (the report says `cancelled`).
  ProgressFn progress = nullptr;
};

struct MatchReport {
  std::vector<Match> matches;       // chosen: no two share a node; by benefit, then topo order
  std::vector<Match> overlapped;    // found but losing to a chosen one
  std::vector<Match> backendFuses;  // patterns the backend fuses itself (left alone)
  std::vector<NearMiss> nearMisses;
  std::vector<BlockerHit> blocks;
  std::vector<std::string> warnings;
  bool cancelled = false;  // MatchOptions::progress asked to stop: the lists are incomplete
};

// Near misses ranked for a person reading them (graft-cli match --explain, the studio's "Why
// not" tab). Shown by default: attempts where a real part of the pattern matched (the root and
// at least one more node) or where only a condition failed (NearMiss::conditionOnly), and whose
// root no chosen match rewrites anyway, each failure (root and reason) once, under the rule that
// got furthest; the rest only with `all`. Grouped by rule, groups with
// the most shown first; inside a group the deepest attempts first, then in graph order.
struct NearMissGroup {
  std::string rule;
  std::vector<std::size_t> shown;  // indices into MatchReport::nearMisses
  std::size_t total = 0;           // near misses of this rule, shown or not
};
struct RankedNearMisses {
  std::vector<NearMissGroup> groups;  // rules with at least one shown near miss
  std::size_t shown = 0, total = 0;
};
bool nearMissIsReadable(const NearMiss& miss);
RankedNearMisses rankNearMisses(const MatchReport& report, bool all = false);

// ----------------------------------------------------------------------------- applying

// What a rule gets while it rewrites: naming and provenance for new nodes.
class RewriteContext {
 public:
  RewriteContext(std::string rule, std::vector<Node*> matched) : rule_(std::move(rule)), matched_(std::move(matched)) {}
  // Adds a node named `<scope of the matched nodes>/<opType>` (unique), doc string
  // "graft: rule <rule> replaced <nodes>" appended to spec.docString.
  Result<Node*> addNode(Graph& graph, Graph::NewNode spec, const Node* before = nullptr);
  const std::string& rule() const { return rule_; }
  const std::vector<Node*>& created() const { return created_; }
  std::string scope() const;  // common "/a/b" prefix of the matched nodes' names

 private:
  std::string rule_;
  std::vector<Node*> matched_;
  std::vector<Node*> created_;
};

// The provenance marker: created nodes' doc_string starts with this, followed by the rule name.
inline constexpr const char* kProvenancePrefix = "graft: rule ";
// Rule name recorded on a node, empty when it was not created by a rewrite.
std::string provenanceOf(const Node& node);

// One applied rewrite (or a batch of them): what changed, and the journal that undoes it.
// What the check of an applied rewrite found (ApplyOptions::verify): the onnx checker and
// shape inference on the result, then the outputs before and after on random inputs.
struct Verification {
  bool structural = false;  // the checker and shape inference accept the result
  bool numeric = false;     // outputs were compared on the reference evaluator
  double maxAbsDiff = 0;    // the largest |before - after| over every output element
  int inputSets = 0;        // random input sets the outputs were compared on
  std::string note;         // why there was no numeric comparison
};

struct ChangeRecord {
  std::string rule;                   // "" for a batch over several rules
  std::vector<std::string> rules;     // every rule applied in this record, in order
  std::vector<std::string> removed;   // node names (or "<Op> producing <value>")
  std::vector<std::string> added;
  std::vector<std::string> changed;
  std::vector<NodeId> addedIds, changedIds;
  std::int64_t nodeDelta = 0;         // node count after - before
  std::size_t applied = 0;            // matches applied
  std::vector<std::string> warnings;  // e.g. the fixed-point cap
  Verification verification;
  std::shared_ptr<EditJournal> journal;  // undo()/redo() replay it; cheap: only touched objects

  Status undo(Model& model) const;
  Status redo(Model& model) const;
};

// Values for a model's symbolic dims by name ("batch" -> 2); dims not named are 1.
using DimValues = std::map<std::string, std::int64_t>;

// Runs `fn` inside a new edit journal, recording what it added, removed and changed; when `fn`
// fails its edits are undone and the model is as before. Rewrites and hand edits (edit.h) use it.
Result<ChangeRecord> recordChange(Model& model, const std::function<Status(ChangeRecord&)>& fn);

struct ApplyOptions {
  bool verify = true;       // checker + inference, and equal outputs where the evaluator runs
  std::uint64_t seed = 0;   // random inputs for the numeric check
  double atol = 1e-4, rtol = 1e-3;
  int maxIterations = 16;   // fixed point cap (whole profile)
  std::vector<std::string> only, skip;  // rule names
  DimValues dims;           // symbolic dims for the numeric check (unnamed ones: 1)
  // Also compare at other values of the symbolic dims (verificationDims): a rewrite that is
  // right only when every dim is 1 (a shape chain turned constant) must not pass.
  bool varyDims = true;
  // Called per match and per round; returning false cancels: everything the call did is undone
  // and it returns ErrorCode::Cancelled (the model is exactly as before the call).
  ProgressFn progress = nullptr;
  // Recipes record each rewrite (recipe.h): called just before a match is rewritten (the model
  // still as the match saw it); the function it returns is called once that rewrite is done.
  std::function<std::function<void()>(const Model&, const Match&)> onRewrite;
  // The rewrites of `rule` reported since its last round began were undone (failed verification).
  std::function<void(const std::string& rule)> onRewritesUndone;
};

// Before and after of the region a match touches, for a side-by-side preview.
struct Preview {
  // Matched nodes, with boundary inputs/outputs as graph inputs/outputs; the weights they read
  // are also listed as initializers with dtype and dims only (no data).
  onnx::GraphProto before;
  onnx::GraphProto after;  // replacement and kept nodes, same boundary; new weights with their real shape
  // Node labels (MatchContext::label). A node edited in place, or replaced by a node of the same
  // op on the same data (e.g. Conv after folding BatchNormalization), is neither removed nor
  // added but changed: `changed` names it in `after`, `changedFrom` (same order) in `before`.
  // `removed` includes nodes the rewrite leaves without readers (a Constant only the match
  // read), so the counts are those Apply will report; they are in `before` too.
  std::vector<std::string> removed, added, changed, changedFrom;
  // The same check Apply makes, run on the previewed result.
  Verification verification;
};

// Drives a profile (or any list of rules) over a model.
class Rewriter {
 public:
  // Rules the profile names are looked up in: extra rule files, the profile's rule files,
  // the default rule folder, the C++ registry (first hit wins).
  static Result<Rewriter> create(const Profile& profile, const std::vector<std::string>& extraRuleFiles = {});
  // A rewriter over explicit rules (no profile), e.g. for tests.
  static Rewriter fromRules(std::vector<std::shared_ptr<const Rule>> rules);

  const Profile& profile() const { return profile_; }
  const std::vector<std::shared_ptr<const Rule>>& rules() const { return rules_; }
  const std::shared_ptr<const Rule>* findRule(const std::string& name) const;

  MatchReport match(const Model& model, const MatchOptions& options = {}) const;
  // Each apply runs inside an edit journal; when verification fails it is undone and the
  // error names the rule and nodes. The returned record undoes/redoes the change.
  Result<ChangeRecord> applyMatch(Model& model, const Match& match, const ApplyOptions& options = {}) const;
  Result<ChangeRecord> applyRule(Model& model, const std::string& rule, const ApplyOptions& options = {}) const;
  // The whole profile to a fixed point (capped, with a warning). Rules that fail verification
  // are undone and reported in the record's warnings; the rest stays applied.
  Result<ChangeRecord> applyAll(Model& model, const ApplyOptions& options = {}) const;
  Result<Preview> preview(Model& model, const Match& match) const;  // applies and undoes

 private:
  Profile profile_;
  std::vector<std::shared_ptr<const Rule>> rules_;
  std::vector<std::shared_ptr<const Rule>> fuses_;  // backend-fuses: matched and reported only
};

// The assignments of the model's symbolic input dims a rewrite is checked at: `options.dims`
// (others 1), and with `varyDims` one more where every symbolic dim gets a different value
// above 1 (names with "batch" 2, with "seq"/"len"/"token" 7, others 3, 5, 11, 13, ...) unless
// `options.dims` names it. A set the original model cannot run at is skipped by the checks.
std::vector<DimValues> verificationDims(const Model& model, const ApplyOptions& options);

// Checker + inference + (where the evaluator runs) equal outputs before/after `record`
// (undoes and redoes it on the same model to compare, so no copy is made).
Status verifyChange(Model& model, const ChangeRecord& record, const ApplyOptions& options,
                    Verification* found = nullptr);

// The model converted to ai.onnx opset `target` by ONNX's version converter (up or down), as a
// new model with the same source folder; an error names the op the converter has no adapter for.
Result<std::unique_ptr<Model>> convertOpset(const Model& model, std::int64_t target);

}  // namespace graft
