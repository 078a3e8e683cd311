// bench_diff: how long `graft-cli diff A B` takes as a whole process (start, loading both models,
// pairing, report) on decoder pairs where B is A renamed throughout, reordered, with an Identity
// inserted, one attribute changed and one weight scaled. Targets: 16.6k nodes under 2 s, 64k under 5 s.
// Also the pairing alone in this process, and how many nodes it pairs correctly.
//
// Usage: bench_diff [--runs N] [--models decoder16k,decoder64k]
//   Models come from tests/models/make_models.py (made on first use beside this executable).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../diff_testutil.h"
#include "../models/bench_models.h"
#include "graft/diff.h"
#include "graft/io.h"

using namespace graft;
using bench::Stopwatch;

namespace {

std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// Runs graft-cli diff A B > /dev/null and returns its exit code.
int runCliDiff(const std::string& a, const std::string& b) {
  pid_t pid = fork();
  if (pid == 0) {
    if (!std::freopen("/dev/null", "w", stdout)) _exit(127);
    execl(GRAFT_CLI_PATH, "graft-cli", "diff", a.c_str(), b.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 3;
  std::vector<std::string> names{"decoder16k", "decoder64k"};
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--models") && i + 1 < argc) {
      names.clear();
      std::stringstream ss(argv[++i]);
      for (std::string n; std::getline(ss, n, ',');) names.push_back(n);
    } else {
      std::fprintf(stderr, "usage: bench_diff [--runs N] [--models decoder16k,decoder64k]\n");
      return 2;
    }
  }
  std::printf("| model | nodes | whole process (median of %d) | target | pairing in-process (median) | paired correctly | load average |\n", runs);
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const auto& name : names) {
    std::string path = bench::benchModel(name);
    if (path.empty()) {
      std::printf("| %s | - | skipped (could not make the model) | | | | |\n", name.c_str());
      continue;
    }
    auto original = loadModel(path);
    if (!original) {
      std::fprintf(stderr, "bench_diff: %s\n", original.message().c_str());
      return 1;
    }
    auto mutated = test::mutateModel(original.value()->toProto());
    std::string pa = bench::modelDir() + "/" + name + ".diff-a.onnx";
    std::string pb = bench::modelDir() + "/" + name + ".diff-b.onnx";
    {
      std::ofstream fa(pa, std::ios::binary), fb(pb, std::ios::binary);
      mutated.a.SerializeToOstream(&fa);
      mutated.b.SerializeToOstream(&fb);
    }
    auto a = Model::fromProto(mutated.a);
    auto b = Model::fromProto(mutated.b);
    // The pairing alone, median of the runs too: one measurement swings with the machine's load.
    std::vector<double> pairTimes;
    Result<NodePairing> pairing = Status{ErrorCode::Internal, "not run"};
    for (int r = 0; r < runs; ++r) {
      Stopwatch pairClock;
      pairing = pairModels(*a.value(), *b.value());
      pairTimes.push_back(pairClock.seconds());
    }
    if (!pairing) {
      std::fprintf(stderr, "bench_diff: %s\n", pairing.message().c_str());
      return 1;
    }
    double pairSeconds = bench::median(pairTimes);
    std::size_t right = 0;
    for (const Node* n : pairing->a.nodes) {
      const Node* p = pairing->partnerInB(n);
      if (p && p->name() == mutated.nodeAtoB.at(n->name())) ++right;
    }
    std::vector<double> seconds;
    int code = 0;
    for (int r = 0; r < runs; ++r) {
      Stopwatch clock;
      code = runCliDiff(pa, pb);
      seconds.push_back(clock.seconds());
    }
    double target = name == "decoder64k" ? 5.0 : 2.0;
    double med = bench::median(seconds);
    std::printf("| %s | %zu | %.2f s (exit %d) | < %.0f s %s | %.3f s | %zu of %zu (%.3f%%) | %s |\n", name.c_str(),
                pairing->a.nodes.size(), med, code, target, med < target ? "met" : "MISSED", pairSeconds, right,
                pairing->a.nodes.size(), 100.0 * static_cast<double>(right) / static_cast<double>(pairing->a.nodes.size()),
                loadAverage().c_str());
    std::fflush(stdout);
  }
  return 0;
}
