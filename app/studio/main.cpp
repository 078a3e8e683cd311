// graft: the studio. Opens the model named on the command line, or renders one to a PNG
// with --screenshot for docs and tests.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QImage>
#include <QTimer>

#include <spdlog/spdlog.h>

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "canvas/graph_canvas.h"
#include "diff/diff_view.h"
#include "main_window.h"
#include "graft/numbers.h"
#include "model_loader.h"
#include "rewrite/rewrite_session.h"
#include "studio_setup.h"

namespace {

void fail(const QString& message) { std::fprintf(stderr, "graft: %s\n", message.toLocal8Bit().constData()); }

// Seconds since this process was started (its start time in /proc/self/stat), so that the
// time reported for --screenshot includes loading the executable and Qt.
double secondsSinceProcessStart() {
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Field 22, starttime in clock ticks since boot, counted after the ')' that ends the name.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  const double started = graft::parseNumber(field).value_or(0) / static_cast<double>(sysconf(_SC_CLK_TCK));
  timespec now{};
  clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9 - started;
}

}  // namespace

// --help, --version and --export-graph need no screen: without a display they run on the
// offscreen platform instead of aborting in QApplication ("could not connect to display").
void chooseHeadlessPlatform(int argc, char* argv[]) {
  if (qEnvironmentVariableIsSet("QT_QPA_PLATFORM") || qEnvironmentVariableIsSet("DISPLAY") ||
      qEnvironmentVariableIsSet("WAYLAND_DISPLAY"))
    return;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help" || a == "-v" || a == "--version" || a == "--help-all" ||
        a.rfind("--export-graph", 0) == 0 || a.rfind("--screenshot", 0) == 0) {
      qputenv("QT_QPA_PLATFORM", "offscreen");
      return;
    }
  }
}

int main(int argc, char* argv[]) {
  chooseHeadlessPlatform(argc, argv);
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("Graft"));
  QApplication::setOrganizationDomain(QStringLiteral("graft.io"));
  QApplication::setApplicationName(QStringLiteral("graft"));
  QApplication::setApplicationDisplayName(QStringLiteral("Graft"));
  QApplication::setApplicationVersion(QStringLiteral(GRAFT_VERSION));
  QApplication::setDesktopFileName(QStringLiteral("io.graft.Graft"));
  QApplication::setWindowIcon(QIcon(QStringLiteral(":/graft/icons/graft.svg")));
  qRegisterMetaType<std::shared_ptr<graft::ModelDocument>>();

  graft::installTranslations();

  QCommandLineParser parser;
  parser.setApplicationDescription(QCoreApplication::translate("main", "Graft: a desktop studio for ONNX models."));
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument(QStringLiteral("model"), QCoreApplication::translate("main", "The .onnx model to open."),
                               QStringLiteral("[model]"));
  parser.addPositionalArgument(QStringLiteral("other"),
                               QCoreApplication::translate("main", "With --diff: the model to compare it with."),
                               QStringLiteral("[other]"));
  QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                QCoreApplication::translate("main", "Open the model without showing a window, save a "
                                                                "picture of the window to <png> and exit."),
                                QStringLiteral("png"));
  QCommandLineOption size(QStringLiteral("size"),
                          QCoreApplication::translate("main", "Window size for --screenshot, e.g. 1400x900."),
                          QStringLiteral("WxH"), QStringLiteral("1400x900"));
  QCommandLineOption select(QStringLiteral("select"),
                            QCoreApplication::translate("main", "Select the node with this name after opening."),
                            QStringLiteral("node"));
  QCommandLineOption expand(QStringLiteral("expand"),
                            QCoreApplication::translate("main", "Open the graph with groups expanded: 'all' opens "
                                                                "every group."),
                            QStringLiteral("all"));
  QCommandLineOption exportGraph(QStringLiteral("export-graph"),
                                 QCoreApplication::translate("main", "Open the model without showing a window, write "
                                                                 "the graph alone to <file> (SVG or PNG by its "
                                                                 "suffix) and exit."),
                                 QStringLiteral("file"));
  QCommandLineOption dock(QStringLiteral("dock"),
                          QCoreApplication::translate("main", "Bring this panel to the front: model, node, values, "
                                                              "rewrite, quantize, log or history (e.g. for --screenshot)."),
                          QStringLiteral("name"));
  QCommandLineOption diff(QStringLiteral("diff"),
                          QCoreApplication::translate("main", "Open the two models given side by side, the first as A "
                                                              "and the second as B (with --screenshot: picture "
                                                              "the diff window)."));
  QCommandLineOption verbose(QStringLiteral("verbose"),
                             QCoreApplication::translate("main", "Log debug messages too."));
  parser.addOptions({screenshot, exportGraph, size, select, expand, dock, diff, verbose});
  parser.process(app);

  graft::setupLogging(parser.isSet(verbose));
  spdlog::info("Graft {} on Qt {}", GRAFT_VERSION, qVersion());

  const QStringList args = parser.positionalArguments();
  const QString model = args.isEmpty() ? QString() : args.front();
  const bool diffing = parser.isSet(diff);
  if (diffing ? args.size() != 2 : args.size() > 1) {
    fail(diffing ? QCoreApplication::translate("main", "--diff needs two models: graft --diff A.onnx B.onnx")
                 : QCoreApplication::translate("main", "Give one model to open, or two with --diff."));
    return 2;
  }
  const QString other = diffing ? args.at(1) : QString();
  if (parser.isSet(expand) && parser.value(expand) != QStringLiteral("all")) {
    fail(QCoreApplication::translate("main", "--expand takes 'all' (open every group)."));
    return 2;
  }
  // The first layout already has every group open: no collapsed layout first.
  auto applyExpand = [&](graft::MainWindow& window) {
    if (parser.isSet(expand)) window.graphCanvas()->setAutoExpandLimit(std::numeric_limits<int>::max());
  };

  // Docks are named "<panel>Dock" (modelDock, rewriteDock, …); a tabified one is raised.
  auto raiseDock = [&](graft::MainWindow& window) {
    if (!parser.isSet(dock)) return true;
    QString name = parser.value(dock).toLower();
    if (name == QStringLiteral("quantize")) name = QStringLiteral("quant");
    auto* d = window.findChild<QDockWidget*>(name + QStringLiteral("Dock"));
    if (!d) return false;
    d->show();
    d->raise();
    return true;
  };

  if (diffing && parser.isSet(exportGraph)) {
    fail(QCoreApplication::translate("main", "--diff and --export-graph cannot be used together."));
    return 2;
  }
  if (parser.isSet(screenshot) && parser.isSet(exportGraph)) {
    fail(QCoreApplication::translate("main", "--screenshot and --export-graph cannot be used together."));
    return 2;
  }
  if (parser.isSet(exportGraph) && model.isEmpty()) {
    fail(QCoreApplication::translate("main", "--export-graph needs a model to open."));
    return 2;
  }
  if (parser.isSet(screenshot) || parser.isSet(exportGraph)) {
    const bool graphOnly = parser.isSet(exportGraph);
    const QString out = graphOnly ? parser.value(exportGraph) : parser.value(screenshot);
    const QStringList wh = parser.value(size).split(QLatin1Char('x'));
    const int width = wh.size() == 2 ? wh[0].toInt() : 0;
    const int height = wh.size() == 2 ? wh[1].toInt() : 0;
    if (width < 200 || height < 200 || width > 10000 || height > 10000) {
      fail(QCoreApplication::translate("main", "--size must look like 1400x900."));
      return 2;
    }
    graft::MainWindow window(graft::MainWindow::Options{false, false});
    // Laid out and painted as if shown, but never mapped on a screen.
    window.setAttribute(Qt::WA_DontShowOnScreen);
    window.resize(width, height);
    applyExpand(window);
    if (!raiseDock(window)) {
      fail(QCoreApplication::translate("main", "There is no panel named %1.").arg(parser.value(dock)));
      return 2;
    }
    window.show();
    const QString selected = parser.value(select);
    bool rendering = false;
    auto render = [&] {
      if (rendering) return;  // several layout passes may finish; paint once
      rendering = true;
      // After the events already queued (the scene handed to the view, log lines) are handled.
      QTimer::singleShot(0, &window, [&] {
        if (graphOnly) {
          // The graph alone: no match rings, whenever the matching happens to finish.
          window.graphCanvas()->setOverlay(nullptr);
          QString error;
          if (!window.graphCanvas()->exportGraph(out, graft::GraphCanvas::ExportArea::Whole, &error)) {
            fail(error);
            QApplication::exit(1);
            return;
          }
          QApplication::exit(0);
          return;
        }
        QImage image = diffing && window.diffView() ? window.diffView()->grab().toImage() : window.grab().toImage();
        // Time from process start to the first complete frame, and the peak resident memory by
        // then; with GRAFT_FRAME_TIMING=1 also as a line on stderr for the startup benchmark.
        struct rusage usage {};
        getrusage(RUSAGE_SELF, &usage);
        const double seconds = secondsSinceProcessStart();
        const graft::RewriteSession* session = window.rewriteSession();
        const graft::MatchReport* report = session && session->reportCurrent() ? session->report() : nullptr;
        spdlog::info("screenshot: first complete frame {:.3f} s after process start, peak RSS {} MiB, {}", seconds,
                     usage.ru_maxrss / 1024,
                     report ? std::to_string(report->matches.size()) + " rule matches shown" : std::string("no rule matches shown"));
        if (qEnvironmentVariableIntValue("GRAFT_FRAME_TIMING"))
          std::fprintf(stderr, "graft-timing first_frame_s=%s peak_rss_kib=%ld\n", graft::formatFixed(seconds, 4).c_str(),
                       static_cast<long>(usage.ru_maxrss));
        if (!image.save(out, "PNG")) {
          fail(QCoreApplication::translate("main", "Could not write %1.").arg(QDir::toNativeSeparators(out)));
          QApplication::exit(1);
          return;
        }
        QApplication::exit(0);
      });
    };
    // "Complete" means what the window shows once the graph is laid out. Models up to
    // graft::kAnalyseBeforeShowingNodes nodes are analysed before modelLoaded, so their edge labels
    // carry inferred shapes; larger ones are pictured with their declared types, as a user sees
    // them first while the analysis runs in the background (modelAnalysed follows later).
    QObject::connect(&window, &graft::MainWindow::modelLoaded, &window, [&] {
      if (!selected.isEmpty() && !window.selectNode(selected)) {
        fail(QCoreApplication::translate("main", "No node named %1 in the model.").arg(selected));
        QApplication::exit(1);
        return;
      }
      // The graph is laid out off the GUI thread, and (for the window) the rules are matched
      // off it too: paint once both are complete, so the Match panel shows its list, not
      // "Matching…".
      if (diffing) {
        // Both canvases of the diff window are laid out off the GUI thread; paint once both are.
        QObject::connect(&window, &graft::MainWindow::diffReady, &window, [&] {
          graft::DiffView* view = window.diffView();
          view->setAttribute(Qt::WA_DontShowOnScreen);
          view->resize(width, height);
          auto check = [&, view] {
            for (graft::GraphCanvas* c : {view->canvasA(), view->canvasB()})
              if (c->isLayoutRunning() || !c->currentScene()) return;
            render();
          };
          QObject::connect(view->canvasA(), &graft::GraphCanvas::layoutFinished, &window, check);
          QObject::connect(view->canvasB(), &graft::GraphCanvas::layoutFinished, &window, check);
          check();
        });
        QObject::connect(&window, &graft::MainWindow::diffFailed, &window, [](const QString& message) {
          fail(message);
          QApplication::exit(1);
        });
        window.diffWith(other);
        return;
      }
      graft::GraphCanvas* canvas = window.graphCanvas();
      graft::RewriteSession* session = window.rewriteSession();
      auto tryRender = [&, canvas, session] {
        if (canvas->isLayoutRunning()) return;
        // Matching may not have started yet when the layout is done: wait for a current report
        // whenever the document is being matched (large models still being analysed are not).
        if (!graphOnly && session && (session->isBusy() || (session->rewriter() && session->document() && !session->reportCurrent())))
          return;
        render();
      };
      QObject::connect(canvas, &graft::GraphCanvas::layoutFinished, &window, tryRender);
      if (session) QObject::connect(session, &graft::RewriteSession::busyChanged, &window, tryRender);
      tryRender();
      QObject::connect(canvas, &graft::GraphCanvas::layoutFailed, &window, [&](const QString& message) {
        fail(message);
        QApplication::exit(1);
      });
    });
    QObject::connect(&window, &graft::MainWindow::loadFailed, &window, [] { QApplication::exit(1); });
    QObject::connect(&window, &graft::MainWindow::loadCancelled, &window, [] { QApplication::exit(1); });
    if (model.isEmpty()) render();  // the window as it opens without a model
    else window.openFile(model);
    return app.exec();
  }

  graft::MainWindow window;
  applyExpand(window);
  if (!raiseDock(window)) spdlog::warn("There is no panel named {}.", parser.value(dock).toStdString());
  window.show();
  if (diffing)
    QObject::connect(&window, &graft::MainWindow::modelLoaded, &window, [&window, other] { window.diffWith(other); },
                     Qt::SingleShotConnection);
  if (!model.isEmpty()) window.openFile(model);
  return app.exec();
}
