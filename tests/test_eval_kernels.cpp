// The evaluator's two kernel paths for float Conv, MatMul and Gemm: oneDNN (when the engine is
// built with it) and the portable Eigen blocks, which stay as the fallback and second reference.
// Both must compute the same results on the shapes models use, including the ones each path
// handles specially (depthwise, strided, dilated, asymmetric pads, 1-D and 3-D, batches).
#include <QtTest>

#include <algorithm>
#include <bit>
#include <set>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "eval_testutil.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "graft/quant.h"

namespace {

constexpr int kFloat = onnx::TensorProto_DataType_FLOAT;

bool libraryInUse() {
  // evalKernelLibrary() reports the setting of the last run: make one on the default path.
  Builder b;
  b.input("x", kFloat, {1});
  b.node("Relu", {"x"}, {"y"});
  b.output("y");
  auto m = b.build();
  (void)graft::evaluate(*m, {{"x", graft::Array(kFloat, {1})}});
  return std::string(graft::evalKernelLibrary()).rfind("oneDNN", 0) == 0;
}

struct ConvCase {
  const char* name;
  std::int64_t n, c, m, group;
  std::vector<std::int64_t> in, kernel, strides, pads, dilations;
  bool bias;
  const char* autoPad = nullptr;
};

// Runs the case on both paths (the weights an initializer, as in a model) and returns the results.
std::pair<graft::Array, graft::Array> runConv(const ConvCase& c, bool weightsAsInput = false) {
  std::vector<std::int64_t> xs{c.n, c.c}, ws{c.m, c.c / c.group};
  xs.insert(xs.end(), c.in.begin(), c.in.end());
  ws.insert(ws.end(), c.kernel.begin(), c.kernel.end());
  Builder b;
  b.input("x", kFloat, xs);
  graft::Array w = randomArray(ws, 7), x = randomArray(xs, 3);
  std::vector<std::string> ins{"x", "w"};
  graft::NamedArrays feeds{{"x", x}};
  if (weightsAsInput) {
    b.input("w", kFloat, ws);
    feeds["w"] = w;
  } else {
    b.initializer(w, "w");
  }
  if (c.bias) {
    b.initializer(randomArray({c.m}, 11), "b");
    ins.push_back("b");
  }
  auto* node = b.node("Conv", ins, {"y"});
  b.ints(node, "kernel_shape", c.kernel);
  if (!c.strides.empty()) b.ints(node, "strides", c.strides);
  if (!c.pads.empty()) b.ints(node, "pads", c.pads);
  if (!c.dilations.empty()) b.ints(node, "dilations", c.dilations);
  if (c.group != 1) b.intAttr(node, "group", c.group);
  if (c.autoPad) {
    auto* a = node->add_attribute();
    a->set_name("auto_pad");
    a->set_type(onnx::AttributeProto_AttributeType_STRING);
    a->set_s(c.autoPad);
  }
  b.output("y");
  auto model = b.build();
  auto ev = graft::Evaluator::create(*model);
  if (!ev) qFatal("%s", ev.message().c_str());
  graft::EvalOptions fast, reference;
  fast.threads = reference.threads = 2;
  reference.referenceKernels = true;
  // Twice on the library path: the second run uses the weights packed by the first.
  auto first = ev.value()->run(feeds, fast);
  auto again = ev.value()->run(feeds, fast);
  auto ref = ev.value()->run(feeds, reference);
  if (!first || !again || !ref) qFatal("%s: %s", c.name, (!first ? first : !again ? again : ref).message().c_str());
  if (relativeDifference(first.value().at("y"), again.value().at("y")) != 0) qFatal("%s: a second run differs", c.name);
  return {first.value().at("y"), ref.value().at("y")};
}

// Group-1 convolutions with at least 28x28 outputs and depthwise ones run on oneDNN's primitive,
// the others on im2col + sgemm (onednn.cpp): the cases cover both.
const std::vector<ConvCase>& convCases() {
  static const std::vector<ConvCase> cases = {
      {"stem 7x7 stride 2, 3 channels", 1, 3, 16, 1, {64, 64}, {7, 7}, {2, 2}, {3, 3, 3, 3}, {}, true},
      {"3x3, 24 outputs (not whole 16-blocks)", 1, 32, 24, 1, {30, 30}, {3, 3}, {}, {1, 1, 1, 1}, {}, true},
      {"3x3 stride 2, batch 2, no bias", 2, 16, 40, 1, {58, 58}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, false},
      {"3x3 dilation 2", 1, 16, 32, 1, {30, 30}, {3, 3}, {}, {2, 2, 2, 2}, {2, 2}, true},
      {"asymmetric pads", 1, 8, 20, 1, {33, 61}, {3, 2}, {1, 2}, {0, 1, 2, 1}, {}, true},
      {"SAME_UPPER, even kernel, stride 2", 1, 8, 16, 1, {60, 60}, {4, 4}, {2, 2}, {}, {}, true, "SAME_UPPER"},
      {"1x1 stride 2 (a strided downsample)", 1, 64, 48, 1, {60, 60}, {1, 1}, {2, 2}, {}, {}, false},
      {"depthwise 3x3", 1, 48, 48, 48, {20, 20}, {3, 3}, {}, {1, 1, 1, 1}, {}, true},
      {"depthwise 3x3 stride 2, batch 2", 2, 40, 40, 40, {30, 30}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, false},
      {"depthwise 5x5", 1, 24, 24, 24, {16, 16}, {5, 5}, {}, {2, 2, 2, 2}, {}, true},
      {"depthwise 3x3 on 56x56 (direct NCHW kernel)", 1, 32, 32, 32, {56, 56}, {3, 3}, {}, {1, 1, 1, 1}, {}, true},
      {"depthwise 3x3 stride 2, odd width, batch 2 (direct)", 2, 24, 24, 24, {112, 61}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, false},
      {"depthwise 5x5 stride 2, asymmetric pads (direct)", 1, 16, 16, 16, {64, 70}, {5, 5}, {2, 2}, {2, 1, 1, 2}, {}, true},
      {"grouped, 4 groups (im2col + sgemm)", 1, 32, 32, 4, {16, 16}, {3, 3}, {}, {1, 1, 1, 1}, {}, true},
      {"3x3 on 7x7, a late stage (im2col + sgemm)", 1, 64, 64, 1, {7, 7}, {3, 3}, {}, {1, 1, 1, 1}, {}, true},
      {"1-D, kernel 5", 1, 8, 20, 1, {1000}, {5}, {}, {2, 2}, {}, true},
      {"3-D 3x3x3", 1, 4, 16, 1, {10, 10, 10}, {3, 3, 3}, {}, {1, 1, 1, 1, 1, 1}, {}, true},
  };
  return cases;
}


// ---- integer kernels: expectations computed here, element by element, from the definitions

constexpr int kUInt8 = onnx::TensorProto_DataType_UINT8, kInt8 = onnx::TensorProto_DataType_INT8,
              kInt32 = onnx::TensorProto_DataType_INT32;

template <typename T>
graft::Array tensor(int dtype, const std::vector<std::int64_t>& shape, const std::vector<T>& values) {
  graft::Array a(dtype, shape);
  std::copy(values.begin(), values.end(), a.data<T>());
  return a;
}

// Uniform 8-bit values from a fixed LCG.
template <typename T>
graft::Array randomBytes(int dtype, const std::vector<std::int64_t>& shape, std::uint32_t seed) {
  graft::Array a(dtype, shape);
  std::uint32_t s = seed * 2246822519u + 7u;
  for (std::int64_t i = 0; i < a.size(); ++i) {
    s = s * 1664525u + 1013904223u;
    a.data<T>()[i] = static_cast<T>(static_cast<std::int32_t>(s >> 24) + (std::is_signed_v<T> ? -128 : 0));
  }
  return a;
}

// ONNX Runtime's requantization of one int32 accumulator (MLAS): float32 product with the float32
// multiplier, clamped, rounded half to even, plus the zero point.
std::int32_t ortRequantize(std::int32_t acc, float multiplier, std::int32_t zero, std::int32_t lo, std::int32_t hi) {
  float v = static_cast<float>(acc) * multiplier;
  v = std::min(static_cast<float>(hi - zero), std::max(static_cast<float>(lo - zero), v));
  return static_cast<std::int32_t>(std::nearbyint(v)) + zero;
}

graft::NamedArrays run(Builder& b, const graft::NamedArrays& feeds) {
  auto model = b.build();
  auto out = graft::evaluate(*model, feeds);
  if (!out) qFatal("%s", out.message().c_str());
  return out.value();
}

}  // namespace

class TestEvalKernels : public QObject {
  Q_OBJECT

 private slots:
  void convolutionsAgreeOnTheLibraryAndEigenPaths_data() {
    QTest::addColumn<int>("index");
    for (std::size_t i = 0; i < convCases().size(); ++i) QTest::newRow(convCases()[i].name) << static_cast<int>(i);
  }
  void convolutionsAgreeOnTheLibraryAndEigenPaths() {
    if (!libraryInUse()) QSKIP("oneDNN is not built in or switched off (GRAFT_EVAL_KERNELS): only the Eigen path runs");
    QFETCH(int, index);
    auto [fast, ref] = runConv(convCases()[static_cast<std::size_t>(index)]);
    QCOMPARE(fast.shape(), ref.shape());
    double d = relativeDifference(fast, ref);
    QVERIFY2(d < 2e-6, QByteArray::number(d).constData());
  }

  // Weights that are a graph input change from run to run: nothing packed may be reused for them.
  void convolutionWeightsFedAsInputsAreNotCached() {
    if (!libraryInUse()) QSKIP("oneDNN is not built in or switched off (GRAFT_EVAL_KERNELS)");
    auto [fast, ref] = runConv(convCases()[1], true);
    QVERIFY(relativeDifference(fast, ref) < 2e-6);
  }

  // An initializer that is also a graph input may be overridden for one run; the next run without
  // the override must use the initializer again (its packed copy), not the override.
  void anOverriddenInitializerIsUsedForThatRunOnly() {
    Builder b;
    b.input("x", kFloat, {1, 8, 20, 20});
    b.input("w", kFloat, {16, 8, 3, 3});
    graft::Array w = randomArray({16, 8, 3, 3}, 5), other = randomArray({16, 8, 3, 3}, 6), x = randomArray({1, 8, 20, 20}, 9);
    b.initializer(w, "w");
    auto* node = b.node("Conv", {"x", "w"}, {"y"});
    b.ints(node, "pads", {1, 1, 1, 1});
    b.output("y");
    auto model = b.build();
    auto ev = graft::Evaluator::create(*model);
    QVERIFY(ev);
    graft::EvalOptions reference;
    reference.referenceKernels = true;
    auto base = ev.value()->run({{"x", x}});
    auto overridden = ev.value()->run({{"x", x}, {"w", other}});
    auto baseAgain = ev.value()->run({{"x", x}});
    auto overriddenRef = ev.value()->run({{"x", x}, {"w", other}}, reference);
    QVERIFY(base && overridden && baseAgain && overriddenRef);
    QCOMPARE(relativeDifference(baseAgain.value().at("y"), base.value().at("y")), 0.0);
    QVERIFY(relativeDifference(overridden.value().at("y"), overriddenRef.value().at("y")) < 2e-6);
    QVERIFY(relativeDifference(overridden.value().at("y"), base.value().at("y")) > 1e-2);
  }

  void gemmAgreesOnTheLibraryAndEigenPaths_data() {
    QTest::addColumn<int>("transA");
    QTest::addColumn<int>("transB");
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) QTest::newRow((std::string("transA ") + char('0' + a) + ", transB " + char('0' + b)).c_str()) << a << b;
  }
  void gemmAgreesOnTheLibraryAndEigenPaths() {
    if (!libraryInUse()) QSKIP("oneDNN is not built in or switched off (GRAFT_EVAL_KERNELS)");
    QFETCH(int, transA);
    QFETCH(int, transB);
    // Large enough to be split among threads (blocks of rows or columns).
    const std::int64_t M = 130, N = 300, K = 70;
    std::vector<std::int64_t> as = transA ? std::vector<std::int64_t>{K, M} : std::vector<std::int64_t>{M, K};
    std::vector<std::int64_t> bs = transB ? std::vector<std::int64_t>{N, K} : std::vector<std::int64_t>{K, N};
    Builder b;
    b.input("a", kFloat, as);
    b.initializer(randomArray(bs, 2), "b");
    b.initializer(randomArray({N}, 4), "c");
    auto* node = b.node("Gemm", {"a", "b", "c"}, {"y"});
    b.intAttr(node, "transA", transA);
    b.intAttr(node, "transB", transB);
    auto* alpha = node->add_attribute();
    alpha->set_name("alpha");
    alpha->set_type(onnx::AttributeProto_AttributeType_FLOAT);
    alpha->set_f(0.5f);
    b.output("y");
    auto model = b.build();
    graft::EvalOptions reference;
    reference.referenceKernels = true;
    graft::NamedArrays feeds{{"a", randomArray(as, 1)}};
    auto fast = graft::evaluate(*model, feeds), ref = graft::evaluate(*model, feeds, reference);
    QVERIFY(fast && ref);
    QVERIFY(relativeDifference(fast.value().at("y"), ref.value().at("y")) < 2e-6);
  }

  void matmulAgreesOnTheLibraryAndEigenPaths_data() {
    QTest::addColumn<QList<qint64>>("a");
    QTest::addColumn<QList<qint64>>("b");
    QTest::newRow("weights shared by a batch (one tall GEMM)") << QList<qint64>{2, 3, 65, 40} << QList<qint64>{40, 70};
    QTest::newRow("attention heads, scores") << QList<qint64>{1, 6, 128, 64} << QList<qint64>{1, 6, 64, 128};
    QTest::newRow("broadcast batch dimensions") << QList<qint64>{3, 1, 33, 20} << QList<qint64>{1, 4, 20, 17};
    QTest::newRow("vector times matrix") << QList<qint64>{300} << QList<qint64>{300, 257};
    QTest::newRow("large square, split among threads") << QList<qint64>{256, 384} << QList<qint64>{384, 512};
  }
  void matmulAgreesOnTheLibraryAndEigenPaths() {
    if (!libraryInUse()) QSKIP("oneDNN is not built in or switched off (GRAFT_EVAL_KERNELS)");
    QFETCH(QList<qint64>, a);
    QFETCH(QList<qint64>, b);
    std::vector<std::int64_t> as(a.begin(), a.end()), bs(b.begin(), b.end());
    Builder bld;
    bld.input("a", kFloat, as);
    bld.input("b", kFloat, bs);
    bld.node("MatMul", {"a", "b"}, {"y"});
    bld.output("y");
    auto model = bld.build();
    graft::EvalOptions reference;
    reference.referenceKernels = true;
    graft::NamedArrays feeds{{"a", randomArray(as, 1)}, {"b", randomArray(bs, 2)}};
    auto fast = graft::evaluate(*model, feeds), ref = graft::evaluate(*model, feeds, reference);
    QVERIFY(fast && ref);
    QCOMPARE(fast.value().at("y").shape(), ref.value().at("y").shape());
    QVERIFY(relativeDifference(fast.value().at("y"), ref.value().at("y")) < 2e-6);
  }

  // QuantizeLinear to uint8 and int8 on a tensor longer than one thread's chunk, with ties,
  // saturation both ways, infinities and NaN: every element as the spec says (x / scale in float,
  // half to even, plus the zero point, saturated, NaN to 0); DequantizeLinear gives back
  // float(q - zero) * scale exactly.
  // QuantizeLinear multiplies by the reciprocal of the scale where that gives the division's
  // integers, and divides where a value is close to a tie: for scales of every mantissa (the
  // all-ones one too) and values at, next to and between ties, the bytes are the spec's.
  void quantizeLinearByReciprocalGivesTheDivisionsBytes() {
    std::uint32_t state = 99;
    auto next = [&] {
      state = state * 1664525u + 1013904223u;
      return static_cast<float>(state >> 8) / 16777216.0f;
    };
    // An odd length, so the vector loops' masked tails run too; uint8 and int8 in turn.
    const std::int64_t n = 24007;
    for (int set = 0; set < 40; ++set) {
      float scale = std::ldexp(1.0f + next(), -static_cast<int>(next() * 16));
      if (set == 0) scale = std::nextafter(2.0f, 0.0f) / 64;  // mantissa all ones
      const bool u8 = set % 2 == 0;
      const int zero = u8 ? 128 : -3;
      graft::Array x(kFloat, {n});
      for (std::int64_t i = 0; i < n; ++i) {
        const float tie = (static_cast<float>(static_cast<int>(next() * 300) - 150) + 0.5f) * scale;
        // The first half away from ties, so its runs keep the fast loop's bytes (a run with an
        // element near a tie is redone by the division); then ties and their neighbours.
        const int kind = i < n / 2 ? 3 : static_cast<int>(i % 4);
        x.data<float>()[i] = kind == 0 ? tie : kind == 1 ? std::nextafter(tie, 1e30f) : kind == 2 ? std::nextafter(tie, -1e30f)
                                                                                      : (next() * 300 - 150) * scale;
      }
      Builder b;
      b.input("x", kFloat, {n});
      b.initializer(tensor<float>(kFloat, {}, {scale}), "s");
      if (u8)
        b.initializer(tensor<std::uint8_t>(kUInt8, {}, {static_cast<std::uint8_t>(zero)}), "z");
      else
        b.initializer(tensor<std::int8_t>(onnx::TensorProto_DataType_INT8, {}, {static_cast<std::int8_t>(zero)}), "z");
      b.node("QuantizeLinear", {"x", "s", "z"}, {"q"});
      b.output("q", u8 ? kUInt8 : onnx::TensorProto_DataType_INT8);
      auto model = b.build();
      auto out = graft::evaluate(*model, {{"x", x}});
      QVERIFY2(out, out.message().c_str());
      const graft::Array& q = out.value().at("q");
      for (std::int64_t i = 0; i < n; ++i) {
        const float v = x.data<float>()[i];
        const double want = std::clamp(std::nearbyint(static_cast<double>(v / scale)) + zero, u8 ? 0.0 : -128.0, u8 ? 255.0 : 127.0);
        const int got = u8 ? q.data<std::uint8_t>()[i] : q.data<std::int8_t>()[i];
        if (got != want)
          QFAIL(qPrintable(QString("scale %1, element %2 (%3): %4, want %5").arg(scale, 0, 'g', 9).arg(i).arg(v, 0, 'g', 9).arg(got).arg(want)));
      }
    }
  }

  // DynamicQuantizeLinear and DynamicQuantizeMatMul compute the range, scale and zero point in
  // float32, as the spec's reference and ONNX Runtime do. For [-0.8277026, 5.495937] that scale is
  // 0.024798585; computed in double and then rounded it was one unit in the last place above.
  void dynamicQuantizationComputesItsParametersInFloat() {
    std::uint32_t state = 7;
    auto next = [&] {
      state = state * 1664525u + 1013904223u;
      return static_cast<float>(state >> 8) / 16777216.0f;
    };
    // An infinite minimum: ONNX Runtime 1.30 gives scale inf, zero point 255 and [0, 255, 255].
    {
      Builder b;
      b.input("x", kFloat, {3});
      b.node("DynamicQuantizeLinear", {"x"}, {"y", "s", "z"});
      b.output("y", kUInt8);
      b.output("s", kFloat);
      b.output("z", kUInt8);
      auto out = graft::evaluate(*b.build(), {{"x", tensor<float>(kFloat, {3}, {-std::numeric_limits<float>::infinity(), 1.0f, 2.0f})}});
      QVERIFY2(out, out.message().c_str());
      QVERIFY(std::isinf(out.value().at("s").data<float>()[0]));
      QCOMPARE(int(out.value().at("z").data<std::uint8_t>()[0]), 255);
      const std::uint8_t* y = out.value().at("y").data<std::uint8_t>();
      QCOMPARE((std::vector<int>{y[0], y[1], y[2]}), (std::vector<int>{0, 255, 255}));
    }
    for (std::int64_t n : {2, 1, 15, 16, 17, 4099, 200003}) {
      graft::Array x(kFloat, {n});
      const float spread = n % 2 ? 3.0f : 0.01f;
      for (std::int64_t i = 0; i < n; ++i) x.data<float>()[i] = (next() - 0.3f) * spread;
      if (n == 2) {
        x.data<float>()[0] = -0.8277026f;
        x.data<float>()[1] = 5.495937f;
      }
      if (n == 4099) x.data<float>()[100] = std::numeric_limits<float>::quiet_NaN();  // skipped by the range, quantized to 0
      if (n == 1) x.data<float>()[0] = 0.0f;                                            // all zeros: scale 0, zero point 0
      float lo = 0, hi = 0;
      for (std::int64_t i = 0; i < n; ++i)
        if (!std::isnan(x.data<float>()[i])) lo = std::min(lo, x.data<float>()[i]), hi = std::max(hi, x.data<float>()[i]);
      const float scale = (hi - lo) / 255.0f;
      const float zero = scale == 0 ? 0.0f : std::nearbyint(std::clamp(0.0f - lo / scale, 0.0f, 255.0f));
      Builder b;
      b.input("x", kFloat, {n});
      b.node("DynamicQuantizeLinear", {"x"}, {"y", "s", "z"});
      b.output("y", kUInt8);
      b.output("s", kFloat);
      b.output("z", kUInt8);
      auto model = b.build();
      auto out = graft::evaluate(*model, {{"x", x}});
      QVERIFY2(out, out.message().c_str());
      // Bit for bit (QCOMPARE of floats allows a relative difference of 1e-5).
      QCOMPARE(std::bit_cast<std::uint32_t>(out.value().at("s").data<float>()[0]), std::bit_cast<std::uint32_t>(scale));
      QCOMPARE(int(out.value().at("z").data<std::uint8_t>()[0]), int(zero));
      if (n == 2) QCOMPARE(std::bit_cast<std::uint32_t>(scale), std::bit_cast<std::uint32_t>(0.024798585f));
      const graft::Array& y = out.value().at("y");
      for (std::int64_t i = 0; i < n; ++i) {
        const float v = x.data<float>()[i];
        const double want = std::isnan(v) ? 0.0 : std::clamp(std::nearbyint(v / (scale == 0 ? 1.0f : scale)) + zero, 0.0f, 255.0f);
        if (y.data<std::uint8_t>()[i] != want)
          QFAIL(qPrintable(QString("n %1, element %2 (%3): %4, want %5").arg(n).arg(i).arg(v, 0, 'g', 9).arg(y.data<std::uint8_t>()[i]).arg(want)));
      }
    }
  }

  void quantizeLinearOnALongTensorRoundsEveryElementLikeTheSpec() {
    const std::int64_t n = 100003;
    graft::Array x(kFloat, {n});
    const float scale = 0.5f;
    for (std::int64_t i = 0; i < n; ++i) x.data<float>()[i] = static_cast<float>(i % 1201 - 600) * 0.25f;  // many exact .5 ties
    x.data<float>()[7] = std::numeric_limits<float>::quiet_NaN();
    x.data<float>()[70000] = std::numeric_limits<float>::infinity();
    x.data<float>()[70001] = -std::numeric_limits<float>::infinity();
    x.data<float>()[70002] = 3e38f;
    for (int dtype : {onnx::TensorProto_DataType_UINT8, onnx::TensorProto_DataType_INT8}) {
      const bool u8 = dtype == onnx::TensorProto_DataType_UINT8;
      const int zero = u8 ? 131 : -3;
      Builder b;
      b.input("x", kFloat, {n});
      graft::Array sc(kFloat, {});
      sc.data<float>()[0] = scale;
      b.initializer(sc, "s");
      graft::Array zp(dtype, {});
      if (u8)
        zp.data<std::uint8_t>()[0] = static_cast<std::uint8_t>(zero);
      else
        zp.data<std::int8_t>()[0] = static_cast<std::int8_t>(zero);
      b.initializer(zp, "z");
      b.node("QuantizeLinear", {"x", "s", "z"}, {"q"});
      b.node("DequantizeLinear", {"q", "s", "z"}, {"y"});
      b.output("q", dtype);
      b.output("y");
      auto model = b.build();
      auto out = graft::evaluate(*model, {{"x", x}});
      QVERIFY2(out, out.message().c_str());
      const graft::Array& q = out.value().at("q");
      const graft::Array& y = out.value().at("y");
      const double lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
      for (std::int64_t i = 0; i < n; ++i) {
        const float v = x.data<float>()[i];
        double want = std::nearbyint(static_cast<double>(v / scale)) + zero;
        want = std::isnan(want) ? 0.0 : std::clamp(want, lo, hi);
        const double got = u8 ? q.data<std::uint8_t>()[i] : q.data<std::int8_t>()[i];
        if (got != want) QFAIL(qPrintable(QString("element %1 (%2): %3, want %4").arg(i).arg(v).arg(got).arg(want)));
        const float back = static_cast<float>(static_cast<int>(got) - zero) * scale;
        if (y.data<float>()[i] != back) QFAIL(qPrintable(QString("dequantized element %1: %2, want %3").arg(i).arg(y.data<float>()[i]).arg(back)));
      }
    }
  }

  // A 4-bit MatMulNBits at accuracy_level 4 may run A and the weights in bf16 (AMX): within bf16
  // rounding of the float result at level 0, the same on a second run (the bf16 weights packed
  // once and kept), and the same for a batch of two rows split among the threads.
  void matMulNBitsAtAccuracyLevelFourStaysWithinBf16() {
    std::vector<graft::Array> results;
    for (int level : {0, 4}) {
      Builder b;
      b.input("x", kFloat, {2, 128, 384});
      b.initializer(randomArray({384, 1152}, 7), "W");
      b.node("MatMul", {"x", "W"}, {"y"});
      b.output("y");
      auto model = b.build();
      graft::quant::QuantizeOptions o;
      o.mode = graft::quant::Mode::WeightOnly;
      o.accuracyLevel = level;
      auto q = graft::quant::quantizeModel(*model, o, nullptr);
      QVERIFY2(q, q.message().c_str());
      QCOMPARE(q->nodes.size(), std::size_t(1));
      auto evaluator = graft::Evaluator::create(*model);
      QVERIFY2(evaluator, evaluator.message().c_str());
      graft::NamedArrays feeds{{"x", randomArray({2, 128, 384}, 3)}};
      auto first = evaluator.value()->run(feeds), second = evaluator.value()->run(feeds);
      QVERIFY2(first && second, (first ? second.message() : first.message()).c_str());
      QCOMPARE(relativeDifference(second.value().at("y"), first.value().at("y")), 0.0);
      results.push_back(first.value().at("y"));
    }
    const double difference = relativeDifference(results[1], results[0]);
    QVERIFY2(difference < 1e-2, qPrintable(QString::number(difference)));
    if (difference == 0) qWarning("accuracy_level 4 ran in float: no bf16 kernels on this CPU, or oneDNN off");
  }

  // A weight (an initializer) goes through the matmul primitive on a packed copy, in column
  // slices per thread, with Gemm's bias row added by the library.
  void productsWithAConstantWeightAgreeOnThePackedAndEigenPaths_data() {
    QTest::addColumn<QString>("op");
    QTest::addColumn<QList<qint64>>("a");
    QTest::addColumn<QList<qint64>>("b");
    QTest::addColumn<int>("transB");
    QTest::addColumn<int>("biasRank");
    QTest::newRow("MatMul, a decoder's QKV projection (four column slices)") << "MatMul" << QList<qint64>{1, 128, 384}
                                                                                 << QList<qint64>{384, 1152} << 0 << 0;
    QTest::newRow("MatMul, a batch of 2 with odd sizes (one slice)") << "MatMul" << QList<qint64>{2, 65, 40} << QList<qint64>{40, 70} << 0 << 0;
    QTest::newRow("MatMul, columns not a multiple of 64") << "MatMul" << QList<qint64>{197, 96} << QList<qint64>{96, 1000} << 0 << 0;
    QTest::newRow("Gemm, transposed weight, bias [N]") << "Gemm" << QList<qint64>{130, 70} << QList<qint64>{300, 70} << 1 << 1;
    QTest::newRow("Gemm, bias [1,N]") << "Gemm" << QList<qint64>{64, 256} << QList<qint64>{256, 520} << 0 << 2;
    QTest::newRow("Gemm, one row, no bias") << "Gemm" << QList<qint64>{1, 256} << QList<qint64>{256, 256} << 0 << 0;
  }
  void productsWithAConstantWeightAgreeOnThePackedAndEigenPaths() {
    if (!libraryInUse()) QSKIP("oneDNN is not built in or switched off (GRAFT_EVAL_KERNELS)");
    QFETCH(QString, op);
    QFETCH(QList<qint64>, a);
    QFETCH(QList<qint64>, b);
    QFETCH(int, transB);
    QFETCH(int, biasRank);
    std::vector<std::int64_t> as(a.begin(), a.end()), bs(b.begin(), b.end());
    std::int64_t N = transB ? bs[0] : bs[1];
    Builder bld;
    bld.input("a", kFloat, as);
    bld.initializer(randomArray(bs, 2), "w");
    std::vector<std::string> ins{"a", "w"};
    if (biasRank) {
      bld.initializer(randomArray(biasRank == 1 ? std::vector<std::int64_t>{N} : std::vector<std::int64_t>{1, N}, 5), "bias");
      ins.push_back("bias");
    }
    auto* node = bld.node(op.toStdString(), ins, {"y"});
    if (transB) bld.intAttr(node, "transB", 1);
    bld.output("y");
    auto model = bld.build();
    auto ev = graft::Evaluator::create(*model);
    QVERIFY(ev);
    graft::EvalOptions fast, reference;
    fast.threads = reference.threads = 2;
    reference.referenceKernels = true;
    graft::NamedArrays feeds{{"a", randomArray(as, 1)}};
    // The second run multiplies by the weights the first one packed.
    auto first = ev.value()->run(feeds, fast), again = ev.value()->run(feeds, fast), ref = ev.value()->run(feeds, reference);
    QVERIFY(first && again && ref);
    QCOMPARE(first.value().at("y").shape(), ref.value().at("y").shape());
    QCOMPARE(relativeDifference(first.value().at("y"), again.value().at("y")), 0.0);
    QVERIFY(relativeDifference(first.value().at("y"), ref.value().at("y")) < 2e-6);
  }

  // MatMulInteger: uint8 A with a zero point per row, int8 B with one per column, batch broadcast,
  // and a long K whose sums need all 32 bits; every int32 equals the sum computed here.
  void matMulIntegerAccumulatesExactly() {
    for (std::int64_t K : {7, 4099}) {
      Builder b;
      b.input("a", kUInt8, {2, 3, K});
      b.input("b", kInt8, {K, 5});
      b.input("az", kUInt8, {3});
      b.input("bz", kInt8, {5});
      b.node("MatMulInteger", {"a", "b", "az", "bz"}, {"y"});
      b.output("y", kInt32);
      graft::Array A = randomBytes<std::uint8_t>(kUInt8, {2, 3, K}, 1), B = randomBytes<std::int8_t>(kInt8, {K, 5}, 2);
      if (K > 100)  // extremes: (255 - 0) * (-128 - 127) summed K times
        for (std::int64_t k = 0; k < K; ++k) {
          A.data<std::uint8_t>()[k] = 255;
          B.data<std::int8_t>()[k * 5] = -128;
        }
      graft::Array az = tensor<std::uint8_t>(kUInt8, {3}, {0, 128, 255}), bz = tensor<std::int8_t>(kInt8, {5}, {127, 0, -128, 5, -1});
      auto out = run(b, {{"a", A}, {"b", B}, {"az", az}, {"bz", bz}});
      const graft::Array& y = out.at("y");
      QCOMPARE(y.shape(), (std::vector<std::int64_t>{2, 3, 5}));
      for (std::int64_t n = 0; n < 2; ++n)
        for (std::int64_t m = 0; m < 3; ++m)
          for (std::int64_t j = 0; j < 5; ++j) {
            std::int64_t want = 0;
            for (std::int64_t k = 0; k < K; ++k)
              want += (std::int64_t(A.data<std::uint8_t>()[(n * 3 + m) * K + k]) - az.data<std::uint8_t>()[m]) *
                      (std::int64_t(B.data<std::int8_t>()[k * 5 + j]) - bz.data<std::int8_t>()[j]);
            QCOMPARE(std::int64_t(y.data<std::int32_t>()[(n * 3 + m) * 5 + j]), want);
          }
    }
  }

  // ConvInteger: padding counts as the zero point (adds nothing); per-output-channel w zero points.
  // 8-bit convolutions with symmetric int8 weights run on the kernel library's int8 kernels
  // (VNNI/AMX) where their int32 sums are exact: every element equals the reference path's, for
  // uint8 and int8 activations, padding (the zero point), strides, dilations, 1-D and 3-D, many
  // channels (long sums), and as QLinearConv with requantization.
  // 2-D float MaxPool runs in two vectorized passes (rows, then columns) unless the indices are
  // wanted; asking for them takes the general per-window loop, whose values must be the same bits,
  // NaNs (which count only as a window's first element) and ties included.
  void maxPoolingInTwoPassesGivesThePerWindowValues_data() {
    QTest::addColumn<QList<qint64>>("shape");
    QTest::addColumn<QList<qint64>>("kernel");
    QTest::addColumn<QList<qint64>>("strides");
    QTest::addColumn<QList<qint64>>("pads");
    QTest::addColumn<bool>("ceil");
    QTest::newRow("ResNet stem 3x3 stride 2 pad 1") << QList<qint64>{1, 8, 112, 112} << QList<qint64>{3, 3} << QList<qint64>{2, 2}
                                                   << QList<qint64>{1, 1, 1, 1} << false;
    QTest::newRow("2x2 stride 2, odd sizes, ceil") << QList<qint64>{2, 3, 15, 17} << QList<qint64>{2, 2} << QList<qint64>{2, 2}
                                                  << QList<qint64>{0, 0, 0, 0} << true;
    QTest::newRow("3x2 stride 1, asymmetric pads") << QList<qint64>{1, 4, 9, 33} << QList<qint64>{3, 2} << QList<qint64>{1, 1}
                                                  << QList<qint64>{2, 0, 1, 1} << false;
    QTest::newRow("5x5 stride (3, 2)") << QList<qint64>{1, 2, 40, 41} << QList<qint64>{5, 5} << QList<qint64>{3, 2}
                                      << QList<qint64>{2, 2, 2, 2} << false;
  }
  void maxPoolingInTwoPassesGivesThePerWindowValues() {
    QFETCH(QList<qint64>, shape);
    QFETCH(QList<qint64>, kernel);
    QFETCH(QList<qint64>, strides);
    QFETCH(QList<qint64>, pads);
    QFETCH(bool, ceil);
    std::vector<std::int64_t> xs(shape.begin(), shape.end());
    graft::Array x = randomArray(xs, 9);
    // Ties (values rounded to eighths, signed zeros) and NaNs at every 37th element.
    for (std::int64_t i = 0; i < x.size(); ++i) {
      float& v = x.data<float>()[i];
      v = std::round(v * 8) / 8;
      if (v == 0 && i % 2) v = -0.0f;
      if (i % 37 == 5) v = std::numeric_limits<float>::quiet_NaN();
    }
    graft::Array values[2];
    for (bool indices : {false, true}) {
      Builder b;
      b.input("x", kFloat, xs);
      auto* n = b.node("MaxPool", {"x"}, indices ? std::vector<std::string>{"y", "i"} : std::vector<std::string>{"y"});
      b.ints(n, "kernel_shape", std::vector<std::int64_t>(kernel.begin(), kernel.end()));
      b.ints(n, "strides", std::vector<std::int64_t>(strides.begin(), strides.end()));
      b.ints(n, "pads", std::vector<std::int64_t>(pads.begin(), pads.end()));
      if (ceil) b.intAttr(n, "ceil_mode", 1);
      b.output("y");
      if (indices) b.output("i", onnx::TensorProto_DataType_INT64);
      auto model = b.build();
      auto out = graft::evaluate(*model, {{"x", x}});
      QVERIFY2(out, out.message().c_str());
      values[indices] = out.value().at("y");
    }
    QCOMPARE(values[0].shape(), values[1].shape());
    QVERIFY(std::memcmp(values[0].raw(), values[1].raw(), values[0].bytes()) == 0);
  }

  void int8ConvolutionsAgreeOnTheLibraryAndReferencePaths_data() {
    QTest::addColumn<bool>("signedX");
    QTest::addColumn<QList<qint64>>("x");
    QTest::addColumn<QList<qint64>>("w");
    QTest::addColumn<QList<qint64>>("pads");
    QTest::addColumn<QList<qint64>>("strides");
    QTest::addColumn<QList<qint64>>("dilations");
    QTest::newRow("3x3 padded, uint8") << false << QList<qint64>{1, 64, 28, 28} << QList<qint64>{64, 64, 3, 3} << QList<qint64>{1, 1, 1, 1} << QList<qint64>{1, 1} << QList<qint64>{1, 1};
    QTest::newRow("7x7 stride 2, 3 channels") << false << QList<qint64>{1, 3, 45, 45} << QList<qint64>{40, 3, 7, 7} << QList<qint64>{3, 3, 3, 3} << QList<qint64>{2, 2} << QList<qint64>{1, 1};
    QTest::newRow("1x1, 512 channels, int8") << true << QList<qint64>{2, 512, 7, 7} << QList<qint64>{100, 512, 1, 1} << QList<qint64>{0, 0, 0, 0} << QList<qint64>{1, 1} << QList<qint64>{1, 1};
    QTest::newRow("dilated, asymmetric pads") << false << QList<qint64>{1, 16, 20, 17} << QList<qint64>{33, 16, 3, 3} << QList<qint64>{2, 0, 1, 2} << QList<qint64>{1, 2} << QList<qint64>{2, 2};
    QTest::newRow("1-D") << true << QList<qint64>{1, 24, 50} << QList<qint64>{32, 24, 5} << QList<qint64>{2, 2} << QList<qint64>{1} << QList<qint64>{1};
    QTest::newRow("3-D") << false << QList<qint64>{1, 8, 6, 7, 5} << QList<qint64>{16, 8, 3, 3, 3} << QList<qint64>{1, 1, 1, 1, 1, 1} << QList<qint64>{1, 1, 1} << QList<qint64>{1, 1, 1};
  }
  void int8ConvolutionsAgreeOnTheLibraryAndReferencePaths() {
    QFETCH(bool, signedX);
    QFETCH(QList<qint64>, x);
    QFETCH(QList<qint64>, w);
    QFETCH(QList<qint64>, pads);
    QFETCH(QList<qint64>, strides);
    QFETCH(QList<qint64>, dilations);
    std::vector<std::int64_t> xs(x.begin(), x.end()), ws(w.begin(), w.end());
    const int xType = signedX ? kInt8 : kUInt8;
    graft::Array X = signedX ? randomBytes<std::int8_t>(kInt8, xs, 5) : randomBytes<std::uint8_t>(kUInt8, xs, 5);
    graft::Array W = randomBytes<std::int8_t>(kInt8, ws, 6);
    graft::Array xz = signedX ? tensor<std::int8_t>(kInt8, {}, {-7}) : tensor<std::uint8_t>(kUInt8, {}, {131});
    for (bool qlinear : {false, true}) {
      Builder b;
      b.input("x", xType, xs);
      b.initializer(W, "w");
      b.initializer(xz, "xz");
      onnx::NodeProto* n = nullptr;
      if (qlinear) {
        b.initializer(tensor<float>(kFloat, {}, {0.02f}), "xs");
        graft::Array wscale(kFloat, {ws[0]});
        for (std::int64_t m = 0; m < ws[0]; ++m) wscale.data<float>()[m] = 0.001f * static_cast<float>(m % 7 + 1);
        b.initializer(wscale, "ws");
        b.initializer(tensor<std::int8_t>(kInt8, {}, {0}), "wz");
        b.initializer(tensor<float>(kFloat, {}, {0.37f}), "ys");
        b.initializer(tensor<std::uint8_t>(kUInt8, {}, {128}), "yz");
        n = b.node("QLinearConv", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz"}, {"y"});
        b.output("y", kUInt8);
      } else {
        n = b.node("ConvInteger", {"x", "w", "xz"}, {"y"});
        b.output("y", onnx::TensorProto_DataType_INT32);
      }
      b.ints(n, "pads", std::vector<std::int64_t>(pads.begin(), pads.end()));
      b.ints(n, "strides", std::vector<std::int64_t>(strides.begin(), strides.end()));
      b.ints(n, "dilations", std::vector<std::int64_t>(dilations.begin(), dilations.end()));
      auto model = b.build();
      graft::EvalOptions reference;
      reference.referenceKernels = true;
      auto fast = graft::evaluate(*model, {{"x", X}}), ref = graft::evaluate(*model, {{"x", X}}, reference);
      QVERIFY2(fast && ref, (fast ? ref.message() : fast.message()).c_str());
      const graft::Array &got = fast.value().at("y"), &want = ref.value().at("y");
      QCOMPARE(got.shape(), want.shape());
      QCOMPARE(got.bytes(), want.bytes());
      QVERIFY2(std::memcmp(got.raw(), want.raw(), got.bytes()) == 0, qlinear ? "QLinearConv differs" : "ConvInteger differs");
    }
  }

  // A QDQ convolution (DequantizeLinear x, w per channel and an int32 bias at x_scale * w_scale,
  // Conv, Relu, QuantizeLinear) runs fused as one QLinearConv: the bytes equal a QLinearConv's
  // followed by max(q, y_zero_point), and the unfused run (EvalOptions::fuse off) stays within a
  // step of them (it sums in float). With a float bias (behind an Identity, as exporters share
  // initializers) the fused run finishes the exact sums in float.
  void qdqConvolutionsRunFusedAsIntegerConvolutions() {
    const std::int64_t C = 32, M = 48, H = 15, W = 13;
    graft::Array X = randomBytes<std::uint8_t>(kUInt8, {1, C, H, W}, 11), Wq = randomBytes<std::int8_t>(kInt8, {M, C, 3, 3}, 12);
    graft::Array ws(kFloat, {M}), bq(onnx::TensorProto_DataType_INT32, {M}), bs(kFloat, {M}), bf(kFloat, {M});
    const float xs = 0.023f, ys = 0.61f;
    for (std::int64_t m = 0; m < M; ++m) {
      ws.data<float>()[m] = 0.0007f * static_cast<float>(m % 5 + 1);
      bs.data<float>()[m] = xs * ws.data<float>()[m];
      bq.data<std::int32_t>()[m] = static_cast<std::int32_t>((m * 7919) % 20001) - 10000;
      bf.data<float>()[m] = static_cast<float>(bq.data<std::int32_t>()[m]) * bs.data<float>()[m];
    }
    auto build = [&](bool qdq, bool floatBias) {
      Builder b;
      b.input("x", kUInt8, {1, C, H, W});
      b.initializer(tensor<float>(kFloat, {}, {xs}), "xs");
      b.initializer(tensor<std::uint8_t>(kUInt8, {}, {121}), "xz");
      b.initializer(Wq, "w");
      b.initializer(ws, "ws");
      b.initializer(tensor<float>(kFloat, {}, {ys}), "ys");
      b.initializer(tensor<std::uint8_t>(kUInt8, {}, {9}), "yz");
      onnx::NodeProto* conv = nullptr;
      if (qdq) {
        b.node("DequantizeLinear", {"x", "xs", "xz"}, {"xf"});
        auto* dw = b.node("DequantizeLinear", {"w", "ws"}, {"wf"});
        b.intAttr(dw, "axis", 0);
        if (floatBias) {
          b.initializer(bf, "bias");
          b.node("Identity", {"bias"}, {"bf"});
        } else {
          b.initializer(bq, "bq");
          b.initializer(bs, "bs");
          auto* db = b.node("DequantizeLinear", {"bq", "bs"}, {"bf"});
          b.intAttr(db, "axis", 0);
        }
        conv = b.node("Conv", {"xf", "wf", "bf"}, {"c"});
        b.node("Relu", {"c"}, {"r"});
        b.node("QuantizeLinear", {"r", "ys", "yz"}, {"y"});
      } else {
        b.initializer(tensor<std::int8_t>(kInt8, {M}, std::vector<std::int8_t>(M, 0)), "wz");
        b.initializer(bq, "bq");
        conv = b.node("QLinearConv", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "bq"}, {"y"});
      }
      b.ints(conv, "pads", {1, 1, 1, 1});
      b.output("y", kUInt8);
      return b.build();
    };
    graft::NamedArrays feeds{{"x", X}};
    auto reference = graft::evaluate(*build(false, false), feeds);
    QVERIFY2(reference, reference.message().c_str());
    std::vector<std::uint8_t> want(reference.value().at("y").data<std::uint8_t>(),
                                   reference.value().at("y").data<std::uint8_t>() + reference.value().at("y").size());
    for (auto& v : want) v = std::max<std::uint8_t>(v, 9);
    for (bool floatBias : {false, true}) {
      auto model = build(true, floatBias);
      auto evaluator = graft::Evaluator::create(*model);
      QVERIFY2(evaluator, evaluator.message().c_str());
      graft::EvalOptions unfusedOptions;
      unfusedOptions.fuse = false;
      auto fused = evaluator.value()->run(feeds);
      QVERIFY2(fused, fused.message().c_str());
      QCOMPARE(evaluator.value()->lastStats().nodesFused, std::size_t(5));  // DQ x, DQ w, DQ b or the Identity, Relu, Q
      auto unfused = evaluator.value()->run(feeds, unfusedOptions);
      QVERIFY2(unfused, unfused.message().c_str());
      QCOMPARE(evaluator.value()->lastStats().nodesFused, std::size_t(0));
      const graft::Array &f = fused.value().at("y"), &u = unfused.value().at("y");
      QCOMPARE(f.size(), static_cast<std::int64_t>(want.size()));
      int apart = 0, differ = 0;
      for (std::int64_t i = 0; i < f.size(); ++i) {
        const int a = f.data<std::uint8_t>()[i], b = u.data<std::uint8_t>()[i];
        if (!floatBias && a != want[static_cast<std::size_t>(i)]) QFAIL(qPrintable(QString("element %1: %2, QLinearConv %3").arg(i).arg(a).arg(want[static_cast<std::size_t>(i)])));
        apart = std::max(apart, std::abs(a - b));
        differ += a != b;
      }
      QVERIFY2(apart <= 1 && differ * 100 <= f.size(), qPrintable(QString("fused and unfused: %1 differ, by up to %2").arg(differ).arg(apart)));
    }
  }

  // DequantizeLinear(a) op DequantizeLinear(b) [-> Relu] -> QuantizeLinear on 8-bit inputs of one
  // shape (the zero points' types): checks that the op runs fused and returns the fused and the
  // as-written run's outputs.
  static void runQdqBinary(const char* op, const graft::Array& A, const graft::Array& B, float sa, const graft::Array& za, float sb,
                           const graft::Array& zb, float sy, const graft::Array& zy, bool relu, graft::Array& fused, graft::Array& plain) {
    Builder b;
    b.input("a", za.dtype(), A.shape());
    b.input("b", zb.dtype(), B.shape());
    b.initializer(tensor<float>(kFloat, {}, {sa}), "sa");
    b.initializer(za, "za");
    b.initializer(tensor<float>(kFloat, {}, {sb}), "sb");
    b.initializer(zb, "zb");
    b.initializer(tensor<float>(kFloat, {}, {sy}), "sy");
    b.initializer(zy, "zy");
    b.node("DequantizeLinear", {"a", "sa", "za"}, {"af"});
    b.node("DequantizeLinear", {"b", "sb", "zb"}, {"bf"});
    b.node(op, {"af", "bf"}, {"s"});
    if (relu) b.node("Relu", {"s"}, {"r"});
    b.node("QuantizeLinear", {relu ? "r" : "s", "sy", "zy"}, {"y"});
    b.output("y", zy.dtype());
    auto model = b.build();
    auto evaluator = graft::Evaluator::create(*model);
    QVERIFY2(evaluator, evaluator.message().c_str());
    graft::NamedArrays feeds{{"a", A}, {"b", B}};
    auto f = evaluator.value()->run(feeds);
    QVERIFY2(f, f.message().c_str());
    QCOMPARE(evaluator.value()->lastStats().nodesFused, std::size_t(relu ? 4 : 3));
    graft::EvalOptions asWritten;
    asWritten.fuse = false;
    auto p = evaluator.value()->run(feeds, asWritten);
    QVERIFY2(p, p.message().c_str());
    fused = f.value().at("y");
    plain = p.value().at("y");
    QCOMPARE(fused.dtype(), zy.dtype());
    QCOMPARE(fused.bytes(), plain.bytes());
  }
  static graft::Array zeroPoint(std::int32_t type, int z) {
    return type == kInt8 ? tensor<std::int8_t>(kInt8, {}, {static_cast<std::int8_t>(z)})
                         : tensor<std::uint8_t>(kUInt8, {}, {static_cast<std::uint8_t>(z)});
  }
  static void runQdqAdd(const graft::Array& A, const graft::Array& B, float sa, std::uint8_t za, float sb, std::uint8_t zb, float sy,
                        std::uint8_t zy, bool relu, graft::Array& fused, graft::Array& plain) {
    runQdqBinary("Add", A, B, sa, zeroPoint(kUInt8, za), sb, zeroPoint(kUInt8, zb), sy, zeroPoint(kUInt8, zy), relu, fused, plain);
  }

  // A residual Add of two DequantizeLinear outputs into a QuantizeLinear (with and without a Relu)
  // runs fused on the bytes, with the nodes' own float32 steps: the same bytes as the run as written.
  void qdqResidualAddsRunFusedWithTheSameBytes() {
    const std::vector<std::int64_t> shape{1, 24, 17, 19};
    graft::Array A = randomBytes<std::uint8_t>(kUInt8, shape, 21), B = randomBytes<std::uint8_t>(kUInt8, shape, 22);
    for (bool relu : {false, true}) {
      graft::Array f, p;
      runQdqAdd(A, B, 0.031f, 100, 0.017f, 3, 0.029f, 64, relu, f, p);
      if (QTest::currentTestFailed()) return;
      QVERIFY(std::memcmp(f.raw(), p.raw(), f.bytes()) == 0);
    }
  }

  // DequantizeLinear -> an elementwise op [-> Relu] -> QuantizeLinear runs as a table of 256 bytes
  // made from the nodes as written: the same bytes as the run as written, for every input byte, for
  // uint8 and int8 on either side, and ops with attributes. A DequantizeLinear another node also
  // reads (EfficientNet's SiLU: x * Sigmoid(x)) still runs for that node.
  void qdqElementwiseChainsRunAsByteTables() {
    struct Case {
      const char* op;
      bool relu, xSigned, ySigned, shared;
      float xs, ys;
      int xz, yz;
    };
    const Case cases[] = {{"Sigmoid", false, false, false, false, 0.05f, 1.0f / 256, 128, 0},
                          {"Sigmoid", false, true, true, true, 0.11f, 1.0f / 255, 3, -128},
                          {"Tanh", false, true, false, false, 0.02f, 0.0079f, -5, 127},
                          {"HardSwish", true, false, false, false, 0.047f, 0.031f, 117, 9},
                          {"LeakyRelu", false, false, true, false, 0.3f, 0.25f, 200, -20},
                          {"Gelu", false, true, true, true, 0.013f, 0.011f, 0, 0},
                          {"Exp", false, false, false, false, 0.03f, 0.2f, 120, 0}};
    // Every byte, then a few thousand at random, as a [1, 8, 15, 33] image (not a whole number of
    // 64-byte vectors, so the table loop's masked tail runs too).
    const std::vector<std::int64_t> shape{1, 8, 15, 33};
    graft::Array raw = randomBytes<std::uint8_t>(kUInt8, shape, 31);
    for (int i = 0; i < 256; ++i) raw.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(i);
    for (const Case& k : cases) {
      const std::int32_t xType = k.xSigned ? kInt8 : kUInt8, yType = k.ySigned ? kInt8 : kUInt8;
      graft::Array x(xType, shape);
      std::memcpy(x.raw(), raw.raw(), static_cast<std::size_t>(raw.bytes()));
      auto zero = zeroPoint;
      Builder b(20);  // Gelu is opset 20
      b.input("x", xType, shape);
      b.initializer(tensor<float>(kFloat, {}, {k.xs}), "xs");
      b.initializer(zero(xType, k.xz), "xz");
      b.initializer(tensor<float>(kFloat, {}, {k.ys}), "ys");
      b.initializer(zero(yType, k.yz), "yz");
      b.node("DequantizeLinear", {"x", "xs", "xz"}, {"xf"});
      auto* op = b.node(k.op, {"xf"}, {"f"});
      if (std::string(k.op) == "LeakyRelu") b.floatAttr(op, "alpha", 0.37f);
      if (std::string(k.op) == "Gelu") b.stringAttr(op, "approximate", "tanh");
      if (k.relu) b.node("Relu", {"f"}, {"r"});
      b.node("QuantizeLinear", {k.relu ? "r" : "f", "ys", "yz"}, {"y"});
      b.output("y", yType);
      if (k.shared) {
        b.node("Mul", {"xf", "xf"}, {"sq"});
        b.output("sq", kFloat);
      }
      auto model = b.build();
      auto evaluator = graft::Evaluator::create(*model);
      QVERIFY2(evaluator, evaluator.message().c_str());
      graft::NamedArrays feeds{{"x", x}};
      auto fused = evaluator.value()->run(feeds);
      QVERIFY2(fused, fused.message().c_str());
      // The op, the Relu and the QuantizeLinear; the DequantizeLinear too unless the Mul reads it.
      QCOMPARE(evaluator.value()->lastStats().nodesFused, std::size_t((k.shared ? 1 : 2) + (k.relu ? 1 : 0)));
      graft::EvalOptions asWritten;
      asWritten.fuse = false;
      auto plain = evaluator.value()->run(feeds, asWritten);
      QVERIFY2(plain, plain.message().c_str());
      const graft::Array &f = fused.value().at("y"), &p = plain.value().at("y");
      QCOMPARE(f.dtype(), yType);
      QCOMPARE(f.shape(), shape);
      for (std::int64_t i = 0; i < f.size(); ++i)
        if (static_cast<const std::uint8_t*>(f.raw())[i] != static_cast<const std::uint8_t*>(p.raw())[i])
          QFAIL(qPrintable(QString("%1: element %2 (byte %3): %4, as written %5").arg(k.op).arg(i).arg(raw.data<std::uint8_t>()[i])
                               .arg(static_cast<const std::uint8_t*>(f.raw())[i]).arg(static_cast<const std::uint8_t*>(p.raw())[i])));
      // Not a table of one value: the op's output spans several bytes.
      std::set<int> distinct(static_cast<const std::uint8_t*>(f.raw()), static_cast<const std::uint8_t*>(f.raw()) + 256);
      QVERIFY2(distinct.size() > 8, k.op);
      if (k.shared) QVERIFY(fused.value().count("sq"));
    }
    // An op the run as written refuses (LeakyRelu's alpha as a string) makes no table: the fused
    // run reports the node's error as the run as written does.
    Builder b(13);
    b.input("x", kUInt8, {4});
    b.initializer(tensor<float>(kFloat, {}, {0.1f}), "s");
    b.initializer(tensor<std::uint8_t>(kUInt8, {}, {0}), "z");
    b.node("DequantizeLinear", {"x", "s", "z"}, {"xf"});
    b.stringAttr(b.node("LeakyRelu", {"xf"}, {"f"}), "alpha", "0.5");
    b.node("QuantizeLinear", {"f", "s", "z"}, {"y"});
    b.output("y", kUInt8);
    auto model = b.build();
    auto evaluator = graft::Evaluator::create(*model);
    QVERIFY2(evaluator, evaluator.message().c_str());
    graft::EvalOptions asWritten;
    asWritten.fuse = false;
    auto plain = evaluator.value()->run({{"x", graft::Array(kUInt8, {4})}}, asWritten);
    auto fused = evaluator.value()->run({{"x", graft::Array(kUInt8, {4})}});
    QVERIFY(!plain);
    QVERIFY(!fused);
    QCOMPARE(QString::fromStdString(fused.message()), QString::fromStdString(plain.message()));
  }

  // DequantizeLinear(a) * DequantizeLinear(b) [-> Relu] -> QuantizeLinear runs as a table of the
  // 65,536 byte pairs, made from the nodes as written: every pair gives the run as written's byte.
  // And a QDQ SiLU (EfficientNet's and YOLO's activation), a * Sigmoid(a) with Q/DQ between: the
  // Sigmoid and the Mul both run as tables, the shared DequantizeLinear of a not at all.
  void qdqMulChainsRunAsPairTables() {
    auto zero = zeroPoint;
    // Every pair (a = i >> 8, b = i & 255), as a [1, 4, 128, 128] pair of images.
    const std::vector<std::int64_t> shape{1, 4, 128, 128};
    for (int variant = 0; variant < 3; ++variant) {
      const std::int32_t aType = variant == 1 ? kInt8 : kUInt8, bType = kUInt8, yType = variant == 2 ? kInt8 : kUInt8;
      graft::Array A(aType, shape), B(bType, shape);
      for (std::int64_t i = 0; i < 65536; ++i) {
        static_cast<std::uint8_t*>(A.raw())[i] = static_cast<std::uint8_t>(i >> 8);
        static_cast<std::uint8_t*>(B.raw())[i] = static_cast<std::uint8_t>(i);
      }
      graft::Array f, p;
      runQdqBinary("Mul", A, B, 0.043f, zero(aType, variant == 1 ? -7 : 131), 1.0f / 255, zero(bType, 0), 0.021f,
                   zero(yType, variant == 2 ? -100 : 40), variant == 2, f, p);
      if (QTest::currentTestFailed()) return;
      for (std::int64_t i = 0; i < f.size(); ++i)
        if (static_cast<const std::uint8_t*>(f.raw())[i] != static_cast<const std::uint8_t*>(p.raw())[i])
          QFAIL(qPrintable(QString("variant %1, pair (%2, %3): %4, as written %5").arg(variant).arg(i >> 8).arg(i & 255)
                               .arg(static_cast<const std::uint8_t*>(f.raw())[i]).arg(static_cast<const std::uint8_t*>(p.raw())[i])));
    }
    // An image times one byte per image and channel (squeeze-and-excitation), either way round;
    // small planes read the pair table per byte, large ones (1,640 bytes) a row of it per plane.
    for (const std::vector<std::int64_t>& shape : {std::vector<std::int64_t>{2, 5, 3, 4}, std::vector<std::int64_t>{1, 3, 40, 41}}) {
      graft::Array image = randomBytes<std::uint8_t>(kUInt8, shape, 43),
                   perChannel = randomBytes<std::uint8_t>(kUInt8, {shape[0], shape[1], 1, 1}, 44);
      for (bool imageFirst : {true, false}) {
        graft::Array f, p;
        runQdqBinary("Mul", imageFirst ? image : perChannel, imageFirst ? perChannel : image, 0.03f, zero(kUInt8, 100), 0.004f,
                     zero(kUInt8, 3), 0.02f, zero(kUInt8, 128), false, f, p);
        if (QTest::currentTestFailed()) return;
        QCOMPARE(f.shape(), image.shape());
        QVERIFY(std::memcmp(f.raw(), p.raw(), static_cast<std::size_t>(p.bytes())) == 0);
      }
    }
    // The SiLU: a -> DQ -> Sigmoid -> Q -> DQ -> Mul(DQ(a), .) -> Q, on a batch of two images
    // channels-first (nothing else reads them).
    const std::vector<std::int64_t> image{2, 8, 15, 33};
    graft::Array a = randomBytes<std::uint8_t>(kUInt8, image, 41);
    Builder b;
    b.input("a", kUInt8, image);
    b.initializer(tensor<float>(kFloat, {}, {0.05f}), "as");
    b.initializer(zero(kUInt8, 120), "az");
    b.initializer(tensor<float>(kFloat, {}, {1.0f / 256}), "ss");
    b.initializer(zero(kUInt8, 0), "sz");
    b.initializer(tensor<float>(kFloat, {}, {0.03f}), "ys");
    b.initializer(zero(kUInt8, 10), "yz");
    b.node("DequantizeLinear", {"a", "as", "az"}, {"af"});
    b.node("Sigmoid", {"af"}, {"sg"});
    b.node("QuantizeLinear", {"sg", "ss", "sz"}, {"sq"});
    b.node("DequantizeLinear", {"sq", "ss", "sz"}, {"sf"});
    b.node("Mul", {"af", "sf"}, {"m"});
    b.node("QuantizeLinear", {"m", "ys", "yz"}, {"y"});
    b.output("y", kUInt8);
    auto model = b.build();
    auto evaluator = graft::Evaluator::create(*model);
    QVERIFY2(evaluator, evaluator.message().c_str());
    auto fused = evaluator.value()->run({{"a", a}});
    QVERIFY2(fused, fused.message().c_str());
    // All but the chains' heads (the Sigmoid and the Mul), the shared DequantizeLinear counted once.
    QCOMPARE(evaluator.value()->lastStats().nodesFused, std::size_t(4));
    graft::EvalOptions asWritten;
    asWritten.fuse = false;
    auto plain = evaluator.value()->run({{"a", a}}, asWritten);
    QVERIFY2(plain, plain.message().c_str());
    QCOMPARE(fused.value().at("y").shape(), image);
    QVERIFY(std::memcmp(fused.value().at("y").raw(), plain.value().at("y").raw(), static_cast<std::size_t>(plain.value().at("y").bytes())) == 0);
  }

  // ConvTranspose whose group does not divide the input channels is an error naming both (it
  // computed a tensor with 6 channels from 4 inputs and 3 groups).
  void convTransposeGroupsMustDivideTheChannels() {
    Builder b(17);
    b.input("x", kFloat, {1, 4, 5, 5});
    b.initializer(randomArray({4, 2, 3, 3}, 3), "w");
    b.intAttr(b.node("ConvTranspose", {"x", "w"}, {"y"}), "group", 3);
    b.output("y", kFloat);
    auto out = graft::evaluate(*b.build(), {{"x", randomArray({1, 4, 5, 5}, 4)}});
    QVERIFY(!out);
    QVERIFY2(out.message().find("group 3 must divide the 4 input channels") != std::string::npos, out.message().c_str());
  }

  // Resize of float32 images runs plane by plane from the float data; it must give the bits of the
  // general loop, which a float64 input still takes (the same values, each output rounded to float
  // once). Nearest in each rounding mode, linear in three coordinate modes, cubic, an antialiased
  // downscale, and sizes instead of scales; NaN, infinity and -0.0 among the inputs.
  void resizeOfImagesGivesTheGeneralLoopsBits() {
    struct Case {
      const char *mode, *coord, *nearest;
      std::vector<float> scales;
      std::vector<std::int64_t> sizes;
      bool antialias;
    };
    const Case cases[] = {{"nearest", "asymmetric", "floor", {1, 1, 2, 2}, {}, false},
                          {"nearest", "half_pixel", "round_prefer_floor", {1, 1, 1.5f, 2.5f}, {}, false},
                          {"nearest", "align_corners", "round_prefer_ceil", {1, 1, 0.6f, 3}, {}, false},
                          {"nearest", "half_pixel", "ceil", {}, {2, 3, 11, 4}, false},
                          {"linear", "half_pixel", "round_prefer_floor", {1, 1, 2, 2}, {}, false},
                          {"linear", "align_corners", "round_prefer_floor", {1, 1, 1.7f, 0.8f}, {}, false},
                          {"linear", "pytorch_half_pixel", "round_prefer_floor", {}, {2, 3, 1, 13}, false},
                          {"cubic", "half_pixel", "round_prefer_floor", {1, 1, 2, 1.25f}, {}, false},
                          {"linear", "half_pixel", "round_prefer_floor", {1, 1, 0.5f, 0.45f}, {}, true}};
    const std::vector<std::int64_t> shape{2, 3, 7, 9};
    graft::Array x = randomArray(shape, 5);
    x.data<float>()[3] = std::numeric_limits<float>::quiet_NaN();
    x.data<float>()[70] = std::numeric_limits<float>::infinity();
    x.data<float>()[100] = -0.0f;
    graft::Array xd(onnx::TensorProto_DataType_DOUBLE, shape);
    for (std::int64_t i = 0; i < x.size(); ++i) xd.data<double>()[i] = x.data<float>()[i];
    for (const Case& k : cases) {
      graft::Array outs[2];
      for (int t = 0; t < 2; ++t) {
        Builder b(18);
        const std::int32_t type = t == 0 ? kFloat : onnx::TensorProto_DataType_DOUBLE;
        b.input("x", type, shape);
        if (k.sizes.empty()) {
          b.initializer(tensor<float>(kFloat, {4}, k.scales), "scales");
        } else {
          b.initializer(tensor<std::int64_t>(onnx::TensorProto_DataType_INT64, {4}, k.sizes), "sizes");
        }
        auto* n = b.node("Resize", {"x", "", k.sizes.empty() ? "scales" : "", k.sizes.empty() ? "" : "sizes"}, {"y"});
        b.stringAttr(n, "mode", k.mode);
        b.stringAttr(n, "coordinate_transformation_mode", k.coord);
        b.stringAttr(n, "nearest_mode", k.nearest);
        if (k.antialias) b.intAttr(n, "antialias", 1);
        b.output("y", type);
        auto out = graft::evaluate(*b.build(), {{"x", t == 0 ? x : xd}});
        QVERIFY2(out, out.message().c_str());
        outs[t] = out.value().at("y");
      }
      QCOMPARE(outs[0].shape(), outs[1].shape());
      QVERIFY(outs[0].size() > 0);
      for (std::int64_t i = 0; i < outs[0].size(); ++i) {
        const float want = static_cast<float>(outs[1].data<double>()[i]), got = outs[0].data<float>()[i];
        if (std::bit_cast<std::uint32_t>(want) != std::bit_cast<std::uint32_t>(got))
          QFAIL(qPrintable(QString("%1 %2: element %3: %4, general loop %5").arg(k.mode, k.coord).arg(i).arg(got, 0, 'g', 9).arg(want, 0, 'g', 9)));
      }
    }
  }

  // Fused QDQ chains pass activations among themselves channels-last (the layout the int8 kernels
  // compute in). Two convolutions (an int32 bias and a float one), a residual Add with a Relu and
  // a last convolution: the output is the same, byte for byte, as when every intermediate is
  // asked for (which keeps them all in NCHW order, as written), and those intermediates come back
  // in NCHW order. An Add that cannot fuse (a broadcast input) restores its channels-last input
  // and runs as written. The unfused run stays within a step.
  void fusedQdqChainsPassChannelsLastBytes() {
    const std::int64_t C = 24, M = 32, H = 14, W = 11;
    auto weights = [&](std::int64_t out, std::int64_t in, std::int64_t k, std::uint32_t seed) {
      return randomBytes<std::int8_t>(kInt8, {out, in, k, k}, seed);
    };
    auto perChannel = [&](std::int64_t n, float base) {
      graft::Array a(kFloat, {n});
      for (std::int64_t m = 0; m < n; ++m) a.data<float>()[m] = base * static_cast<float>(m % 7 + 1);
      return a;
    };
    const float xs = 0.02f, s1 = 0.05f, s2 = 0.07f, s3 = 0.09f, ys = 0.3f;
    graft::Array ws1 = perChannel(M, 0.0004f), ws2 = perChannel(M, 0.0003f), ws3 = perChannel(M, 0.0005f);
    auto intBias = [&](const graft::Array& ws, float inScale, std::uint32_t seed, graft::Array& bq, graft::Array& bs) {
      bq = graft::Array(onnx::TensorProto_DataType_INT32, {M});
      bs = graft::Array(kFloat, {M});
      for (std::int64_t m = 0; m < M; ++m) {
        bq.data<std::int32_t>()[m] = static_cast<std::int32_t>((m * 7919 + seed) % 4001) - 2000;
        bs.data<float>()[m] = inScale * ws.data<float>()[m];
      }
    };
    graft::Array b1q, b1s, b3q, b3s, b2f = perChannel(M, 0.01f);
    intBias(ws1, xs, 1, b1q, b1s);
    intBias(ws3, s3, 2, b3q, b3s);
    // seMul: a Mul by one byte per channel (squeeze-and-excitation) instead of the residual Add: it
    // runs fused (a row of the pair table per channel) on the channels-last bytes.
    auto build = [&](bool broadcastAdd, std::int64_t N, bool seMul) {
      Builder b;
      b.input("x", kUInt8, {N, C, H, W});
      if (broadcastAdd || seMul) b.input("bb", kUInt8, {1, M, 1, 1});
      auto scalar = [&](float v, const char* name) { b.initializer(tensor<float>(kFloat, {}, {v}), name); };
      scalar(xs, "xs");
      b.initializer(tensor<std::uint8_t>(kUInt8, {}, {117}), "xz");
      for (auto [v, name] : {std::pair{s1, "s1"}, {s2, "s2"}, {s3, "s3"}, {ys, "ys"}}) scalar(v, name);
      b.initializer(tensor<std::uint8_t>(kUInt8, {}, {0}), "z0");
      b.initializer(tensor<std::uint8_t>(kUInt8, {}, {128}), "z128");
      b.initializer(weights(M, C, 3, 31), "w1");
      b.initializer(weights(M, M, 3, 32), "w2");
      b.initializer(weights(M, M, 1, 33), "w3");
      b.initializer(ws1, "ws1");
      b.initializer(ws2, "ws2");
      b.initializer(ws3, "ws3");
      b.initializer(b1q, "b1q");
      b.initializer(b1s, "b1s");
      b.initializer(b3q, "b3q");
      b.initializer(b3s, "b3s");
      b.initializer(b2f, "b2f");
      auto dqAxis0 = [&](const char* q, const char* s, const char* out) { b.intAttr(b.node("DequantizeLinear", {q, s}, {out}), "axis", 0); };
      dqAxis0("w1", "ws1", "w1f");
      dqAxis0("w2", "ws2", "w2f");
      dqAxis0("w3", "ws3", "w3f");
      dqAxis0("b1q", "b1s", "b1f");
      dqAxis0("b3q", "b3s", "b3f");
      b.node("DequantizeLinear", {"x", "xs", "xz"}, {"xf"});
      b.ints(b.node("Conv", {"xf", "w1f", "b1f"}, {"c1"}), "pads", {1, 1, 1, 1});
      b.node("Relu", {"c1"}, {"r1"});
      b.node("QuantizeLinear", {"r1", "s1", "z0"}, {"y1"});
      b.node("DequantizeLinear", {"y1", "s1", "z0"}, {"y1a"});  // read by the next Conv
      b.node("DequantizeLinear", {"y1", "s1", "z0"}, {"y1b"});  // and by the residual Add
      b.ints(b.node("Conv", {"y1a", "w2f", "b2f"}, {"c2"}), "pads", {1, 1, 1, 1});
      b.node("QuantizeLinear", {"c2", "s2", "z128"}, {"y2"});
      b.node("DequantizeLinear", {"y2", "s2", "z128"}, {"y2f"});
      if (broadcastAdd || seMul) {
        b.node("DequantizeLinear", {"bb", "s1", "z0"}, {"bbf"});
        b.node(seMul ? "Mul" : "Add", {"y2f", "bbf"}, {"sum"});
      } else {
        b.node("Add", {"y2f", "y1b"}, {"sum"});
      }
      b.node("Relu", {"sum"}, {"r3"});
      // A zero point the pointwise Conv after takes off through its bias (see onednnInt8ConvChannelsLast).
      b.node("QuantizeLinear", {"r3", "s3", "z128"}, {"y3"});
      b.node("DequantizeLinear", {"y3", "s3", "z128"}, {"y3f"});
      b.node("Conv", {"y3f", "w3f", "b3f"}, {"c4"});
      b.node("QuantizeLinear", {"c4", "ys", "z128"}, {"y"});
      b.output("y", kUInt8);
      return b.build();
    };
    // One image (threads split its rows) and three (each thread takes whole images).
    for (auto [broadcastAdd, N, seMul] : {std::tuple<bool, std::int64_t, bool>{false, 1, false}, {true, 1, false}, {false, 3, false},
                                          {false, 1, true}, {false, 3, true}}) {
      graft::Array X = randomBytes<std::uint8_t>(kUInt8, {N, C, H, W}, 41), BB = randomBytes<std::uint8_t>(kUInt8, {1, M, 1, 1}, 42);
      auto model = build(broadcastAdd, N, seMul);
      auto evaluator = graft::Evaluator::create(*model);
      QVERIFY2(evaluator, evaluator.message().c_str());
      graft::NamedArrays feeds{{"x", X}};
      if (broadcastAdd || seMul) feeds["bb"] = BB;
      auto fused = evaluator.value()->run(feeds);
      QVERIFY2(fused, fused.message().c_str());
      // Three Conv chains fuse (DQ x, DQ w, DQ b, [Relu], Q each); the Add only without broadcast,
      // the Mul with it.
      QCOMPARE(evaluator.value()->lastStats().nodesFused, std::size_t(broadcastAdd ? 12 : 16));
      graft::EvalOptions asked;
      asked.extraOutputs = {"y1", "y2", "y3"};
      auto kept = evaluator.value()->run(feeds, asked);
      QVERIFY2(kept, kept.message().c_str());
      const graft::Array &f = fused.value().at("y"), &k = kept.value().at("y");
      QCOMPARE(f.shape(), (std::vector<std::int64_t>{N, M, H, W}));
      QCOMPARE(k.shape(), f.shape());
      QVERIFY2(std::memcmp(f.raw(), k.raw(), f.bytes()) == 0, "channels-last chains and NCHW chains differ");
      for (const char* name : {"y1", "y2", "y3"}) QCOMPARE(kept.value().at(name).shape(), (std::vector<std::int64_t>{N, M, H, W}));
      graft::EvalOptions unfusedOptions;
      unfusedOptions.fuse = false;
      auto unfused = evaluator.value()->run(feeds, unfusedOptions);
      QVERIFY2(unfused, unfused.message().c_str());
      const graft::Array& u = unfused.value().at("y");
      int apart = 0, differ = 0;
      for (std::int64_t i = 0; i < f.size(); ++i) {
        const int a = f.data<std::uint8_t>()[i], b = u.data<std::uint8_t>()[i];
        apart = std::max(apart, std::abs(a - b));
        differ += a != b;
      }
      // Four requantizations, each within a step of the float chain: rounding differences
      // propagate, but stay a few steps and a small share.
      QVERIFY2(apart <= 3 && differ * 20 <= f.size(), qPrintable(QString("fused and unfused: %1 of %2 differ, by up to %3").arg(differ).arg(f.size()).arg(apart)));
    }
  }

  // A ResNet stem as the quantizer writes it, DequantizeLinear -> Conv -> Relu -> MaxPool ->
  // QuantizeLinear, runs as one chain that pools the bytes (quantizing is monotone): the bytes
  // equal those of the same stem with a QuantizeLinear/DequantizeLinear pair of that scale before
  // the MaxPool, whose Conv chain fuses and whose MaxPool runs in float as written.
  void qdqConvChainsPoolTheirBytes() {
    const std::int64_t C = 3, M = 16, H = 37, W = 29;
    graft::Array X = randomBytes<std::uint8_t>(kUInt8, {1, C, H, W}, 81), Wq = randomBytes<std::int8_t>(kInt8, {M, C, 7, 7}, 82);
    graft::Array ws(kFloat, {M}), bias(kFloat, {M});
    for (std::int64_t m = 0; m < M; ++m) {
      ws.data<float>()[m] = 0.002f * static_cast<float>(m % 4 + 1);
      bias.data<float>()[m] = 0.05f * static_cast<float>(m % 3) - 0.05f;
    }
    auto build = [&](bool qdqBeforePool) {
      Builder b;
      b.input("x", kUInt8, {1, C, H, W});
      b.initializer(tensor<float>(kFloat, {}, {0.03f}), "xs");
      b.initializer(tensor<std::uint8_t>(kUInt8, {}, {124}), "xz");
      b.initializer(tensor<float>(kFloat, {}, {0.02f}), "ys");
      b.initializer(tensor<std::uint8_t>(kUInt8, {}, {0}), "yz");
      b.initializer(Wq, "w");
      b.initializer(ws, "ws");
      b.initializer(bias, "bias");
      b.node("DequantizeLinear", {"x", "xs", "xz"}, {"xf"});
      b.intAttr(b.node("DequantizeLinear", {"w", "ws"}, {"wf"}), "axis", 0);
      auto* conv = b.node("Conv", {"xf", "wf", "bias"}, {"c"});
      b.ints(conv, "pads", {3, 3, 3, 3});
      b.ints(conv, "strides", {2, 2});
      b.node("Relu", {"c"}, {"r"});
      std::string poolIn = "r";
      if (qdqBeforePool) {
        b.node("QuantizeLinear", {"r", "ys", "yz"}, {"rq"});
        b.node("DequantizeLinear", {"rq", "ys", "yz"}, {"rf"});
        poolIn = "rf";
      }
      auto* pool = b.node("MaxPool", {poolIn}, {"p"});
      b.ints(pool, "kernel_shape", {3, 3});
      b.ints(pool, "strides", {2, 2});
      b.ints(pool, "pads", {1, 1, 1, 1});
      b.node("QuantizeLinear", {"p", "ys", "yz"}, {"y"});
      b.output("y", kUInt8);
      return b.build();
    };
    graft::NamedArrays feeds{{"x", X}};
    auto pooled = build(false), reference = build(true);
    auto evaluator = graft::Evaluator::create(*pooled);
    QVERIFY2(evaluator, evaluator.message().c_str());
    auto f = evaluator.value()->run(feeds);
    QVERIFY2(f, f.message().c_str());
    const bool library = evaluator.value()->lastStats().nodesFused == 5;  // DQ x, DQ w, Relu, MaxPool, Q
    if (!library) qInfo("no exact int8 convolution on this CPU: the stem ran as written");
    auto r = graft::evaluate(*reference, feeds);
    QVERIFY2(r, r.message().c_str());
    const graft::Array &got = f.value().at("y"), &want = r.value().at("y");
    QCOMPARE(got.shape(), (std::vector<std::int64_t>{1, M, 10, 8}));
    QCOMPARE(got.shape(), want.shape());
    if (library) QVERIFY2(std::memcmp(got.raw(), want.raw(), got.bytes()) == 0, "pooled bytes differ");
    graft::EvalOptions asWritten;
    asWritten.fuse = false;
    auto u = evaluator.value()->run(feeds, asWritten);
    QVERIFY2(u, u.message().c_str());
    int apart = 0;
    for (std::int64_t i = 0; i < got.size(); ++i)
      apart = std::max(apart, std::abs(got.data<std::uint8_t>()[i] - u.value().at("y").data<std::uint8_t>()[i]));
    QVERIFY2(apart <= 1, qPrintable(QString("fused and as written differ by %1 steps").arg(apart)));
  }

  // Depthwise QDQ convolutions (MobileNet's) run on the library's grouped int8 kernels,
  // channels-last: with int32 biases the bytes equal QLinearConv's (the run that asks for the
  // intermediate keeps the chains in NCHW order on the exact integer kernels), including inputs
  // of 255 against weights of -128 and 127, where 16-bit pair sums would saturate.
  void depthwiseQdqChainsGiveQLinearConvBytes() {
    const std::int64_t C = 48, H = 17, W = 15;
    for (std::int64_t stride : {1, 2}) {
      graft::Array wd = randomBytes<std::int8_t>(kInt8, {C, 1, 3, 3}, 51), wp = randomBytes<std::int8_t>(kInt8, {C, C, 1, 1}, 52);
      for (int t = 0; t < 9; ++t) {
        wd.data<std::int8_t>()[t] = -128;
        wd.data<std::int8_t>()[9 + t] = 127;
      }
      graft::Array wsd(kFloat, {C}), wsp(kFloat, {C}), bd(onnx::TensorProto_DataType_INT32, {C}), bp(onnx::TensorProto_DataType_INT32, {C}),
          bsd(kFloat, {C}), bsp(kFloat, {C});
      const float xs = 0.02f, s1 = 0.04f, ys = 0.05f;
      for (std::int64_t m = 0; m < C; ++m) {
        wsd.data<float>()[m] = 0.002f * static_cast<float>(m % 5 + 1);
        wsp.data<float>()[m] = 0.001f * static_cast<float>(m % 3 + 1);
        bsd.data<float>()[m] = xs * wsd.data<float>()[m];
        bsp.data<float>()[m] = s1 * wsp.data<float>()[m];
        bd.data<std::int32_t>()[m] = static_cast<std::int32_t>((m * 131) % 2001) - 1000;
        bp.data<std::int32_t>()[m] = static_cast<std::int32_t>((m * 71) % 3001) - 1500;
      }
      Builder b;
      b.input("x", kUInt8, {1, C, H, W});
      b.initializer(tensor<float>(kFloat, {}, {xs}), "xs");
      b.initializer(tensor<std::uint8_t>(kUInt8, {}, {0}), "z0");
      b.initializer(tensor<float>(kFloat, {}, {s1}), "s1");
      b.initializer(tensor<float>(kFloat, {}, {ys}), "ys");
      b.initializer(tensor<std::uint8_t>(kUInt8, {}, {100}), "yz");
      for (auto& [a, name] : std::vector<std::pair<graft::Array*, const char*>>{
               {&wd, "wd"}, {&wp, "wp"}, {&wsd, "wsd"}, {&wsp, "wsp"}, {&bd, "bd"}, {&bp, "bp"}, {&bsd, "bsd"}, {&bsp, "bsp"}})
        b.initializer(*a, name);
      for (auto [q, sc, out] : {std::tuple{"wd", "wsd", "wdf"}, {"wp", "wsp", "wpf"}, {"bd", "bsd", "bdf"}, {"bp", "bsp", "bpf"}})
        b.intAttr(b.node("DequantizeLinear", {q, sc}, {out}), "axis", 0);
      b.node("DequantizeLinear", {"x", "xs", "z0"}, {"xf"});
      auto* dw = b.node("Conv", {"xf", "wdf", "bdf"}, {"c1"});
      b.intAttr(dw, "group", C);
      b.ints(dw, "pads", {1, 1, 1, 1});
      b.ints(dw, "strides", {stride, stride});
      b.node("Relu", {"c1"}, {"r1"});
      b.node("QuantizeLinear", {"r1", "s1", "z0"}, {"y1"});
      b.node("DequantizeLinear", {"y1", "s1", "z0"}, {"y1f"});
      b.node("Conv", {"y1f", "wpf", "bpf"}, {"c2"});
      b.node("QuantizeLinear", {"c2", "ys", "yz"}, {"y"});
      b.output("y", kUInt8);
      auto model = b.build();
      auto evaluator = graft::Evaluator::create(*model);
      QVERIFY2(evaluator, evaluator.message().c_str());
      graft::Array X = randomBytes<std::uint8_t>(kUInt8, {1, C, H, W}, 53);
      for (std::int64_t i = 0; i < 2 * H * W; ++i) X.data<std::uint8_t>()[i] = 255;  // channels 0 and 1
      graft::NamedArrays feeds{{"x", X}};
      auto fused = evaluator.value()->run(feeds);
      QVERIFY2(fused, fused.message().c_str());
      QCOMPARE(evaluator.value()->lastStats().nodesFused, std::size_t(9));
      graft::EvalOptions asked;
      asked.extraOutputs = {"y1"};
      auto kept = evaluator.value()->run(feeds, asked);
      QVERIFY2(kept, kept.message().c_str());
      const graft::Array &f = fused.value().at("y"), &k = kept.value().at("y");
      QCOMPARE(f.shape(), k.shape());
      for (std::int64_t i = 0; i < f.size(); ++i)
        if (f.data<std::uint8_t>()[i] != k.data<std::uint8_t>()[i])
          QFAIL(qPrintable(QString("stride %1, element %2: %3, QLinearConv chain %4").arg(stride).arg(i).arg(f.data<std::uint8_t>()[i]).arg(k.data<std::uint8_t>()[i])));
    }
  }

  // A static QDQ Linear layer (DequantizeLinear of the activations, MatMul by DequantizeLinear of
  // int8 weights with a scale per column, Add of a bias row) runs on the library's int8 product:
  // the output is float(sum of (a - a_zero) * w) * (a_scale * w_scale) + bias with the exact
  // integer sum, rows of 255 against a column of -128 included, and the run as written (float
  // products of the dequantized values) agrees to float rounding. The float weights are never made.
  void qdqMatMulsRunOnExactIntegerProducts() {
    for (auto [B, M, K, N, signedA] : {std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, bool>{2, 5, 200, 96, false},
                                         {2, 5, 200, 96, true}, {1, 128, 256, 320, false}}) {
      const int aType = signedA ? kInt8 : kUInt8;
      graft::Array A = signedA ? randomBytes<std::int8_t>(kInt8, {B, M, K}, 61) : randomBytes<std::uint8_t>(kUInt8, {B, M, K}, 61);
      graft::Array Wq = randomBytes<std::int8_t>(kInt8, {K, N}, 62);
      for (std::int64_t k = 0; k < K; ++k) {
        Wq.data<std::int8_t>()[k * N] = -128;
        if (signedA)
          A.data<std::int8_t>()[k] = -128;
        else
          A.data<std::uint8_t>()[k] = 255;
      }
      graft::Array ws(kFloat, {N}), bias(kFloat, {N});
      for (std::int64_t n = 0; n < N; ++n) {
        ws.data<float>()[n] = 0.001f * static_cast<float>(n % 7 + 1);
        bias.data<float>()[n] = 0.25f * static_cast<float>(n % 5) - 0.5f;
      }
      const float sa = 0.037f;
      const int za = signedA ? -3 : 7;
      Builder b;
      b.input("a", aType, {B, M, K});
      b.initializer(tensor<float>(kFloat, {}, {sa}), "sa");
      if (signedA)
        b.initializer(tensor<std::int8_t>(kInt8, {}, {static_cast<std::int8_t>(za)}), "za");
      else
        b.initializer(tensor<std::uint8_t>(kUInt8, {}, {static_cast<std::uint8_t>(za)}), "za");
      b.initializer(Wq, "w");
      b.initializer(ws, "ws");
      b.initializer(bias, "bias");
      b.node("DequantizeLinear", {"a", "sa", "za"}, {"af"});
      b.intAttr(b.node("DequantizeLinear", {"w", "ws"}, {"wf"}), "axis", 1);
      b.node("MatMul", {"af", "wf"}, {"p"});
      b.node("Add", {"p", "bias"}, {"y"});
      b.output("y");
      auto model = b.build();
      auto evaluator = graft::Evaluator::create(*model);
      QVERIFY2(evaluator, evaluator.message().c_str());
      graft::NamedArrays feeds{{"a", A}};
      auto fused = evaluator.value()->run(feeds);
      QVERIFY2(fused, fused.message().c_str());
      const bool library = evaluator.value()->lastStats().nodesFused == 3;  // DQ a, DQ w, the Add
      if (!library) qInfo("no exact int8 product on this CPU (no VNNI/AMX): the nodes ran as written");
      graft::EvalOptions asWritten;
      asWritten.fuse = false;
      auto plain = evaluator.value()->run(feeds, asWritten);
      QVERIFY2(plain, plain.message().c_str());
      const graft::Array &f = fused.value().at("y"), &u = plain.value().at("y");
      QCOMPARE(f.shape(), (std::vector<std::int64_t>{B, M, N}));
      double worst = 0;
      for (std::int64_t r = 0; r < B * M; ++r)
        for (std::int64_t n = 0; n < N; ++n) {
          std::int64_t acc = 0;
          for (std::int64_t k = 0; k < K; ++k) {
            const std::int64_t av = signedA ? A.data<std::int8_t>()[r * K + k] : A.data<std::uint8_t>()[r * K + k];
            acc += (av - za) * Wq.data<std::int8_t>()[k * N + n];
          }
          const float want = static_cast<float>(acc) * (sa * ws.data<float>()[n]) + bias.data<float>()[n];
          const float got = f.data<float>()[r * N + n];
          if (library && got != want) QFAIL(qPrintable(QString("row %1, column %2: %3, want %4").arg(r).arg(n).arg(got, 0, 'g', 9).arg(want, 0, 'g', 9)));
          worst = std::max(worst, std::abs(static_cast<double>(got) - u.data<float>()[r * N + n]) / (1 + std::abs(static_cast<double>(want))));
        }
      QVERIFY2(worst < 1e-4, qPrintable(QString("fused and as written differ by %1").arg(worst)));  // float sums over K = 200
    }
  }

  // DynamicQuantizeMatMul (what dynamic quantization writes for ONNX Runtime's CPU provider) and
  // MatMulInteger by a constant int8 B run on the library's int8 product: A's run-time zero point
  // is taken off through B's column sums. Element for element the spec's values: A quantized in
  // float32, the integer sums exact, y = float(sum) * (a_scale * b_scale[n]) + bias[n]; a uint8 B
  // with zero points takes the integer GEMM and gives the same.
  void dynamicQuantizeMatMulGivesTheSpecsValues() {
    const std::int64_t M = 37, K = 96, N = 80;
    graft::Array A(kFloat, {M, K});
    std::uint32_t state = 7;
    for (std::int64_t i = 0; i < A.size(); ++i) {
      state = state * 1664525u + 1013904223u;
      A.data<float>()[i] = (static_cast<float>(state >> 8) / 16777216.0f - 0.3f) * 4.0f;
    }
    graft::Array bs(kFloat, {N}), bias(kFloat, {N});
    for (std::int64_t n = 0; n < N; ++n) {
      bs.data<float>()[n] = 0.01f * static_cast<float>(n % 9 + 1);
      bias.data<float>()[n] = 0.125f * static_cast<float>(n % 4);
    }
    for (bool unsignedB : {false, true}) {
      graft::Array Bq = unsignedB ? randomBytes<std::uint8_t>(kUInt8, {K, N}, 71) : randomBytes<std::int8_t>(kInt8, {K, N}, 71);
      graft::Array bz = unsignedB ? graft::Array(kUInt8, {N}) : graft::Array(kInt8, {N});
      for (std::int64_t n = 0; unsignedB && n < N; ++n) bz.data<std::uint8_t>()[n] = static_cast<std::uint8_t>(100 + n % 50);
      Builder b;
      auto* ms = b.m.add_opset_import();
      ms->set_domain("com.microsoft");
      ms->set_version(1);
      b.input("a", kFloat, {M, K});
      b.initializer(Bq, "b");
      b.initializer(bs, "bs");
      b.initializer(bz, "bz");
      b.initializer(bias, "bias");
      b.node("DynamicQuantizeMatMul", {"a", "b", "bs", "bz", "bias"}, {"y"})->set_domain("com.microsoft");
      b.output("y");
      auto out = graft::evaluate(*b.build(), {{"a", A}});
      QVERIFY2(out, out.message().c_str());
      const graft::Array& y = out.value().at("y");
      float lo = 0, hi = 0;
      for (std::int64_t i = 0; i < A.size(); ++i) {
        lo = std::min(lo, A.data<float>()[i]);
        hi = std::max(hi, A.data<float>()[i]);
      }
      const float scale = (hi - lo) / 255.0f, zp = std::clamp(std::nearbyint(-lo / scale), 0.0f, 255.0f);
      for (std::int64_t m = 0; m < M; ++m)
        for (std::int64_t n = 0; n < N; ++n) {
          std::int64_t acc = 0;
          for (std::int64_t k = 0; k < K; ++k) {
            const std::int64_t q = static_cast<std::int64_t>(std::clamp(std::nearbyint(A.data<float>()[m * K + k] / scale) + zp, 0.0f, 255.0f)) -
                                   static_cast<std::int64_t>(zp);
            const std::int64_t w = unsignedB ? static_cast<std::int64_t>(Bq.data<std::uint8_t>()[k * N + n]) - bz.data<std::uint8_t>()[n]
                                             : Bq.data<std::int8_t>()[k * N + n];
            acc += q * w;
          }
          const float want = static_cast<float>(acc) * (scale * bs.data<float>()[n]) + bias.data<float>()[n];
          if (y.data<float>()[m * N + n] != want)
            QFAIL(qPrintable(QString("B %1, row %2, column %3: %4, want %5").arg(unsignedB ? "uint8" : "int8").arg(m).arg(n)
                                 .arg(y.data<float>()[m * N + n], 0, 'g', 9).arg(want, 0, 'g', 9)));
        }
    }
    // K = 0: the sums are empty, so each row is the bias (this divided by K once, and the process
    // died of SIGFPE).
    {
      Builder b;
      auto* ms = b.m.add_opset_import();
      ms->set_domain("com.microsoft");
      ms->set_version(1);
      b.input("a", kFloat, {2, 0});
      b.initializer(graft::Array(kInt8, {0, N}), "b");
      b.initializer(bs, "bs");
      b.initializer(bias, "bias");
      b.node("DynamicQuantizeMatMul", {"a", "b", "bs", "", "bias"}, {"y"})->set_domain("com.microsoft");
      b.output("y");
      auto out = graft::evaluate(*b.build(), {{"a", graft::Array(kFloat, {2, 0})}});
      QVERIFY2(out, out.message().c_str());
      const graft::Array& y = out.value().at("y");
      QCOMPARE(y.shape(), (std::vector<std::int64_t>{2, N}));
      for (std::int64_t i = 0; i < y.size(); ++i) QCOMPARE(y.data<float>()[i], bias.data<float>()[i % N]);
    }
    // QLinearMatMul by a constant int8 B (the library's product) gives the bytes it gives with B
    // fed at run time (the integer GEMM).
    {
      graft::Array Aq = randomBytes<std::uint8_t>(kUInt8, {M, K}, 74), Bq = randomBytes<std::int8_t>(kInt8, {K, N}, 75);
      graft::NamedArrays results[2];
      for (bool constantB : {true, false}) {
        Builder b;
        b.input("a", kUInt8, {M, K});
        if (constantB)
          b.initializer(Bq, "b");
        else
          b.input("b", kInt8, {K, N});
        b.initializer(tensor<float>(kFloat, {}, {0.02f}), "as");
        b.initializer(tensor<std::uint8_t>(kUInt8, {}, {90}), "az");
        b.initializer(bs, "bs");
        b.initializer(graft::Array(kInt8, {N}), "bz");
        b.initializer(tensor<float>(kFloat, {}, {0.7f}), "ys");
        b.initializer(tensor<std::uint8_t>(kUInt8, {}, {120}), "yz");
        b.node("QLinearMatMul", {"a", "as", "az", "b", "bs", "bz", "ys", "yz"}, {"y"});
        b.output("y", kUInt8);
        graft::NamedArrays feeds{{"a", Aq}};
        if (!constantB) feeds["b"] = Bq;
        auto out = graft::evaluate(*b.build(), feeds);
        QVERIFY2(out, out.message().c_str());
        results[constantB ? 0 : 1] = out.value();
      }
      const graft::Array &c = results[0].at("y"), &f = results[1].at("y");
      QCOMPARE(c.shape(), f.shape());
      QVERIFY2(std::memcmp(c.raw(), f.raw(), c.bytes()) == 0, "QLinearMatMul differs with a constant B");
    }
    // MatMulInteger by a constant int8 B with a uint8 A and its zero point: the exact sums.
    Builder b;
    graft::Array Aq = randomBytes<std::uint8_t>(kUInt8, {3, M, K}, 72), Bq = randomBytes<std::int8_t>(kInt8, {K, N}, 73);
    b.input("a", kUInt8, {3, M, K});
    b.initializer(Bq, "b");
    b.initializer(tensor<std::uint8_t>(kUInt8, {}, {201}), "az");
    b.node("MatMulInteger", {"a", "b", "az"}, {"y"});
    b.output("y", onnx::TensorProto_DataType_INT32);
    auto out = graft::evaluate(*b.build(), {{"a", Aq}});
    QVERIFY2(out, out.message().c_str());
    const graft::Array& y = out.value().at("y");
    QCOMPARE(y.shape(), (std::vector<std::int64_t>{3, M, N}));
    for (std::int64_t r = 0; r < 3 * M; ++r)
      for (std::int64_t n = 0; n < N; ++n) {
        std::int64_t acc = 0;
        for (std::int64_t k = 0; k < K; ++k) acc += (static_cast<std::int64_t>(Aq.data<std::uint8_t>()[r * K + k]) - 201) * Bq.data<std::int8_t>()[k * N + n];
        QCOMPARE(static_cast<std::int64_t>(y.data<std::int32_t>()[r * N + n]), acc);
      }
  }

  // The fused residual Add divides by y_scale with a multiplication and one correction step where
  // that was checked to give the same bytes; over every pair of input bytes, for scales of many
  // sizes, with and without a Relu, the bytes are those of the nodes run as written.
  void qdqResidualAddsGiveTheWrittenBytesForEveryInputPair() {
    graft::Array A(kUInt8, {1, 1, 256, 256}), B(kUInt8, {1, 1, 256, 256});
    for (int i = 0; i < 65536; ++i) {
      A.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(i >> 8);
      B.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(i & 255);
    }
    std::uint32_t state = 12345;
    auto next = [&] {
      state = state * 1664525u + 1013904223u;
      return static_cast<float>(state >> 8) / 16777216.0f;
    };
    for (int set = 0; set < 24; ++set) {
      const bool relu = set % 2 == 1;
      const float sa = std::ldexp(0.5f + next(), -static_cast<int>(next() * 12)), sb = std::ldexp(0.5f + next(), -static_cast<int>(next() * 12)),
                  sy = std::ldexp(0.5f + next(), -static_cast<int>(next() * 12));
      const auto za = static_cast<std::uint8_t>(next() * 255), zb = static_cast<std::uint8_t>(next() * 255), zy = static_cast<std::uint8_t>(next() * 255);
      graft::Array f, p;
      runQdqAdd(A, B, sa, za, sb, zb, sy, zy, relu, f, p);
      if (QTest::currentTestFailed()) return;
      for (int i = 0; i < 65536; ++i)
        if (f.data<std::uint8_t>()[i] != p.data<std::uint8_t>()[i])
          QFAIL(qPrintable(QString("set %1, a %2, b %3: fused %4, as written %5").arg(set).arg(i >> 8).arg(i & 255)
                               .arg(f.data<std::uint8_t>()[i]).arg(p.data<std::uint8_t>()[i])));
    }
  }

  void convIntegerPadsWithTheZeroPoint() {
    Builder b;
    b.input("x", kUInt8, {1, 3, 7, 6});
    b.input("w", kInt8, {4, 3, 3, 3});
    b.input("xz", kUInt8, {});
    b.input("wz", kInt8, {4});
    auto* n = b.node("ConvInteger", {"x", "w", "xz", "wz"}, {"y"});
    b.ints(n, "pads", {1, 1, 1, 1});
    b.ints(n, "strides", {2, 1});
    b.output("y", kInt32);
    graft::Array X = randomBytes<std::uint8_t>(kUInt8, {1, 3, 7, 6}, 3), W = randomBytes<std::int8_t>(kInt8, {4, 3, 3, 3}, 4);
    graft::Array xz = tensor<std::uint8_t>(kUInt8, {}, {131}), wz = tensor<std::int8_t>(kInt8, {4}, {0, -3, 100, -128});
    auto out = run(b, {{"x", X}, {"w", W}, {"xz", xz}, {"wz", wz}});
    const graft::Array& y = out.at("y");
    QCOMPARE(y.shape(), (std::vector<std::int64_t>{1, 4, 4, 6}));
    for (int m = 0; m < 4; ++m)
      for (int oy = 0; oy < 4; ++oy)
        for (int ox = 0; ox < 6; ++ox) {
          std::int64_t want = 0;
          for (int c = 0; c < 3; ++c)
            for (int i = 0; i < 3; ++i)
              for (int j = 0; j < 3; ++j) {
                int iy = oy * 2 - 1 + i, ix = ox - 1 + j;
                if (iy < 0 || iy >= 7 || ix < 0 || ix >= 6) continue;
                want += (std::int64_t(X.data<std::uint8_t>()[(c * 7 + iy) * 6 + ix]) - 131) *
                        (std::int64_t(W.data<std::int8_t>()[((m * 3 + c) * 3 + i) * 3 + j]) - wz.data<std::int8_t>()[m]);
              }
          QCOMPARE(std::int64_t(y.data<std::int32_t>()[(m * 4 + oy) * 6 + ox]), want);
        }
  }

  // QLinearMatMul: x.5 results round to the even neighbour, results past the type's range
  // saturate (uint8 and int8 outputs); then a random case against ONNX Runtime's formula.
  void qlinearMatMulRoundsHalfToEvenAndSaturates() {
    auto qmm = [](const graft::Array& a, float as, const graft::Array& bm, float bs, float ys, const graft::Array& yz) {
      Builder b;
      b.input("a", a.dtype(), a.shape());
      b.input("b", bm.dtype(), bm.shape());
      b.initializer(tensor<float>(kFloat, {}, {as}), "as");
      b.initializer(tensor<std::int8_t>(kInt8, {}, {0}), "az");
      b.initializer(tensor<float>(kFloat, {}, {bs}), "bs");
      b.initializer(tensor<std::int8_t>(kInt8, {}, {0}), "bz");
      b.initializer(tensor<float>(kFloat, {}, {ys}), "ys");
      b.initializer(yz, "yz");
      b.node("QLinearMatMul", {"a", "as", "az", "b", "bs", "bz", "ys", "yz"}, {"y"});
      b.output("y", yz.dtype());
      return run(b, {{"a", a}, {"b", bm}}).at("y");
    };
    // multiplier 1 * 0.5 / 1: accumulators 1, 3, 5, -1, -3, 7 give 0.5, 1.5, 2.5, -0.5, -1.5, 3.5
    graft::Array ties = qmm(tensor<std::int8_t>(kInt8, {6, 1}, {1, 3, 5, -1, -3, 7}), 1.0f, tensor<std::int8_t>(kInt8, {1, 1}, {1}), 0.5f,
                            1.0f, tensor<std::int8_t>(kInt8, {}, {0}));
    std::vector<std::int8_t> want{0, 2, 2, 0, -2, 4};
    for (int i = 0; i < 6; ++i) QCOMPARE(int(ties.data<std::int8_t>()[i]), int(want[static_cast<std::size_t>(i)]));
    // uint8 output, zero point 10, multiplier 2: 254 + 10 -> 255, -256 + 10 -> 0, 250 + 10 -> 255
    graft::Array u = qmm(tensor<std::int8_t>(kInt8, {3, 1}, {127, -128, 125}), 1.0f, tensor<std::int8_t>(kInt8, {1, 1}, {1}), 1.0f, 0.5f,
                         tensor<std::uint8_t>(kUInt8, {}, {10}));
    QCOMPARE(int(u.data<std::uint8_t>()[0]), 255);
    QCOMPARE(int(u.data<std::uint8_t>()[1]), 0);
    QCOMPARE(int(u.data<std::uint8_t>()[2]), 255);
    // int8 output: 127 * 127 and -128 * 127 saturate to 127 and -128
    graft::Array s = qmm(tensor<std::int8_t>(kInt8, {2, 1}, {127, -128}), 1.0f, tensor<std::int8_t>(kInt8, {1, 1}, {127}), 1.0f, 1.0f,
                         tensor<std::int8_t>(kInt8, {}, {0}));
    QCOMPARE(int(s.data<std::int8_t>()[0]), 127);
    QCOMPARE(int(s.data<std::int8_t>()[1]), -128);

    // Random uint8 x int8 with zero points and non-trivial scales against the formula.
    Builder b;
    b.input("a", kUInt8, {9, 33});
    b.input("b", kInt8, {33, 17});
    b.initializer(tensor<float>(kFloat, {}, {0.0123f}), "as");
    b.initializer(tensor<std::uint8_t>(kUInt8, {}, {117}), "az");
    b.initializer(tensor<float>(kFloat, {}, {0.0071f}), "bs");
    b.initializer(tensor<std::int8_t>(kInt8, {}, {-3}), "bz");
    b.initializer(tensor<float>(kFloat, {}, {0.0517f}), "ys");
    b.initializer(tensor<std::uint8_t>(kUInt8, {}, {128}), "yz");
    b.node("QLinearMatMul", {"a", "as", "az", "b", "bs", "bz", "ys", "yz"}, {"y"});
    b.output("y", kUInt8);
    graft::Array A = randomBytes<std::uint8_t>(kUInt8, {9, 33}, 5), B = randomBytes<std::int8_t>(kInt8, {33, 17}, 6);
    const graft::Array y = run(b, {{"a", A}, {"b", B}}).at("y");
    float multiplier = 0.0123f * 0.0071f / 0.0517f;
    int saturated = 0;
    for (int m = 0; m < 9; ++m)
      for (int j = 0; j < 17; ++j) {
        std::int32_t acc = 0;
        for (int k = 0; k < 33; ++k) acc += (A.data<std::uint8_t>()[m * 33 + k] - 117) * (B.data<std::int8_t>()[k * 17 + j] + 3);
        std::int32_t want8 = ortRequantize(acc, multiplier, 128, 0, 255);
        saturated += want8 == 0 || want8 == 255;
        QCOMPARE(int(y.data<std::uint8_t>()[m * 17 + j]), int(want8));
      }
    QVERIFY(saturated < 9 * 17);  // the case is not all clamped
  }

  // QLinearConv: int32 bias added to the accumulator, a float32 multiplier per output channel,
  // ties to even and saturation as in QLinearMatMul.
  void qlinearConvAddsTheBiasAndRequantizesPerChannel() {
    Builder b;
    b.input("x", kUInt8, {1, 2, 5, 5});
    b.initializer(tensor<float>(kFloat, {}, {0.5f}), "xs");
    b.initializer(tensor<std::uint8_t>(kUInt8, {}, {3}), "xz");
    b.input("w", kInt8, {3, 2, 3, 3});
    b.initializer(tensor<float>(kFloat, {3}, {1.0f, 0.25f, 0.0393f}), "ws");
    b.initializer(tensor<std::int8_t>(kInt8, {3}, {0, 0, 0}), "wz");
    b.initializer(tensor<float>(kFloat, {}, {1.0f}), "ys");
    b.initializer(tensor<std::int8_t>(kInt8, {}, {-5}), "yz");
    b.initializer(tensor<std::int32_t>(kInt32, {3}, {1, -7, 1000}), "bias");
    auto* n = b.node("QLinearConv", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "bias"}, {"y"});
    b.ints(n, "pads", {1, 1, 1, 1});
    b.output("y", kInt8);
    graft::Array X = randomBytes<std::uint8_t>(kUInt8, {1, 2, 5, 5}, 8), W = randomBytes<std::int8_t>(kInt8, {3, 2, 3, 3}, 9);
    const graft::Array y = run(b, {{"x", X}, {"w", W}}).at("y");
    const float ws[3] = {1.0f, 0.25f, 0.0393f};
    const std::int32_t bias[3] = {1, -7, 1000};
    int ties = 0;
    for (int m = 0; m < 3; ++m)
      for (int oy = 0; oy < 5; ++oy)
        for (int ox = 0; ox < 5; ++ox) {
          std::int32_t acc = bias[m];
          for (int c = 0; c < 2; ++c)
            for (int i = 0; i < 3; ++i)
              for (int j = 0; j < 3; ++j) {
                int iy = oy - 1 + i, ix = ox - 1 + j;
                if (iy < 0 || iy >= 5 || ix < 0 || ix >= 5) continue;
                acc += (X.data<std::uint8_t>()[(c * 5 + iy) * 5 + ix] - 3) * W.data<std::int8_t>()[((m * 2 + c) * 3 + i) * 3 + j];
              }
          float mult = 0.5f * ws[m] / 1.0f;
          ties += m == 0 && (acc % 2 != 0);  // x.5 before rounding
          QCOMPARE(int(y.data<std::int8_t>()[(m * 5 + oy) * 5 + ox]), int(ortRequantize(acc, mult, -5, -128, 127)));
        }
    QVERIFY(ties > 0);  // channel 0 (multiplier 0.5) met odd accumulators: ties were exercised
  }

  // Layout ops on constants (a Transpose of an initializer) are computed by the first run and
  // kept; an initializer that is also a graph input may be overridden for one run, and then its
  // derived values are recomputed for that run only. Runs that observe or keep every value still
  // see them computed.
  void valuesDerivedFromConstantsAreKeptButFollowOverrides() {
    Builder b;
    b.input("x", kFloat, {4, 6});
    b.input("w", kFloat, {5, 6});
    graft::Array w = randomArray({5, 6}, 21), other = randomArray({5, 6}, 22), x = randomArray({4, 6}, 23);
    b.initializer(w, "w");
    auto* t = b.node("Transpose", {"w"}, {"wt"});
    b.ints(t, "perm", {1, 0});
    b.node("MatMul", {"x", "wt"}, {"y"});
    b.output("y");
    auto model = b.build();
    auto ev = graft::Evaluator::create(*model);
    QVERIFY(ev);
    auto first = ev.value()->run({{"x", x}});
    auto second = ev.value()->run({{"x", x}});
    auto overridden = ev.value()->run({{"x", x}, {"w", other}});
    auto third = ev.value()->run({{"x", x}});
    QVERIFY(first && second && overridden && third);
    QCOMPARE(relativeDifference(second.value().at("y"), first.value().at("y")), 0.0);
    QCOMPARE(relativeDifference(third.value().at("y"), first.value().at("y")), 0.0);
    QVERIFY(relativeDifference(overridden.value().at("y"), first.value().at("y")) > 1e-2);
    // y = x * other^T, computed here
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 5; ++j) {
        double want = 0;
        for (int k = 0; k < 6; ++k) want += double(x.data<float>()[i * 6 + k]) * other.data<float>()[j * 6 + k];
        QVERIFY(std::abs(overridden.value().at("y").data<float>()[i * 5 + j] - want) < 1e-5);
      }
    graft::EvalOptions all;
    all.keepAllValues = true;
    auto everything = ev.value()->run({{"x", x}}, all);
    QVERIFY(everything && everything.value().count("wt"));
    int observed = 0;
    graft::EvalOptions watch;
    watch.observe = [&](const graft::Value& v, const graft::Array&) { observed += v.name() == "wt"; };
    QVERIFY(ev.value()->run({{"x", x}}, watch));
    QCOMPARE(observed, 1);
  }

  // exp of a masked score (-inf, or anything below ln(FLT_MIN)) is exactly 0, never a denormal:
  // the probabilities then enter the next MatMul, where denormals cost microcode assists.
  void softmaxOfMaskedScoresGivesExactZeros() {
    Builder b;
    b.input("s", kFloat, {2, 4});
    b.node("Softmax", {"s"}, {"p"});
    b.output("p");
    auto model = b.build();
    float inf = std::numeric_limits<float>::infinity();
    graft::Array s(kFloat, {2, 4});
    float values[] = {0.0f, -inf, -100.0f, 1.0f, 5.0f, -95.0f, -inf, 4.0f};
    std::copy(std::begin(values), std::end(values), s.data<float>());
    auto out = graft::evaluate(*model, {{"s", s}});
    QVERIFY(out);
    const float* p = out.value().at("p").data<float>();
    for (int i : {1, 2, 5, 6}) QCOMPARE(p[i], 0.0f);
    QVERIFY(std::abs(p[0] - 1.0f / (1.0f + std::exp(1.0f))) < 1e-6);
    QVERIFY(std::abs(p[7] - 1.0f / (1.0f + std::exp(1.0f))) < 1e-6);
  }
};

QTEST_GUILESS_MAIN(TestEvalKernels)
#include "test_eval_kernels.moc"
