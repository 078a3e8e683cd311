// The declared rule (pattern + conditions + replacement from a rule file) and the internals
// the matcher and the driver share.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "graft/eval.h"
#include "graft/pattern.h"
#include "graft/rewrite.h"

namespace graft::detail {

// A pattern compiled for matching: node inputs resolved to pattern nodes or placeholders.
struct CompiledPattern {
  struct In {
    int node = -1;        // producing pattern node, or -1
    int output = 0;       // which output of it
    int placeholder = -1;  // index into inputs when not produced by a pattern node
    bool omitted = false;  // "" in the text: an omitted optional input
  };
  std::vector<std::vector<In>> inputs;  // per pattern node
  std::vector<int> outputNode;          // per pattern output: producing node
  std::vector<int> outputIndex;
  int root = 0;                          // node producing outputs[0]
  std::vector<int> order;                // nodes in the order the matcher visits them (root first)
};

Result<CompiledPattern> compilePattern(const PatternGraph& pattern, bool allowAttrRefs);

// Parses `(a, b) => (y) { nodes }` bodies with onnx::OnnxParser; positions map to the file.
Result<PatternGraph> parsePatternBody(const std::string& signature, const SourcePos& signaturePos,
                                      const std::string& body, const SourcePos& bodyPos);

// The value of a constant (initializer that is not a graph input, or Constant output).
std::optional<Array> constantArray(const Value* v);
// The attribute as written, or the schema default for the model's opset.
std::optional<onnx::AttributeProto> attributeOf(const Node* n, const std::string& name);

class DeclaredRule : public Rule {
 public:
  static Result<std::shared_ptr<const DeclaredRule>> create(RuleSpec spec);

  const std::string& name() const override { return spec_.name; }
  const std::string& description() const override { return spec_.description; }
  int benefit() const override { return spec_.benefit; }
  const std::vector<std::string>& backends() const override { return spec_.backends; }
  std::vector<std::string> rootOps() const override;
  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* nearMisses) const override;
  Status apply(Graph& graph, const Match& match, RewriteContext& ctx) const override;
  Result<std::shared_ptr<const Rule>> inverse() const override;
  SourcePos source() const override { return spec_.pos; }

  const RuleSpec& spec() const { return spec_; }
  const CompiledPattern& compiled() const { return pattern_; }

 private:
  RuleSpec spec_;
  CompiledPattern pattern_;
  CompiledPattern replacement_;
};

}  // namespace graft::detail
