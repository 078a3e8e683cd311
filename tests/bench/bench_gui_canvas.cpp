// Frames per second of the graph canvas while panning and zooming a 60,000-node model: the real
// GraphCanvas/GraphView, driven through the view's pan and zoom calls, each frame painted
// synchronously (repaint) and timed. Collapsed (as it opens) and with every group expanded.
// Usage: bench_gui_canvas [--runs N] [--state collapsed|expanded|both] [--frames-per-phase N] [MODEL.onnx]
//   (default: decoder64k of tests/models/make_models.py, both states, 3 runs, 40 frames a phase)
// Runs on the offscreen platform (raster painting into a backing store, no screen) unless
// QT_QPA_PLATFORM is set; a real screen adds only the buffer swap.
#include <QApplication>
#include <QElapsedTimer>
#include <QScrollBar>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "../models/bench_models.h"
#include "canvas/graph_canvas.h"
#include "canvas/graph_view.h"
#include "model_document.h"

using namespace graft;

namespace {

bool settle(GraphCanvas& canvas, int timeoutMs) {
  QElapsedTimer t;
  t.start();
  while (t.elapsed() < timeoutMs) {
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    if (!canvas.isLayoutRunning() && canvas.currentScene() &&
        canvas.currentScene()->graph->layout->revision == canvas.document()->model->revision()) {
      QCoreApplication::processEvents();
      if (!canvas.isLayoutRunning()) return true;
    }
  }
  return false;
}

struct Phase {
  const char* name;
  std::vector<double> frameMs;
};

// One pass over a fixed path: read at the inputs, zoom out through every level of detail,
// pan across the whole graph far out, zoom back in somewhere in the middle and pan there.
std::vector<Phase> drive(GraphView* view, int n) {
  std::vector<Phase> phases = {{"pan, readable", {}}, {"zoom out", {}}, {"pan, far out", {}},
                               {"zoom in", {}},       {"pan, 100%", {}}};
  QElapsedTimer t;
  auto frame = [&](Phase& phase, auto&& step) {
    t.start();
    step();
    view->viewport()->repaint();  // paints now, into the backing store
    phase.frameMs.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
  };
  view->showStart();
  QCoreApplication::processEvents();
  const QPoint mid(view->viewport()->width() / 2, view->viewport()->height() / 2);
  for (int i = 0; i < n; ++i) frame(phases[0], [&] { view->panBy(i % 2 ? 7 : -3, 45); });
  for (int i = 0; i < n; ++i) frame(phases[1], [&] { view->setScale(view->scale() * 0.88, mid); });
  // Far out: sweep down the graph's height in n steps.
  const QRectF b = view->scene()->bounds();
  const double step = b.height() * view->scale() / std::max(1, n);
  view->centerOn(QPointF(b.center().x(), b.top()));
  for (int i = 0; i < n; ++i) frame(phases[2], [&] { view->panBy(0, step); });
  view->centerOn(b.center());
  for (int i = 0; i < n; ++i)
    frame(phases[3], [&] { view->setScale(std::min(1.0, view->scale() / 0.88), mid); });
  for (int i = 0; i < n; ++i) frame(phases[4], [&] { view->panBy(i % 2 ? -40 : 40, 30); });
  return phases;
}

double fpsOf(const std::vector<double>& ms) {
  double total = 0;
  for (double m : ms) total += m;
  return total > 0 ? 1000.0 * static_cast<double>(ms.size()) / total : 0;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  if (!qEnvironmentVariableIsSet("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  int runs = 3, perPhase = 40;
  std::string state = "both", path;
  const QStringList args = QCoreApplication::arguments();
  for (int i = 1; i < args.size(); ++i) {
    const QString a = args[i];
    if (a == "--runs" && i + 1 < args.size()) runs = std::max(1, args[++i].toInt());
    else if (a == "--state" && i + 1 < args.size()) state = args[++i].toStdString();
    else if (a == "--frames-per-phase" && i + 1 < args.size()) perPhase = std::max(2, args[++i].toInt());
    else if (!a.startsWith("--")) path = a.toStdString();
    else {
      std::fprintf(stderr, "usage: bench_gui_canvas [--runs N] [--state collapsed|expanded|both] "
                           "[--frames-per-phase N] [MODEL.onnx]\n");
      return 2;
    }
  }
  if (path.empty()) path = bench::benchModel("decoder64k");
  if (path.empty()) return 1;

  bench::Stopwatch sw;
  auto opened = openModelDocument(path, {});
  if (!opened) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), opened.message().c_str());
    return 1;
  }
  auto doc = opened.value();
  const double loadSeconds = sw.seconds();
  GraphCanvas canvas;
  canvas.resize(1400, 900);
  canvas.show();
  sw.restart();
  canvas.setDocument(doc);
  if (!settle(canvas, 600000)) {
    std::fprintf(stderr, "the layout did not finish\n");
    return 1;
  }
  const double collapsedSeconds = sw.seconds();
  std::printf("canvas pan/zoom frames: %s, %zu nodes; platform %s; view %dx%d; medians of %d runs, "
              "%d frames a phase\n",
              path.c_str(), doc->model->graph().nodeCount(), qgetenv("QT_QPA_PLATFORM").constData(),
              canvas.view()->viewport()->width(), canvas.view()->viewport()->height(), runs, perPhase);
  std::printf("(open %.2f s, collapsed layout %.2f s)\n", loadSeconds, collapsedSeconds);

  int failures = 0;
  for (const char* which : {"collapsed", "expanded"}) {
    if (state != "both" && state != which) continue;
    if (std::string(which) == "expanded") {
      sw.restart();
      canvas.expandAll();
      if (!settle(canvas, 1800000)) {
        std::fprintf(stderr, "the expanded layout did not finish\n");
        return 1;
      }
      std::printf("(expand all: layout %.2f s)\n", sw.seconds());
    }
    const CanvasScene* scene = canvas.currentScene();
    std::printf("\n%s: %zu boxes, %zu edges, %zu group frames\n", which, scene->layout.nodes.size(),
                scene->layout.edges.size(), scene->layout.groups.size());
    std::printf("  %-14s %9s %11s %11s %11s\n", "phase", "fps", "median ms", "p95 ms", "worst ms");
    std::vector<std::vector<Phase>> all;
    for (int r = 0; r < runs; ++r) all.push_back(drive(canvas.view(), perPhase));
    std::vector<double> overall;
    for (size_t p = 0; p < all[0].size(); ++p) {
      std::vector<double> fps, med, p95, worst;
      for (const auto& run : all) {
        fps.push_back(fpsOf(run[p].frameMs));
        med.push_back(percentile(run[p].frameMs, 0.5));
        p95.push_back(percentile(run[p].frameMs, 0.95));
        worst.push_back(percentile(run[p].frameMs, 1.0));
      }
      std::printf("  %-14s %9.1f %11.2f %11.2f %11.2f\n", all[0][p].name, bench::median(fps), bench::median(med),
                  bench::median(p95), bench::median(worst));
    }
    for (const auto& run : all) {
      std::vector<double> ms;
      for (const auto& ph : run) ms.insert(ms.end(), ph.frameMs.begin(), ph.frameMs.end());
      overall.push_back(fpsOf(ms));
    }
    const double fps = bench::median(overall);
    std::printf("  %-14s %9.1f   target >= 30: %s\n", "all frames", fps, fps >= 30 ? "ok" : "SLOW");
    if (fps < 30) ++failures;
  }
  std::printf("\npeak RSS %.0f MiB\n", bench::peakRssMiB());
  return failures ? 1 : 0;
}
