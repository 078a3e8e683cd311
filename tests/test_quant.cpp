// quant: golden bytes of every blocked-weight layout (MatMulNBits per column, INC's global zero
// points, opset-21 INT4 [K, N]), Q/DQ rounding, calibration data and ranges, and the quantizing
// rewrites on small exported models (static QDQ, dynamic, weight-only RTN/GPTQ) scored per node.
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <map>
#include <set>

#include "graft/analysis.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "graft/quant.h"
#include "graft/rewrite.h"
#include "cli_testutil.h"
#include "exported_models.h"
#include "testutil.h"

namespace fs = std::filesystem;
using namespace graft;
using namespace graft::quant;

namespace {

std::vector<std::uint8_t> bytes(std::initializer_list<int> v) {
  std::vector<std::uint8_t> out;
  for (int x : v) out.push_back(static_cast<std::uint8_t>(x));
  return out;
}

// An opset-17 graph named `name` with float input x of `dims` and float output y.
onnx::GraphProto* floatGraph(onnx::ModelProto& m, const char* name, std::initializer_list<std::int64_t> dims) {
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name(name);
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto_DataType_FLOAT);
  for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  auto* out = g->add_output();
  out->set_name("y");
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto_DataType_FLOAT);
  return g;
}

// y = x @ W (+ a Relu when asked), x [rows, K], W [K, N] seeded normal.
std::unique_ptr<Model> matmulModel(std::int64_t rows, std::int64_t K, std::int64_t N, unsigned seed = 1) {
  onnx::ModelProto m;
  auto* g = floatGraph(m, "mm", {rows, K});
  auto* w = g->add_initializer();
  w->set_name("W");
  w->set_data_type(onnx::TensorProto_DataType_FLOAT);
  w->add_dims(K);
  w->add_dims(N);
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (std::int64_t i = 0; i < K * N; ++i) w->add_float_data(nd(rng));
  auto* n = g->add_node();
  n->set_op_type("MatMul");
  n->set_name("proj");
  n->add_input("x");
  n->add_input("W");
  n->add_output("y");
  return std::move(Model::fromProto(m).value());
}

// Conv -> Clip(0, 6) with its bounds as Constant nodes (how PyTorch exports ReLU6) -> Conv.
std::unique_ptr<Model> relu6Model() {
  onnx::ModelProto m;
  auto* g = floatGraph(m, "relu6", {1, 4, 8, 8});
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 0.5f);
  auto weights = [&](const char* name, std::initializer_list<std::int64_t> dims) {
    auto* w = g->add_initializer();
    w->set_name(name);
    w->set_data_type(onnx::TensorProto_DataType_FLOAT);
    std::int64_t count = 1;
    for (auto d : dims) {
      w->add_dims(d);
      count *= d;
    }
    for (std::int64_t i = 0; i < count; ++i) w->add_float_data(nd(rng));
  };
  weights("w1", {8, 4, 3, 3});
  weights("w2", {8, 8, 1, 1});
  auto node = [&](const char* op, std::initializer_list<const char*> ins, const char* outName) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(outName);
    for (const char* i : ins) n->add_input(i);
    n->add_output(outName);
    return n;
  };
  auto* c1 = node("Conv", {"x", "w1"}, "c1");
  auto* pads = c1->add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto_AttributeType_INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
  for (auto [name, value] : {std::pair{"lo", 0.0f}, {"hi", 6.0f}}) {
    auto* a = node("Constant", {}, name)->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto_AttributeType_TENSOR);
    a->mutable_t()->set_data_type(onnx::TensorProto_DataType_FLOAT);
    a->mutable_t()->add_float_data(value);
  }
  node("Clip", {"c1", "lo", "hi"}, "r1");
  node("Conv", {"r1", "w2"}, "y");
  return std::move(Model::fromProto(m).value());
}

// A model with no op any mode quantizes.
std::unique_ptr<Model> reluModel() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  auto* in = g->add_input();
  in->set_name("x");
  in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto_DataType_FLOAT);
  in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(4);
  g->add_output()->set_name("y");
  auto* n = g->add_node();
  n->set_op_type("Relu");
  n->add_input("x");
  n->add_output("y");
  return std::move(Model::fromProto(m).value());
}

// Static QDQ options placed by the onnxruntime-cpu backend profile (none placed if it is missing).
QuantizeOptions staticOrtOptions() {
  QuantizeOptions o;
  o.mode = Mode::Static;
  if (auto profile = findProfile("onnxruntime-cpu")) o.placement = placementFor(profile.value());
  return o;
}

// The command's stdout and stderr together (what a user sees), and its exit code.
QString runCli(const QStringList& args, int& code) {
  graft::test::Run r = graft::test::runCli(args);
  code = r.exitCode;
  return r.out + r.err;
}

}  // namespace

class TestQuant : public QObject {
  Q_OBJECT

  QString modelsDir_;
  QString skipReason_;
  QTemporaryDir tmp_;

  std::string exported(const char* name) { return (modelsDir_ + "/" + name + "/model.onnx").toStdString(); }
  // Signal to noise of float `got` against `want` in dB (200 when they are equal).
  static double sqnrDb(const Array& got, const Array& want) {
    double signal = 0, noise = 0;
    for (std::int64_t i = 0; i < want.size(); ++i) {
      const double d = double(got.data<float>()[i]) - want.data<float>()[i];
      signal += double(want.data<float>()[i]) * want.data<float>()[i];
      noise += d * d;
    }
    return noise > 0 ? 10 * std::log10(signal / noise) : 200;
  }

 private slots:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    modelsDir_ = QCoreApplication::applicationDirPath() + "/quant-models";
    bool failed = false;
    skipReason_ = graft::test::exportEvalModels(modelsDir_, {"resnet", "bert17", "gpt", "yolo"}, &failed);
    QVERIFY2(!failed, qPrintable(skipReason_));
  }

  // ------------------------------------------------------------------ rounding

  void quantizeRoundsHalfToEvenAddsZeroPointAfterRoundingAndSaturates() {
    QCOMPARE(quantizeValue(2.5f, 1.0f, 0, 0, 255), 2);
    QCOMPARE(quantizeValue(3.5f, 1.0f, 0, 0, 255), 4);
    QCOMPARE(quantizeValue(-2.5f, 1.0f, 0, -128, 127), -2);
    // 0.5 rounds to 0, then +1: 1 (adding the zero point first would give round(1.5) = 2).
    QCOMPARE(quantizeValue(0.5f, 1.0f, 1, 0, 255), 1);
    QCOMPARE(quantizeValue(300.0f, 1.0f, 0, 0, 255), 255);
    QCOMPARE(quantizeValue(-300.0f, 1.0f, 10, 0, 255), 0);
    QCOMPARE(quantizeValue(1000.0f, 2.0f, 0, -128, 127), 127);
    // The evaluator's QuantizeLinear agrees element by element.
    auto m = Model::fromProto([] {
      onnx::ModelProto p;
      p.set_ir_version(8);
      p.add_opset_import()->set_version(13);
      auto* g = p.mutable_graph();
      auto* in = g->add_input();
      in->set_name("x");
      in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto_DataType_FLOAT);
      g->add_output()->set_name("y");
      auto* s = g->add_initializer();
      s->set_name("s");
      s->set_data_type(onnx::TensorProto_DataType_FLOAT);
      s->add_float_data(1.0f);
      auto* z = g->add_initializer();
      z->set_name("z");
      z->set_data_type(onnx::TensorProto_DataType_UINT8);
      z->add_int32_data(1);
      auto* n = g->add_node();
      n->set_op_type("QuantizeLinear");
      n->add_input("x");
      n->add_input("s");
      n->add_input("z");
      n->add_output("y");
      return p;
    }());
    QVERIFY(m);
    Array x(onnx::TensorProto_DataType_FLOAT, {5});
    float xs[] = {0.5f, 1.5f, 2.5f, 300.0f, -300.0f};
    std::copy(xs, xs + 5, x.data<float>());
    auto r = evaluate(*m.value(), {{"x", x}});
    QVERIFY2(r, r.message().c_str());
    const auto* y = r.value().at("y").data<std::uint8_t>();
    for (int i = 0; i < 5; ++i) QCOMPARE(static_cast<int>(y[i]), quantizeValue(xs[i], 1.0f, 1, 0, 255));
  }

  // ------------------------------------------------------------------ golden bytes

  void matMulNBitsPacksOddKPartialBlockAndZeroPointsPerColumn() {
    // K=5 (odd, one partial block of 16), N=2, 4-bit, zero points 3 and 9.
    BlockedWeight w;
    w.K = 5;
    w.N = 2;
    w.bits = 4;
    w.blockSize = 16;
    w.q = bytes({1, 2, 3, 4, 5, 15, 14, 13, 12, 11});
    w.scales = {0.5f, 0.25f};
    w.zeros = bytes({3, 9});
    MatMulNBitsTensors t = packMatMulNBits(w);
    QCOMPARE(t.bShape, (std::vector<std::int64_t>{2, 1, 8}));
    // Low nibble first; the 11 padding values of the partial block are the zero point.
    QCOMPARE(t.b, bytes({0x21, 0x43, 0x35, 0x33, 0x33, 0x33, 0x33, 0x33, 0xEF, 0xCD, 0x9B, 0x99, 0x99, 0x99, 0x99, 0x99}));
    QCOMPARE(t.zeroPoints, bytes({0x03, 0x09}));
    auto back = unpackMatMulNBits(5, 2, 4, 16, t.b, t.scales, &t.zeroPoints);
    QVERIFY2(back, back.message().c_str());
    QCOMPARE(back->q, w.q);
    QCOMPARE(back->zeros, w.zeros);
  }

  void matMulNBitsWithoutZeroPointsPadsWithTheDefaultEight() {
    BlockedWeight w;
    w.K = 3;
    w.N = 1;
    w.bits = 4;
    w.blockSize = 16;
    w.q = bytes({0, 15, 7});
    w.scales = {1.0f};
    MatMulNBitsTensors t = packMatMulNBits(w);
    QCOMPARE(t.b, bytes({0xF0, 0x87, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88}));
    QVERIFY(t.zeroPoints.empty());
    auto deq = w.dequantized();
    QCOMPARE(deq, (std::vector<float>{-8.0f, 7.0f, -1.0f}));
  }

  void matMulNBitsEightBitKeepsOneByteAValueAndAZeroPointByte() {
    BlockedWeight w;
    w.K = 17;  // two blocks of 16, the second partial
    w.N = 1;
    w.bits = 8;
    w.blockSize = 16;
    for (int k = 0; k < 17; ++k) w.q.push_back(static_cast<std::uint8_t>(200 + k));
    w.scales = {1.0f, 2.0f};
    w.zeros = bytes({128, 100});
    MatMulNBitsTensors t = packMatMulNBits(w);
    QCOMPARE(t.bShape, (std::vector<std::int64_t>{1, 2, 16}));
    QCOMPARE(static_cast<int>(t.b[0]), 200);
    QCOMPARE(static_cast<int>(t.b[16]), 216);
    QCOMPARE(static_cast<int>(t.b[17]), 100);  // padding: that block's zero point
    QCOMPARE(t.zeroPoints, bytes({128, 100}));
  }

  void incGlobalZeroPointsAreReadAndRepackedPerColumn() {
    // N=2, 3 blocks, zero points [[1,2,3],[4,5,6]]: ONNX Runtime reads 21 03 54 06, INC writes 21 43 65.
    BlockedWeight w;
    w.K = 48;
    w.N = 2;
    w.bits = 4;
    w.blockSize = 16;
    w.q.assign(96, 7);
    w.scales.assign(6, 1.0f);
    w.zeros = bytes({1, 2, 3, 4, 5, 6});
    MatMulNBitsTensors t = packMatMulNBits(w);
    QCOMPARE(t.zeroPoints, bytes({0x21, 0x03, 0x54, 0x06}));
    QCOMPARE(zeroPointBytesOrt(2, 3, 4), std::int64_t(4));
    QCOMPARE(zeroPointBytesGlobal(2, 3, 4), std::int64_t(3));
    std::vector<std::uint8_t> inc = bytes({0x21, 0x43, 0x65});
    bool isInc = false;
    auto r = unpackMatMulNBits(48, 2, 4, 16, t.b, t.scales, &inc, &isInc);
    QVERIFY2(r, r.message().c_str());
    QVERIFY(isInc);
    QCOMPARE(r->zeros, w.zeros);
    QCOMPARE(packMatMulNBits(r.value()).zeroPoints, bytes({0x21, 0x03, 0x54, 0x06}));
  }

  void checkNamesIncZeroPointsAndConvertRepairsThem() {
    // A MatMulNBits model with INC's zero points: check says "zero point", convert repacks them.
    BlockedWeight w = quantizeRtn(std::vector<float>(48 * 2, 0.5f), 48, 2, 4, 16, false);
    w.zeros = bytes({1, 2, 3, 4, 5, 6});
    MatMulNBitsTensors t = packMatMulNBits(w);
    onnx::ModelProto p;
    p.set_ir_version(8);
    p.add_opset_import()->set_version(17);
    auto* ms = p.add_opset_import();
    ms->set_domain("com.microsoft");
    ms->set_version(1);
    auto* g = p.mutable_graph();
    g->set_name("inc");
    auto* in = g->add_input();
    in->set_name("x");
    in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto_DataType_FLOAT);
    in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(1);
    in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(48);
    auto* out = g->add_output();
    out->set_name("y");
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto_DataType_FLOAT);
    auto addRaw = [&](const char* name, int dtype, std::vector<std::int64_t> dims, const void* data, std::size_t n) {
      auto* tp = g->add_initializer();
      tp->set_name(name);
      tp->set_data_type(dtype);
      for (auto d : dims) tp->add_dims(d);
      tp->set_raw_data(std::string(static_cast<const char*>(data), n));
    };
    addRaw("B", onnx::TensorProto_DataType_UINT8, t.bShape, t.b.data(), t.b.size());
    addRaw("scales", onnx::TensorProto_DataType_FLOAT, {6}, t.scales.data(), 24);
    std::vector<std::uint8_t> inc = bytes({0x21, 0x43, 0x65});
    addRaw("zp", onnx::TensorProto_DataType_UINT8, {3}, inc.data(), 3);
    auto* n = g->add_node();
    n->set_op_type("MatMulNBits");
    n->set_domain("com.microsoft");
    n->set_name("mm");
    for (const char* i : {"x", "B", "scales", "zp"}) n->add_input(i);
    n->add_output("y");
    for (auto [k, v] : {std::pair{"K", 48}, {"N", 2}, {"bits", 4}, {"block_size", 16}}) {
      auto* a = n->add_attribute();
      a->set_name(k);
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(v);
    }
    auto m = Model::fromProto(p);
    QVERIFY(m);
    auto problems = validateQuantization(*m.value());
    QCOMPARE(problems.size(), std::size_t(1));
    QVERIFY(problems[0].message.find("zero point") != std::string::npos);
    QVERIFY(problems[0].message.find("Intel Neural Compressor") != std::string::npos);
    auto v = validateModel(*m.value());
    bool named = false;
    for (const auto& d : v.problems) named |= d.message.find("zero point") != std::string::npos;
    QVERIFY(named);
    auto r = convertBlockedWeights(*m.value(), BlockedFormat::MatMulNBits);
    QVERIFY2(r, r.message().c_str());
    QCOMPARE(r->repairedZeroPoints, 1);
    QVERIFY(validateQuantization(*m.value()).empty());
    const Value* zp = m.value()->graph().findNodeByName("mm")->input(3);
    std::string_view raw = zp->initializer()->rawBytes();
    QCOMPARE(std::vector<std::uint8_t>(raw.begin(), raw.end()), bytes({0x21, 0x03, 0x54, 0x06}));
  }

  void blockedQdqPacksSignedInt4KMajorWithTwoValuesAByte() {
    // Default zero points: INT4 [K, N] = q - 8, row-major, low nibble first.
    BlockedWeight w;
    w.K = 3;
    w.N = 2;
    w.bits = 4;
    w.blockSize = 16;
    w.q = bytes({8, 9, 0, 15, 7, 8});  // column 0: 8 9 0; column 1: 15 7 8
    w.scales = {0.5f, 2.0f};
    BlockedQdqTensors t = packBlockedQdq(w, "W");
    QCOMPARE(t.data.data_type(), 22);  // INT4
    QVERIFY(!t.hasZeroPoint);
    // [[0, 7], [1, -1], [-8, 0]] -> nibbles 0 7 1 F 8 0
    QCOMPARE(t.data.raw_data(), std::string("\x70\xF1\x08", 3));
    QCOMPARE(t.scale.dims_size(), 2);
    QCOMPARE(t.scale.dims(0), std::int64_t(1));
    auto back = unpackBlockedQdq(t.data, t.scale, nullptr, 16);
    QVERIFY2(back, back.message().c_str());
    QCOMPARE(back->q, w.q);
    QCOMPARE(back->dequantized(), w.dequantized());
  }

  void blockedQdqWithZeroPointsIsUint4WithAPackedZeroPoint() {
    BlockedWeight w;
    w.K = 33;  // three blocks of 16, the last with one value
    w.N = 3;   // odd element counts everywhere
    w.bits = 4;
    w.blockSize = 16;
    for (int i = 0; i < 99; ++i) w.q.push_back(static_cast<std::uint8_t>(i % 16));
    for (int i = 0; i < 9; ++i) w.scales.push_back(0.1f * static_cast<float>(i + 1));
    w.zeros = bytes({1, 2, 3, 4, 5, 6, 7, 8, 9});
    BlockedQdqTensors t = packBlockedQdq(w, "W");
    QCOMPARE(t.data.data_type(), 21);  // UINT4
    QCOMPARE(t.data.raw_data().size(), std::size_t(50));  // 99 values -> 50 bytes
    // element [k=0, n=0] = q[n=0][k=0] = 0, [0,1] = q[1][0] = 33 % 16 = 1
    QCOMPARE(static_cast<int>(static_cast<std::uint8_t>(t.data.raw_data()[0])), 0x10);
    QVERIFY(t.hasZeroPoint);
    // zero point [blocks=3, N=3]: [[1,4,7],[2,5,8],[3,6,9]] -> 41 27 85 63 09
    QCOMPARE(t.zeroPoint.raw_data(), std::string("\x41\x27\x85\x63\x09", 5));
    auto back = unpackBlockedQdq(t.data, t.scale, &t.zeroPoint, 16);
    QVERIFY2(back, back.message().c_str());
    QCOMPARE(back->q, w.q);
    QCOMPARE(back->zeros, w.zeros);
    // And through MatMulNBits: the same dequantized weights.
    MatMulNBitsTensors nb = packMatMulNBits(back.value());
    auto again = unpackMatMulNBits(33, 3, 4, 16, nb.b, nb.scales, &nb.zeroPoints);
    QVERIFY(again);
    QCOMPARE(again->dequantized(), w.dequantized());
  }

  void blockedQdqEightBitUsesInt8OrUint8() {
    BlockedWeight w = quantizeRtn({1.0f, -2.0f, 3.0f, 0.5f}, 2, 2, 8, 16, true);
    BlockedQdqTensors t = packBlockedQdq(w, "W");
    QCOMPARE(t.data.data_type(), static_cast<int>(onnx::TensorProto_DataType_INT8));
    QCOMPARE(t.data.raw_data().size(), std::size_t(4));
    auto back = unpackBlockedQdq(t.data, t.scale, nullptr, 16);
    QVERIFY(back);
    QCOMPARE(back->dequantized(), w.dequantized());
  }

  void matMulNBitsNodeRunsLikeTheDequantizedWeights() {
    // Weight-only RTN through the evaluator's MatMulNBits equals x @ dequantized(W): exactly (as
    // float sums) with accuracy_level 0, and within bf16 rounding of x and W (8 significant bits,
    // float accumulation) with the default accuracy_level 4, which the node then carries.
    for (int level : {0, 4}) {
      auto m = matmulModel(3, 40, 5);
      QuantizeOptions o;
      o.mode = Mode::WeightOnly;
      o.blockSize = 16;
      if (level == 0) o.accuracyLevel = 0;
      QCOMPARE(o.accuracyLevel, level);
      auto w = quantizeRtn([&] {
        auto a = arrayFromTensor(*m->graph().findValue("W")->initializer());
        return std::vector<float>(a->data<float>(), a->data<float>() + a->size());
      }(), 40, 5, 4, 16, false);
      auto r = quantizeModel(*m, o, nullptr);
      QVERIFY2(r, r.message().c_str());
      QCOMPARE(r->nodes.size(), std::size_t(1));
      QCOMPARE(QString::fromStdString(r->nodes[0].form), QString("MatMulNBits"));
      const Node* nbits = nullptr;
      for (const Node* n : m->graph().nodes())
        if (n->opType() == "MatMulNBits") nbits = n;
      QVERIFY(nbits);
      const auto* attr = nbits->attribute("accuracy_level");
      QCOMPARE(attr != nullptr, level > 0);
      if (attr) QCOMPARE(static_cast<int>(attr->i()), level);
      Array x(onnx::TensorProto_DataType_FLOAT, {3, 40});
      for (int i = 0; i < 120; ++i) x.data<float>()[i] = static_cast<float>((i * 37) % 11) - 5.0f + 0.013f * static_cast<float>(i);
      auto y = evaluate(*m, {{"x", x}});
      QVERIFY2(y, y.message().c_str());
      auto deq = w.dequantized();
      for (int row = 0; row < 3; ++row)
        for (int n = 0; n < 5; ++n) {
          double ref = 0, magnitude = 0;
          for (int k = 0; k < 40; ++k) {
            const double p = x.data<float>()[row * 40 + k] * deq[static_cast<std::size_t>(k * 5 + n)];
            ref += p;
            magnitude += std::abs(p);
          }
          const double tolerance = level == 0 ? 1e-3 : 1e-3 + magnitude * 2.0 / 256.0;
          const double got = y->at("y").data<float>()[row * 5 + n];
          QVERIFY2(std::abs(got - ref) < tolerance, qPrintable(QString("level %1: %2 vs %3").arg(level).arg(got).arg(ref)));
        }
      QVERIFY(validateQuantization(*m).empty());
    }
  }

  void badBlockSizeAndNothingQuantizableAreRefusedWithoutChanges() {
    auto m = matmulModel(2, 32, 4);
    QuantizeOptions o;
    o.mode = Mode::WeightOnly;
    o.blockSize = 24;
    std::uint64_t rev = m->revision();
    auto r = quantizeModel(*m, o, nullptr);
    QVERIFY(!r);
    QVERIFY(r.message().find("block size 24") != std::string::npos);
    QCOMPARE(m->revision(), rev);
    auto relu = reluModel();
    o.blockSize = 32;
    auto r2 = quantizeModel(*relu, o, nullptr);
    QVERIFY(!r2);
    QVERIFY(r2.message().find("nothing to quantize") != std::string::npos);
    // The CLI writes nothing in either case.
    QString in = tmp_.filePath("mm.onnx"), out = tmp_.filePath("mm_q.onnx");
    QVERIFY(saveModel(*m, in.toStdString()));
    int code = 0;
    QString log = runCli({"quantize", in, out, "--mode", "weight-only", "--block-size", "8"}, code);
    QCOMPARE(code, 2);
    QVERIFY2(log.contains("block-size 8"), qPrintable(log));
    QVERIFY(!QFile::exists(out));
    QString reluPath = tmp_.filePath("relu.onnx");
    QVERIFY(saveModel(*relu, reluPath.toStdString()));
    log = runCli({"quantize", reluPath, out, "--mode", "static"}, code);
    QCOMPARE(code, 1);
    QVERIFY2(log.contains("nothing to quantize") && log.contains("nothing written"), qPrintable(log));
    QVERIFY(!QFile::exists(out));
  }

  // ------------------------------------------------------------------ calibration

  void calibrationFolderIsReadAndMisfitShapesAreNamed() {
    auto m = matmulModel(2, 8, 3);
    QString dir = tmp_.filePath("cal");
    for (int s = 0; s < 3; ++s) {
      QDir().mkpath(dir + QString("/sample_%1").arg(s));
      Array x(onnx::TensorProto_DataType_FLOAT, {2, 8});
      for (int i = 0; i < 16; ++i) x.data<float>()[i] = static_cast<float>(i * (s + 1));
      QVERIFY(writeNpy((dir + QString("/sample_%1/x.npy").arg(s)).toStdString(), x));
    }
    auto set = loadSampleFolder(*m, dir.toStdString());
    QVERIFY2(set, set.message().c_str());
    QCOMPARE(set->calibration.size(), std::size_t(2));
    QCOMPARE(set->holdout.size(), std::size_t(1));
    QVERIFY(!set->random);
    auto cal = calibrate(*m, set.value());
    QVERIFY2(cal, cal.message().c_str());
    // x's range over the two calibration samples: 0 .. 15*2.
    QCOMPARE(cal.value()->stats.at("x").min, 0.0);
    QCOMPARE(cal.value()->stats.at("x").max, 30.0);
    QCOMPARE(cal.value()->floatHoldout.size(), std::size_t(1));
    QVERIFY(cal.value()->matches(*m, set.value()));

    // A sample of the wrong shape: an error naming the sample, the input and both shapes.
    Array bad(onnx::TensorProto_DataType_FLOAT, {2, 9});
    QDir().mkpath(dir + "/sample_9");
    QVERIFY(writeNpy((dir + "/sample_9/x.npy").toStdString(), bad));
    auto misfit = loadSampleFolder(*m, dir.toStdString());
    QVERIFY(!misfit);
    QVERIFY2(misfit.message().find("sample_9") != std::string::npos && misfit.message().find("float32[2,9]") != std::string::npos &&
                 misfit.message().find("[2,8]") != std::string::npos,
             misfit.message().c_str());
  }

  void onnxTestLayoutIsReadAsSamples() {
    // The backend test data's layout: test_data_set_K/input_J.pb.
    std::string dir = graft::test::testdataDir() + "/node/test_relu";
    if (!fs::exists(dir)) QSKIP("libonnx-testdata is not installed");
    auto m = loadModel(dir + "/model.onnx");
    QVERIFY(m);
    auto set = loadSampleFolder(*m.value(), dir, 0);
    QVERIFY2(set, set.message().c_str());
    QVERIFY(!set->calibration.empty());
    QVERIFY(set->calibration[0].count("x"));
  }

  void rangesFollowTheMethod() {
    // 10000 values uniform in [0, 1) plus one outlier at 100: MinMax keeps it, percentile and entropy clip it.
    TensorStats st;
    std::vector<float> v;
    for (int i = 0; i < 100000; ++i) v.push_back(static_cast<float>(i % 1000) / 1000.0f);
    v.push_back(100.0f);
    auto m = matmulModel(1, static_cast<std::int64_t>(v.size()), 1);
    Array a(onnx::TensorProto_DataType_FLOAT, {1, static_cast<std::int64_t>(v.size())});
    std::copy(v.begin(), v.end(), a.data<float>());
    SampleSet set;
    set.calibration = {{{"x", a}}};
    set.hash = "t";
    auto cal = calibrate(*m, set);
    QVERIFY2(cal, cal.message().c_str());
    const TensorStats& s = cal.value()->stats.at("x");
    QCOMPARE(s.max, 100.0);
    QCOMPARE(chooseRange(s, CalibrationMethod::MinMax).second, 100.0);
    double p = chooseRange(s, CalibrationMethod::Percentile, 99.9).second;
    QVERIFY2(p > 0.9 && p < 1.2, std::to_string(p).c_str());
    // Entropy's smallest candidate is 128 of the 2048 bins (TensorRT's), here 6.25: the outlier is cut.
    double e = chooseRange(s, CalibrationMethod::Entropy).second;
    QVERIFY2(e > 0.5 && e < 10, std::to_string(e).c_str());
    QCOMPARE(chooseRange(s, CalibrationMethod::MinMax).first, 0.0);
  }

  void randomFallbackIsLabelled() {
    auto m = matmulModel(2, 8, 3);
    auto set = randomSamples(*m, 4, 2);
    QVERIFY(set);
    QVERIFY(set->random);
    QVERIFY(set->source.find("random") != std::string::npos);
    auto cal = calibrate(*m, set.value());
    QVERIFY(cal);
    QuantizeOptions o;
    o.mode = Mode::Dynamic;
    auto r = quantizeAndScore(*m, o, cal.value().get(), set.value(), std::nullopt);
    QVERIFY2(r, r.message().c_str());
    QVERIFY(r->error.randomData);
    QVERIFY(r->error.sqnr > 30);
  }

  // ------------------------------------------------------------------ models

  // The static QDQ ResNet runs its convolutions fused (integer convolutions, as ONNX Runtime does
  // at its higher levels): outputs within 35 dB of the run as written, and no float weights kept.
  void aStaticQdqResNetRunsFusedCloseToTheRunAsWritten() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    auto m = loadModel(exported("resnet"));
    QVERIFY2(m, m.message().c_str());
    auto set = randomSamples(*m.value(), 4, 2);
    QVERIFY(set);
    auto cal = calibrate(*m.value(), set.value());
    QVERIFY2(cal, cal.message().c_str());
    QuantizeOptions o;
    o.mode = Mode::Static;
    o.placement = placementFor(findProfile("onnxruntime-cpu").value());
    auto r = quantizeAndScore(*m.value(), o, cal.value().get(), set.value(), std::nullopt);
    QVERIFY2(r, r.message().c_str());
    auto evaluator = Evaluator::create(*r->model);
    QVERIFY2(evaluator, evaluator.message().c_str());
    std::size_t convs = 0;
    for (const Node* n : r->model->graph().nodes()) convs += n->opType() == "Conv";
    for (const NamedArrays& sample : set.value().holdout) {
      EvalOptions asWritten;
      asWritten.fuse = false;
      auto fused = evaluator.value()->run(sample);
      QVERIFY2(fused, fused.message().c_str());
      // Each fused Conv took over at least its x and w DequantizeLinear and its QuantizeLinear.
      const std::size_t fusedNodes = evaluator.value()->lastStats().nodesFused;
      QVERIFY2(fusedNodes >= 3 * convs, qPrintable(QString("%1 nodes fused for %2 convolutions").arg(fusedNodes).arg(convs)));
      auto plain = evaluator.value()->run(sample, asWritten);
      QVERIFY2(plain, plain.message().c_str());
      const Array &a = fused->begin()->second, &b = plain->begin()->second;
      QCOMPARE(a.size(), b.size());
      const double sqnr = sqnrDb(a, b);
      qInfo("fused vs as written: %.1f dB, %zu nodes fused", sqnr, fusedNodes);
      QVERIFY2(sqnr > 35, qPrintable(QString::number(sqnr)));
    }
  }

  // A YOLO-style detector quantized static: each SiLU (Sigmoid, Q/DQ, Mul) runs as byte tables,
  // which give the bytes of the nodes as written, so what the fused run changes comes from the
  // convolutions alone (within 40 dB of the run as written), and the 2x upsampling runs too.
  void aStaticQdqYoloRunsItsSilusAsTables() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    auto m = loadModel(exported("yolo"));
    QVERIFY2(m, m.message().c_str());
    auto set = randomSamples(*m.value(), 4, 2);
    QVERIFY(set);
    auto cal = calibrate(*m.value(), set.value());
    QVERIFY2(cal, cal.message().c_str());
    QuantizeOptions o = staticOrtOptions();
    auto r = quantizeAndScore(*m.value(), o, cal.value().get(), set.value(), std::nullopt);
    QVERIFY2(r, r.message().c_str());
    qInfo("yolo static: output SQNR %.2f dB", r->error.sqnr);
    QVERIFY2(r->error.sqnr > 20, std::to_string(r->error.sqnr).c_str());
    // The SiLUs: Sigmoids whose output is quantized (the head's Sigmoid is the model's output).
    std::size_t silus = 0, convs = 0;
    for (const Node* n : r->model->graph().nodes()) {
      silus += n->opType() == "Sigmoid" && n->output(0)->uses().size() == 1 && n->output(0)->uses()[0].node->opType() == "QuantizeLinear";
      convs += n->opType() == "Conv";
    }
    QVERIFY(silus >= 10);
    auto evaluator = Evaluator::create(*r->model);
    QVERIFY2(evaluator, evaluator.message().c_str());
    for (const NamedArrays& sample : set.value().holdout) {
      auto fused = evaluator.value()->run(sample);
      QVERIFY2(fused, fused.message().c_str());
      // Each SiLU takes at least its Sigmoid's QuantizeLinear, the DequantizeLinear after it and
      // the Mul's QuantizeLinear; each Conv chain at least its w DequantizeLinear and its
      // QuantizeLinear. The Conv chains alone come to at most 4 a Conv, below this bound.
      const std::size_t fusedNodes = evaluator.value()->lastStats().nodesFused;
      QVERIFY2(fusedNodes >= 2 * convs + 3 * silus && 3 * silus > 2 * convs,
               qPrintable(QString("%1 nodes fused for %2 convolutions and %3 SiLUs").arg(fusedNodes).arg(convs).arg(silus)));
      EvalOptions asWritten;
      asWritten.fuse = false;
      auto plain = evaluator.value()->run(sample, asWritten);
      QVERIFY2(plain, plain.message().c_str());
      const Array &a = fused->begin()->second, &b = plain->begin()->second;
      QCOMPARE(a.size(), b.size());
      const double sqnr = sqnrDb(a, b);
      qInfo("yolo fused vs as written: %.1f dB, %zu nodes fused", sqnr, fusedNodes);
      QVERIFY2(sqnr > 40, qPrintable(QString::number(sqnr)));
    }
  }

  void staticQdqOnAResNetKeepsOutputsCloseAndPassesCheck() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    auto m = loadModel(exported("resnet"));
    QVERIFY2(m, m.message().c_str());
    auto set = randomSamples(*m.value(), 6, 3);
    QVERIFY(set);
    auto cal = calibrate(*m.value(), set.value());
    QVERIFY2(cal, cal.message().c_str());
    QuantizeOptions o = staticOrtOptions();
    QVERIFY(o.placement.ops.count("Conv"));
    double best = -1e9;
    for (auto method : {CalibrationMethod::MinMax, CalibrationMethod::Percentile, CalibrationMethod::Entropy}) {
      o.method = method;
      auto r = quantizeAndScore(*m.value(), o, cal.value().get(), set.value(), std::nullopt);
      QVERIFY2(r, r.message().c_str());
      qInfo("resnet static %s: output SQNR %.2f dB, %zu nodes", methodName(method), r->error.sqnr, r->report.nodes.size());
      best = std::max(best, r->error.sqnr);
      QVERIFY(r->report.nodes.size() >= 10);
      QVERIFY(r->error.sizes.bytesAfter < r->error.sizes.bytesBefore / 3);
      // Every Conv reads int8 weights through DequantizeLinear, per output channel.
      int convs = 0;
      r->model->graph().forEachNode([&](const Node& n) {
        if (n.opType() != "Conv") return;
        ++convs;
        const Node* dq = n.input(1)->producer();
        QVERIFY(dq && dq->opType() == "DequantizeLinear");
        QCOMPARE(dq->input(0)->initializer()->dataType(), static_cast<int>(onnx::TensorProto_DataType_INT8));
      });
      QVERIFY(convs > 5);
      auto v = validateModel(*r->model);
      for (const auto& d : v.problems) QVERIFY2(d.severity != Diagnostic::Severity::Error, d.message.c_str());
    }
    QVERIFY2(best > 15, std::to_string(best).c_str());
  }

  // A ReLU6 (Clip from 0) after a quantized Conv is folded into the QuantizeLinear's saturation,
  // and its bounds go with it: no Constant node is left that nothing reads.
  void foldedClipLeavesNoDeadBounds() {
    auto m = relu6Model();
    auto set = randomSamples(*m, 4, 2);
    QVERIFY2(set, set.message().c_str());
    auto cal = calibrate(*m, set.value());
    QVERIFY2(cal, cal.message().c_str());
    QuantizeOptions o = staticOrtOptions();
    QVERIFY(o.placement.ops.count("Conv"));
    auto r = quantizeAndScore(*m, o, cal.value().get(), set.value(), std::nullopt);
    QVERIFY2(r, r.message().c_str());
    std::map<std::string, int> ops;
    r->model->graph().forEachNode([&](const Node& n) {
      ++ops[n.opType()];
      bool read = false;
      for (const Value* v : n.outputs()) read = read || (v && (!v->uses().empty() || v->isGraphOutput()));
      QVERIFY2(read, ("nothing reads the outputs of " + n.opType() + " '" + n.name() + "'").c_str());
    });
    QCOMPARE(ops["Clip"], 0);
    QCOMPARE(ops["Constant"], 0);
    QCOMPARE(ops["Conv"], 2);
  }

  // ONNX Runtime fuses DQ -> Add -> Q into QLinearAdd, so its profile quantizes Adds; but a
  // transformer's residual Add feeds a float LayerNorm, and Q/DQ on its inputs only cost accuracy
  // (9 dB on a BERT-style encoder). Such Adds stay float; a ResNet's Add -> Relu -> Conv does not.
  void elementwiseOpsAreQuantizedOnlyWhereAQuantizedReaderFollows() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    auto profile = findProfile("onnxruntime-cpu");
    QVERIFY2(profile, profile.message().c_str());
    auto portable = findProfile("portable");
    QVERIFY2(portable, portable.message().c_str());
    auto quantizedOps = [](const QuantizeReport& r) {
      std::map<std::string, int> ops;
      for (const auto& n : r.nodes) ++ops[n.opType];
      return ops;
    };
    {
      auto m = loadModel(exported("bert17"));
      QVERIFY2(m, m.message().c_str());
      auto set = randomSamples(*m.value(), 6, 3);
      QVERIFY(set);
      auto cal = calibrate(*m.value(), set.value());
      QVERIFY2(cal, cal.message().c_str());
      QuantizeOptions o;
      o.mode = Mode::Static;
      o.placement = placementFor(profile.value());
      auto ort = quantizeAndScore(*m.value(), o, cal.value().get(), set.value(), std::nullopt);
      QVERIFY2(ort, ort.message().c_str());
      o.placement = placementFor(portable.value());
      auto plain = quantizeAndScore(*m.value(), o, cal.value().get(), set.value(), std::nullopt);
      QVERIFY2(plain, plain.message().c_str());
      int floatAdds = 0;
      for (const auto& why : ort->report.skipped) floatAdds += why.find("no quantized op reads its output") != std::string::npos;
      qInfo("bert static: onnxruntime-cpu %.2f dB, MatMul/Gemm only %.2f dB, %d elementwise ops left float", ort->error.sqnr,
            plain->error.sqnr, floatAdds);
      QVERIFY(floatAdds >= 4);  // at least the residual Adds before each LayerNorm
      QVERIFY2(ort->error.sqnr > plain->error.sqnr - 1.0,
               (std::to_string(ort->error.sqnr) + " vs " + std::to_string(plain->error.sqnr)).c_str());
    }
    {
      auto m = loadModel(exported("resnet"));
      QVERIFY2(m, m.message().c_str());
      auto set = randomSamples(*m.value(), 4, 2);
      QVERIFY(set);
      auto cal = calibrate(*m.value(), set.value());
      QVERIFY2(cal, cal.message().c_str());
      QuantizeOptions o;
      o.mode = Mode::Static;
      o.placement = placementFor(profile.value());
      auto r = quantizeAndScore(*m.value(), o, cal.value().get(), set.value(), std::nullopt);
      QVERIFY2(r, r.message().c_str());
      QVERIFY2(quantizedOps(r->report)["Add"] >= 2, "a ResNet's residual Adds feed Relu -> Conv: ONNX Runtime fuses them");
    }
  }

  void dynamicInt8OnABertEncoderScoresEveryMatMul() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    auto m = loadModel(exported("bert17"));
    QVERIFY2(m, m.message().c_str());
    auto set = randomSamples(*m.value(), 1, 3);
    QVERIFY(set);
    CalibrateOptions co;
    co.collectStats = false;
    auto cal = calibrate(*m.value(), set.value(), co);
    QVERIFY2(cal, cal.message().c_str());
    for (bool contrib : {false, true}) {
      QuantizeOptions o;
      o.mode = Mode::Dynamic;
      o.placement.dynamicContrib = contrib;
      auto r = quantizeAndScore(*m.value(), o, cal.value().get(), set.value(), std::nullopt);
      QVERIFY2(r, r.message().c_str());
      qInfo("bert dynamic (%s): output SQNR %.2f dB over %zu nodes", contrib ? "DynamicQuantizeMatMul" : "MatMulInteger", r->error.sqnr,
            r->report.nodes.size());
      QVERIFY(r->report.nodes.size() >= 12);
      QCOMPARE(r->error.nodes.size(), r->report.nodes.size());
      QVERIFY2(r->error.sqnr > 25, std::to_string(r->error.sqnr).c_str());
      // ONNX Runtime refuses a model with two nodes of one name.
      std::set<std::string> names;
      r->model->graph().forEachNode([&](const Node& n) {
        if (!n.name().empty()) QVERIFY2(names.insert(n.name()).second, n.name().c_str());
      });
    }
  }

  void gptqBeatsRtnOnAGptDecoderAndEncodingsAgree() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    auto m = loadModel(exported("gpt"));
    QVERIFY2(m, m.message().c_str());
    auto set = randomSamples(*m.value(), 8, 3);
    QVERIFY(set);
    CalibrateOptions co;
    co.collectStats = false;
    co.collectGram = true;
    auto cal = calibrate(*m.value(), set.value(), co);
    QVERIFY2(cal, cal.message().c_str());
    QuantizeOptions o;
    o.mode = Mode::WeightOnly;
    o.blockSize = 16;
    // Float activations (accuracy_level unset): the QDQ form the round trip below passes through
    // has no accuracy_level, so only then do both forms compute the same bytes.
    o.accuracyLevel = 0;
    auto rtn = quantizeAndScore(*m.value(), o, cal.value().get(), set.value(), std::nullopt);
    QVERIFY2(rtn, rtn.message().c_str());
    o.weightMethod = WeightMethod::Gptq;
    auto gptq = quantizeAndScore(*m.value(), o, cal.value().get(), set.value(), std::nullopt);
    QVERIFY2(gptq, gptq.message().c_str());
    qInfo("gpt 4-bit: RTN %.2f dB, GPTQ %.2f dB", rtn->error.sqnr, gptq->error.sqnr);
    QVERIFY(gptq->error.sqnr > rtn->error.sqnr);
    // MatMulNBits -> DequantizeLinear -> MatMulNBits gives back the same bytes.
    auto copy = cloneModel(*rtn->model);
    QVERIFY(copy);
    auto toQdq = convertBlockedWeights(*copy.value(), BlockedFormat::Qdq);
    QVERIFY2(toQdq, toQdq.message().c_str());
    QCOMPARE(toQdq->converted, static_cast<int>(rtn->report.nodes.size()));
    QVERIFY(validateQuantization(*copy.value()).empty());
    auto back = convertBlockedWeights(*copy.value(), BlockedFormat::MatMulNBits);
    QVERIFY2(back, back.message().c_str());
    QCOMPARE(back->converted, toQdq->converted);
    auto in = randomInputs(*m.value(), 7);
    QVERIFY(in);
    auto a = evaluate(*rtn->model, in.value());
    auto b = evaluate(*copy.value(), in.value());
    QVERIFY2(a && b, (a ? b.message() : a.message()).c_str());
    const Array& ya = a->begin()->second;
    const Array& yb = b->begin()->second;
    QCOMPARE(ya.size(), yb.size());
    QCOMPARE(std::memcmp(ya.raw(), yb.raw(), ya.bytes()), 0);
  }

  void accuracyDrivenExclusionKeepsSensitiveNodesInFloatUntilTheTargetHolds() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    auto m = loadModel(exported("resnet"));
    QVERIFY2(m, m.message().c_str());
    auto set = randomSamples(*m.value(), 4, 2);
    QVERIFY(set);
    auto cal = calibrate(*m.value(), set.value());
    QVERIFY(cal);
    QuantizeOptions o;
    o.mode = Mode::Static;
    o.method = CalibrationMethod::MinMax;
    auto plain = quantizeAndScore(*m.value(), o, cal.value().get(), set.value(), std::nullopt);
    QVERIFY(plain);
    double target = plain->error.sqnr + 3;
    auto r = quantizeAndScore(*m.value(), o, cal.value().get(), set.value(), target);
    QVERIFY2(r, r.message().c_str());
    qInfo("resnet: %.2f dB plain, %.2f dB with %zu nodes kept in float (target %.2f)", plain->error.sqnr, r->error.sqnr,
          r->error.excluded.size(), target);
    QVERIFY(r->error.sqnr >= target);
    QVERIFY(!r->error.excluded.empty());
    QCOMPARE(r->error.excludedWhy.size(), r->error.excluded.size());
    QVERIFY(r->error.excludedWhy[0].find("dB") != std::string::npos);
    QVERIFY(r->report.nodes.size() < plain->report.nodes.size());
  }

  void cliQuantizeWritesAReportAndPrintsTheWorstNodes() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    QString out = tmp_.filePath("gpt_q.onnx"), report = tmp_.filePath("gpt_q.json");
    int code = 0;
    QString log = runCli({"quantize", QString::fromStdString(exported("gpt")), out, "--mode", "weight-only", "--block-size", "16", "--report", report},
                         code);
    QVERIFY2(code == 0, qPrintable(log));
    QVERIFY2(log.contains("output SQNR") && log.contains("worst nodes") && log.contains("RANDOM DATA") && log.contains("bits each"), qPrintable(log));
    QFile f(report);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QByteArray json = f.readAll();
    QVERIFY(json.contains("\"sqnr_db\"") && json.contains("\"bits_per_weight\"") && json.contains("MatMulNBits"));
    log = runCli({"check", out}, code);
    QVERIFY2(code == 0, qPrintable(log));
    QString back = tmp_.filePath("gpt_q_qdq.onnx");
    log = runCli({"convert", out, back, "--blocked-weights", "qdq"}, code);
    QVERIFY2(code == 0 && log.contains("converted"), qPrintable(log));
  }
};

QTEST_GUILESS_MAIN(TestQuant)
#include "test_quant.moc"
