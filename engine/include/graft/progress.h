// Progress and cancellation for long engine operations (load, inference, layout, ...).
// The callback may be called from a worker thread; it returns false to cancel.
#pragma once

#include <functional>
#include <string_view>

namespace graft {

// fraction in [0, 1] (or negative when unknown), stage is a short human-readable phrase.
// Return false to ask the operation to stop; it then returns ErrorCode::Cancelled.
using ProgressFn = std::function<bool(double fraction, std::string_view stage)>;

// Helper for engine code: calls fn when set, treats a missing callback as "go on".
inline bool reportProgress(const ProgressFn& fn, double fraction, std::string_view stage) {
  return !fn || fn(fraction, stage);
}

}  // namespace graft
