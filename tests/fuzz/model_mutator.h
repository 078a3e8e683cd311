// Protobuf-aware mutations of ONNX models for fuzzing what a user does with a file (check, run):
// dims, element types, attributes, wiring, opsets, op types, initializers, node order and
// model-local functions are changed the way a hostile or broken exporter would, so each mutant
// still parses and reaches the analyses and kernels instead of dying in the protobuf parser.
#pragma once

#include <onnx/onnx_pb.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "graft/analysis.h"
#include "graft/eval.h"
#include "graft/io.h"

namespace graft::fuzz {

inline const std::vector<std::string>& opTypes() {
  static const std::vector<std::string> ops = {
      "Add", "Mul", "Conv", "ConvTranspose", "MaxPool", "AveragePool", "Relu", "Softmax", "Gemm", "MatMul",
      "Reshape", "Transpose", "Concat", "Split", "Slice", "Gather", "GatherND", "ScatterND", "ScatterElements",
      "Unsqueeze", "Squeeze", "Expand", "Tile", "Pad", "Range", "ConstantOfShape", "Einsum", "LSTM", "GRU", "RNN",
      "BatchNormalization", "LayerNormalization", "InstanceNormalization", "Resize", "TopK", "CumSum", "ReduceSum",
      "ReduceMean", "ArgMax", "Loop", "If", "Scan", "Cast", "Where", "OneHot", "DepthToSpace", "SpaceToDepth",
      "NonZero", "Compress", "Flatten", "Identity", "Shape", "Size", "Trilu", "ReverseSequence", "GlobalAveragePool",
      "LRN", "Dropout", "Clip", "QuantizeLinear", "DequantizeLinear", "Hardmax", "LogSoftmax", "EyeLike", "Col2Im"};
  return ops;
}

class Mutator {
 public:
  explicit Mutator(std::uint64_t seed) : rng_(seed) {}

  onnx::ModelProto mutate(const onnx::ModelProto& seed) {
    onnx::ModelProto m = seed;
    const int count = 1 + pick(3);
    for (int i = 0; i < count; ++i) {
      switch (pick(10)) {
        case 0: mutateDims(m); break;
        case 1: mutateTypes(m); break;
        case 2:
        case 3: mutateAttributes(m); break;
        case 4: mutateWiring(m); break;
        case 5: mutateOpset(m); break;
        case 6: mutateOpType(m); break;
        case 7: mutateInitializer(m); break;
        case 8: mutateOrder(m); break;
        default: mutateFunctions(m); break;
      }
    }
    return m;
  }

 private:
  int pick(int n) { return n <= 0 ? 0 : static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }
  bool coin() { return rng_() & 1; }
  std::int64_t interesting() {
    static const std::int64_t values[] = {0, 1, 2, 3, -1, -2, 7, 64, 255, 256, 65535, 1 << 20,
                                          std::int64_t(1) << 31, std::int64_t(1) << 32, std::int64_t(1) << 40,
                                          std::int64_t(1) << 62, INT64_MAX, INT64_MIN, -1000000};
    return coin() ? values[pick(static_cast<int>(std::size(values)))] : pick(9) - 2;
  }

  std::vector<onnx::ValueInfoProto*> infos(onnx::ModelProto& m) {
    std::vector<onnx::ValueInfoProto*> out;
    auto* g = m.mutable_graph();
    for (auto& v : *g->mutable_input()) out.push_back(&v);
    for (auto& v : *g->mutable_output()) out.push_back(&v);
    for (auto& v : *g->mutable_value_info()) out.push_back(&v);
    return out;
  }
  onnx::NodeProto* anyNode(onnx::ModelProto& m) {
    auto* g = m.mutable_graph();
    if (!g->node_size()) return nullptr;
    return g->mutable_node(pick(g->node_size()));
  }

  void mutateDims(onnx::ModelProto& m) {
    auto vis = infos(m);
    if (vis.empty()) return;
    auto* tt = vis[static_cast<size_t>(pick(static_cast<int>(vis.size())))]->mutable_type()->mutable_tensor_type();
    auto* shape = tt->mutable_shape();
    switch (pick(3)) {
      case 0:
        if (shape->dim_size()) shape->mutable_dim(pick(shape->dim_size()))->set_dim_value(interesting());
        break;
      case 1: shape->add_dim()->set_dim_value(interesting()); break;
      default:
        if (shape->dim_size()) shape->mutable_dim()->RemoveLast();
        else tt->clear_shape();
    }
  }

  void mutateTypes(onnx::ModelProto& m) {
    const int t = coin() ? pick(28) : (coin() ? 77 : -3);
    if (coin()) {
      auto vis = infos(m);
      if (!vis.empty())
        vis[static_cast<size_t>(pick(static_cast<int>(vis.size())))]->mutable_type()->mutable_tensor_type()->set_elem_type(t);
    } else if (m.graph().initializer_size()) {
      m.mutable_graph()->mutable_initializer(pick(m.graph().initializer_size()))->set_data_type(t);
    }
  }

  void mutateAttributes(onnx::ModelProto& m) {
    auto* n = anyNode(m);
    if (!n) return;
    static const char* names[] = {"axis", "axes", "perm", "strides", "dilations", "pads", "kernel_shape", "group",
                                  "equation", "batch_dims", "hidden_size", "blocksize", "to", "keepdims",
                                  "num_outputs", "split", "mode", "direction", "transA", "alpha", "epsilon",
                                  "num_scan_inputs", "body", "then_branch"};
    if (n->attribute_size() == 0 || pick(4) == 0) {
      auto* a = n->add_attribute();
      a->set_name(names[pick(static_cast<int>(std::size(names)))]);
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(interesting());
      if (coin()) {
        a->set_type(onnx::AttributeProto::INTS);
        a->clear_i();
        for (int k = pick(6); k > 0; --k) a->add_ints(interesting());
      }
      return;
    }
    auto* a = n->mutable_attribute(pick(n->attribute_size()));
    switch (pick(6)) {
      case 0: a->set_i(interesting()); break;
      case 1:
        if (a->ints_size()) a->set_ints(pick(a->ints_size()), interesting());
        else a->add_ints(interesting());
        break;
      case 2: a->add_ints(interesting()); break;
      case 3: {
        static const char* eqs[] = {"ij->ijk", "......->...", "ij,jk->ik", "ii->i", "a...b->ba...", "->", ",->", "i->"};
        a->set_s(coin() ? eqs[pick(static_cast<int>(std::size(eqs)))] : std::string(static_cast<size_t>(pick(5)), 'z'));
        break;
      }
      case 4: a->set_type(static_cast<onnx::AttributeProto::AttributeType>(pick(15))); break;
      default: a->set_f(coin() ? 1e30f : -0.0f); break;
    }
  }

  void mutateWiring(onnx::ModelProto& m) {
    auto* n = anyNode(m);
    if (!n) return;
    std::vector<std::string> names;
    for (const auto& v : m.graph().input()) names.push_back(v.name());
    for (const auto& t : m.graph().initializer()) names.push_back(t.name());
    for (const auto& other : m.graph().node())
      for (const auto& o : other.output()) names.push_back(o);
    switch (pick(5)) {
      case 0:
        if (n->input_size()) n->set_input(pick(n->input_size()), names.empty() ? "" : names[static_cast<size_t>(pick(static_cast<int>(names.size())))]);
        break;
      case 1:
        if (n->input_size()) n->set_input(pick(n->input_size()), "");
        break;
      case 2: n->add_input(names.empty() ? "" : names[static_cast<size_t>(pick(static_cast<int>(names.size())))]); break;
      case 3:
        if (n->input_size()) n->mutable_input()->RemoveLast();
        break;
      default:
        if (n->output_size() && coin()) n->mutable_output()->RemoveLast();
        else n->add_output("fuzz_out_" + std::to_string(pick(4)));
    }
  }

  void mutateOpset(onnx::ModelProto& m) {
    if (m.opset_import_size() && coin())
      m.mutable_opset_import(0)->set_version(pick(30) - 1);
    else if (auto* n = anyNode(m))
      n->set_domain(coin() ? "ai.onnx" : (coin() ? "com.microsoft" : "local"));
  }

  void mutateOpType(onnx::ModelProto& m) {
    if (auto* n = anyNode(m)) n->set_op_type(opTypes()[static_cast<size_t>(pick(static_cast<int>(opTypes().size())))]);
  }

  void mutateInitializer(onnx::ModelProto& m) {
    auto* g = m.mutable_graph();
    if (!g->initializer_size()) {
      auto* t = g->add_initializer();
      t->set_name(g->input_size() ? g->input(0).name() : "fuzz_init");
      t->set_data_type(onnx::TensorProto::INT64);
      t->add_dims(2);
      t->add_int64_data(interesting());
      t->add_int64_data(interesting());
      return;
    }
    auto* t = g->mutable_initializer(pick(g->initializer_size()));
    switch (pick(6)) {
      case 0:
        if (t->dims_size()) t->set_dims(pick(t->dims_size()), interesting());
        break;
      case 1: t->add_dims(interesting() & 7); break;
      case 2:
        if (t->has_raw_data() && !t->raw_data().empty())
          t->mutable_raw_data()->resize(static_cast<size_t>(pick(static_cast<int>(t->raw_data().size()) + 9)));
        break;
      case 3:
        if (t->has_raw_data())
          for (int k = 0; k < 4 && !t->raw_data().empty(); ++k)
            (*t->mutable_raw_data())[static_cast<size_t>(pick(static_cast<int>(t->raw_data().size())))] = static_cast<char>(rng_());
        break;
      case 4:
        // A well-formed empty tensor (one dim 0, no data): weights with K = 0 and the like, which
        // the dim mutation above never makes loadable (its data no longer fits).
        if (t->dims_size()) {
          t->set_dims(pick(t->dims_size()), 0);
          t->clear_raw_data();
          t->clear_float_data();
          t->clear_int32_data();
          t->clear_int64_data();
          t->clear_double_data();
          t->clear_uint64_data();
          t->clear_string_data();
        }
        break;
      default:
        t->clear_raw_data();
        t->clear_float_data();
        t->set_data_type(onnx::TensorProto::INT64);
        for (int k = 0; k < 3; ++k) t->add_int64_data(interesting());
        t->clear_dims();
        t->add_dims(t->int64_data_size());
    }
  }

  void mutateOrder(onnx::ModelProto& m) {
    auto* nodes = m.mutable_graph()->mutable_node();
    if (nodes->size() < 2) return;
    if (coin()) nodes->SwapElements(pick(nodes->size()), pick(nodes->size()));
    else
      for (int i = 0, j = nodes->size() - 1; i < j; ++i, --j) nodes->SwapElements(i, j);
  }

  void mutateFunctions(onnx::ModelProto& m) {
    auto* n = anyNode(m);
    if (!n) return;
    // Make the node call a model-local function that calls itself (or one that wraps a copy of
    // the node), the shapes that overflowed onnx's stack.
    auto* f = m.add_functions();
    f->set_name("Fuzz" + std::to_string(pick(3)));
    f->set_domain("local");
    bool haveLocal = false;
    for (const auto& i : m.opset_import()) haveLocal = haveLocal || i.domain() == "local";
    if (!haveLocal) {
      auto* imp = m.add_opset_import();
      imp->set_domain("local");
      imp->set_version(1);
    }
    *f->mutable_opset_import() = m.opset_import();
    for (int i = 0; i < n->input_size(); ++i) f->add_input("i" + std::to_string(i));
    for (int i = 0; i < n->output_size(); ++i) f->add_output("o" + std::to_string(i));
    auto* inner = f->add_node();
    if (coin()) {
      inner->set_op_type(f->name());
      inner->set_domain("local");
    } else {
      *inner = *n;
      inner->clear_name();
    }
    inner->clear_input();
    inner->clear_output();
    for (int i = 0; i < n->input_size(); ++i) inner->add_input("i" + std::to_string(i));
    for (int i = 0; i < n->output_size(); ++i) inner->add_output("o" + std::to_string(i));
    n->set_op_type(f->name());
    n->set_domain("local");
  }

  std::mt19937_64 rng_;
};

// Small models to start from: backend node tests (every `stride`-th, sorted) plus extra files.
inline std::vector<onnx::ModelProto> loadSeeds(const std::string& testdata, std::size_t stride,
                                               const std::vector<std::string>& extraDirs) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  const fs::path node = fs::path(testdata) / "node";
  if (fs::exists(node, ec))
    for (const auto& e : fs::recursive_directory_iterator(node, ec))
      if (e.path().extension() == ".onnx") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<std::string> chosen;
  for (std::size_t i = 0; i < files.size(); i += std::max<std::size_t>(stride, 1)) chosen.push_back(files[i]);
  for (const auto& d : extraDirs)
    if (fs::exists(d, ec))
      for (const auto& e : fs::directory_iterator(d, ec))
        if (e.path().extension() == ".onnx") chosen.push_back(e.path().string());
  std::vector<onnx::ModelProto> out;
  for (const auto& f : chosen) {
    std::ifstream in(f, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() > (1 << 20)) continue;
    onnx::ModelProto m;
    if (m.ParseFromString(bytes)) out.push_back(std::move(m));
  }
  return out;
}

// What a user does with a file: load, check (the onnx checker and Graft's checks), shape
// inference, and a run on seeded random inputs. Nothing here may crash or hang.
inline void exercise(const onnx::ModelProto& mutant) {
  std::string bytes;
  if (!mutant.SerializeToString(&bytes)) return;
  auto model = loadModelFromBytes(bytes);
  if (!model) return;
  (void)validateModel(*model.value());
  (void)inferShapes(*model.value());
  auto inputs = randomInputs(*model.value(), 7);
  if (!inputs) return;
  EvalOptions options;
  options.maxSteps = 100000;
  options.threads = 1;
  (void)evaluate(*model.value(), inputs.value(), options);
}

}  // namespace graft::fuzz
