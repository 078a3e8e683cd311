// A short run of the model fuzzer (tests/fuzz/model_mutator.h) as part of CTest: a few thousand
// protobuf-level mutants of the backend test models and the hand-made hostile ones go through
// load, check, shape inference and a run in this process. A crash fails the suite by killing it;
// a mutant that takes more than 10 s fails it here. The long run is tests/fuzz/fuzz_models.
#include <QtTest>

#include <chrono>
#include <cstdlib>

#include "fuzz/model_mutator.h"
#include "hostile_models.h"
#include "testutil.h"

using namespace graft;

class TestFuzzModels : public QObject {
  Q_OBJECT

 private slots:
  void mutantsEndInAMessageNotACrashOrHang() {
    auto seeds = fuzz::loadSeeds(test::testdataDir(), 6, {test::sourceDir() + "/tests/fuzz/seeds"});
    for (auto& h : test::hostileModels()) seeds.push_back(h.model);
    if (seeds.size() < 10) QSKIP("the ONNX backend test data (libonnx-testdata) is not installed");
    setEvalMemoryBudget(std::uint64_t(512) << 20);  // as fuzz_models
    int mutants = 4000;
    if (const char* env = std::getenv("GRAFT_FUZZ_MUTANTS")) mutants = std::atoi(env);
    double worst = 0;
    int worstIndex = -1;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < mutants; ++i) {
      fuzz::Mutator mutator(0x9e3779b97f4a7c15ull ^ static_cast<std::uint64_t>(i));
      const auto t0 = std::chrono::steady_clock::now();
      fuzz::exercise(mutator.mutate(seeds[static_cast<std::size_t>(i) % seeds.size()]));
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (s > worst) {
        worst = s;
        worstIndex = i;
      }
    }
    setEvalMemoryBudget(0);
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    qInfo("%d mutants of %zu seeds in %.1f s; slowest #%d took %.2f s", mutants, seeds.size(), total, worstIndex, worst);
    QVERIFY2(worst < 10, qPrintable(QString("mutant %1 took %2 s").arg(worstIndex).arg(worst)));
  }
};

QTEST_GUILESS_MAIN(TestFuzzModels)
#include "test_fuzz_models.moc"
