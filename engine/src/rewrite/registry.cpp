// The built-in C++ rules. Each family registers itself through one function listed here (a
// static library drops self-registering objects nobody references, so the list is explicit).
// To add a family: write `void registerXxxRules(RuleRegistry&)` in engine/src/rewrite/rules_xxx.cpp,
// declare it in rewrite/registrars.h and add it to kRegistrars.
#include <algorithm>

#include "graft/rewrite.h"
#include "rewrite/registrars.h"

namespace graft {

namespace {
using Registrar = void (*)(RuleRegistry&);
constexpr Registrar kRegistrars[] = {
    registerCleanupRules,
    registerFusionRules,
    registerShapeRules,
};
}  // namespace

RuleRegistry& RuleRegistry::instance() {
  static RuleRegistry* registry = [] {
    auto* r = new RuleRegistry();
    for (auto fn : kRegistrars) fn(*r);
    return r;
  }();
  return *registry;
}

void RuleRegistry::add(const std::string& name, Factory factory) { factories_[name] = std::move(factory); }

std::shared_ptr<const Rule> RuleRegistry::create(const std::string& name) const {
  auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : it->second();
}

std::vector<std::string> RuleRegistry::names() const {
  std::vector<std::string> n;
  for (const auto& [k, v] : factories_) n.push_back(k);
  return n;
}

}  // namespace graft
