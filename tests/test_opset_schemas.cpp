// Graft's own schemas for ai.onnx opsets 18–26 (engine/src/schema): the checker, shape inference
// and the op docs know every operator version up to 26 and the element types after bfloat16; the
// ONNX backend node tests of those opsets check and infer; broken nodes of every new schema are
// refused with a message that names the node and the rule.
#include <onnx/defs/data_type_utils.h>
#include <onnx/defs/schema.h>

#include <spdlog/spdlog.h>

#include <QtTest>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "graft/analysis.h"
#include "graft/io.h"
#include "graft/schema.h"
#include "testutil.h"

using namespace graft;
namespace fs = std::filesystem;

namespace {

// The ONNX backend node tests of opsets 18–26 (folders 1.18 and 1.21), when present.
std::string nodeTestsDir() {
  if (const char* env = std::getenv("GRAFT_ONNX_NODE_TESTS")) return env;
#ifdef GRAFT_ONNX_NODE_TESTS_DIR
  if (fs::exists(GRAFT_ONNX_NODE_TESTS_DIR)) return GRAFT_ONNX_NODE_TESTS_DIR;
#endif
  for (const char* rel : {"/../shared/onnx-node-tests", "/../../shared/onnx-node-tests"})
    if (fs::exists(test::sourceDir() + rel)) return test::sourceDir() + rel;
  return {};
}

std::vector<fs::path> nodeTestModels() {
  std::vector<fs::path> out;
  const std::string root = nodeTestsDir();
  if (root.empty()) return out;
  for (const char* release : {"1.18", "1.21"}) {
    fs::path dir = fs::path(root) / release;
    if (!fs::exists(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir))
      if (fs::exists(e.path() / "model.onnx")) out.push_back(e.path() / "model.onnx");
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string testName(const fs::path& model) {
  return model.parent_path().parent_path().filename().string() + "/" + model.parent_path().filename().string();
}

std::string dump(const std::vector<Diagnostic>& problems) {
  std::string out;
  for (const auto& p : problems) out += "[" + p.node + "] " + p.message + "\n";
  return out;
}

// ---- one-node models described in a line: "X:float[2,3]" values, attributes set by a lambda.

int elemOf(const std::string& name) {
  static const std::map<std::string, int> names = {
      {"float", 1}, {"uint8", 2}, {"int8", 3},   {"uint16", 4},    {"int16", 5},  {"int32", 6},
      {"int64", 7}, {"string", 8}, {"bool", 9}, {"float16", 10}, {"double", 11}, {"bfloat16", 16},
      {"float8e4m3fn", 17}, {"uint4", 21}, {"int4", 22}, {"float4e2m1", 23}, {"float8e8m0", 24}, {"int2", 26}};
  auto it = names.find(name);
  return it == names.end() ? 0 : it->second;
}

// "X:float[2,?,3]" -> value info (a "?" dimension has no value).
onnx::ValueInfoProto valueInfo(const std::string& spec) {
  onnx::ValueInfoProto vi;
  const auto colon = spec.find(':'), bracket = spec.find('[');
  vi.set_name(spec.substr(0, colon));
  auto* t = vi.mutable_type()->mutable_tensor_type();
  t->set_elem_type(elemOf(spec.substr(colon + 1, bracket - colon - 1)));
  auto* shape = t->mutable_shape();
  std::string dims = spec.substr(bracket + 1, spec.size() - bracket - 2);
  std::size_t pos = 0;
  while (!dims.empty() && pos <= dims.size()) {
    std::size_t next = dims.find(',', pos);
    std::string d = dims.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    auto* dim = shape->add_dim();
    if (d != "?") dim->set_dim_value(std::stoll(d));
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  return vi;
}

struct NodeCase {
  const char* what;
  int opset;
  const char* op;
  std::vector<std::string> inputs;   // graph inputs feeding the node in order; "" leaves a slot empty
  std::vector<std::string> outputs;  // output names
  std::function<void(onnx::NodeProto&)> attrs;
  std::vector<std::string> expect;   // substrings of one error naming the node
};

onnx::ModelProto oneNodeModel(const NodeCase& c) {
  onnx::ModelProto m;
  m.set_ir_version(10);
  auto* imp = m.add_opset_import();
  imp->set_domain("");
  imp->set_version(c.opset);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto* n = g->add_node();
  n->set_op_type(c.op);
  n->set_name("broken");
  for (const auto& in : c.inputs) {
    if (in.empty()) {
      n->add_input("");
      continue;
    }
    *g->add_input() = valueInfo(in);
    n->add_input(in.substr(0, in.find(':')));
  }
  for (const auto& out : c.outputs) n->add_output(out);
  if (c.attrs) c.attrs(*n);
  return m;
}

void setString(onnx::NodeProto& n, const char* name, const char* value) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value);
}
void setInt(onnx::NodeProto& n, const char* name, std::int64_t value) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}
void setFloat(onnx::NodeProto& n, const char* name, float value) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(value);
}

ValidationResult check(const onnx::ModelProto& proto) {
  auto model = Model::fromProto(proto);
  if (!model) {
    ValidationResult r;
    r.valid = false;
    r.problems.push_back({Diagnostic::Severity::Error, "", "", "load: " + model.message()});
    return r;
  }
  return validateModel(*model.value());
}

// The first tensor type a type constraint allows, for building inputs of a schema.
int firstTensorType(const onnx::OpSchema& s, const std::string& typeStr) {
  std::vector<std::string> allowed;
  for (const auto& tc : s.typeConstraintParams())
    if (tc.type_param_str == typeStr) allowed = tc.allowed_type_strs;
  if (allowed.empty()) allowed.push_back(typeStr);
  for (const auto& t : allowed) {
    if (t.rfind("tensor(", 0) != 0) continue;
    const auto& proto = onnx::Utils::DataTypeUtils::ToTypeProto(onnx::Utils::DataTypeUtils::ToType(t));
    return proto.tensor_type().elem_type();
  }
  return 0;
}

}  // namespace

class TestOpsetSchemas : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    spdlog::set_level(spdlog::level::warn);
    schema::ensureRegistered();
  }

  void theHighestKnownOpsetIs26AndTheNewElementTypesHaveTypeStrings() {
    QCOMPARE(maxKnownOpset(""), schema::kMaxOnnxOpset);
    QCOMPARE(schema::elementTypeString(17), std::string("float8e4m3fn"));
    QCOMPARE(schema::elementTypeString(22), std::string("int4"));
    QCOMPARE(schema::elementTypeString(23), std::string("float4e2m1"));
    QCOMPARE(schema::elementTypeString(24), std::string("float8e8m0"));
    QCOMPARE(schema::elementTypeString(26), std::string("int2"));
    // The library parses them in type strings and prints them back.
    onnx::TypeProto t;
    t.mutable_tensor_type()->set_elem_type(25);
    QCOMPARE(*onnx::Utils::DataTypeUtils::ToType(t), std::string("tensor(uint2)"));
    // Every opset from 18 to 26 introduced at least one schema, and each is Graft's.
    for (int v = 18; v <= 26; ++v) {
      bool any = false;
      for (const auto& s : onnx::OpSchemaRegistry::get_all_schemas_with_history())
        if (s.domain().empty() && s.SinceVersion() == v) any = true;
      QVERIFY2(any, qPrintable(QString("no schema introduced at opset %1").arg(v)));
    }
  }

  void theOpDocsDescribeTheNewVersions() {
    OpDoc gelu = describeOp("Gelu", "", 20);
    QVERIFY2(gelu.known, gelu.note.c_str());
    QCOMPARE(gelu.sinceVersion, 20);
    QVERIFY(gelu.doc.find("erf") != std::string::npos);
    bool approximate = false;
    for (const auto& a : gelu.attributes)
      if (a.name == "approximate" && a.defaultValue == "none" && a.description.find("tanh") != std::string::npos)
        approximate = true;
    QVERIFY(approximate);
    // A type-only re-version keeps its documentation and says what it added.
    OpDoc reshape = describeOp("Reshape", "", 25);
    QVERIFY2(reshape.known, reshape.note.c_str());
    QCOMPARE(reshape.sinceVersion, 25);
    QVERIFY(reshape.doc.find("int2") != std::string::npos);
    bool int4 = false;
    for (const auto& tc : reshape.typeConstraints)
      for (const auto& t : tc.allowed) int4 = int4 || t == "tensor(int4)";
    QVERIFY(int4);
    // Opset 18's ReduceMean takes axes as an input.
    OpDoc reduce = describeOp("ReduceMean", "", 18);
    QCOMPARE(reduce.sinceVersion, 18);
    QCOMPARE(reduce.inputs.size(), std::size_t(2));
    QCOMPARE(reduce.inputs[1].name, std::string("axes"));
    QVERIFY(reduce.inputs[1].optional);
    // Past 26, the newest schema is shown and the note says so.
    OpDoc future = describeOp("Relu", "", 27);
    QVERIFY(!future.known);
    QVERIFY2(future.note.find("newer than Graft knows (max 26)") != std::string::npos, future.note.c_str());
  }

  void everyNodeTestModelOfOpsets18To26IsValidWithoutAWarningAboutNewerOpsets() {
    const auto models = nodeTestModels();
    if (models.empty()) QSKIP("the ONNX node tests of opsets 18-26 are absent (set GRAFT_ONNX_NODE_TESTS)");
    const auto started = std::chrono::steady_clock::now();
    QStringList failures;
    for (const auto& path : models) {
      auto model = loadModel(path.string());
      if (!model) {
        failures << QString::fromStdString(testName(path) + ": load: " + model.message());
        continue;
      }
      auto v = validateModel(*model.value());
      std::string why;
      for (const auto& p : v.problems) {
        const bool newer = p.message.find("newer than") != std::string::npos ||
                           p.message.find("cannot check") != std::string::npos;
        if (p.severity == Diagnostic::Severity::Error || newer) why += "[" + p.node + "] " + p.message + "; ";
      }
      if (!v.valid || !why.empty()) failures << QString::fromStdString(testName(path) + ": " + why);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    qInfo("%zu node-test models checked in %.1f s, %lld not valid", models.size(), s,
          static_cast<long long>(failures.size()));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join("\n")));
  }

  void shapeInferenceTypesEveryOutputOfTheNodeTestModels() {
    const auto models = nodeTestModels();
    if (models.empty()) QSKIP("the ONNX node tests of opsets 18-26 are absent (set GRAFT_ONNX_NODE_TESTS)");
    QStringList failures;
    for (const auto& path : models) {
      auto loaded = loadModel(path.string());
      if (!loaded) continue;  // reported by the test above
      // Without the declared output types, so every type is what inference found.
      onnx::ModelProto proto = loaded.value()->toProto();
      proto.mutable_graph()->clear_value_info();
      for (auto& out : *proto.mutable_graph()->mutable_output()) out.clear_type();
      auto model = Model::fromProto(proto);
      if (!model) {
        failures << QString::fromStdString(testName(path) + ": " + model.message());
        continue;
      }
      auto r = inferShapes(*model.value());
      if (!r) {
        failures << QString::fromStdString(testName(path) + ": " + r.message());
        continue;
      }
      std::string untyped;
      for (const Node* n : model.value()->graph().nodes())
        for (const Value* out : n->outputs())
          if (out && !out->name().empty() && !r->types.count(out->name())) untyped += out->name() + " ";
      std::string errors;
      for (const auto& p : r->problems)
        if (p.severity != Diagnostic::Severity::Info) errors += "[" + p.node + "] " + p.message + "; ";
      // A typed output also needs its element type (a rank alone says little).
      for (const auto& [name, type] : r->types)
        if (type.has_tensor_type() && type.tensor_type().elem_type() == 0) untyped += name + "(no element type) ";
      if (!untyped.empty() || !errors.empty())
        failures << QString::fromStdString(testName(path) + ": untyped " + untyped + errors);
    }
    qInfo("%zu node-test models inferred, %lld with untyped outputs or problems", models.size(),
          static_cast<long long>(failures.size()));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join("\n")));
  }

  // Every schema Graft registered, given one input too many (or too few), is refused by check
  // with the checker's arity rule, tied to the node.
  void everyNewSchemaRefusesAWrongNumberOfInputs() {
    int cases = 0;
    QStringList failures;
    for (const auto& s : onnx::OpSchemaRegistry::get_all_schemas_with_history()) {
      if (!s.domain().empty() || !schema::isGraftSchema(s.Name(), "", s.SinceVersion())) continue;
      const bool unbounded = s.max_input() == std::numeric_limits<int>::max();
      if (unbounded && s.min_input() == 0) continue;  // no wrong arity exists
      NodeCase c{"arity", s.SinceVersion(), s.Name().c_str(), {}, {"y"}, {}, {"input size"}};
      const int count = unbounded ? s.min_input() - 1 : s.max_input() + 1;
      for (int i = 0; i < count; ++i) {
        int elem = 1;
        if (!s.inputs().empty())
          elem = firstTensorType(
              s, s.inputs()[std::min<std::size_t>(static_cast<std::size_t>(i), s.inputs().size() - 1)].GetTypeStr());
        std::string name = "in" + std::to_string(i);
        c.inputs.push_back(name + ":" + (elem == 7 ? "int64" : elem == 9 ? "bool" : elem == 8 ? "string" : "float") +
                           "[1]");
      }
      ++cases;
      auto v = check(oneNodeModel(c));
      bool refused = false;
      for (const auto& p : v.problems)
        if (p.severity == Diagnostic::Severity::Error && p.node == "broken" &&
            p.message.find("input size") != std::string::npos)
          refused = true;
      if (v.valid || !refused)
        failures << QString::fromStdString(s.Name() + "-" + std::to_string(s.SinceVersion()) + " with " +
                                           std::to_string(count) + " inputs: " + dump(v.problems));
    }
    qInfo("%d schemas given a wrong number of inputs", cases);
    QVERIFY(cases > 100);
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join("\n")));
  }

  // Wrong types, bad attribute values and shapes the new schemas' rules exclude.
  void brokenNodesOfTheNewSchemasAreRefusedNamingTheNodeAndTheRule() {
    const std::vector<NodeCase> cases = {
        {"Gelu-20 with an approximation that does not exist", 20, "Gelu", {"x:float[2,3]"}, {"y"},
         [](auto& n) { setString(n, "approximate", "cubic"); }, {"approximate", "cubic", "none, tanh"}},
        {"RMSNormalization-23 without its scale", 23, "RMSNormalization", {"x:float[2,3]"}, {"y"}, {},
         {"input size 1", "min=2"}},
        {"GroupNormalization-21 on int64", 21, "GroupNormalization", {"x:int64[1,4,2]", "s:int64[4]", "b:int64[4]"},
         {"y"}, [](auto& n) { setInt(n, "num_groups", 2); }, {"tensor(int64)", "GroupNormalization-21"}},
        {"Attention-23 with an attribute it does not have", 23, "Attention",
         {"q:float[1,2,3,4]", "k:float[1,2,3,4]", "v:float[1,2,3,4]"}, {"y"},
         [](auto& n) { setInt(n, "num_heads", 2); }, {"Unrecognized attribute", "num_heads"}},
        {"Attention-23 on 3-D inputs without head counts", 23, "Attention",
         {"q:float[1,3,8]", "k:float[1,3,8]", "v:float[1,3,8]"}, {"y"}, {}, {"q_num_heads"}},
        {"Attention-23 with query heads not a multiple of the key heads", 23, "Attention",
         {"q:float[1,3,3,4]", "k:float[1,2,3,4]", "v:float[1,2,3,4]"}, {"y"}, {}, {"multiple of kv_num_heads"}},
        {"Attention-23 with a qk output mode out of range", 23, "Attention",
         {"q:float[1,2,3,4]", "k:float[1,2,3,4]", "v:float[1,2,3,4]"}, {"y"},
         [](auto& n) { setInt(n, "qk_matmul_output_mode", 7); }, {"qk_matmul_output_mode", "0, 1, 2, 3"}},
        {"GroupNormalization-18 with per-channel scale", 18, "GroupNormalization",
         {"x:float[1,4,2]", "s:float[4]", "b:float[4]"}, {"y"}, [](auto& n) { setInt(n, "num_groups", 2); },
         {"scale has 4 values; expected 2"}},
        {"GroupNormalization-21 with channels not divisible into groups", 21, "GroupNormalization",
         {"x:float[1,6,2]", "s:float[6]", "b:float[6]"}, {"y"}, [](auto& n) { setInt(n, "num_groups", 4); },
         {"not divisible by num_groups"}},
        {"Pad-19 with a mode that does not exist", 19, "Pad", {"x:float[2,3]", "p:int64[4]"}, {"y"},
         [](auto& n) { setString(n, "mode", "mirror"); }, {"mode", "mirror", "wrap"}},
        {"Pad-18 with wrap (from 19)", 18, "Pad", {"x:float[2,3]", "p:int64[4]"}, {"y"},
         [](auto& n) { setString(n, "mode", "wrap"); }, {"mode", "Pad-18"}},
        {"Resize-18 with an unknown aspect policy", 18, "Resize", {"x:float[1,1,2,2]", "", "s:float[4]"}, {"y"},
         [](auto& n) { setString(n, "keep_aspect_ratio_policy", "fit"); }, {"keep_aspect_ratio_policy", "fit"}},
        {"Resize-18 with half_pixel_symmetric (from 19)", 18, "Resize", {"x:float[1,1,2,2]", "", "s:float[4]"},
         {"y"}, [](auto& n) { setString(n, "coordinate_transformation_mode", "half_pixel_symmetric"); },
         {"coordinate_transformation_mode"}},
        {"ScatterND-18 with an unknown reduction", 18, "ScatterND",
         {"x:float[4]", "i:int64[1,1]", "u:float[1]"}, {"y"}, [](auto& n) { setString(n, "reduction", "avg"); },
         {"reduction", "avg"}},
        {"Split-18 with num_outputs not the number of outputs", 18, "Split", {"x:float[6]"}, {"a", "b"},
         [](auto& n) { setInt(n, "num_outputs", 3); }, {"num_outputs is 3"}},
        {"ReduceMax-18 on bool (from 20)", 18, "ReduceMax", {"x:bool[2,3]"}, {"y"}, {},
         {"tensor(bool)", "ReduceMax-18"}},
        {"BitwiseAnd-18 on float", 18, "BitwiseAnd", {"a:float[2]", "b:float[2]"}, {"c"}, {}, {"tensor(float)"}},
        {"BitwiseOr-18 on two integer types", 18, "BitwiseOr", {"a:int32[2]", "b:int64[2]"}, {"c"}, {},
         {"needs both of one type"}},
        {"Col2Im-18 on a 2-D input", 18, "Col2Im", {"x:float[4,9]", "i:int64[2]", "b:int64[2]"}, {"y"}, {},
         {"has rank 2", "needs rank 3"}},
        {"CenterCropPad-18 with float sizes", 18, "CenterCropPad", {"x:float[4,4]", "s:float[2]"}, {"y"}, {},
         {"shape", "tensor(float)"}},
        {"Mish-18 on int32", 18, "Mish", {"x:int32[3]"}, {"y"}, {}, {"tensor(int32)"}},
        {"LpPool-18 without kernel_shape", 18, "LpPool", {"x:float[1,1,4,4]"}, {"y"}, {}, {"kernel_shape"}},
        {"Cast-19 to int4 (from 21)", 19, "Cast", {"x:float[3]"}, {"y"}, [](auto& n) { setInt(n, "to", 22); },
         {"attribute 'to' is 22"}},
        {"Cast-24 with an unknown round_mode", 24, "Cast", {"x:float[3]"}, {"y"},
         [](auto& n) {
           setInt(n, "to", 24);
           setString(n, "round_mode", "odd");
         },
         {"round_mode", "odd"}},
        {"CastLike-21 from float4 (from 23)", 21, "CastLike", {"x:float4e2m1[4]", "t:float[1]"}, {"y"}, {},
         {"tensor(float4e2m1)"}},
        {"QuantizeLinear-21 with a negative block size", 21, "QuantizeLinear",
         {"x:float[2,4]", "s:float[2,2]", "z:int8[2,2]"}, {"y"}, [](auto& n) { setInt(n, "block_size", -2); },
         {"block_size", "-2"}},
        {"QuantizeLinear-21 with a blocked scale of the wrong size", 21, "QuantizeLinear",
         {"x:float[2,6]", "s:float[2,2]", "z:int8[2,2]"}, {"y"}, [](auto& n) { setInt(n, "block_size", 2); },
         {"blocked scale dimension 1 is 2; expected 3"}},
        {"DequantizeLinear-19 on int4 (from 21)", 19, "DequantizeLinear", {"x:int4[4]", "s:float[1]"}, {"y"}, {},
         {"tensor(int4)", "DequantizeLinear-19"}},
        {"DequantizeLinear-24 with int2 (from 25)", 24, "DequantizeLinear", {"x:int2[4]", "s:float[1]"}, {"y"}, {},
         {"tensor(int2)"}},
        {"QuantizeLinear-25 with a zero point of another type than output_dtype", 25, "QuantizeLinear",
         {"x:float[4]", "s:float[1]", "z:int8[1]"}, {"y"}, [](auto& n) { setInt(n, "output_dtype", 2); },
         {"output_dtype"}},
        {"QLinearMatMul-21 with mismatched inner dimensions", 21, "QLinearMatMul",
         {"a:int8[2,3]", "as:float[1]", "az:int8[1]", "b:int8[4,2]", "bs:float[1]", "bz:int8[1]", "ys:float[1]",
          "yz:int8[1]"},
         {"y"}, {}, {"inner dimensions differ"}},
        {"DeformConv-19 on int8", 19, "DeformConv", {"x:int8[1,1,4,4]", "w:int8[1,1,2,2]", "o:int8[1,8,3,3]"},
         {"y"}, {}, {"tensor(int8)"}},
        {"AffineGrid-20 with integer theta", 20, "AffineGrid", {"t:int32[1,2,3]", "s:int64[4]"}, {"g"}, {},
         {"tensor(int32)"}},
        {"DFT-20 on a last dimension of 3", 20, "DFT", {"x:float[1,8,3]"}, {"y"}, {}, {"1 (real) or 2 (complex)"}},
        {"GridSample-20 with the opset-16 mode name", 20, "GridSample", {"x:float[1,1,4,4]", "g:float[1,2,2,2]"},
         {"y"}, [](auto& n) { setString(n, "mode", "bilinear"); }, {"mode", "bilinear", "linear, nearest, cubic"}},
        {"GridSample-20 with a grid of the wrong coordinate count", 20, "GridSample",
         {"x:float[1,1,4,4]", "g:float[1,2,2,3]"}, {"y"}, {}, {"last dimension of grid must be 2"}},
        {"ImageDecoder-20 with a pixel format it does not have", 20, "ImageDecoder", {"b:uint8[100]"}, {"img"},
         [](auto& n) { setString(n, "pixel_format", "RGBA"); }, {"pixel_format", "RGBA"}},
        {"IsNaN-20 on int32", 20, "IsNaN", {"x:int32[3]"}, {"y"}, {}, {"tensor(int32)"}},
        {"RegexFullMatch-20 on float", 20, "RegexFullMatch", {"x:float[3]"}, {"y"},
         [](auto& n) { setString(n, "pattern", "a.*"); }, {"tensor(float)"}},
        {"StringConcat-20 on float", 20, "StringConcat", {"a:float[3]", "b:float[3]"}, {"c"}, {},
         {"tensor(float)"}},
        {"StringSplit-20 on int64", 20, "StringSplit", {"x:int64[3]"}, {"y", "z"}, {}, {"tensor(int64)"}},
        {"RotaryEmbedding-23 on 3-D input without num_heads", 23, "RotaryEmbedding",
         {"x:float[1,3,8]", "c:float[3,4]", "s:float[3,4]"}, {"y"}, {}, {"num_heads"}},
        {"RMSNormalization-23 with an axis out of range", 23, "RMSNormalization", {"x:float[2,3]", "s:float[3]"},
         {"y"}, [](auto& n) { setInt(n, "axis", 2); }, {"axis 2 is out of range"}},
        {"Swish-24 on int32", 24, "Swish", {"x:int32[3]"}, {"y"}, [](auto& n) { setFloat(n, "alpha", 1.5f); },
         {"tensor(int32)", "Swish-24"}},
        {"TensorScatter-24 with a mode that does not exist", 24, "TensorScatter",
         {"c:float[1,4,2]", "u:float[1,1,2]"}, {"y"}, [](auto& n) { setString(n, "mode", "ring"); },
         {"mode", "ring", "linear, circular"}},
        {"TensorScatter-24 with an update of another rank", 24, "TensorScatter", {"c:float[1,4,2]", "u:float[1,2]"},
         {"y"}, {}, {"rank of past_cache"}},
        {"TopK-24 with float k", 24, "TopK", {"x:float[5]", "k:float[1]"}, {"v", "i"}, {}, {"tensor(float)"}},
        {"BitCast-26 between widths", 26, "BitCast", {"x:float[3]"}, {"y"}, [](auto& n) { setInt(n, "to", 7); },
         {"same bit width"}},
        {"CumProd-26 on bool", 26, "CumProd", {"x:bool[3]", "a:int64[]"}, {"y"}, {}, {"tensor(bool)"}},
        {"Reshape-21 on int2 (from 25)", 21, "Reshape", {"x:int2[4]", "s:int64[1]"}, {"y"}, {},
         {"tensor(int2)", "Reshape-21"}},
        {"OptionalHasElement-18 with two inputs", 18, "OptionalHasElement", {"a:float[2]", "b:float[2]"}, {"c"},
         {}, {"input size 2"}},
    };
    QStringList failures;
    for (const auto& c : cases) {
      auto v = check(oneNodeModel(c));
      bool found = false;
      for (const auto& p : v.problems) {
        if (p.severity != Diagnostic::Severity::Error || p.node != "broken") continue;
        bool all = true;
        for (const auto& e : c.expect) all = all && p.message.find(e) != std::string::npos;
        found = found || all;
      }
      if (v.valid || !found) failures << QString::fromStdString(std::string(c.what) + ":\n" + dump(v.problems));
    }
    qInfo("%zu broken nodes checked", cases.size());
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join("\n")));
  }

  // The same nodes with what the schema asks for are valid: the rules refuse only what is broken.
  void wellFormedNodesOfTheNewSchemasAreValid() {
    const std::vector<NodeCase> cases = {
        {"Gelu-20 tanh", 20, "Gelu", {"x:bfloat16[2,3]"}, {"y"}, [](auto& n) { setString(n, "approximate", "tanh"); },
         {}},
        {"GroupNormalization-21", 21, "GroupNormalization", {"x:float[1,4,2]", "s:float[4]", "b:float[4]"}, {"y"},
         [](auto& n) { setInt(n, "num_groups", 2); }, {}},
        {"Attention-23 GQA 4-D", 23, "Attention", {"q:float[1,4,3,8]", "k:float[1,2,5,8]", "v:float[1,2,5,8]"},
         {"y"}, [](auto& n) { setInt(n, "is_causal", 1); }, {}},
        {"QuantizeLinear-21 blocked int4", 21, "QuantizeLinear", {"x:float[2,6]", "s:float[2,3]", "z:int4[2,3]"},
         {"y"}, [](auto& n) { setInt(n, "block_size", 2); }, {}},
        {"Cast-25 to int2", 25, "Cast", {"x:float[3]"}, {"y"}, [](auto& n) { setInt(n, "to", 26); }, {}},
        {"Pad-19 wrap", 19, "Pad", {"x:float[2,3]", "p:int64[4]"}, {"y"}, [](auto& n) { setString(n, "mode", "wrap"); },
         {}},
        {"Reshape-25 on int2", 25, "Reshape", {"x:int2[4]", "s:int64[1]"}, {"y"}, {}, {}},
    };
    QStringList failures;
    for (const auto& c : cases) {
      auto v = check(oneNodeModel(c));
      if (!v.valid) failures << QString::fromStdString(std::string(c.what) + ":\n" + dump(v.problems));
    }
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join("\n")));
  }

  void aModelDeclaringANewerIrOrOpsetIsWarnedAbout() {
    NodeCase c{"relu", 27, "Relu", {"x:float[2]"}, {"y"}, {}, {}};
    auto proto = oneNodeModel(c);
    proto.set_ir_version(14);
    auto v = check(proto);
    bool ir = false, opset = false;
    for (const auto& p : v.problems) {
      if (p.severity != Diagnostic::Severity::Warning) continue;
      ir = ir || p.message.find("IR version 14 is newer than Graft knows (up to 13)") != std::string::npos;
      opset = opset || p.message.find("opset 27") != std::string::npos;
    }
    QVERIFY2(ir && opset, dump(v.problems).c_str());
    // IR 9 to 13 pass without a word.
    for (int irVersion : {9, 10, 11, 12, 13}) {
      NodeCase ok{"relu", 21, "Relu", {"x:float[2]"}, {"y"}, {}, {}};
      auto m = oneNodeModel(ok);
      m.set_ir_version(irVersion);
      auto r = check(m);
      QVERIFY2(r.valid && r.problems.empty(), dump(r.problems).c_str());
    }
  }
};

QTEST_GUILESS_MAIN(TestOpsetSchemas)
#include "test_opset_schemas.moc"
