// Time from process start to the first complete frame of the real studio (`graft --screenshot`),
// and its peak resident memory, for the sizes the canvas issue sets targets for.
// Usage: bench_gui_startup [--runs N] [--only NAME[,NAME...]] [--size WxH]
//   NAME: cnn, gpt6, decoder16k, decoder16k-all, decoder64k (default: all of them; N = 3)
// Each run is a fresh process; graft reports the first complete frame itself (GRAFT_FRAME_TIMING=1:
// seconds since its start time in /proc, so loading the executable and Qt counts), and wait4()
// gives the whole process's peak RSS. Runs on the offscreen platform unless QT_QPA_PLATFORM is set.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../models/bench_models.h"

extern char** environ;

using namespace graft;

namespace {

struct Case {
  const char* name;   // row name
  const char* model;  // tests/models/make_models.py model
  bool expandAll;
  double targetSeconds;  // 0: no target
  double targetMiB;      // 0: no target
  const char* what;
};

const Case kCases[] = {
    {"cnn", "cnn", false, 0.3, 0, "ResNet-34, 121 nodes (opens fully expanded)"},
    {"gpt6", "gpt6", false, 0, 0, "6-layer GPT decoder, ~900 nodes"},
    {"decoder16k", "decoder16k", false, 2.0, 0, "16k-node decoder, collapsed"},
    {"decoder16k-all", "decoder16k", true, 5.0, 0, "16k-node decoder, --expand all"},
    {"decoder64k", "decoder64k", false, 3.0, 1024, "64k-node decoder, collapsed"},
};

struct Run {
  bool ok = false;
  double firstFrame = 0;  // seconds from process start, as graft measured it
  double wall = 0;        // seconds from spawn to exit (PNG written, teardown included)
  double peakMiB = 0;     // whole process (wait4)
  std::string error;
};

Run runOnce(const Case& c, const std::string& model, const std::string& size, const std::string& out) {
  Run run;
  std::string err = out + ".stderr";
  std::vector<std::string> args = {GRAFT_STUDIO_PATH, "--screenshot", out, "--size", size};
  if (c.expandAll) {
    args.push_back("--expand");
    args.push_back("all");
  }
  args.push_back(model);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> envStrings;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "GRAFT_FRAME_TIMING=", 19) != 0) envStrings.emplace_back(*e);
  envStrings.emplace_back("GRAFT_FRAME_TIMING=1");
  if (!std::getenv("QT_QPA_PLATFORM")) envStrings.emplace_back("QT_QPA_PLATFORM=offscreen");
  std::vector<char*> envp;
  for (auto& e : envStrings) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  bench::Stopwatch sw;
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    run.error = std::string("cannot start ") + argv[0] + ": " + std::strerror(rc);
    return run;
  }
  int status = 0;
  struct rusage usage {};
  wait4(pid, &status, 0, &usage);
  run.wall = sw.seconds();
  run.peakMiB = static_cast<double>(usage.ru_maxrss) / 1024.0;
  std::ifstream in(err);
  std::string line, all;
  while (std::getline(in, line)) {
    all += line + "\n";
    auto at = line.find("graft-timing first_frame_s=");
    if (at != std::string::npos) run.firstFrame = std::stod(line.substr(at + 27));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || run.firstFrame <= 0) {
    run.error = "graft failed (status " + std::to_string(status) + "): " + all.substr(0, 400);
    return run;
  }
  run.ok = true;
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 3;
  std::string only, size = "1400x900";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (a == "--only" && i + 1 < argc) only = "," + std::string(argv[++i]) + ",";
    else if (a == "--size" && i + 1 < argc) size = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--runs N] [--only NAME[,NAME...]] [--size WxH]\n", argv[0]);
      return 2;
    }
  }
  const char* platform = std::getenv("QT_QPA_PLATFORM");
  std::printf("graft --screenshot, process start to first complete frame; medians of %d; platform %s; "
              "window %s\n",
              runs, platform ? platform : "offscreen", size.c_str());
  std::printf("%-15s %-44s %10s %8s %10s %9s  %s\n", "case", "model", "1st frame", "target", "exit", "peak RSS",
              "verdict");
  int failures = 0;
  const std::string out = bench::modelDir() + "/startup-shot.png";
  for (const Case& c : kCases) {
    if (!only.empty() && only.find("," + std::string(c.name) + ",") == std::string::npos) continue;
    std::string model = bench::benchModel(c.model);
    if (model.empty()) {
      std::printf("%-15s skipped: the model could not be made\n", c.name);
      continue;
    }
    std::vector<double> frame, wall, rss;
    std::string error;
    for (int r = 0; r < runs; ++r) {
      Run run = runOnce(c, model, size, out);
      if (!run.ok) {
        error = run.error;
        break;
      }
      frame.push_back(run.firstFrame);
      wall.push_back(run.wall);
      rss.push_back(run.peakMiB);
    }
    if (!error.empty()) {
      std::printf("%-15s FAILED: %s\n", c.name, error.c_str());
      ++failures;
      continue;
    }
    const double f = bench::median(frame), w = bench::median(wall), m = bench::median(rss);
    bool pass = (c.targetSeconds == 0 || f < c.targetSeconds) && (c.targetMiB == 0 || m < c.targetMiB);
    char target[32] = "-";
    if (c.targetSeconds > 0) std::snprintf(target, sizeof target, "<%.1fs", c.targetSeconds);
    char mem[32];
    std::snprintf(mem, sizeof mem, "%.0f MiB", m);
    std::printf("%-15s %-44s %9.3fs %8s %9.3fs %9s  %s%s\n", c.name, c.what, f, target, w, mem,
                c.targetSeconds > 0 ? (pass ? "ok" : "SLOW") : "-",
                c.targetMiB > 0 ? (m < c.targetMiB ? " (<1 GiB ok)" : " (>= 1 GiB!)") : "");
  }
  return failures ? 1 : 0;
}
