// Hand-made hostile models, one per defect of the "hostile models" report: each is a small
// ModelProto that once crashed, hung or ran away in Graft or in the onnx library. Shared by
// test_hostile (engine), the studio test and the fuzzer's seeds.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace graft::test {

struct ModelBuilder {
  onnx::ModelProto m;
  onnx::GraphProto* g;
  explicit ModelBuilder(int opset = 13) {
    m.set_ir_version(8);
    auto* op = m.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    g = m.mutable_graph();
    g->set_name("hostile");
  }
  static void setType(onnx::ValueInfoProto* vi, const std::string& name, int dtype,
                      const std::vector<std::int64_t>& dims) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(dtype);
    auto* shape = tt->mutable_shape();
    for (auto d : dims) shape->add_dim()->set_dim_value(d);
  }
  void input(const std::string& name, int dtype, const std::vector<std::int64_t>& dims) {
    setType(g->add_input(), name, dtype, dims);
  }
  void output(const std::string& name, int dtype = onnx::TensorProto::FLOAT) {
    auto* vi = g->add_output();
    vi->set_name(name);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(dtype);
  }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& in, const std::vector<std::string>& out,
                        const std::string& name = {}) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? op : name);
    for (const auto& s : in) n->add_input(s);
    for (const auto& s : out) n->add_output(s);
    return n;
  }
  static void ints(onnx::NodeProto* n, const std::string& attr, const std::vector<std::int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(attr);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  static void intAttr(onnx::NodeProto* n, const std::string& attr, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(attr);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void strAttr(onnx::NodeProto* n, const std::string& attr, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(attr);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  void floatInit(const std::string& name, const std::vector<std::int64_t>& dims, float fill = 0.5f) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    std::int64_t n = 1;
    for (auto d : dims) {
      t->add_dims(d);
      n *= d;
    }
    for (std::int64_t i = 0; i < n; ++i) t->add_float_data(fill + static_cast<float>(i % 7) * 0.125f);
  }
  void int64Init(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<std::int64_t>& v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (auto d : dims) t->add_dims(d);
    for (auto x : v) t->add_int64_data(x);
  }
  void floatScalarInit(const std::string& name, float v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_float_data(v);
  }
};

struct HostileModel {
  std::string name;
  std::string what;  // the defect it reproduces
  onnx::ModelProto model;
};

inline std::vector<HostileModel> hostileModels() {
  using TP = onnx::TensorProto;
  std::vector<HostileModel> out;
  auto add = [&](const std::string& name, const std::string& what, const std::function<void(ModelBuilder&)>& fill,
                 int opset = 13) {
    ModelBuilder b(opset);
    fill(b);
    out.push_back({name, what, b.m});
  };

  add("scatternd_out_of_range", "ScatterND index far outside the data: a heap write", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {4});
    b.int64Init("idx", {1, 1}, {1000000});
    b.floatInit("upd", {1});
    b.node("ScatterND", {"x", "idx", "upd"}, {"y"});
    b.output("y");
  });
  add("scatternd_negative_index", "ScatterND index below -dim", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {4, 2});
    b.int64Init("idx", {1, 1}, {-9});
    b.floatInit("upd", {1, 2});
    b.node("ScatterND", {"x", "idx", "upd"}, {"y"});
    b.output("y");
  });
  add("transpose_perm_out_of_range", "Transpose perm naming a dim that does not exist", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {2, 3});
    auto* n = b.node("Transpose", {"x"}, {"y"});
    ModelBuilder::ints(n, "perm", {0, 7});
    b.output("y");
  });
  add("conv_stride_zero", "Conv with a zero stride (SIGFPE in onnx inference)", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {1, 1, 4, 4});
    b.floatInit("w", {1, 1, 2, 2});
    auto* n = b.node("Conv", {"x", "w"}, {"y"});
    ModelBuilder::ints(n, "strides", {0, 0});
    b.output("y");
  });
  add("conv_padded_far", "Conv padded by 2^20 columns beyond a 3x3 kernel", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {1, 1, 7, 5});
    b.floatInit("w", {1, 1, 3, 3});
    auto* n = b.node("Conv", {"x", "w"}, {"y"});
    ModelBuilder::ints(n, "kernel_shape", {3, 3});
    ModelBuilder::ints(n, "pads", {1, 1048576, 1, 0});
    ModelBuilder::ints(n, "strides", {2, 2});
    b.output("y");
  });
  add("conv_negative_dilation", "Conv with a negative dilation", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {1, 1, 4, 4});
    b.floatInit("w", {1, 1, 2, 2});
    auto* n = b.node("Conv", {"x", "w"}, {"y"});
    ModelBuilder::ints(n, "dilations", {-1, -1});
    b.output("y");
  });
  add("convtranspose_scalar_w", "ConvTranspose whose W is a scalar", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {1, 1, 4, 4});
    b.floatScalarInit("w", 1.0f);
    b.node("ConvTranspose", {"x", "w"}, {"y"});
    b.output("y");
  });
  add("layernorm_rank0", "LayerNormalization of a rank-0 input", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {});
    b.floatScalarInit("s", 1.0f);
    b.node("LayerNormalization", {"x", "s"}, {"y"});
    b.output("y");
  }, 17);
  add("constantofshape_huge_declared", "ConstantOfShape of an input declared int64[2^62]", [](ModelBuilder& b) {
    b.input("shape", TP::INT64, {std::int64_t(1) << 62});
    b.node("ConstantOfShape", {"shape"}, {"y"});
    b.output("y");
  });
  add("recursive_function", "a model-local function that calls itself", [](ModelBuilder& b) {
    auto* imp = b.m.add_opset_import();
    imp->set_domain("local");
    imp->set_version(1);
    auto* f = b.m.add_functions();
    f->set_name("Loopy");
    f->set_domain("local");
    f->add_input("a");
    f->add_output("b");
    auto* fi = f->add_opset_import();
    fi->set_domain("");
    fi->set_version(13);
    auto* fi2 = f->add_opset_import();
    fi2->set_domain("local");
    fi2->set_version(1);
    auto* inner = f->add_node();
    inner->set_op_type("Loopy");
    inner->set_domain("local");
    inner->add_input("a");
    inner->add_output("b");
    b.input("x", TP::FLOAT, {2});
    auto* n = b.node("Loopy", {"x"}, {"y"});
    n->set_domain("local");
    b.output("y");
  });
  add("mutually_recursive_functions", "two model-local functions that call each other", [](ModelBuilder& b) {
    auto* imp = b.m.add_opset_import();
    imp->set_domain("local");
    imp->set_version(1);
    for (const char* name : {"Ping", "Pong"}) {
      auto* f = b.m.add_functions();
      f->set_name(name);
      f->set_domain("local");
      f->add_input("a");
      f->add_output("b");
      auto* fi = f->add_opset_import();
      fi->set_domain("");
      fi->set_version(13);
      auto* fi2 = f->add_opset_import();
      fi2->set_domain("local");
      fi2->set_version(1);
      auto* inner = f->add_node();
      inner->set_op_type(std::string(name) == "Ping" ? "Pong" : "Ping");
      inner->set_domain("local");
      inner->add_input("a");
      inner->add_output("b");
    }
    b.input("x", TP::FLOAT, {2});
    auto* n = b.node("Ping", {"x"}, {"y"});
    n->set_domain("local");
    b.output("y");
  });
  add("softmax_no_input", "Softmax with no input", [](ModelBuilder& b) {
    b.node("Softmax", {}, {"y"});
    b.output("y");
  });
  add("maxpool_no_input", "MaxPool with no input", [](ModelBuilder& b) {
    auto* n = b.node("MaxPool", {}, {"y"});
    ModelBuilder::ints(n, "kernel_shape", {2, 2});
    b.output("y");
  });
  add("constantofshape_no_input", "ConstantOfShape with no input", [](ModelBuilder& b) {
    b.node("ConstantOfShape", {}, {"y"});
    b.output("y");
  });
  add("split_scalar", "Split of a scalar", [](ModelBuilder& b) {
    b.floatScalarInit("x", 1.0f);
    b.node("Split", {"x"}, {"y", "z"});
    b.output("y");
  });
  add("lstm_scalar_r", "LSTM with a scalar R", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {1, 1, 2});
    b.floatInit("w", {1, 4, 2});
    b.floatScalarInit("r", 1.0f);
    auto* n = b.node("LSTM", {"x", "w", "r"}, {"y"});
    ModelBuilder::intAttr(n, "hidden_size", 1);
    b.output("y");
  });
  add("batchnorm_rank1_scale_missing", "BatchNormalization of a rank-1 input with a scalar scale", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {3});
    b.floatScalarInit("s", 1.0f);
    b.floatInit("bias", {3});
    b.floatInit("mean", {3});
    b.floatInit("var", {3});
    b.node("BatchNormalization", {"x", "s", "bias", "mean", "var"}, {"y"});
    b.output("y");
  });
  add("gathernd_indices_too_long", "GatherND whose index tuples are longer than the data's rank", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {2, 2});
    b.int64Init("idx", {1, 5}, {0, 0, 0, 0, 0});
    b.node("GatherND", {"x", "idx"}, {"y"});
    b.output("y");
  });
  add("gathernd_index_out_of_range", "GatherND index past the data", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {2, 2});
    b.int64Init("idx", {1, 2}, {0, 99999});
    b.node("GatherND", {"x", "idx"}, {"y"});
    b.output("y");
  });
  add("unsqueeze_axis_out_of_range", "Unsqueeze with an axis far out of range", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {2});
    b.int64Init("axes", {1}, {1000});
    b.node("Unsqueeze", {"x", "axes"}, {"y"});
    b.output("y");
  });
  add("pad_wrong_length", "Pad with pads longer than twice the rank", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {2});
    b.int64Init("pads", {6}, {1, 1, 1, 1, 1, 1});
    b.node("Pad", {"x", "pads"}, {"y"});
    b.output("y");
  });
  add("pad_huge_negative", "Pad removing more than the input has", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {2});
    b.int64Init("pads", {2}, {-100, 0});
    b.node("Pad", {"x", "pads"}, {"y"});
    b.output("y");
  });
  add("relu_no_output", "Relu without outputs", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {2});
    b.node("Relu", {"x"}, {});
    b.node("Identity", {"x"}, {"y"});
    b.output("y");
  });
  add("slice_wrong_axes", "Slice with axes out of range and repeated", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {4});
    b.int64Init("starts", {2}, {0, 0});
    b.int64Init("ends", {2}, {1, 1});
    b.int64Init("axes", {2}, {5, 5});
    b.node("Slice", {"x", "starts", "ends", "axes"}, {"y"});
    b.output("y");
  });
  add("range_to_1e30", "Range to 1e30", [](ModelBuilder& b) {
    b.floatScalarInit("start", 0.0f);
    b.floatScalarInit("limit", 1e30f);
    b.floatScalarInit("delta", 1.0f);
    b.node("Range", {"start", "limit", "delta"}, {"y"});
    b.output("y");
  });
  add("einsum_missing_label", "Einsum with an output label missing from the inputs", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {2, 3});
    auto* n = b.node("Einsum", {"x"}, {"y"});
    ModelBuilder::strAttr(n, "equation", "ij->ijk");
    b.output("y");
  }, 12);
  add("einsum_ellipsis_blowup", "Einsum '......->...'", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {64, 64, 64});
    auto* n = b.node("Einsum", {"x"}, {"y"});
    ModelBuilder::strAttr(n, "equation", "......->...");
    b.output("y");
  }, 12);
  add("einsum_astronomical_work", "Einsum summing nine [64] inputs over every combination (2^54 products)",
      [](ModelBuilder& b) {
        std::vector<std::string> names;
        for (char c = 'a'; c <= 'i'; ++c) {
          names.push_back(std::string(1, c));
          b.input(names.back(), TP::FLOAT, {64});
        }
        auto* n = b.node("Einsum", names, {"y"});
        ModelBuilder::strAttr(n, "equation", "a,b,c,d,e,f,g,h,i->");
        b.output("y");
      },
      12);
  // onnx 1.12's version converter reads the inputs its adapters expect without looking (found
  // converting these to the next opset: SIGSEGV).
  add("add_one_input_opset6", "Add with one input at opset 6 (the converter's broadcast adapter)",
      [](ModelBuilder& b) {
        b.input("x", TP::FLOAT, {2, 3});
        b.node("Add", {"x"}, {"y"});
        b.output("y");
      },
      6);
  add("softmax_no_input_opset12", "Softmax without an input at opset 12 (the converter's Softmax adapter)",
      [](ModelBuilder& b) {
        b.input("x", TP::FLOAT, {2, 3});
        b.node("Softmax", {}, {"y"});
        b.output("y");
      },
      12);
  // Found by the model fuzzer (test_fuzz_models): an op used below the opset that introduced it
  // had no schema to be checked against, and its kernel indexed dims the input lacks.
  add("trilu_rank1_before_its_opset", "Trilu (opset 14) on a rank-1 input in an opset-13 model", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {4});
    b.node("Trilu", {"x"}, {"y"});
    b.output("y");
  });
  add("trilu_empty_k", "Trilu whose k is an empty tensor", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {3, 3});
    b.int64Init("k", {0}, {});
    b.node("Trilu", {"x", "k"}, {"y"});
    b.output("y");
  }, 14);
  add("expand_overflowing_dims", "Expand to dims whose product exceeds 2^64", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {1});
    b.int64Init("shape", {3}, {std::int64_t(1) << 32, std::int64_t(1) << 32, std::int64_t(1) << 32});
    b.node("Expand", {"x", "shape"}, {"y"});
    b.output("y");
  });
  add("constantofshape_huge_value", "ConstantOfShape of [2^40]", [](ModelBuilder& b) {
    b.int64Init("shape", {1}, {std::int64_t(1) << 40});
    b.node("ConstantOfShape", {"shape"}, {"y"});
    b.output("y");
  });
  add("negative_declared_dims", "an input declared with a negative dim", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {-5, 2});
    b.node("Relu", {"x"}, {"y"});
    b.output("y");
  });
  add("data_type_77", "an input of element type 77", [](ModelBuilder& b) {
    b.input("x", 77, {2});
    b.node("Identity", {"x"}, {"y"});
    b.output("y", 77);
  });
  add("loop_huge_trip_count", "a Loop of 2^62 iterations over constants", [](ModelBuilder& b) {
    b.int64Init("trips", {}, {std::int64_t(1) << 62});
    auto* cond = b.g->add_initializer();
    cond->set_name("cond");
    cond->set_data_type(TP::BOOL);
    cond->add_int32_data(1);
    b.floatInit("v0", {1});
    auto* n = b.node("Loop", {"trips", "cond", "v0"}, {"v"});
    auto* a = n->add_attribute();
    a->set_name("body");
    a->set_type(onnx::AttributeProto::GRAPH);
    auto* body = a->mutable_g();
    body->set_name("body");
    ModelBuilder::setType(body->add_input(), "i", TP::INT64, {});
    ModelBuilder::setType(body->add_input(), "c", TP::BOOL, {});
    ModelBuilder::setType(body->add_input(), "x", TP::FLOAT, {1});
    auto* id = body->add_node();
    id->set_op_type("Identity");
    id->add_input("c");
    id->add_output("c2");
    auto* add1 = body->add_node();
    add1->set_op_type("Identity");
    add1->add_input("x");
    add1->add_output("x2");
    ModelBuilder::setType(body->add_output(), "c2", TP::BOOL, {});
    ModelBuilder::setType(body->add_output(), "x2", TP::FLOAT, {1});
    b.output("v");
  });
  add("random_input_huge", "an input declared float[2^31] (random inputs for it)", [](ModelBuilder& b) {
    b.input("x", TP::FLOAT, {std::int64_t(1) << 31});
    b.node("Relu", {"x"}, {"y"});
    b.output("y");
  });
  return out;
}

}  // namespace graft::test
