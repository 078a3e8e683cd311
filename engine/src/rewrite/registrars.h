// The registration functions of the built-in C++ rule families (listed in registry.cpp), and
// a base class that spares a C++ rule the name/description/benefit boilerplate.
#pragma once

#include <string>
#include <vector>

#include "graft/rewrite.h"

namespace graft {

void registerCleanupRules(RuleRegistry& registry);  // rules_cleanup.cpp (generic cleanup, folding)
void registerFusionRules(RuleRegistry& registry);   // rules_fusion.cpp (the rule library's C++ fusions)
void registerDecomposeRules(RuleRegistry& registry);
void registerShapeRules(RuleRegistry& registry);  // rules_shape.cpp (CSE, Constant nodes, shape chains)  // rules_decompose.cpp (contrib ops back to standard ONNX)

// Name, description, benefit and backends held as data; subclasses implement matching and apply.
class CppRule : public Rule {
 public:
  CppRule(std::string name, std::string description, int benefit, std::vector<std::string> rootOps)
      : name_(std::move(name)), description_(std::move(description)), benefit_(benefit), roots_(std::move(rootOps)) {}
  const std::string& name() const override { return name_; }
  const std::string& description() const override { return description_; }
  int benefit() const override { return benefit_; }
  const std::vector<std::string>& backends() const override { return backends_; }
  std::vector<std::string> rootOps() const override { return roots_; }

  // A match over `nodes` (the first is the root) for the driver's overlap resolution.
  Match makeMatch(const MatchContext& ctx, std::vector<Node*> nodes, std::string becomes, int nodeDelta) const {
    Match m;
    m.rule = name_;
    m.benefit = benefit_;
    m.nodes = std::move(nodes);
    for (Node* n : m.nodes) m.nodeIds.push_back(n->id());
    m.root = m.nodes.empty() ? nullptr : m.nodes.front();
    m.order = m.root ? ctx.position(m.root) : 0;
    m.becomes = std::move(becomes);
    m.nodeDelta = nodeDelta;
    return m;
  }

 private:
  std::string name_, description_;
  int benefit_;
  std::vector<std::string> roots_;
  std::vector<std::string> backends_{"*"};
};

}  // namespace graft
