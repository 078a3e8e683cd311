// The long run of the model fuzzer: mutants of the seed models (model_mutator.h) are exercised
// in worker processes, so a crash or a hang costs one worker, not the run. Each worker tells the
// driver which mutant it starts; the driver keeps a crashing or hanging mutant (> 10 s) as a file
// for a regression test, starts a new worker past it, and reports counts and peak memory.
//
// Hangs and the slowest mutant are measured in the worker's CPU time (see kWallLimit).
//
//   fuzz_models COUNT [FIRST] [ARTIFACT_DIR] [SECONDS]   (run under `ulimit -v 6291456`, `nice -n 19`)
//   fuzz_models --write N FILE                          (mutant N as a model file)
//
// SECONDS stops the run after that long (at the end of the mutant in progress) and reports what
// was done, for a run that has to fit a time slot.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "fuzz/model_mutator.h"
#include "hostile_models.h"

using namespace graft;

namespace {

constexpr double kWallLimit = 120;

onnx::ModelProto mutantAt(const std::vector<onnx::ModelProto>& seeds, long i) {
  fuzz::Mutator mutator(0x9e3779b97f4a7c15ull ^ static_cast<std::uint64_t>(i));
  return mutator.mutate(seeds[static_cast<std::size_t>(i) % seeds.size()]);
}

// CPU seconds (user + system) that process `pid` and its reaped children have used, from /proc/PID/stat.
double cpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start past the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  // utime, stime, and cutime, cstime: the worker's own and its finished children's (the
  // isolated onnx calls run in forked children).
  unsigned long long ticks = 0;
  for (int i = 3; fields >> field && i <= 17; ++i)
    if (i >= 14) ticks += std::strtoull(field.c_str(), nullptr, 10);
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The calling process's resident set now, in KiB (VmRSS of /proc/self/status).
long residentKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--write") {
    // fuzz_models --write N FILE: the mutant N of a run, as a model file to study or keep.
    auto seeds = fuzz::loadSeeds(GRAFT_TESTDATA_DIR, 3, {std::string(GRAFT_SOURCE_DIR) + "/tests/fuzz/seeds"});
    for (auto& h : test::hostileModels()) seeds.push_back(h.model);
    std::ofstream(argv[3], std::ios::binary) << mutantAt(seeds, std::atol(argv[2])).SerializeAsString();
    return 0;
  }
  const long count = argc > 1 ? std::atol(argv[1]) : 100000;
  long next = argc > 2 ? std::atol(argv[2]) : 0;
  const std::string artifacts = argc > 3 ? argv[3] : "fuzz-artifacts";
  const double seconds = argc > 4 ? std::atof(argv[4]) : 0;
  std::filesystem::create_directories(artifacts);
  auto seeds = fuzz::loadSeeds(GRAFT_TESTDATA_DIR, 3, {std::string(GRAFT_SOURCE_DIR) + "/tests/fuzz/seeds"});
  for (auto& h : test::hostileModels()) seeds.push_back(h.model);
  std::fprintf(stderr, "fuzz_models: %zu seeds, mutants %ld..%ld\n", seeds.size(), next, count - 1);
  // 512 MiB: a mutant may legitimately ask for a big but bounded run (LRN over a declared
  // [2^20,5,5,5] input took 13 s); the budget, not the fuzzer, decides where that stops.
  setEvalMemoryBudget(std::uint64_t(512) << 20);
  long crashes = 0, hangs = 0, done = 0;
  double slowest = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  while (next < count) {
    int fds[2];
    if (pipe(fds) != 0) return 2;
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      // GRAFT_FUZZ_RSS=1: name every mutant after which the worker kept 64 MiB more resident
      // memory than before it (memory that a run should have given back).
      const bool watchRss = std::getenv("GRAFT_FUZZ_RSS") != nullptr;
      long rss = watchRss ? residentKib() : 0;
      for (long i = next; i < count; ++i) {
        if (seconds > 0 && std::chrono::steady_clock::now() > deadline) _exit(0);
        if (write(fds[1], &i, sizeof i) != sizeof i) _exit(2);
        fuzz::exercise(mutantAt(seeds, i));
        if (watchRss) {
          const long now = residentKib();
          if (now - rss >= 64 * 1024) std::fprintf(stderr, "  mutant %ld: resident %ld -> %ld MiB\n", i, rss / 1024, now / 1024);
          rss = now;
        }
      }
      _exit(0);
    }
    close(fds[1]);
    long current = -1;
    auto startedAt = std::chrono::steady_clock::now();
    double cpuAtStart = 0;
    bool hung = false;
    for (;;) {
      pollfd p = {fds[0], POLLIN, 0};
      int r = poll(&p, 1, 500);
      const double busy = std::chrono::duration<double>(std::chrono::steady_clock::now() - startedAt).count();
      if (r == 0) {
        // A hang is 10 s of the worker's own CPU time, so that a run at low priority on a busy
        // machine measures the mutant, not the machine; a worker that waits (a deadlock) is
        // caught by the wall clock after kWallLimit.
        if (current >= 0 && busy > 10 && (cpuSeconds(pid) - cpuAtStart > 10 || busy > kWallLimit)) {
          hung = true;
          kill(pid, SIGKILL);
          break;
        }
        continue;
      }
      long i;
      ssize_t n = read(fds[0], &i, sizeof i);
      if (n != sizeof i) break;
      const double cpuNow = cpuSeconds(pid);
      if (current >= 0) {
        slowest = std::max(slowest, cpuNow - cpuAtStart);
        ++done;
      }
      current = i;
      startedAt = std::chrono::steady_clock::now();
      cpuAtStart = cpuNow;
      if (done % 5000 == 0 && done)
        std::fprintf(stderr, "  %ld done, %ld crashes, %ld hangs, slowest %.2f s\n", done, crashes, hangs, slowest);
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      if (current >= 0) ++done;
      break;
    }
    // The worker died at `current`: keep it and go on after it.
    if (current < 0) return 3;
    const bool crashed = !hung;
    crashed ? ++crashes : ++hangs;
    const std::string file = artifacts + "/" + (crashed ? "crash-" : "hang-") + std::to_string(current) + ".onnx";
    std::ofstream(file, std::ios::binary) << mutantAt(seeds, current).SerializeAsString();
    std::fprintf(stderr, "  mutant %ld %s (%s)\n", current,
                 crashed ? ("crashed, signal " + std::to_string(WIFSIGNALED(status) ? WTERMSIG(status) : -1)).c_str()
                         : "hung over 10 s",
                 file.c_str());
    ++done;
    next = current + 1;
  }
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double load[3] = {};
  getloadavg(load, 3);
  std::printf("fuzz_models: %ld mutants, %ld crashes, %ld hangs over 10 s CPU, slowest %.2f s CPU, peak RSS %.0f MiB, %.0f s "
              "(load average %.2f)\n",
              done, crashes, hangs, slowest, static_cast<double>(ru.ru_maxrss) / 1024.0, total, load[0]);
  return crashes || hangs ? 1 : 0;
}
