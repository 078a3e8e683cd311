// The rule library's C++ fusions: what a rule file cannot declare because it computes new
// weights or keeps attributes it cannot name (BatchNormalization folded into Conv/ConvTranspose/
// Gemm, Conv/Gemm + activation into FusedConv/FusedGemm, BERT-style attention into Attention).
// Owned by the rule library; each family lives in its own rules_*.cpp.
#include "rewrite/library_util.h"
#include "rewrite/registrars.h"

namespace graft {

// The inverse direction (decompose.*) registers with the library: profiles name fusions and their
// inverses side by side.
void registerFusionRules(RuleRegistry& registry) {
  library::registerLibraryRules(registry);
  registerDecomposeRules(registry);
}

}  // namespace graft
