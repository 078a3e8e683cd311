// PyTorch models the tests export themselves (tests/models/export_eval_models.py), shared by the
// diff tests so each build folder exports them once.
#pragma once

#include <QFile>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <filesystem>

#include "testutil.h"

namespace graft::test {

// Exports PyTorch models with tests/models/export_eval_models.py into dir/NAME/model.onnx: only
// those missing or older than the script, so a build folder exports each once. Returns "" when
// they are there, else why not; `failed` tells an exporter that broke (the test should fail)
// from a machine without PyTorch (the test skips).
inline QString exportEvalModels(const QString& dir, const QStringList& names, bool* failed) {
  namespace fs = std::filesystem;
  *failed = false;
  const fs::path script = fs::path(sourceDir()) / "tests/models/export_eval_models.py";
  QStringList missing;
  for (const QString& name : names) {
    const fs::path model = fs::path(dir.toStdString()) / name.toStdString() / "model.onnx";
    std::error_code ec;
    if (!fs::exists(model) || fs::last_write_time(model, ec) < fs::last_write_time(script, ec)) missing << name;
  }
  if (missing.isEmpty()) return {};
  const QString python = QFile::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  QProcess probe;
  probe.start(python, {"-c", "import torch, torchvision, onnx"});
  if (!probe.waitForFinished(120000) || probe.exitStatus() != QProcess::NormalExit || probe.exitCode() != 0)
    return "PyTorch is not installed (/usr/bin/python3 with python3-torch, python3-torchvision, python3-onnx): "
           "the exported models are skipped";
  QProcess p;
  p.setProcessChannelMode(QProcess::MergedChannels);
  p.start(python, QStringList{QString::fromStdString(script.string()), dir} + missing);
  if (!p.waitForFinished(600000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
    *failed = true;
    return "PyTorch could not export " + missing.join(", ") + ": " + QString::fromUtf8(p.readAll()).right(600);
  }
  return {};
}

}  // namespace graft::test
