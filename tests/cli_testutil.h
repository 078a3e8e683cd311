// Runs the built graft-cli and keeps its exit code and output (the CLI tests share it).
#pragma once

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include "testutil.h"

namespace graft::test {

struct Run {
  int exitCode = -1;
  QString out, err;
};

// SPDLOG_LEVEL is removed so a developer's log setting does not change what the tests read;
// stdin is closed so a command that would wait for input fails instead of hanging.
inline Run runCli(const QStringList& args) {
  QProcess p;
  p.setProgram(QString::fromStdString(graft::test::cliPath()));
  p.setArguments(args);
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.remove("SPDLOG_LEVEL");
  p.setProcessEnvironment(env);
  p.start();
  Run r;
  if (!p.waitForStarted(10000)) {
    r.err = "could not start " + p.program();
    return r;
  }
  p.closeWriteChannel();
  if (!p.waitForFinished(300000)) {
    p.kill();
    p.waitForFinished();
    r.err = "timed out: " + p.program() + " " + args.join(' ');
    return r;
  }
  r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

}  // namespace graft::test
