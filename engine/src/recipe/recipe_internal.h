// Step kinds defined outside recipe.cpp that the recipe layer registers itself (no static
// initialisers: the engine is a static library and would drop them).
#pragma once

#include "graft/recipe.h"

namespace graft {

StepKind quantizeStepKind();  // recipe_quant.cpp

}  // namespace graft
