// The reference evaluator as a user meets it: running real models, errors that name the node,
// progress and cancel, memory freed along the way, .npy files, constant folding and verify.
#include <QProcess>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <fstream>

#include "graft/eval.h"
#include "graft/io.h"
#include "eval_testutil.h"
#include "testutil.h"

namespace fs = std::filesystem;

namespace {

// ---- small models built in memory: Builder (eval_testutil.h)

graft::Array floats(const std::vector<std::int64_t>& shape, std::vector<float> values) {
  graft::Array a(onnx::TensorProto_DataType_FLOAT, shape);
  std::copy(values.begin(), values.end(), a.data<float>());
  return a;
}

graft::Array int64s(const std::vector<std::int64_t>& shape, std::vector<std::int64_t> values) {
  graft::Array a(onnx::TensorProto_DataType_INT64, shape);
  std::copy(values.begin(), values.end(), a.data<std::int64_t>());
  return a;
}

graft::Array ramp(const std::vector<std::int64_t>& shape) {
  graft::Array a(onnx::TensorProto_DataType_FLOAT, shape);
  for (std::int64_t i = 0; i < a.size(); ++i) a.data<float>()[i] = static_cast<float>(i % 17) * 0.25f - 2.0f;
  return a;
}

// Conv (named like a PyTorch export) over a [1,3,8,8] input with a [4,3,3,3] weight.
std::unique_ptr<graft::Model> convModel() {
  Builder b;
  b.input("x", onnx::TensorProto_DataType_FLOAT, {1, 3, 8, 8});
  b.initializer(ramp({4, 3, 3, 3}), "w");
  b.initializer(floats({4}, {0.5f, -0.5f, 1.0f, 0.0f}), "b");
  auto* c = b.node("Conv", {"x", "w", "b"}, {"y"}, "/layer1/Conv");
  b.ints(c, "pads", {1, 1, 1, 1});
  b.node("Relu", {"y"}, {"z"}, "/layer1/Relu");
  b.output("z");
  return b.build();
}

// Shape -> Gather -> Unsqueeze -> Concat -> Reshape, the pattern PyTorch writes for x.view(n, -1).
std::unique_ptr<graft::Model> shapeChainModel() {
  Builder b;
  b.input("x", onnx::TensorProto_DataType_FLOAT, {2, 3, 4});
  b.initializer(int64s({}, {0}), "zero");
  b.initializer(int64s({1}, {0}), "axes0");
  b.initializer(int64s({1}, {-1}), "minus_one");
  b.node("Shape", {"x"}, {"shape"}, "/Shape");
  b.node("Gather", {"shape", "zero"}, {"n"}, "/Gather");
  b.node("Unsqueeze", {"n", "axes0"}, {"n1"}, "/Unsqueeze");
  auto* cat = b.node("Concat", {"n1", "minus_one"}, {"target"}, "/Concat");
  b.intAttr(cat, "axis", 0);
  b.node("Reshape", {"x", "target"}, {"y"}, "/Reshape");
  b.output("y");
  return b.build();
}

}  // namespace

class TestEval : public QObject {
  Q_OBJECT

 private slots:
  void runsAPytorchExportAndMatchesItsExpectedOutput() {
    fs::path dir = fs::path(graft::test::testdataDir()) / "pytorch-converted" / "test_Conv2d_groups";
    auto model = graft::loadModel((dir / "model.onnx").string());
    QVERIFY2(model, model.message().c_str());
    auto input = graft::readTensorProtoFile((dir / "test_data_set_0" / "input_0.pb").string());
    auto expected = graft::readTensorProtoFile((dir / "test_data_set_0" / "output_0.pb").string());
    QVERIFY(input && expected);
    const auto& g = model.value()->graph();
    graft::NamedArrays in{{g.inputs()[0]->name(), input.value()}};
    auto out = graft::evaluate(*model.value(), in);
    QVERIFY2(out, out.message().c_str());
    const graft::Array& y = out.value().at(g.outputs()[0]->name());
    QCOMPARE(y.shape(), expected.value().shape());
    for (std::int64_t i = 0; i < y.size(); ++i)
      QVERIFY(std::abs(y.data<float>()[i] - expected.value().data<float>()[i]) <= 1e-4 + 1e-3 * std::abs(expected.value().data<float>()[i]));
  }

  // Erf and Softmax use their own vectorizable exp/erf for float32: compare with the C library
  // in double over the whole range that matters (GELU inputs, attention scores).
  void fastErfAndSoftmaxMatchTheLibrary() {
    const std::int64_t n = 200001;
    graft::Array x(onnx::TensorProto_DataType_FLOAT, {n});
    for (std::int64_t i = 0; i < n; ++i) x.data<float>()[i] = static_cast<float>(-10.0 + 20.0 * static_cast<double>(i) / (n - 1));
    x.data<float>()[7] = std::numeric_limits<float>::quiet_NaN();
    x.data<float>()[8] = std::numeric_limits<float>::infinity();
    x.data<float>()[9] = -std::numeric_limits<float>::infinity();
    x.data<float>()[10] = 1e-30f;
    Builder b;
    b.input("x", onnx::TensorProto_DataType_FLOAT, {n});
    b.node("Erf", {"x"}, {"y"});
    b.output("y");
    auto m = b.build();
    auto out = graft::evaluate(*m, {{"x", x}});
    QVERIFY2(out, out.message().c_str());
    const float* y = out.value().at("y").data<float>();
    double worst = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      if (i >= 7 && i <= 10) continue;
      double want = std::erf(static_cast<double>(x.data<float>()[i]));
      worst = std::max(worst, std::abs(static_cast<double>(y[i]) - want));
    }
    QVERIFY2(worst < 2e-7, QByteArray::number(worst).constData());
    QVERIFY(std::isnan(y[7]));
    QCOMPARE(y[8], 1.0f);
    QCOMPARE(y[9], -1.0f);
    QVERIFY(std::abs(y[10] - 1.1283791670955126e-30) < 1e-36);

    // Softmax rows of scores spread over [-40, 40]: each value within 1e-5 relative of exp in double
    // (x - max is rounded to float first, up to 4e-6 of the result at this spread; exp adds ~1e-7).
    const std::int64_t rows = 64, cols = 333;
    graft::Array s(onnx::TensorProto_DataType_FLOAT, {rows, cols});
    for (std::int64_t i = 0; i < rows * cols; ++i) s.data<float>()[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)) * 40.0);
    Builder sb;
    sb.input("s", onnx::TensorProto_DataType_FLOAT, {rows, cols});
    sb.node("Softmax", {"s"}, {"p"});
    sb.output("p");
    auto sm = sb.build();
    auto sout = graft::evaluate(*sm, {{"s", s}});
    QVERIFY2(sout, sout.message().c_str());
    const float* p = sout.value().at("p").data<float>();
    double worstRel = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* in = s.data<float>() + r * cols;
      double mx = *std::max_element(in, in + cols), sum = 0;
      for (std::int64_t k = 0; k < cols; ++k) sum += std::exp(static_cast<double>(in[k]) - mx);
      for (std::int64_t k = 0; k < cols; ++k) {
        double want = std::exp(static_cast<double>(in[k]) - mx) / sum;
        if (want > 1e-30) worstRel = std::max(worstRel, std::abs(p[r * cols + k] - want) / want);
      }
    }
    QVERIFY2(worstRel < 1e-5, QByteArray::number(worstRel).constData());
  }

  // Sigmoid's float32 loop (fastExp, vectorized): within a few ulp of 1 / (1 + exp(-x)) in
  // double from -100 to 100, saturating to 0 and 1 at the ends, NaN kept.
  void fastSigmoidMatchesTheLibrary() {
    const std::int64_t n = 400001;
    graft::Array x(onnx::TensorProto_DataType_FLOAT, {n});
    for (std::int64_t i = 0; i < n; ++i) x.data<float>()[i] = static_cast<float>(-100.0 + 200.0 * static_cast<double>(i) / (n - 1));
    x.data<float>()[7] = std::numeric_limits<float>::quiet_NaN();
    x.data<float>()[8] = std::numeric_limits<float>::infinity();
    x.data<float>()[9] = -std::numeric_limits<float>::infinity();
    Builder b;
    b.input("x", onnx::TensorProto_DataType_FLOAT, {n});
    b.node("Sigmoid", {"x"}, {"y"});
    b.output("y");
    auto out = graft::evaluate(*b.build(), {{"x", x}});
    QVERIFY2(out, out.message().c_str());
    const float* y = out.value().at("y").data<float>();
    double worst = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      if (i >= 7 && i <= 9) continue;
      const double want = 1.0 / (1.0 + std::exp(-static_cast<double>(x.data<float>()[i])));
      if (want > 1e-37) worst = std::max(worst, std::abs(static_cast<double>(y[i]) - want) / want);
    }
    QVERIFY2(worst < 1e-6, QByteArray::number(worst).constData());
    QVERIFY(std::isnan(y[7]));
    QCOMPARE(y[8], 1.0f);
    QCOMPARE(y[9], 0.0f);
  }

  // A node's schema checks are skipped only for inputs like those they last passed: the same
  // Einsum run again with inputs of another rank is refused with the equation's error.
  void schemaChecksRunAgainWhenTheInputsChange() {
    Builder b;
    b.input("a", onnx::TensorProto_DataType_FLOAT, {});
    b.g->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();  // any rank
    b.input("c", onnx::TensorProto_DataType_FLOAT, {3, 4});
    auto* n = b.node("Einsum", {"a", "c"}, {"y"});
    auto* eq = n->add_attribute();
    eq->set_name("equation");
    eq->set_type(onnx::AttributeProto_AttributeType_STRING);
    eq->set_s("ij,jk->ik");
    b.output("y");
    auto model = b.build();
    auto evaluator = graft::Evaluator::create(*model);
    QVERIFY2(evaluator, evaluator.message().c_str());
    graft::Array a(onnx::TensorProto_DataType_FLOAT, {2, 3}), c(onnx::TensorProto_DataType_FLOAT, {3, 4});
    for (int run = 0; run < 2; ++run) {
      auto ok = evaluator.value()->run({{"a", a}, {"c", c}});
      QVERIFY2(ok, ok.message().c_str());
    }
    graft::Array a3(onnx::TensorProto_DataType_FLOAT, {2, 2, 3});
    auto bad = evaluator.value()->run({{"a", a3}, {"c", c}});
    QVERIFY(!bad);
    QVERIFY2(bad.message().find("does not fit input 0 of rank 3") != std::string::npos, bad.message().c_str());
    auto again = evaluator.value()->run({{"a", a}, {"c", c}});
    QVERIFY2(again, again.message().c_str());
  }

  void convMatchesADirectComputation() {
    auto m = convModel();
    graft::Array x = ramp({1, 3, 8, 8});
    auto out = graft::evaluate(*m, {{"x", x}});
    QVERIFY2(out, out.message().c_str());
    const graft::Array& z = out.value().at("z");
    QCOMPARE(z.shape(), (std::vector<std::int64_t>{1, 4, 8, 8}));
    graft::Array w = ramp({4, 3, 3, 3});
    float bias[4] = {0.5f, -0.5f, 1.0f, 0.0f};
    for (int m2 = 0; m2 < 4; ++m2)
      for (int yy = 0; yy < 8; ++yy)
        for (int xx = 0; xx < 8; ++xx) {
          double acc = bias[m2];
          for (int c = 0; c < 3; ++c)
            for (int i = 0; i < 3; ++i)
              for (int j = 0; j < 3; ++j) {
                int iy = yy + i - 1, ix = xx + j - 1;
                if (iy < 0 || iy >= 8 || ix < 0 || ix >= 8) continue;
                acc += double(x.data<float>()[(c * 8 + iy) * 8 + ix]) * w.data<float>()[((m2 * 3 + c) * 3 + i) * 3 + j];
              }
          double want = std::max(0.0, acc);
          QVERIFY(std::abs(z.data<float>()[(m2 * 8 + yy) * 8 + xx] - want) < 1e-4);
        }
  }

  void badInputsGiveErrorsNamingWhatIsWrong() {
    auto m = convModel();
    auto missing = graft::evaluate(*m, {});
    QVERIFY(!missing);
    QVERIFY2(missing.message().find("missing input 'x'") != std::string::npos, missing.message().c_str());
    QVERIFY(missing.message().find("float32[1,3,8,8]") != std::string::npos);

    auto wrongType = graft::evaluate(*m, {{"x", graft::Array(onnx::TensorProto_DataType_INT64, {1, 3, 8, 8})}});
    QVERIFY(!wrongType);
    QVERIFY2(wrongType.message().find("int64[1,3,8,8]") != std::string::npos, wrongType.message().c_str());

    auto unknown = graft::evaluate(*m, {{"x", ramp({1, 3, 8, 8})}, {"nope", ramp({1})}});
    QVERIFY(!unknown);
    QVERIFY2(unknown.message().find("no input named 'nope'") != std::string::npos, unknown.message().c_str());

    // A shape the declared input allows by rank but the weights do not: the kernel names the node.
    graft::EvalOptions loose;
    loose.checkInputShapes = false;
    auto wrongChannels = graft::evaluate(*m, {{"x", ramp({1, 5, 8, 8})}}, loose);
    QVERIFY(!wrongChannels);
    QVERIFY2(wrongChannels.message().find("node '/layer1/Conv' (Conv)") != std::string::npos, wrongChannels.message().c_str());
    QVERIFY2(wrongChannels.message().find("[1,5,8,8]") != std::string::npos, wrongChannels.message().c_str());
  }

  void unknownOpNamesTheNode() {
    Builder b;
    b.input("x", onnx::TensorProto_DataType_FLOAT, {2});
    b.node("Relu", {"x"}, {"r"}, "first");
    auto* n = b.node("FancyOp", {"r"}, {"y"}, "/block/Fancy");
    n->set_domain("com.example");
    auto* op = b.m.add_opset_import();
    op->set_domain("com.example");
    op->set_version(1);
    b.output("y");
    auto m = b.build();
    auto out = graft::evaluate(*m, {{"x", floats({2}, {1, 2})}});
    QVERIFY(!out);
    QCOMPARE(out.status().code(), graft::ErrorCode::Unsupported);
    QVERIFY2(out.message().find("node '/block/Fancy' (com.example:FancyOp)") != std::string::npos, out.message().c_str());
    QVERIFY(!graft::isOpSupported("FancyOp", "com.example"));
    QVERIFY(graft::isOpSupported("Conv"));
    QVERIFY(graft::isOpSupported("MatMulNBits", "com.microsoft"));
  }

  void progressIsReportedAndCancelStops() {
    auto m = convModel();
    int calls = 0;
    graft::EvalOptions o;
    o.progress = [&](double, std::string_view) { return ++calls < 2; };  // cancel at the second node
    auto out = graft::evaluate(*m, {{"x", ramp({1, 3, 8, 8})}}, o);
    QVERIFY(!out);
    QCOMPARE(out.status().code(), graft::ErrorCode::Cancelled);
    QVERIFY2(out.message().find("/layer1/Relu") != std::string::npos, out.message().c_str());

    double last = -1;
    o.progress = [&](double f, std::string_view) {
      last = f;
      return true;
    };
    QVERIFY(graft::evaluate(*m, {{"x", ramp({1, 3, 8, 8})}}, o));
    QCOMPARE(last, 1.0);
  }

  void tensorsAreFreedAfterTheirLastUse() {
    // A chain of 12 Relus over 1 MB activations: with freeing, at most two are alive at once.
    Builder b;
    b.input("x", onnx::TensorProto_DataType_FLOAT, {256, 1024});
    std::string prev = "x";
    for (int i = 0; i < 12; ++i) {
      std::string next = "a" + std::to_string(i);
      b.node(i % 2 ? "Relu" : "Neg", {prev}, {next});
      prev = next;
    }
    b.output(prev);
    auto m = b.build();
    auto ev = graft::Evaluator::create(*m);
    QVERIFY(ev);
    auto out = ev.value()->run({{"x", ramp({256, 1024})}});
    QVERIFY(out);
    std::size_t one = 256 * 1024 * 4;
    QCOMPARE(ev.value()->lastStats().nodesRun, std::size_t(12));
    QVERIFY2(ev.value()->lastStats().peakBytes <= 2 * one, std::to_string(ev.value()->lastStats().peakBytes).c_str());

    // Keeping every value (to look at edges after a run) returns the intermediates too.
    graft::EvalOptions keep;
    keep.keepAllValues = true;
    auto all = ev.value()->run({{"x", ramp({256, 1024})}}, keep);
    QVERIFY(all);
    QVERIFY(all.value().count("a3"));
    QCOMPARE(all.value().at("a0").data<float>()[5], -ramp({256, 1024}).data<float>()[5]);
  }

  void float16IsComputedInFloat32AndStaysFloat16() {
    Builder b;
    b.input("a", onnx::TensorProto_DataType_FLOAT16, {3});
    b.input("b", onnx::TensorProto_DataType_FLOAT16, {3});
    b.node("Add", {"a", "b"}, {"s"});
    b.node("Sigmoid", {"s"}, {"y"});
    b.output("y", onnx::TensorProto_DataType_FLOAT16);
    auto m = b.build();
    auto a = graft::castArray(floats({3}, {0.5f, -1.0f, 2.0f}), onnx::TensorProto_DataType_FLOAT16);
    auto c = graft::castArray(floats({3}, {0.25f, 1.0f, 1.0f}), onnx::TensorProto_DataType_FLOAT16);
    auto out = graft::evaluate(*m, {{"a", a.value()}, {"b", c.value()}});
    QVERIFY2(out, out.message().c_str());
    QCOMPARE(out.value().at("y").dtype(), int(onnx::TensorProto_DataType_FLOAT16));
    auto y = graft::arrayToDoubles(out.value().at("y"));
    QVERIFY(std::abs(y.value()[0] - 1 / (1 + std::exp(-0.75))) < 1e-3);
    QVERIFY(std::abs(y.value()[1] - 0.5) < 1e-3);
  }

  void npyFilesRoundTripAndNumpyHeadersParse() {
    QTemporaryDir tmp;
    std::string path = (fs::path(tmp.path().toStdString()) / "t.npy").string();
    graft::Array a = ramp({2, 3, 5});
    QVERIFY(graft::writeNpy(path, a));
    auto back = graft::readArrayFile(path);
    QVERIFY2(back, back.message().c_str());
    QCOMPARE(back.value().shape(), a.shape());
    QVERIFY(std::memcmp(back.value().raw(), a.raw(), a.bytes()) == 0);

    // Written as numpy 1.24 writes np.arange(3, dtype=np.int64).
    std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::string bytes = std::string("\x93NUMPY\x01\x00", 8) + char(header.size()) + char(0) + header;
    for (std::int64_t v : {0, 1, 2}) bytes.append(reinterpret_cast<const char*>(&v), 8);
    std::string p2 = (fs::path(tmp.path().toStdString()) / "np.npy").string();
    std::ofstream(p2, std::ios::binary) << bytes;
    auto n = graft::readNpy(p2);
    QVERIFY2(n, n.message().c_str());
    QCOMPARE(n.value().dtype(), int(onnx::TensorProto_DataType_INT64));
    QCOMPARE(n.value().data<std::int64_t>()[2], std::int64_t(2));

    std::ofstream(p2, std::ios::binary) << "not a numpy file at all";
    auto bad = graft::readNpy(p2);
    QVERIFY(!bad);
    QVERIFY(bad.message().find("not a valid .npy") != std::string::npos);
  }

  void foldingCollapsesAShapeChainIntoAConstant() {
    auto m = shapeChainModel();
    graft::Array x = ramp({2, 3, 4});
    auto before = graft::evaluate(*m, {{"x", x}});
    QVERIFY(before);
    auto report = graft::foldConstants(*m);
    QVERIFY2(report, report.message().c_str());
    QCOMPARE(report.value().folded.size(), std::size_t(4));  // Shape, Gather, Unsqueeze, Concat
    QCOMPARE(m->graph().nodeCount(), std::size_t(1));
    const graft::Node* reshape = m->graph().nodes()[0];
    QCOMPARE(reshape->opType(), std::string("Reshape"));
    // The folded value keeps its name and is an initializer now.
    QCOMPARE(reshape->input(1)->name(), std::string("target"));
    QVERIFY(reshape->input(1)->isInitializer());
    auto target = graft::arrayFromTensor(*reshape->input(1)->initializer());
    QCOMPARE(target.value().size(), std::int64_t(2));
    QCOMPARE(target.value().data<std::int64_t>()[0], std::int64_t(2));
    QCOMPARE(target.value().data<std::int64_t>()[1], std::int64_t(-1));
    // Initializers only the folded nodes read are gone.
    QVERIFY(!m->graph().findValue("zero"));
    auto after = graft::evaluate(*m, {{"x", x}});
    QVERIFY2(after, after.message().c_str());
    QCOMPARE(after.value().at("y").shape(), before.value().at("y").shape());
    QVERIFY(std::memcmp(after.value().at("y").raw(), before.value().at("y").raw(), x.bytes()) == 0);
    // The folded model still saves and loads.
    auto bytes = graft::serializeModel(*m);
    QVERIFY(bytes);
    QVERIFY(graft::loadModelFromBytes(bytes.value()));
  }

  void foldingRefusesResultsAboveTheCap() {
    Builder b;
    b.input("x", onnx::TensorProto_DataType_FLOAT, {1024, 1024});
    b.initializer(int64s({2}, {1024, 1024}), "shape");
    b.node("ConstantOfShape", {"shape"}, {"big"}, "/big");
    b.node("Add", {"x", "big"}, {"y"});
    b.output("y");
    auto m = b.build();
    auto report = graft::foldConstants(*m);  // 4 MiB result, default cap 1 MiB
    QVERIFY(report);
    QCOMPARE(report.value().folded.size(), std::size_t(0));
    QCOMPARE(report.value().refused.size(), std::size_t(1));
    QCOMPARE(report.value().refused[0].node, std::string("/big"));
    QVERIFY(report.value().refused[0].reason.find("cap") != std::string::npos);
    QCOMPARE(m->graph().nodeCount(), std::size_t(2));

    graft::FoldOptions roomy;
    roomy.maxBytes = 8u << 20;
    auto again = graft::foldConstants(*m, roomy);
    QVERIFY(again);
    QCOMPARE(again.value().folded.size(), std::size_t(1));
    QVERIFY(m->graph().findValue("big")->isInitializer());
  }

  void randomInputsAreSeededAndIndicesStayInRange() {
    Builder b;
    b.input("ids", onnx::TensorProto_DataType_INT64, {2, 7}, {"batch", "seq"});
    b.input("attention_mask", onnx::TensorProto_DataType_INT64, {2, 7}, {"batch", "seq"});
    b.initializer(ramp({10, 4}), "table");
    b.node("Gather", {"table", "ids"}, {"emb"});
    b.node("Cast", {"attention_mask"}, {"maskf"});
    b.g->mutable_node(1)->add_attribute()->CopyFrom([] {
      onnx::AttributeProto a;
      a.set_name("to");
      a.set_type(onnx::AttributeProto_AttributeType_INT);
      a.set_i(onnx::TensorProto_DataType_FLOAT);
      return a;
    }());
    b.output("emb");
    b.output("maskf");
    auto m = b.build();
    auto r1 = graft::randomInputs(*m, 7, {{"seq", 5}});
    auto r2 = graft::randomInputs(*m, 7, {{"seq", 5}});
    QVERIFY(r1 && r2);
    const auto& ids = r1.value().at("ids");
    QCOMPARE(ids.shape(), (std::vector<std::int64_t>{1, 5}));  // batch unnamed -> 1, seq from dims
    for (std::int64_t i = 0; i < ids.size(); ++i) QVERIFY(ids.data<std::int64_t>()[i] >= 0 && ids.data<std::int64_t>()[i] < 10);
    QVERIFY(std::memcmp(ids.raw(), r2.value().at("ids").raw(), ids.bytes()) == 0);
    const auto& mask = r1.value().at("attention_mask");
    for (std::int64_t i = 0; i < mask.size(); ++i) QCOMPARE(mask.data<std::int64_t>()[i], std::int64_t(1));
    QVERIFY(graft::evaluate(*m, r1.value()));
  }

  void verifyAcceptsASavedCopyAndCatchesAScaledWeight() {
    fs::path path = fs::path(graft::test::testdataDir()) / "pytorch-converted" / "test_Conv2d" / "model.onnx";
    auto a = graft::loadModel(path.string());
    QVERIFY(a);
    QTemporaryDir tmp;
    std::string copy = (fs::path(tmp.path().toStdString()) / "copy.onnx").string();
    QVERIFY(graft::saveModel(*a.value(), copy));
    auto b = graft::loadModel(copy);
    QVERIFY(b);
    auto same = graft::verifyModels(*a.value(), *b.value());
    QVERIFY2(same, same.message().c_str());
    QVERIFY(same.value().comparable);
    QVERIFY(same.value().withinTolerance);
    QCOMPARE(same.value().outputs[0].maxAbsDiff, 0.0);
    QVERIFY(std::abs(same.value().outputs[0].cosine - 1) < 1e-12);

    // Scale the conv weight by 1.01: a rewrite bug verify must catch.
    graft::Value* w = nullptr;
    for (graft::Value* v : b.value()->graph().initializers())
      if (v->initializer()->dims().size() == 4) w = v;
    QVERIFY(w);
    auto arr = graft::arrayFromTensor(*w->initializer()).value().clone();
    for (std::int64_t i = 0; i < arr.size(); ++i) arr.data<float>()[i] *= 1.01f;
    w->initializer()->mutableProto() = graft::arrayToProto(arr, w->name());
    auto diff = graft::verifyModels(*a.value(), *b.value());
    QVERIFY(diff);
    QVERIFY(diff.value().comparable);
    QVERIFY(!diff.value().withinTolerance);
    QVERIFY(diff.value().outputs[0].maxAbsDiff > 1e-3);
    QVERIFY(diff.value().outputs[0].cosine > 0.999);  // same direction, different scale

    // Different inputs: not comparable, and the report says why.
    auto other = graft::loadModel((fs::path(graft::test::testdataDir()) / "node" / "test_add" / "model.onnx").string());
    auto no = graft::verifyModels(*a.value(), *other.value());
    QVERIFY(no);
    QVERIFY(!no.value().comparable);
    QVERIFY2(no.value().whyNot.find("input") != std::string::npos, no.value().whyNot.c_str());
  }

  void cliRunWritesOutputsAndVerifyExitCodesTellTheVerdict() {
    QTemporaryDir tmp;
    fs::path dir = tmp.path().toStdString();
    fs::path model = fs::path(graft::test::testdataDir()) / "pytorch-converted" / "test_Conv2d" / "model.onnx";
    auto cli = [&](const QStringList& args, QByteArray* out = nullptr) {
      QProcess p;
      p.start(QString::fromStdString(graft::test::cliPath()), args);
      if (!p.waitForFinished(120000)) return -1;
      if (out) *out = p.readAllStandardOutput() + p.readAllStandardError();
      return p.exitCode();
    };
    QByteArray text;
    QCOMPARE(cli({"run", QString::fromStdString(model.string()), "--seed", "3", "--output-dir", QString::fromStdString((dir / "out").string())}, &text), 0);
    QVERIFY2(text.contains("Outputs:"), text.constData());
    // The export's output is named "1": written as 1.npy and readable again.
    auto a = graft::loadModel(model.string());
    std::string outName = a.value()->graph().outputs()[0]->name();
    auto npy = graft::readNpy((dir / "out" / (outName + ".npy")).string());
    QVERIFY2(npy, npy.message().c_str());
    QCOMPARE(npy.value().rank(), std::size_t(4));

    QCOMPARE(cli({"run", QString::fromStdString(model.string()), "--json"}, &text), 0);
    QVERIFY2(text.contains("\"outputs\""), text.constData());
    QCOMPARE(cli({"run", QString::fromStdString(model.string()), "--input", "nope=/does/not/exist.npy"}, &text), 3);

    // verify: a saved copy agrees (0); a weight scaled by 1.01 differs (1); unrelated inputs (2).
    std::string copy = (dir / "copy.onnx").string();
    QVERIFY(graft::saveModel(*a.value(), copy));
    QCOMPARE(cli({"verify", QString::fromStdString(model.string()), QString::fromStdString(copy)}, &text), 0);
    for (graft::Value* v : a.value()->graph().initializers())
      if (v->initializer()->dims().size() == 4) {
        auto arr = graft::arrayFromTensor(*v->initializer()).value().clone();
        for (std::int64_t i = 0; i < arr.size(); ++i) arr.data<float>()[i] *= 1.01f;
        v->initializer()->mutableProto() = graft::arrayToProto(arr, v->name());
      }
    std::string scaled = (dir / "scaled.onnx").string();
    QVERIFY(graft::saveModel(*a.value(), scaled));
    QCOMPARE(cli({"verify", QString::fromStdString(model.string()), QString::fromStdString(scaled)}, &text), 1);
    QVERIFY2(text.contains("DIFFERS"), text.constData());
    std::string add = (fs::path(graft::test::testdataDir()) / "node" / "test_add" / "model.onnx").string();
    QCOMPARE(cli({"verify", QString::fromStdString(model.string()), QString::fromStdString(add)}, &text), 2);
    QVERIFY2(text.contains("cannot be compared"), text.constData());
  }
};

QTEST_GUILESS_MAIN(TestEval)
#include "test_eval.moc"
