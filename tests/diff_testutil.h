// Models with known differences for the diff tests and the diff benchmark: a model renamed
// throughout, reordered, with one Identity inserted, one attribute changed and one weight scaled.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <onnx/onnx_pb.h>

namespace graft::test {

struct MutatedModel {
  onnx::ModelProto a;  // the original with every node named uniquely (the truth refers to these names)
  onnx::ModelProto b;
  std::map<std::string, std::string> nodeAtoB;  // truth for every node of A
  std::string identityB;                        // the inserted node ("" when not asked)
  std::string attributeNodeA, attributeName;    // the node whose attribute changed
  std::string weightA, weightB;                 // the scaled initializer
};

struct MutationOptions {
  std::uint64_t seed = 1;
  bool rename = true, reorder = true, insertIdentity = true, changeAttribute = true, scaleWeight = true;
};

inline MutatedModel mutateModel(onnx::ModelProto original, const MutationOptions& opt = {}) {
  MutatedModel out;
  auto& ga = *original.mutable_graph();
  std::set<std::string> used;
  for (int i = 0; i < ga.node_size(); ++i) {
    auto* n = ga.mutable_node(i);
    if (n->name().empty() || !used.insert(n->name()).second) {
      n->set_name("node_" + std::to_string(i));
      used.insert(n->name());
    }
  }
  out.a = original;
  onnx::ModelProto m = original;
  auto& g = *m.mutable_graph();
  std::mt19937_64 rng(opt.seed);

  std::set<std::string> io;
  for (const auto& v : g.input()) io.insert(v.name());
  for (const auto& v : g.output()) io.insert(v.name());

  // Rename values (not graph I/O), initializers and nodes.
  std::unordered_map<std::string, std::string> valueMap;
  auto renameValue = [&](std::string& name) {
    if (name.empty() || io.count(name)) return;
    auto [it, fresh] = valueMap.emplace(name, "");
    if (fresh) it->second = "t" + std::to_string(rng() % 1000000000) + "_" + std::to_string(valueMap.size());
    name = it->second;
  };
  for (int i = 0; i < g.node_size(); ++i) {
    auto* n = g.mutable_node(i);
    std::string newName = opt.rename ? "n" + std::to_string(rng() % 1000000) + "_" + std::to_string(i) : n->name();
    out.nodeAtoB[n->name()] = newName;
    if (!opt.rename) continue;
    n->set_name(newName);
    for (auto& s : *n->mutable_input()) renameValue(s);
    for (auto& s : *n->mutable_output()) renameValue(s);
  }
  if (opt.rename) {
    for (auto& t : *g.mutable_initializer()) renameValue(*t.mutable_name());
    for (auto& v : *g.mutable_value_info()) renameValue(*v.mutable_name());
  }

  // Scale one float weight read by a single node, a third of the way through the graph.
  if (opt.scaleWeight) {
    std::map<std::string, int> readers;
    for (const auto& n : g.node())
      for (const auto& s : n.input()) ++readers[s];
    std::vector<int> candidates;
    for (int i = 0; i < g.initializer_size(); ++i) {
      const auto& t = g.initializer(i);
      std::int64_t count = 1;
      for (auto d : t.dims()) count *= d;
      if (t.data_type() == onnx::TensorProto::FLOAT && count >= 16 && readers[t.name()] == 1 && !io.count(t.name()))
        candidates.push_back(i);
    }
    if (!candidates.empty()) {
      auto& t = *g.mutable_initializer(candidates[candidates.size() / 3]);
      if (!t.raw_data().empty()) {
        std::string raw = t.raw_data();
        for (std::size_t k = 0; k + 4 <= raw.size(); k += 4) {
          float f;
          std::memcpy(&f, raw.data() + k, 4);
          f *= 1.01f;
          std::memcpy(raw.data() + k, &f, 4);
        }
        t.set_raw_data(raw);
      } else {
        for (auto& f : *t.mutable_float_data()) f *= 1.01f;
      }
      out.weightB = t.name();
      for (const auto& [from, to] : valueMap)
        if (to == t.name()) out.weightA = from;
      if (out.weightA.empty()) out.weightA = t.name();
    }
  }

  // Change one attribute of a node in the middle (not a Constant: its value is a weight): a float
  // one if there is one, else an integer one; a graph without either gets a Softmax axis added.
  if (opt.changeAttribute) {
    int n = g.node_size();
    for (int pass = 0; pass < 3 && out.attributeName.empty(); ++pass) {
      for (int k = 0; k < n && out.attributeName.empty(); ++k) {
        auto* node = g.mutable_node((n / 2 + k) % n);
        if (node->op_type() == "Constant") continue;
        if (pass == 2) {
          if (node->op_type() != "Softmax" || node->attribute_size() != 0) continue;
          auto* a = node->add_attribute();
          a->set_name("axis");
          a->set_type(onnx::AttributeProto::INT);
          a->set_i(1);
          out.attributeName = "axis";
        }
        for (auto& a : *node->mutable_attribute()) {
          if (!out.attributeName.empty()) break;
          if (pass == 0 && a.type() == onnx::AttributeProto::FLOAT) {
            a.set_f(a.f() * 2 + 0.5f);
          } else if (pass == 1 && a.type() == onnx::AttributeProto::INT && a.name() != "to") {
            a.set_i(a.i() + 1);
          } else {
            continue;
          }
          out.attributeName = a.name();
        }
        if (out.attributeName.empty()) continue;
        for (const auto& [from, to] : out.nodeAtoB)
          if (to == node->name()) out.attributeNodeA = from;
      }
    }
  }

  // Insert an Identity after a node two thirds of the way through, in front of all its readers.
  if (opt.insertIdentity) {
    int n = g.node_size();
    for (int k = 0; k < n; ++k) {
      const auto& node = g.node((2 * n / 3 + k) % n);
      if (node.output_size() != 1 || io.count(node.output(0)) || node.op_type() == "Constant") continue;
      std::string v = node.output(0);
      std::string fresh = v + "_through_identity";
      int readers = 0;
      for (auto& other : *g.mutable_node())
        for (auto& s : *other.mutable_input())
          if (s == v) {
            s = fresh;
            ++readers;
          }
      if (readers == 0) continue;
      auto* id = g.add_node();
      id->set_op_type("Identity");
      id->set_name("inserted_identity");
      id->add_input(v);
      id->add_output(fresh);
      out.identityB = id->name();
      break;
    }
  }

  // Another valid topological order: Kahn's algorithm with random ties.
  if (opt.reorder) {
    int n = g.node_size();
    std::unordered_map<std::string, int> producer;
    for (int i = 0; i < n; ++i)
      for (const auto& o : g.node(i).output()) producer[o] = i;
    std::vector<std::vector<int>> users(n);
    std::vector<int> pending(n, 0);
    for (int i = 0; i < n; ++i) {
      std::set<int> deps;
      for (const auto& s : g.node(i).input())
        if (auto it = producer.find(s); it != producer.end()) deps.insert(it->second);
      pending[i] = static_cast<int>(deps.size());
      for (int d : deps) users[d].push_back(i);
    }
    std::vector<int> ready, order;
    for (int i = 0; i < n; ++i)
      if (pending[i] == 0) ready.push_back(i);
    while (!ready.empty()) {
      std::size_t pick = rng() % ready.size();
      int i = ready[pick];
      ready[pick] = ready.back();
      ready.pop_back();
      order.push_back(i);
      for (int u : users[i])
        if (--pending[u] == 0) ready.push_back(u);
    }
    google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
    for (int i : order) *nodes.Add() = g.node(i);
    g.mutable_node()->Swap(&nodes);
    // Initializers in another order too.
    std::shuffle(g.mutable_initializer()->begin(), g.mutable_initializer()->end(), rng);
  }
  out.b = std::move(m);
  return out;
}

}  // namespace graft::test
