// One-graph ONNX models built in memory for evaluator tests: inputs, nodes with attributes,
// initializers, outputs (test_eval, test_eval_kernels).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <QtTest>

#include "graft/eval.h"
#include "graft/io.h"

namespace {

struct Builder {
  onnx::ModelProto m;
  onnx::GraphProto* g;
  explicit Builder(int opset = 13) {
    m.set_ir_version(8);
    auto* op = m.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    g = m.mutable_graph();
    g->set_name("test");
  }
  static void setType(onnx::ValueInfoProto* vi, const std::string& name, int dtype, const std::vector<std::int64_t>& dims,
                      const std::vector<std::string>& params = {}) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(dtype);
    auto* shape = tt->mutable_shape();
    for (std::size_t i = 0; i < dims.size(); ++i) {
      auto* d = shape->add_dim();
      if (i < params.size() && !params[i].empty())
        d->set_dim_param(params[i]);
      else
        d->set_dim_value(dims[i]);
    }
  }
  void input(const std::string& name, int dtype, const std::vector<std::int64_t>& dims, const std::vector<std::string>& params = {}) {
    setType(g->add_input(), name, dtype, dims, params);
  }
  void output(const std::string& name, int dtype = onnx::TensorProto_DataType_FLOAT) {
    auto* vi = g->add_output();
    vi->set_name(name);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(dtype);
  }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& in, const std::vector<std::string>& out,
                        const std::string& name = {}) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& s : in) n->add_input(s);
    for (const auto& s : out) n->add_output(s);
    return n;
  }
  void ints(onnx::NodeProto* n, const std::string& attr, const std::vector<std::int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(attr);
    a->set_type(onnx::AttributeProto_AttributeType_INTS);
    for (auto x : v) a->add_ints(x);
  }
  void intAttr(onnx::NodeProto* n, const std::string& attr, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(attr);
    a->set_type(onnx::AttributeProto_AttributeType_INT);
    a->set_i(v);
  }
  void floatAttr(onnx::NodeProto* n, const std::string& attr, float v) {
    auto* a = n->add_attribute();
    a->set_name(attr);
    a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
    a->set_f(v);
  }
  void stringAttr(onnx::NodeProto* n, const std::string& attr, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(attr);
    a->set_type(onnx::AttributeProto_AttributeType_STRING);
    a->set_s(v);
  }
  void initializer(const graft::Array& a, const std::string& name) { *g->add_initializer() = graft::arrayToProto(a, name); }
  std::unique_ptr<graft::Model> build() {
    auto r = graft::Model::fromProto(m);
    if (!r) qFatal("model does not build: %s", r.message().c_str());
    return std::move(r.value());
  }
};

// Float32 values in [-1, 1) from a fixed LCG, so failures reproduce.
inline graft::Array randomArray(const std::vector<std::int64_t>& shape, std::uint32_t seed) {
  graft::Array a(onnx::TensorProto_DataType_FLOAT, shape);
  std::uint32_t s = seed * 2654435761u + 12345u;
  for (std::int64_t i = 0; i < a.size(); ++i) {
    s = s * 1664525u + 1013904223u;
    a.data<float>()[i] = static_cast<float>(s >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  return a;
}

// Largest difference relative to the reference's largest magnitude (1e30 when the arrays do not
// compare).
inline double relativeDifference(const graft::Array& got, const graft::Array& want) {
  auto a = graft::arrayToDoubles(got), e = graft::arrayToDoubles(want);
  if (!a || !e || a.value().size() != e.value().size()) return 1e30;
  double worst = 0, scale = 1e-30;
  for (double x : e.value()) scale = std::max(scale, std::abs(x));
  for (std::size_t i = 0; i < a.value().size(); ++i) worst = std::max(worst, std::abs(a.value()[i] - e.value()[i]) / scale);
  return worst;
}

}  // namespace
