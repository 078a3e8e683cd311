// Small models built in memory for the layout and canvas tests: a decoder shaped like
// PyTorch's export (module scopes in node names), and the proto helpers that build it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graft/ir.h"

namespace graft::test {

inline onnx::NodeProto* addNode(onnx::GraphProto& g, const std::string& op, const std::string& name,
                         std::vector<std::string> inputs, std::vector<std::string> outputs) {
  auto* n = g.add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (auto& i : inputs) n->add_input(i);
  for (auto& o : outputs) n->add_output(o);
  return n;
}

inline void addFloatInitializer(onnx::GraphProto& g, const std::string& name, std::vector<std::int64_t> dims) {
  auto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  std::int64_t count = 1;
  for (auto d : dims) {
    t->add_dims(d);
    count *= d;
  }
  for (std::int64_t i = 0; i < count; ++i) t->add_float_data(0.01f * static_cast<float>(i % 7));
}

inline void addTensorValue(onnx::ValueInfoProto* vi, const std::string& name, std::vector<std::int64_t> dims) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
}

// A decoder shaped like PyTorch's export: /h.i/ln, /h.i/attn (with a lone-node scope inside),
// a root "/Constant" that every layer reads, and an unscoped Constant_* that only one layer uses.
inline std::unique_ptr<Model> makeDecoder(int layers) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(17);
  auto& g = *m.mutable_graph();
  g.set_name("decoder");
  addTensorValue(g.add_input(), "x", {1, 16, 16});  // square, so scores = q·x is valid
  addNode(g, "Constant", "/Constant", {}, {"scale"})->add_attribute()->set_name("value_float");
  {
    auto* a = g.mutable_node(0)->mutable_attribute(0);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(0.125f);
  }
  std::string x = "x";
  for (int i = 0; i < layers; ++i) {
    std::string p = "/h." + std::to_string(i);
    addNode(g, "ReduceMean", p + "/ln/ReduceMean", {x}, {p + "/ln/mean"});
    addNode(g, "Sub", p + "/ln/Sub", {x, p + "/ln/mean"}, {p + "/ln/centered"});
    addFloatInitializer(g, "h." + std::to_string(i) + ".w", {16, 16});
    addNode(g, "MatMul", p + "/attn/q/MatMul", {p + "/ln/centered", "h." + std::to_string(i) + ".w"}, {p + "/attn/q"});
    addNode(g, "MatMul", p + "/attn/MatMul", {p + "/attn/q", p + "/ln/centered"}, {p + "/attn/scores"});
    addNode(g, "Mul", p + "/attn/Mul", {p + "/attn/scores", "scale"}, {p + "/attn/scaled"});
    addNode(g, "Softmax", p + "/attn/Softmax", {p + "/attn/scaled"}, {p + "/attn/probs"});
    addNode(g, "MatMul", p + "/attn/MatMul_1", {p + "/attn/probs", p + "/ln/centered"}, {p + "/attn/out"});
    if (i == 1) {
      addNode(g, "Constant", "Constant_7", {}, {"unscoped_bias"})->add_attribute()->set_name("value_float");
      auto* a = g.mutable_node(g.node_size() - 1)->mutable_attribute(0);
      a->set_type(onnx::AttributeProto::FLOAT);
      a->set_f(1.0f);
      addNode(g, "Add", p + "/attn/Add", {p + "/attn/out", "unscoped_bias"}, {p + "/attn/biased"});
      addNode(g, "Add", p + "/Add", {x, p + "/attn/biased"}, {p + "/out"});
    } else {
      addNode(g, "Add", p + "/Add", {x, p + "/attn/out"}, {p + "/out"});
    }
    x = p + "/out";
  }
  addNode(g, "Relu", "/head/Relu", {x}, {"y"});
  addTensorValue(g.add_output(), "y", {1, 16, 16});
  auto model = Model::fromProto(std::move(m));
  if (!model) return nullptr;
  return std::move(model.value());
}

}  // namespace graft::test
