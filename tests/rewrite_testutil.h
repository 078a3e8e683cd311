// Helpers shared by the pattern and rewrite tests: models written in ONNX text (named like
// PyTorch exports), rule files from strings, and exact model comparison.
#pragma once

#include <memory>
#include <string>

#include <google/protobuf/util/message_differencer.h>
#include <onnx/defs/parser.h>

#include "graft/ir.h"
#include "graft/rewrite.h"
#include "testutil.h"

namespace graft::test {

// A model from ONNX text; nodes are named `<scope>/<Op>` (`<scope>/<Op>_<k>` for repeats), as
// PyTorch names them, so messages and new node names can be checked.
inline std::unique_ptr<Model> modelFromText(const std::string& text, const std::string& scope = "/blk") {
  onnx::ModelProto proto;
  onnx::OnnxParser parser(text.c_str());
  auto st = parser.Parse(proto);
  if (!st.IsOK()) qFatal("bad test model: %s", st.ErrorMessage().c_str());
  std::map<std::string, int> seen;
  for (auto& n : *proto.mutable_graph()->mutable_node()) {
    int k = seen[n.op_type()]++;
    n.set_name(scope + "/" + n.op_type() + (k ? "_" + std::to_string(k) : ""));
  }
  auto m = Model::fromProto(std::move(proto));
  if (!m) qFatal("bad test model: %s", m.message().c_str());
  return std::move(m).value();
}

inline std::vector<std::shared_ptr<const Rule>> rulesFromText(const std::string& text,
                                                              const std::string& file = "test.rules") {
  auto r = parseRules(text, file);
  if (!r) qFatal("bad test rules: %s", r.message().c_str());
  return std::move(r).value();
}

inline bool sameModel(const Model& a, const Model& b, std::string* diff = nullptr) {
  google::protobuf::util::MessageDifferencer d;
  std::string report;
  d.ReportDifferencesToString(&report);
  bool same = d.Compare(a.toProto(), b.toProto());
  if (diff) *diff = report;
  return same;
}

inline std::unique_ptr<Model> copyOf(const Model& m) { return std::move(Model::fromProto(m.toProto())).value(); }

inline std::map<std::string, int> opCounts(const Model& m) {
  std::map<std::string, int> c;
  m.graph().forEachNode([&](const Node& n) { c[n.opType()]++; });
  return c;
}

}  // namespace graft::test
