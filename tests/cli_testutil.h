// Runs the built graft-cli and keeps its exit code and output (the CLI tests share it).
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

#include "testutil.h"

namespace graft::test {

struct Run {
  int exitCode = -1;
  QString out, err;
};

inline Run runCli(const QStringList& args) {
  QProcess p;
  p.setProgram(QString::fromStdString(graft::test::cliPath()));
  p.setArguments(args);
  p.start();
  Run r;
  if (!p.waitForStarted(10000) || !p.waitForFinished(180000)) {
    p.kill();
    r.err = "could not run " + p.program();
    return r;
  }
  r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

}  // namespace graft::test
