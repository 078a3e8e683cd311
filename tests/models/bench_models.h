// The benchmark models (tests/models/make_models.py), made on first use next to the bench
// executables so they never enter the repository; plus small timing helpers for the benches.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace graft::bench {

inline std::string executableDir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : p.parent_path().string();
}

// Folder holding the models: $GRAFT_BENCH_MODELS, else bench-models beside the executable.
inline std::string modelDir() {
  if (const char* env = std::getenv("GRAFT_BENCH_MODELS")) return env;
  return executableDir() + "/bench-models";
}

// Path of a benchmark model ("cnn", "gpt6", "decoder16k", "decoder64k"), made if missing.
// Returns "" when it cannot be made (no torch): the bench then says so and skips it.
inline std::string benchModel(const std::string& name) {
  std::string dir = modelDir();
  std::string path = dir + "/" + name + ".onnx";
  if (std::filesystem::exists(path)) return path;
  // Debian's python3 has torch; a pyenv shim earlier in PATH may not.
  std::string python = std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  std::string cmd = python + " '" GRAFT_SOURCE_DIR "/tests/models/make_models.py' '" + dir + "' " + name +
                    " > '" + dir + ".log' 2>&1";
  std::filesystem::create_directories(dir);
  std::fprintf(stderr, "making %s (tests/models/make_models.py) ...\n", path.c_str());
  if (std::system(cmd.c_str()) != 0 || !std::filesystem::exists(path)) {
    std::fprintf(stderr, "could not make %s; see %s.log\n", name.c_str(), dir.c_str());
    return {};
  }
  return path;
}

// Seconds since this process started (from /proc/self/stat), so "time to first frame"
// includes loading the executable and its libraries.
inline double secondsSinceProcessStart() {
  std::ifstream stat("/proc/self/stat");
  std::string s((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Field 22 (starttime, clock ticks since boot) comes after the ')' closing the command name.
  size_t close = s.rfind(')');
  if (close == std::string::npos) return -1;
  std::vector<std::string> fields;
  size_t pos = close + 2;
  while (pos < s.size()) {
    size_t next = s.find(' ', pos);
    if (next == std::string::npos) next = s.size();
    fields.push_back(s.substr(pos, next - pos));
    pos = next + 1;
  }
  if (fields.size() < 20) return -1;
  double start = std::stod(fields[19]) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream up("/proc/uptime");
  double uptime = 0;
  up >> uptime;
  return uptime - start;
}

// Peak resident memory (VmHWM) in MiB.
inline double peakRssMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

class Stopwatch {
 public:
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  void restart() { start_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace graft::bench
