// Shared helpers for the Qt Test executables: where the test data is, temporary folders,
// small models built in memory.
#pragma once

#include <QDir>
#include <QString>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <string>
#include <vector>

namespace graft::test {

inline std::string testdataDir() { return GRAFT_TESTDATA_DIR; }  // .../libonnx-testdata/data
inline std::string sourceDir() { return GRAFT_SOURCE_DIR; }
inline std::string cliPath() { return GRAFT_CLI_PATH; }

// Every model.onnx under data/<subdirs> of the backend test data, sorted.
inline std::vector<std::string> corpusModels(const std::vector<std::string>& subdirs) {
  std::vector<std::string> out;
  for (const auto& sub : subdirs) {
    std::filesystem::path root = std::filesystem::path(testdataDir()) / sub;
    if (!std::filesystem::exists(root)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root))
      if (e.is_regular_file() && e.path().extension() == ".onnx") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace graft::test
