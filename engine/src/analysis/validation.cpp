// Validation with the onnx checker, one node at a time: check_model stops at the first error,
// so nodes are checked with check_node in a scope built as the graph goes, each error names its
// node, and check_model then runs once for what only it looks at (model and graph fields).
#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <spdlog/spdlog.h>

#include <set>

#include "analysis/util.h"
#include "graft/analysis.h"
#include "graft/quant.h"
#include "graft/guard.h"
#include "graft/schema.h"

namespace graft {

using namespace analysis_detail;

namespace {

using Sev = Diagnostic::Severity;

void forEachGraphProto(onnx::GraphProto& graph, const std::function<void(onnx::GraphProto&)>& fn) {
  fn(graph);
  for (auto& node : *graph.mutable_node())
    for (auto& attr : *node.mutable_attribute()) {
      if (attr.has_g()) forEachGraphProto(*attr.mutable_g(), fn);
      for (auto& g : *attr.mutable_graphs()) forEachGraphProto(g, fn);
    }
}

// The analysis copy carries no weight bytes (and external ones are not reachable from the
// checker's working directory). Their data is checked on the real tensors instead, so here each
// one gets a stand-in with exactly one value field, which is all check_model asks of it.
void standInInitializerData(onnx::TensorProto& t) {
  t.clear_data_location();
  t.clear_external_data();
  t.clear_raw_data();
  t.clear_float_data();
  t.clear_int32_data();
  t.clear_string_data();
  t.clear_int64_data();
  t.clear_double_data();
  t.clear_uint64_data();
  std::int64_t n = 1;
  for (auto d : t.dims()) n = d <= 0 ? 0 : n * std::min<std::int64_t>(d, 1 << 20);
  if (n == 0) return;
  if (t.data_type() == onnx::TensorProto::STRING)
    t.add_string_data("");
  else
    t.set_raw_data(std::string(1, '\0'));
}

// "...\n\n==> Context: Bad node spec for node. Name: x OpType: Y" -> base message and node name.
struct CheckerMessage {
  std::string base;
  std::string nodeName, nodeOp;
  bool isNodeContext = false;
};

CheckerMessage splitCheckerMessage(const std::string& what) {
  CheckerMessage m;
  const std::string ctxMarker = "\n\n==> Context: ";
  std::size_t at = what.find(ctxMarker);
  m.base = cleanOnnxMessage(what.substr(0, at));
  if (at == std::string::npos) return m;
  std::string context = what.substr(at + ctxMarker.size());
  const std::string nodeMarker = "Bad node spec for node. Name: ";
  if (std::size_t p = context.find(nodeMarker); p != std::string::npos) {
    m.isNodeContext = true;
    std::string rest = context.substr(p + nodeMarker.size());
    std::size_t op = rest.rfind(" OpType: ");
    m.nodeName = rest.substr(0, op);
    if (op != std::string::npos) m.nodeOp = cleanOnnxMessage(rest.substr(op + 9));
  } else {
    m.base += " (" + cleanOnnxMessage(context) + ")";
  }
  return m;
}

// The library's check_tensor rejects element types it does not know (float8 … int2, data_type
// 17–26) unless their data is in raw_data; ONNX stores them in int32_data otherwise (one value,
// or for 4- and 2-bit types one packed byte, per entry). Such a tensor is checked for having
// enough entries and then checked by the library as raw data.
void checkTensor(const onnx::TensorProto& t, const onnx::checker::CheckerContext& ctx) {
  if (t.data_type() < 17 || t.data_type() > 26 || t.has_raw_data() ||
      t.data_location() == onnx::TensorProto::EXTERNAL) {
    onnx::checker::check_tensor(t, ctx);
    return;
  }
  std::int64_t n = 1;
  for (auto d : t.dims()) n = d < 0 ? 0 : n * d;
  const int bits = t.data_type() == 21 || t.data_type() == 22 || t.data_type() == 23 ? 4
                   : t.data_type() >= 25                                              ? 2
                                                                                      : 8;
  const std::int64_t entries = (n * bits + 7) / 8;
  if (t.int32_data_size() < (bits == 8 ? n : entries) && t.int32_data_size() != n)
    throw std::runtime_error("tensor '" + t.name() + "' of " + schema::elementTypeString(t.data_type()) + " has " +
                             std::to_string(t.int32_data_size()) + " int32_data entries for " + std::to_string(n) +
                             " elements");
  onnx::TensorProto copy = t;
  copy.clear_int32_data();
  copy.set_raw_data(std::string(static_cast<size_t>(entries), '\0'));
  onnx::checker::check_tensor(copy, ctx);
}

ValidationResult validateModelHere(const Model& model) {
  schema::ensureRegistered();
  ValidationResult result;
  auto add = [&](Sev sev, std::string node, std::string op, std::string message) {
    if (sev == Sev::Error) result.valid = false;
    result.problems.push_back({sev, std::move(node), std::move(op), std::move(message)});
  };

  onnx::ModelProto proto;
  try {
    proto = model.toProto(analysisExport());
  } catch (const std::exception& e) {
    add(Sev::Error, "", "", std::string("could not prepare the model for checking: ") + e.what());
    return result;
  }

  // "ai.onnx" is the default domain under another name; the checker only accepts "".
  for (auto& imp : *proto.mutable_opset_import())
    if (imp.domain() == "ai.onnx") imp.set_domain("");
  forEachGraphProto(*proto.mutable_graph(), [](onnx::GraphProto& g) {
    for (auto& n : *g.mutable_node())
      if (n.domain() == "ai.onnx") n.set_domain("");
  });
  const auto imports = opsetImports(proto);

  // IR versions 9 to 13 add element types, fields the checks here do not read (node overloads,
  // metadata on nodes and graphs) and nothing that changes a rule the library's checker applies, so
  // such models are checked by it as IR 8 without a word. Past 13, Graft cannot know; it says so.
  const std::int64_t irVersion = proto.ir_version();
  const std::int64_t checkerIr = onnx::Version::IR_VERSION;
  if (irVersion > schema::kMaxIrVersion)
    add(Sev::Warning, "", "",
        "IR version " + std::to_string(irVersion) + " is newer than Graft knows (up to " +
            std::to_string(schema::kMaxIrVersion) + "); the model was checked as if it were IR version " +
            std::to_string(schema::kMaxIrVersion));
  if (irVersion > checkerIr) proto.set_ir_version(checkerIr);
  std::set<std::string> newerDomains;
  for (const auto& [domain, version] : imports) {
    if (!domainKnownToLibrary(domain) || version <= maxKnownOpset(domain)) continue;
    newerDomains.insert(domain);
    add(Sev::Warning, "", "",
        "cannot check ops of opset " + std::to_string(version) + " of " + domainLabel(domain) +
            " (Graft knows up to " + std::to_string(maxKnownOpset(domain)) +
            "); they were checked against the newest schemas it has, and what fails there is a warning");
  }

  onnx::checker::CheckerContext ctx;
  ctx.set_ir_version(static_cast<int>(proto.ir_version()));
  ctx.set_opset_imports(imports);
  ctx.set_model_dir(model.sourceDir());
  ctx.set_is_main_graph(true);

  // ---- declared types of the main graph, each error naming its value.
  const onnx::GraphProto& g = proto.graph();
  auto checkInfos = [&](const auto& infos, const char* what) {
    for (const auto& vi : infos) {
      try {
        onnx::checker::check_value_info(vi, ctx);
      } catch (const std::exception& e) {
        add(Sev::Error, "", "", std::string(what) + " '" + vi.name() + "': " + splitCheckerMessage(e.what()).base);
      }
    }
  };
  checkInfos(g.input(), "graph input");
  checkInfos(g.output(), "graph output");
  checkInfos(g.value_info(), "value_info");

  // ---- nodes of the main graph, in stored order, with the names defined so far in scope.
  onnx::checker::LexicalScopeContext lex;
  for (const auto& in : g.input()) lex.add(in.name());
  for (const auto& t : g.initializer()) lex.add(t.name());
  for (const auto& st : g.sparse_initializer()) lex.add(st.values().name());
  bool orderReported = false, ssaReported = false;
  std::set<std::string> nodesWithProblems, opsWithProblems;
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& node = g.node(i);
    const std::string label = nodeLabel(node, static_cast<size_t>(i));
    auto addNode = [&](Sev sev, std::string message) {
      nodesWithProblems.insert(label);
      opsWithProblems.insert(node.op_type());
      add(sev, label, node.op_type(), std::move(message));
    };
    for (const auto& in : node.input()) {
      if (in.empty() || lex.this_or_ancestor_graph_has(in)) continue;
      orderReported = true;
      addNode(Sev::Error, "input '" + in +
                              "' is not produced by an earlier node, a graph input or an initializer (a missing "
                              "value, or nodes out of topological order)");
    }
    const std::string& domain = node.domain();
    const bool known = domainKnownToLibrary(domain);
    if (!imports.count(domain)) {
      addNode(Sev::Error,
              "the model does not import domain " + domainLabel(domain) + "; add an opset_import entry for it");
    } else {
      if (!known) addNode(Sev::Info, "not checked because " + unknownDomainReason(domain));
      try {
        onnx::checker::check_node(node, ctx, lex);
      } catch (const std::exception& e) {
        CheckerMessage m = splitCheckerMessage(e.what());
        std::string message = m.base;
        if (m.isNodeContext && m.nodeName != node.name()) {
          message = "in a subgraph, node '" + m.nodeName + "' (" + m.nodeOp + "): " + m.base;
        } else if (known && m.base.rfind("No Op registered", 0) == 0) {
          // Say what would fix it: which opset has the op (e.g. LayerNormalization from 17).
          std::string note = describeOp(node.op_type(), domain, imports.at(domain)).note;
          if (!note.empty()) message += " (" + note + ")";
        }
        if (newerDomains.count(domain))
          addNode(Sev::Warning, "cannot check against opset " + std::to_string(imports.at(domain)) +
                                    " (Graft knows up to " + std::to_string(maxKnownOpset(domain)) + "): " + message);
        else
          addNode(Sev::Error, message);
      }
    }
    for (const auto& out : node.output()) {
      if (out.empty()) continue;
      if (lex.this_graph_has(out)) {
        ssaReported = true;
        addNode(Sev::Error, "output '" + out +
                                "' is already defined earlier in the graph (every value must be "
                                "produced exactly once)");
      }
      lex.add(out);
    }
  }

  // ---- what Graft's schemas of opsets 18–26 state beyond the checker's reach: input types within
  // the type constraints, attribute values within their allowed set, and the shape rules their
  // inference enforces (scale sizes, head counts, …). Needs the types, so inference runs first.
  if (imports.count("") && imports.at("") > schema::kLibraryMaxOnnxOpset) {
    const int opset = imports.at("");
    std::set<std::string> graftNodes;
    for (int i = 0; i < g.node_size(); ++i) {
      const auto& n = g.node(i);
      if (!n.domain().empty()) continue;
      const auto* s = onnx::OpSchemaRegistry::Schema(n.op_type(), opset, "");
      if (s && schema::isGraftSchema(s->Name(), "", s->SinceVersion())) graftNodes.insert(nodeLabel(n, static_cast<size_t>(i)));
    }
    if (!graftNodes.empty()) {
      auto inferred = inferShapes(model);
      if (inferred.isOk()) {
        const auto& types = inferred->types;
        auto typeOf = [&](const std::string& name) -> const onnx::TypeProto* {
          auto it = types.find(name);
          return it == types.end() ? nullptr : &it->second;
        };
        for (int i = 0; i < g.node_size(); ++i) {
          const auto& n = g.node(i);
          const std::string label = nodeLabel(n, static_cast<size_t>(i));
          if (!graftNodes.count(label)) continue;
          for (auto& message : schema::checkNodeRules(n, opset, typeOf)) {
            nodesWithProblems.insert(label);
            add(Sev::Error, label, n.op_type(), std::move(message));
          }
        }
        for (const auto& p : inferred->problems)
          if (p.severity == Sev::Error && graftNodes.count(p.node) && p.message.rfind("shape inference failed", 0) == 0) {
            nodesWithProblems.insert(p.node);
            add(Sev::Error, p.node, p.opType, p.message);
          }
      }
    }
  }

  // The checker does not look at what the graph outputs refer to; an edit can leave one dangling.
  for (const auto& out : g.output())
    if (!lex.this_graph_has(out.name()))
      add(Sev::Error, "", "",
          "graph output '" + out.name() + "' is not produced by any node, graph input or initializer");

  // ---- initializers, with their real data (the copy has none).
  model.forEachGraph([&](const Graph& graph) {
    for (const Value* v : graph.initializers()) {
      const Tensor* t = v->initializer();
      if (!t) continue;
      // External data of a model built in memory has no folder to be found in; io checks it at load.
      if (t->proto().data_location() == onnx::TensorProto::EXTERNAL && model.sourceDir().empty()) continue;
      try {
        checkTensor(t->proto(), ctx);
      } catch (const std::exception& e) {
        add(Sev::Error, "", "", "initializer '" + v->name() + "': " + splitCheckerMessage(e.what()).base);
      }
    }
  });

  // ---- blocked and 4-bit weights: layouts the checker does not know (MatMulNBits, INC zero points).
  for (const auto& q : quant::validateQuantization(model)) add(q.error ? Sev::Error : Sev::Warning, q.node, q.opType, q.message);
  // ---- what the checker lets through but crashes or exhausts the library and the kernels
  // (attribute values, ranks, recursive functions, impossible dims and element types); the
  // checker's copy is defused so check_model does not trip over the same things.
  for (auto& d : defuseForOnnx(proto)) {
    if (!d.node.empty() && nodesWithProblems.count(d.node)) continue;
    if (!d.node.empty()) {
      nodesWithProblems.insert(d.node);
      opsWithProblems.insert(d.opType);
    }
    add(Sev::Error, d.node, d.opType, d.message);
  }

  // ---- the model as a whole; its first error is reported unless a node check already said it.
  // check_model has no model folder: it would stat() external data of sparse initializers and of
  // Constants (in graphs and functions) relative to the working folder, so the verdict would
  // depend on where Graft runs. Their data was checked above against the model's folder.
  auto standInExternal = [](onnx::TensorProto& t) {
    if (t.data_location() == onnx::TensorProto::EXTERNAL) standInInitializerData(t);
  };
  auto standInAttributes = [&](onnx::NodeProto& n) {
    for (auto& a : *n.mutable_attribute()) {
      if (a.has_t()) standInExternal(*a.mutable_t());
      for (auto& t : *a.mutable_tensors()) standInExternal(t);
      if (a.has_sparse_tensor()) {
        standInExternal(*a.mutable_sparse_tensor()->mutable_values());
        standInExternal(*a.mutable_sparse_tensor()->mutable_indices());
      }
    }
  };
  forEachGraphProto(*proto.mutable_graph(), [&](onnx::GraphProto& graph) {
    for (auto& t : *graph.mutable_initializer()) standInInitializerData(t);
    for (auto& st : *graph.mutable_sparse_initializer()) {
      standInExternal(*st.mutable_values());
      standInExternal(*st.mutable_indices());
    }
    for (auto& n : *graph.mutable_node()) standInAttributes(n);
  });
  for (auto& f : *proto.mutable_functions())
    for (auto& n : *f.mutable_node()) standInAttributes(n);
  try {
    onnx::checker::check_model(proto);
  } catch (const std::exception& e) {
    CheckerMessage m = splitCheckerMessage(e.what());
    bool duplicate = false;
    if (m.isNodeContext) {
      // Unnamed nodes carry "<op> #<index>" labels here; the checker only knows their op type.
      duplicate = nodesWithProblems.count(m.nodeName) != 0 || (m.nodeName.empty() && opsWithProblems.count(m.nodeOp));
      for (const auto& p : result.problems)
        if (p.message.find(m.base) != std::string::npos) duplicate = true;
    } else if (m.base.find("topologically sorted") != std::string::npos) {
      duplicate = orderReported;
    } else if (m.base.find("static single assignment") != std::string::npos ||
               m.base.find("single static assignment") != std::string::npos) {
      duplicate = ssaReported;
    } else {
      for (const auto& p : result.problems)
        if (!m.base.empty() && p.message.find(m.base) != std::string::npos) duplicate = true;
    }
    if (!duplicate) {
      if (m.isNodeContext)
        add(Sev::Error, m.nodeName, m.nodeOp, m.base);
      else
        add(Sev::Error, "", "", m.base);
    }
  }
  if (!inIsolatedChild()) spdlog::debug("validation: {} problems, valid={}", result.problems.size(), result.valid);
  return result;
}

std::string encodeValidation(const ValidationResult& r) {
  onnx::GraphProto g;
  g.set_name(r.valid ? "1" : "0");
  analysis_detail::writeDiagnostics(g, r.problems);
  std::string out;
  g.SerializeToString(&out);
  return out;
}

}  // namespace

ValidationResult validateModel(const Model& model) {
  // The checker runs in a child process: a model the checks in guard.h did not foresee costs
  // a verdict, not the session.
  schema::ensureRegistered();
  IsolationOptions iso;
  iso.what = "the onnx checker";
  auto bytes = runIsolated([&] { return encodeValidation(validateModelHere(model)); }, iso);
  ValidationResult result;
  onnx::GraphProto g;
  if (!bytes || !g.ParseFromString(bytes.value())) {
    result.valid = false;
    result.problems.push_back({Sev::Error, "", "", bytes ? std::string("the checker's answer was unreadable")
                                                         : bytes.message() + "; the model could not be checked"});
    return result;
  }
  result.valid = g.name() == "1";
  result.problems = analysis_detail::readDiagnostics(g);
  return result;
}

std::vector<Diagnostic> structuralProblems(const Model& model, InferenceResult* inferred) {
  std::vector<Diagnostic> out;
  auto v = validateModel(model);
  for (auto& d : v.problems)
    if (d.severity == Diagnostic::Severity::Error) {
      d.message = "the onnx checker rejects the result" + (d.node.empty() ? "" : " at " + d.node) + ": " + d.message;
      out.push_back(std::move(d));
    }
  auto inf = inferShapes(model);
  if (!inf) {
    out.push_back({Diagnostic::Severity::Error, "", "", "shape inference fails on the result: " + inf.message()});
    return out;
  }
  for (auto& p : inf->problems)
    if (p.severity == Diagnostic::Severity::Error && p.message.find("not registered") == std::string::npos &&
        p.message.find("No Op registered") == std::string::npos && p.message.find("domain") == std::string::npos) {
      p.message = "shape inference fails on the result at " + p.node + ": " + p.message;
      out.push_back(p);
    }
  if (inferred) *inferred = std::move(*inf);
  return out;
}

}  // namespace graft
