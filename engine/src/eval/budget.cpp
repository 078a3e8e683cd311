// The evaluator's memory budget: every array buffer is charged on allocation and released when
// freed, so a model whose declared or computed sizes would exhaust memory (an 83-byte file can
// ask for gigabytes) gets an error at the node that asked, before the allocator or the kernel's
// OOM killer gets involved. The default follows the process's limits, which is what matters
// under `ulimit -v` and in containers.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>

#include "eval/kernel.h"

namespace graft {

namespace {

std::atomic<std::uint64_t> gLive{0};
std::atomic<std::uint64_t> gBudget{0};
std::atomic<std::uint64_t> gExplicit{0};

std::uint64_t readNumber(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  if (!(in >> s) || s == "max") return 0;
  try {
    return std::stoull(s);
  } catch (...) {
    return 0;
  }
}

std::uint64_t cgroupLeft() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) != 0) continue;
    std::string dir = "/sys/fs/cgroup" + line.substr(3);
    std::uint64_t max = readNumber(dir + "/memory.max");
    if (!max) return 0;
    std::uint64_t used = readNumber(dir + "/memory.current");
    return max > used ? max - used : 1;
  }
  return 0;
}

std::uint64_t defaultBudget() {
  if (const char* env = std::getenv("GRAFT_EVAL_MEMORY_MIB")) {
    char* end = nullptr;
    unsigned long long mib = std::strtoull(env, &end, 10);
    if (end != env && mib > 0) return static_cast<std::uint64_t>(mib) << 20;
  }
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  std::uint64_t budget = static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) * page / 2;
  struct rlimit as {};
  if (::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t pages = 0;
    statm >> pages;
    const std::uint64_t used = pages * page + gLive.load();
    const std::uint64_t left = as.rlim_cur > used ? as.rlim_cur - used : 0;
    budget = std::min(budget, left / 4 * 3);
  }
  if (std::uint64_t left = cgroupLeft()) budget = std::min(budget, left / 4 * 3 + gLive.load());
  return std::max<std::uint64_t>(budget, std::uint64_t(64) << 20);
}

std::string mib(std::uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

}  // namespace

namespace eval {

void chargeMemory(std::size_t bytes) {
  std::uint64_t budget = gBudget.load(std::memory_order_relaxed);
  if (!budget) {
    refreshMemoryBudget();
    budget = gBudget.load();
  }
  std::uint64_t now = gLive.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  if (now > budget) {
    gLive.fetch_sub(bytes, std::memory_order_relaxed);
    throw ArrayTooLarge("an array of " + mib(bytes) + " would exceed the evaluator's memory budget of " + mib(budget) +
                        " (" + mib(now - bytes) + " in use); set GRAFT_EVAL_MEMORY_MIB to allow more");
  }
}

void releaseMemory(std::size_t bytes) noexcept { gLive.fetch_sub(bytes, std::memory_order_relaxed); }
std::size_t liveArrayBytes() noexcept { return static_cast<std::size_t>(gLive.load()); }

void refreshMemoryBudget() {
  std::uint64_t set = gExplicit.load();
  gBudget.store(set ? set : defaultBudget());
}

}  // namespace eval

std::uint64_t evalMemoryBudget() {
  if (!gBudget.load()) eval::refreshMemoryBudget();
  return gBudget.load();
}

void setEvalMemoryBudget(std::uint64_t bytes) {
  gExplicit.store(bytes);
  eval::refreshMemoryBudget();
}

}  // namespace graft
