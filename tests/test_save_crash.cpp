// Saves that cannot lose data: a save is stopped (as by kill -9) at every step of its commit
// sequence in turn, and each time OUT must load as either the old model with its old weights or
// the new model with its new weights. Also: OUTs that are not regular files are refused, a data
// file of another model is not overwritten, and names near the 255-byte limit work.
#include <QtTest>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "graft/io.h"
#include "graft/ir.h"

using namespace graft;
namespace fs = std::filesystem;

namespace {

constexpr int kTensors = 6;
constexpr int kElements = 1024;  // 4 KiB each: external with the default threshold

// A model whose weights all carry `base` + their position, so a load tells which save wrote them.
std::unique_ptr<Model> weightsModel(float base) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("weights");
  auto* in = g->add_input();
  in->set_name("x");
  in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(kElements);
  std::string prev = "x";
  for (int t = 0; t < kTensors; ++t) {
    auto* w = g->add_initializer();
    w->set_name("w" + std::to_string(t));
    w->set_data_type(onnx::TensorProto::FLOAT);
    w->add_dims(kElements);
    std::string raw(kElements * sizeof(float), '\0');
    for (int i = 0; i < kElements; ++i) {
      float v = base + static_cast<float>(t * kElements + i);
      std::memcpy(raw.data() + i * sizeof(float), &v, sizeof v);
    }
    w->set_raw_data(raw);
    auto* n = g->add_node();
    n->set_op_type("Add");
    n->add_input(prev);
    n->add_input(w->name());
    prev = "y" + std::to_string(t);
    n->add_output(prev);
  }
  auto* out = g->add_output();
  out->set_name(prev);
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  auto r = Model::fromProto(m);
  if (!r) qFatal("model does not build: %s", r.message().c_str());
  return std::move(r.value());
}

// Which base the weights of a loaded model were written with; -1 when they are of no single save.
float weightsBase(const Model& model) {
  float base = -1;
  int seen = 0;
  model.forEachGraph([&](const Graph& g) {
    for (const Value* v : g.initializers()) {
      std::string_view raw = v->initializer()->rawBytes();
      if (raw.size() != kElements * sizeof(float)) return;
      const int t = std::stoi(v->name().substr(1));
      for (int i = 0; i < kElements; ++i) {
        float f;
        std::memcpy(&f, raw.data() + i * sizeof(float), sizeof f);
        float b = f - static_cast<float>(t * kElements + i);
        if (seen == 0 && i == 0) base = b;
        if (b != base) {
          base = -2;
          return;
        }
      }
      ++seen;
    }
  });
  return seen == kTensors ? base : -1;
}

SaveOptions external() {
  SaveOptions o;
  o.data = SaveOptions::Data::External;
  return o;
}

std::vector<std::string> folderNames(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

class TestSaveCrash : public QObject {
  Q_OBJECT

  // Saves `next` (or OUT itself, loaded in the child, when inPlace) over OUT, stopping the process
  // at step k; returns false when the save got through every step.
  static bool saveKilledAt(const fs::path& out, int k, float nextBase, bool inPlace, std::string& lastStep) {
    int fds[2];
    if (pipe(fds) != 0) qFatal("pipe");
    pid_t pid = fork();
    if (pid == 0) {
      ::close(fds[0]);
      int count = 0;
      std::unique_ptr<Model> model;
      if (inPlace) {
        auto loaded = loadModel(out.string());
        if (!loaded) _exit(3);
        model = std::move(loaded.value());
      } else {
        model = weightsModel(nextBase);
      }
      setSaveStepHook([&](std::string_view step) {
        if (count++ == k) {
          (void)!::write(fds[1], step.data(), step.size());
          _exit(86);  // as kill -9: no destructor, no cleanup
        }
      });
      auto saved = saveModel(*model, out.string(), external());
      _exit(saved ? 0 : 4);
    }
    ::close(fds[1]);
    char buf[128] = {};
    ssize_t n = ::read(fds[0], buf, sizeof buf - 1);
    ::close(fds[0]);
    lastStep = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 86) return true;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) qFatal("the save failed on its own (status %d)", status);
    return false;
  }

  void killAtEveryStep(bool inPlace) {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const fs::path out = dir / "model.onnx";
    int k = 0;
    for (;; ++k) {
      QVERIFY(saveModel(*weightsModel(1000), out.string(), external()));
      std::string step;
      const bool killed = saveKilledAt(out, k, 5000, inPlace, step);
      auto loaded = loadModel(out.string());
      QVERIFY2(loaded, qPrintable(QString("after a kill at step %1 (%2): %3")
                                      .arg(k)
                                      .arg(QString::fromStdString(step), QString::fromStdString(loaded.message()))));
      const float base = weightsBase(*loaded.value());
      const float expectNew = inPlace ? 1000 : 5000;
      QVERIFY2(base == 1000 || base == expectNew,
               qPrintable(QString("after a kill at step %1 (%2) the weights are of no single save (%3)")
                              .arg(k)
                              .arg(QString::fromStdString(step))
                              .arg(base)));
      if (!killed) {
        QCOMPARE(base, expectNew);
        break;
      }
      QVERIFY(k < 500);
    }
    // The commit sequence has its steps (create, write, fsync, rename, unlink, link, ...).
    QVERIFY2(k >= 10, qPrintable(QString::number(k)));
    // What the killed saves left behind is gone after the next save.
    QVERIFY(saveModel(*weightsModel(1000), out.string(), external()));
    const auto names = folderNames(dir);
    QCOMPARE(names, (std::vector<std::string>{"model.onnx", "model.onnx.data"}));
  }

 private slots:
  void aKillAtAnyStepLeavesTheOldOrTheNewModel() { killAtEveryStep(false); }
  void aKillAtAnyStepOfAnInPlaceSaveLeavesAWholeModel() { killAtEveryStep(true); }

  void devicesAndFifosAreNotReplaced() {
    auto model = weightsModel(1);
    auto r = saveModel(*model, "/dev/null");
    QVERIFY(!r);
    QVERIFY2(r.message().find("character device") != std::string::npos, r.message().c_str());
    struct stat st {};
    QVERIFY(::stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    QTemporaryDir tmp;
    const std::string fifo = tmp.path().toStdString() + "/pipe.onnx";
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    auto f = saveModel(*model, fifo);
    QVERIFY(!f);
    QVERIFY2(f.message().find("FIFO") != std::string::npos, f.message().c_str());
    auto d = saveModel(*model, tmp.path().toStdString());
    QVERIFY(!d);
  }

  void aSymlinkIsWrittenThroughOnlyOnPurpose() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    auto model = weightsModel(7);
    QVERIFY(saveModel(*model, (dir / "real.onnx").string()));
    fs::create_symlink("real.onnx", dir / "link.onnx");
    auto refused = saveModel(*weightsModel(8), (dir / "link.onnx").string());
    QVERIFY(!refused);
    QVERIFY2(refused.message().find("symbolic link") != std::string::npos, refused.message().c_str());
    SaveOptions through;
    through.throughSymlink = true;
    QVERIFY(saveModel(*weightsModel(8), (dir / "link.onnx").string(), through));
    QVERIFY(fs::is_symlink(dir / "link.onnx"));
    auto loaded = loadModel((dir / "real.onnx").string());
    QVERIFY(loaded);
    QCOMPARE(weightsBase(*loaded.value()), 8.0f);
  }

  void theInputsOwnDataFileIsNotOverwritten() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    QVERIFY(saveModel(*weightsModel(3), (dir / "a.onnx").string(), external()));
    auto a = loadModel((dir / "a.onnx").string());
    QVERIFY(a);
    SaveOptions o = external();
    o.externalFile = "a.onnx.data";
    auto r = saveModel(*a.value(), (dir / "b.onnx").string(), o);
    QVERIFY(!r);
    QVERIFY2(r.message().find("reads its weights from") != std::string::npos, r.message().c_str());
    auto again = loadModel((dir / "a.onnx").string());
    QVERIFY(again);
    QCOMPARE(weightsBase(*again.value()), 3.0f);
  }

  void namesNearTheLengthLimitWork() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    for (std::size_t len : {200u, 250u, 255u}) {
      std::string name(len - 5, 'n');
      name += ".onnx";
      const fs::path out = dir / name;
      auto saved = saveModel(*weightsModel(9), out.string(), external());
      QVERIFY2(saved, saved.message().c_str());
      QVERIFY(saved->externalFile.size() <= 255);
      auto loaded = loadModel(out.string());
      QVERIFY2(loaded, loaded.message().c_str());
      QCOMPARE(weightsBase(*loaded.value()), 9.0f);
      // And again over itself, which goes through the temporary names.
      QVERIFY(saveModel(*loaded.value(), out.string(), external()));
      QVERIFY(loadModel(out.string()));
    }
  }
};

QTEST_GUILESS_MAIN(TestSaveCrash)
#include "test_save_crash.moc"
