// The rule library's C++ fusions (BatchNormalization into Conv/ConvTranspose/Gemm, ...): what a
// rule file cannot declare because it computes new weights. Owned by the rule library.
#include "rewrite/registrars.h"

namespace graft {

void registerFusionRules(RuleRegistry& /*registry*/) {}

}  // namespace graft
