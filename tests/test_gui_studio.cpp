// The studio's first window, offscreen: opening models (command line, drop, recent files),
// the node table (rows, filter, sort), errors that keep the open model, Cancel, translations,
// and `graft --screenshot`.
#include <QApplication>
#include <QDragEnterEvent>
#include <QHeaderView>
#include <QImage>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include "canvas/graph_canvas.h"
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <onnx/onnx_pb.h>

#include "log_view.h"
#include "main_window.h"
#include "model_loader.h"
#include "model_properties_panel.h"
#include "node_details_panel.h"
#include "node_table_model.h"
#include "studio_setup.h"
#include "testutil.h"

using graft::MainWindow;
using graft::NodeTableModel;

namespace {

QString data(const std::string& rel) { return QString::fromStdString(graft::test::testdataDir() + "/" + rel); }

// Read independently of the engine, so the table is checked against the file itself.
onnx::ModelProto readProto(const QString& path) {
  std::ifstream f(path.toStdString(), std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  onnx::ModelProto m;
  if (!m.ParseFromString(ss.str())) qWarning() << "cannot parse" << path;
  return m;
}

bool writeProto(const onnx::ModelProto& m, const QString& path) {
  std::ofstream f(path.toStdString(), std::ios::binary);
  return m.SerializeToOstream(&f);
}

// A chain of `n` elementwise nodes: big enough that opening it takes a noticeable time.
onnx::ModelProto chainModel(int n) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("test_gui_studio");
  m.add_opset_import()->set_version(17);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("chain");
  auto addIo = [](onnx::ValueInfoProto* v, const std::string& name) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_value(1);
    t->mutable_shape()->add_dim()->set_dim_value(64);
  };
  addIo(g->add_input(), "x");
  std::string prev = "x";
  static const char* const ops[] = {"Relu", "Neg", "Abs", "Sigmoid"};
  for (int i = 0; i < n; ++i) {
    onnx::NodeProto* node = g->add_node();
    node->set_op_type(ops[i % 4]);
    node->set_name("/block." + std::to_string(i / 4) + "/" + ops[i % 4]);
    node->add_input(prev);
    prev = "t" + std::to_string(i);
    node->add_output(prev);
  }
  addIo(g->add_output(), prev);
  return m;
}

QMessageBox* errorBox(MainWindow& w) { return w.findChild<QMessageBox*>(QStringLiteral("loadErrorBox")); }

bool openAndWait(MainWindow& w, const QString& path) {
  QSignalSpy loaded(&w, &MainWindow::modelLoaded);
  QSignalSpy failed(&w, &MainWindow::loadFailed);
  w.openFile(path);
  return loaded.wait(60000) || (loaded.count() > 0 && failed.isEmpty());
}

QStringList columnValues(const QTableView* table, int column) {
  QStringList out;
  for (int r = 0; r < table->model()->rowCount(); ++r) out << table->model()->index(r, column).data().toString();
  return out;
}

}  // namespace

class TestGuiStudio : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir tmp_;
  const QString small_ = data("node/test_layer_normalization_4d_axis1_expanded/model.onnx");
  const QString conv_ = data("pytorch-converted/test_Conv2d/model.onnx");

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);  // recent files go to a test settings file
    QCoreApplication::setOrganizationName(QStringLiteral("graft-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_gui_studio"));
    QSettings().clear();
    graft::setupLogging(false);
    graft::installTranslations(QLocale(QLocale::English));
    QVERIFY(tmp_.isValid());
    QVERIFY(QFileInfo::exists(small_));
  }

  void tableHasEveryNodeInTopologicalOrder() {
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, small_));
    const onnx::ModelProto proto = readProto(small_);
    QTableView* table = w.nodeTable();
    QCOMPARE(table->model()->rowCount(), proto.graph().node_size());

    std::multiset<QString> expectedOps, shownOps;
    for (const auto& n : proto.graph().node()) expectedOps.insert(QString::fromStdString(n.op_type()));
    for (const QString& op : columnValues(table, NodeTableModel::OpTypeColumn)) shownOps.insert(op);
    QVERIFY(expectedOps == shownOps);

    // Every tensor a row reads was produced by an earlier row or is a graph input/initializer.
    std::set<std::string> available;
    for (const auto& v : proto.graph().input()) available.insert(v.name());
    for (const auto& t : proto.graph().initializer()) available.insert(t.name());
    for (int r = 0; r < table->model()->rowCount(); ++r) {
      const graft::NodeRow* row = w.nodeTableModel()->rowAt(w.nodeFilterModel()->mapToSource(table->model()->index(r, 0)).row());
      QVERIFY(row);
      QCOMPARE(row->index, r);
      for (const graft::Value* in : row->node->inputs())
        if (in) QVERIFY2(available.count(in->name()), in->name().c_str());
      for (const graft::Value* out : row->node->outputs())
        if (out) available.insert(out->name());
    }

    QVERIFY(w.windowTitle().contains(QStringLiteral("model.onnx")));
    // The graph canvas comes first, the node table second.
    QCOMPARE(w.centralTabs()->widget(0), static_cast<QWidget*>(w.graphCanvas()));
    QCOMPARE(w.centralTabs()->tabText(1), QStringLiteral("Nodes"));
    // The model panel shows the statistics section with the node count the file has.
    auto found = w.propertiesPanel()->findItems(QStringLiteral("Nodes"), Qt::MatchExactly | Qt::MatchRecursive, 0);
    QVERIFY(!found.isEmpty());
    QCOMPARE(found.front()->text(1), QString::number(proto.graph().node_size()));
    QCOMPARE(w.recentFiles().value(0), QFileInfo(small_).absoluteFilePath());
  }

  void filterNarrowsRows() {
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, small_));
    const onnx::ModelProto proto = readProto(small_);
    const int total = proto.graph().node_size();
    int reduceMeans = 0;
    for (const auto& n : proto.graph().node()) reduceMeans += n.op_type() == "ReduceMean";
    QVERIFY(reduceMeans > 0);

    QTest::keyClicks(w.filterEdit(), QStringLiteral("reducemean"));
    QTableView* table = w.nodeTable();
    QCOMPARE(table->model()->rowCount(), reduceMeans);
    for (const QString& op : columnValues(table, NodeTableModel::OpTypeColumn)) QCOMPARE(op, QStringLiteral("ReduceMean"));

    // A tensor name finds the node that makes it and the nodes that read it.
    const auto& first = proto.graph().node(0);
    const std::string tensor = first.output(0);
    int touching = 0;
    for (const auto& n : proto.graph().node()) {
      bool uses = false;
      for (const auto& i : n.input()) uses |= i == tensor;
      for (const auto& o : n.output()) uses |= o == tensor;
      touching += uses;
    }
    w.filterEdit()->setText(QString::fromStdString(tensor));
    QVERIFY(table->model()->rowCount() >= touching);
    QVERIFY(table->model()->rowCount() < total);

    w.filterEdit()->setText(QStringLiteral("no-such-node-anywhere"));
    QCOMPARE(table->model()->rowCount(), 0);
    w.filterEdit()->clear();
    QCOMPARE(table->model()->rowCount(), total);
  }

  void sortingByColumns() {
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, small_));
    QTableView* table = w.nodeTable();
    QHeaderView* header = table->horizontalHeader();

    auto clickHeader = [&](int column) {
      QTest::mouseClick(header->viewport(), Qt::LeftButton, {},
                        QPoint(header->sectionViewportPosition(column) + 5, header->height() / 2));
    };
    clickHeader(NodeTableModel::OpTypeColumn);
    QStringList ops = columnValues(table, NodeTableModel::OpTypeColumn);
    QCOMPARE(header->sortIndicatorSection(), int(NodeTableModel::OpTypeColumn));
    for (int i = 1; i < ops.size(); ++i) QVERIFY2(ops[i - 1].compare(ops[i], Qt::CaseInsensitive) <= 0, qPrintable(ops.join(',')));
    QVERIFY(ops.first() != ops.last());

    clickHeader(NodeTableModel::OpTypeColumn);  // again: descending
    ops = columnValues(table, NodeTableModel::OpTypeColumn);
    for (int i = 1; i < ops.size(); ++i) QVERIFY(ops[i - 1].compare(ops[i], Qt::CaseInsensitive) >= 0);

    // Index sorts as a number (10 after 9), not as text.
    clickHeader(NodeTableModel::IndexColumn);
    if (header->sortIndicatorOrder() != Qt::AscendingOrder) clickHeader(NodeTableModel::IndexColumn);
    for (int r = 0; r < table->model()->rowCount(); ++r)
      QCOMPARE(table->model()->index(r, NodeTableModel::IndexColumn).data().toInt(), r);
  }

  void selectingNodeShowsDetails() {
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, conv_));
    QTableView* table = w.nodeTable();
    QCOMPARE(table->model()->rowCount(), 1);
    table->selectRow(0);
    const QString text = w.detailsPanel()->toPlainText();
    QVERIFY2(text.contains(QStringLiteral("Conv")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("kernel_shape")), qPrintable(text));  // an attribute the file sets
    QVERIFY2(text.contains(QStringLiteral("Documentation")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("float32")), qPrintable(text));  // inferred input/output types
    // The cost of a Conv is known and shown.
    QVERIFY(table->model()->index(0, NodeTableModel::FlopsColumn).data(NodeTableModel::SortRole).toLongLong() > 0);
  }

  void corruptFileShowsErrorAndKeepsModel() {
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, small_));
    const int rows = w.nodeTable()->model()->rowCount();
    const auto before = w.document();

    const QString bad = tmp_.filePath(QStringLiteral("random.onnx"));
    {
      std::mt19937 rng(1234);
      std::string bytes(4096, '\0');
      for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
      std::ofstream(bad.toStdString(), std::ios::binary) << bytes;
    }
    const QString truncated = tmp_.filePath(QStringLiteral("truncated.onnx"));
    {
      QFile src(conv_);
      QVERIFY(src.open(QIODevice::ReadOnly));
      QByteArray all = src.readAll();
      QFile dst(truncated);
      QVERIFY(dst.open(QIODevice::WriteOnly));
      dst.write(all.left(all.size() / 2));
    }

    for (const QString& path : {bad, truncated, tmp_.filePath(QStringLiteral("missing.onnx"))}) {
      QSignalSpy failed(&w, &MainWindow::loadFailed);
      w.openFile(path);
      QVERIFY2(failed.wait(30000), qPrintable(path));
      const QString message = failed.front().at(1).toString();
      QVERIFY(!message.isEmpty());
      QMessageBox* box = errorBox(w);
      QVERIFY(box);
      QVERIFY(box->isVisible());
      QVERIFY(box->text().contains(QFileInfo(path).fileName()));
      QCOMPARE(box->informativeText(), message);
      box->button(QMessageBox::Ok)->click();
      QTRY_VERIFY(!errorBox(w));  // deleted on close

      // The model that was open is still open and shown.
      QCOMPARE(w.document(), before);
      QCOMPARE(w.nodeTable()->model()->rowCount(), rows);
      QVERIFY(w.windowTitle().contains(QStringLiteral("model.onnx")));
    }
    QVERIFY(!w.recentFiles().contains(tmp_.filePath(QStringLiteral("missing.onnx"))));
  }

  void cancelDuringLoadKeepsModel() {
    const QString big = tmp_.filePath(QStringLiteral("chain.onnx"));
    QVERIFY(writeProto(chainModel(20000), big));

    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, conv_));
    const auto before = w.document();

    QSignalSpy cancelled(&w, &MainWindow::loadCancelled);
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    bool clicked = false;
    connect(&w, &MainWindow::loadProgress, this, [&] {
      if (clicked) return;
      clicked = true;
      QVERIFY(w.isLoading());
      w.cancelButton()->click();  // the status bar's Cancel, as a user presses it
    });
    w.openFile(big);
    QVERIFY(cancelled.wait(60000));
    QVERIFY(clicked);
    QCOMPARE(loaded.count(), 0);
    QVERIFY(!w.isLoading());
    QCOMPARE(w.document(), before);
    QCOMPARE(w.nodeTable()->model()->rowCount(), 1);
    QVERIFY(!errorBox(w));  // cancelling is not an error
  }

  void windowStaysResponsiveWhileLoading() {
    const QString big = tmp_.filePath(QStringLiteral("chain_full.onnx"));
    QVERIFY(writeProto(chainModel(20000), big));
    MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    QElapsedTimer clock;
    qint64 last = 0, worstGap = 0;
    QTimer tick;
    connect(&tick, &QTimer::timeout, this, [&] {
      const qint64 now = clock.elapsed();
      worstGap = std::max(worstGap, now - last);
      last = now;
    });
    clock.start();
    tick.start(10);
    QSignalSpy analysed(&w, &MainWindow::modelAnalysed);
    w.openFile(big);
    QVERIFY(loaded.wait(120000));
    const qint64 shown = clock.elapsed();
    // Too big to wait for the analyses: shown first, and the model panel says what is coming.
    QVERIFY(w.document()->analysisPending);
    auto analysing = [&] {
      return !w.propertiesPanel()->findItems(QStringLiteral("Analysis"), Qt::MatchExactly | Qt::MatchRecursive, 0).isEmpty();
    };
    QVERIFY(analysing());
    QVERIFY(analysed.wait(120000));
    tick.stop();
    QVERIFY(!w.document()->analysisPending);
    QVERIFY(!analysing());
    QVERIFY(w.document()->inference.complete);
    QCOMPARE(w.nodeTable()->model()->rowCount(), 20000);
    qInfo() << "showed 20,000 nodes after" << shown << "ms, analysed after" << clock.elapsed()
            << "ms; longest GUI stall" << worstGap << "ms";
    QVERIFY2(clock.elapsed() < 250 || worstGap < 1000, qPrintable(QString::number(worstGap)));
    // A node deep in the chain is found by its scope name.
    w.filterEdit()->setText(QStringLiteral("/block.4999/"));
    QCOMPARE(w.nodeTable()->model()->rowCount(), 4);
  }

  void dropOpensModelAndIgnoresOtherFiles() {
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(conv_)});
    const QPoint pos = w.rect().center();
    QDragEnterEvent enter(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&w, &enter);
    QVERIFY(enter.isAccepted());
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    QDropEvent drop(QPointF(pos), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&w, &drop);
    QVERIFY(loaded.wait(30000));
    QCOMPARE(loaded.front().at(0).toString(), QFileInfo(conv_).absoluteFilePath());

    QMimeData text;
    text.setUrls({QUrl::fromLocalFile(QStringLiteral("/etc/hostname"))});
    QDragEnterEvent other(pos, Qt::CopyAction, &text, Qt::LeftButton, Qt::NoModifier);
    other.setAccepted(false);
    QCoreApplication::sendEvent(&w, &other);
    QVERIFY(!other.isAccepted());
  }

  void recentFilesDropMissingOnes() {
    QSettings().remove(QStringLiteral("recentFiles"));
    const QString copy = tmp_.filePath(QStringLiteral("copy.onnx"));
    QVERIFY(QFile::copy(conv_, copy));
    MainWindow w;
    QVERIFY(openAndWait(w, copy));
    QVERIFY(openAndWait(w, small_));
    QCOMPARE(w.recentFiles(), (QStringList{QFileInfo(small_).absoluteFilePath(), QFileInfo(copy).absoluteFilePath()}));

    QVERIFY(QFile::remove(copy));
    QMenu* recent = w.findChild<QMenu*>(QStringLiteral("recentMenu"));
    QVERIFY(recent);
    emit recent->aboutToShow();  // what opening the menu does
    QCOMPARE(w.recentFiles(), QStringList{QFileInfo(small_).absoluteFilePath()});
    QStringList labels;
    for (QAction* a : recent->actions()) labels << a->text();
    QVERIFY(!labels.join(' ').contains(QStringLiteral("copy.onnx")));

    // At most ten are kept, newest first.
    QStringList many;
    for (int i = 0; i < 12; ++i) {
      QString p = tmp_.filePath(QStringLiteral("m%1.onnx").arg(i));
      QFile::copy(conv_, p);
      many << p;
    }
    for (const QString& p : many) QVERIFY(openAndWait(w, p));
    QCOMPARE(w.recentFiles().size(), 10);
    QCOMPARE(w.recentFiles().front(), QFileInfo(many.last()).absoluteFilePath());
    // Choosing an entry opens that file.
    QAction* entry = nullptr;
    emit recent->aboutToShow();
    for (QAction* a : recent->actions())
      if (a->text().contains(QStringLiteral("m5.onnx"))) entry = a;
    QVERIFY(entry);
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    entry->trigger();
    QVERIFY(loaded.wait(30000));
    QCOMPARE(loaded.front().at(0).toString(), QFileInfo(many[5]).absoluteFilePath());
  }

  void logDockShowsEngineMessages() {
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, conv_));
    QTRY_VERIFY(w.logView()->toPlainText().contains(QStringLiteral("Opening ")));
    QVERIFY(w.logView()->toPlainText().contains(QFileInfo(conv_).absoluteFilePath()));
  }

  void germanAndChineseTranslationsLoad() {
    QVERIFY(graft::installTranslations(QLocale(QLocale::German, QLocale::Germany)));
    {
      MainWindow w;
      QCOMPARE(w.filterEdit()->placeholderText(), QCoreApplication::translate("graft::MainWindow", "Filter nodes by name, op type or tensor name"));
      QVERIFY(w.filterEdit()->placeholderText().contains(QStringLiteral("Knoten")));
      QCOMPARE(w.centralTabs()->tabText(1), QStringLiteral("Knoten"));
      QCOMPARE(w.cancelButton()->text(), QStringLiteral("Abbrechen"));
    }
    QVERIFY(graft::installTranslations(QLocale(QLocale::Chinese, QLocale::China)));
    {
      MainWindow w;
      QVERIFY(w.centralTabs()->tabText(1) != QStringLiteral("Nodes"));
      QCOMPARE(w.centralTabs()->tabText(0), QString::fromUtf8("计算图"));
      QVERIFY(!w.cancelButton()->text().isEmpty());
    }
    QVERIFY(graft::installTranslations(QLocale(QLocale::English)));
    MainWindow w;
    QCOMPARE(w.centralTabs()->tabText(0), QStringLiteral("Graph"));
    QCOMPARE(w.centralTabs()->tabText(1), QStringLiteral("Nodes"));
    QCOMPARE(QCoreApplication::translate("graft::MainWindow", "%n node(s)", nullptr, 1), QStringLiteral("1 node"));
    QCOMPARE(QCoreApplication::translate("graft::MainWindow", "%n node(s)", nullptr, 83), QStringLiteral("83 nodes"));
    // A language graft does not have falls back to English.
    QVERIFY(!graft::installTranslations(QLocale(QLocale::Swahili)));
    QCOMPARE(QCoreApplication::translate("graft::MainWindow", "%n node(s)", nullptr, 2), QStringLiteral("2 nodes"));
  }

  void studioPicksLanguageFromEnvironment() {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("LANG"), QStringLiteral("de_DE.UTF-8"));
    env.insert(QStringLiteral("LANGUAGE"), QStringLiteral("de"));
    env.insert(QStringLiteral("LC_ALL"), QStringLiteral("de_DE.UTF-8"));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(GRAFT_STUDIO_PATH), {QStringLiteral("--help")});
    QVERIFY(p.waitForFinished(30000));
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    QVERIFY2(out.contains(QStringLiteral("--screenshot")), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("Modell")), qPrintable(out));  // the option descriptions are German
  }

  void screenshotWritesPngOrFails() {
    const QString png = tmp_.filePath(QStringLiteral("shot.png"));
    QProcess p;
    p.start(QStringLiteral(GRAFT_STUDIO_PATH), {QStringLiteral("--screenshot"), png, QStringLiteral("--size"),
                                                QStringLiteral("1000x700"), small_});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    QImage image(png);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size() / image.devicePixelRatio(), QSize(1000, 700));
    std::set<QRgb> colours;
    for (int y = 0; y < image.height(); y += 7)
      for (int x = 0; x < image.width(); x += 7) colours.insert(image.pixel(x, y));
    QVERIFY2(colours.size() > 8, "the screenshot looks blank");

    const QString bad = tmp_.filePath(QStringLiteral("not-a-model.onnx"));
    std::ofstream(bad.toStdString()) << "this is not an onnx model";
    QProcess q;
    q.start(QStringLiteral(GRAFT_STUDIO_PATH), {QStringLiteral("--screenshot"), tmp_.filePath(QStringLiteral("bad.png")), bad});
    QVERIFY(q.waitForFinished(60000));
    QVERIFY(q.exitCode() != 0);
    QVERIFY(!QFileInfo::exists(tmp_.filePath(QStringLiteral("bad.png"))));
    QVERIFY(!QString::fromUtf8(q.readAllStandardError()).trimmed().isEmpty());
  }
};

QTEST_MAIN(TestGuiStudio)
#include "test_gui_studio.moc"
