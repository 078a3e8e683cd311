// Shape and type inference through the onnx library, made to report per node instead of
// aborting: onnx 1.12 either throws once for the whole graph or stays silent, so the failures
// are found again node by node and explained (custom domain, newer opset, the library's error).
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <unordered_set>

#include "analysis/util.h"
#include "graft/analysis.h"
#include "graft/guard.h"
#include "graft/schema.h"

namespace graft {

using namespace analysis_detail;

namespace {

using TypeMap = std::unordered_map<std::string, onnx::TypeProto>;

void forEachNodeProto(onnx::GraphProto& graph, const std::function<void(onnx::NodeProto&)>& fn) {
  for (auto& node : *graph.mutable_node()) {
    fn(node);
    for (auto& attr : *node.mutable_attribute()) {
      if (attr.has_g()) forEachNodeProto(*attr.mutable_g(), fn);
      for (auto& g : *attr.mutable_graphs()) forEachNodeProto(g, fn);
    }
  }
}

onnx::TypeProto tensorType(std::int32_t dataType, const google::protobuf::RepeatedField<std::int64_t>& dims) {
  onnx::TypeProto type;
  auto* t = type.mutable_tensor_type();
  t->set_elem_type(dataType);
  auto* shape = t->mutable_shape();
  for (auto d : dims) shape->add_dim()->set_dim_value(d);
  return type;
}

bool hasType(const onnx::TypeProto& t) { return t.value_case() != onnx::TypeProto::VALUE_NOT_SET; }

// onnx 1.12 with error_mode=1 ends with one InferenceError listing every failing node as
// "(op_type:Add, node name: x): message", one per line.
struct BulkErrors {
  std::unordered_map<std::string, std::string> byName;
  std::set<std::string> unnamedOps;  // op types of failing nodes without a name
};

BulkErrors parseBulkErrors(const std::string& text) {
  BulkErrors out;
  const std::string marker = "(op_type:";
  std::size_t pos = text.find(marker);
  while (pos != std::string::npos) {
    std::size_t next = text.find("\n" + marker, pos);
    std::string entry =
        text.substr(pos + marker.size(), next == std::string::npos ? std::string::npos : next - pos - marker.size());
    pos = next == std::string::npos ? next : next + 1;
    const std::string nameKey = ", node name: ";
    std::size_t close = entry.find("): ");
    std::size_t nameAt = entry.find(nameKey);
    if (close == std::string::npos) continue;
    // An empty name still comes as ", node name: " when the field is present but empty.
    if (nameAt != std::string::npos && nameAt < close &&
        entry.compare(nameAt, nameKey.size() + 2, nameKey + "):") != 0) {
      std::size_t nameEnd = entry.find("): ", nameAt + nameKey.size());
      std::string name = entry.substr(nameAt + nameKey.size(), nameEnd - nameAt - nameKey.size());
      out.byName[name] = entry.substr(nameEnd + 3);
    } else {
      out.unnamedOps.insert(entry.substr(0, nameAt != std::string::npos && nameAt < close ? nameAt : close));
    }
  }
  return out;
}

// Runs the schema inference of single nodes against the types known so far; used to explain
// failures the bulk pass did not name, and as the whole driver when the bulk pass aborts.
class NodeRunner {
 public:
  NodeRunner(TypeMap& types, const onnx::ModelProto& proto, std::unordered_map<std::string, int> opsets)
      : types_(types), opsets_(std::move(opsets)), irVersion_(static_cast<int>(proto.ir_version())) {
    ptrs_.reserve(types_.size() + static_cast<size_t>(proto.graph().node_size()));
    for (auto& [name, type] : types_) ptrs_[name] = &type;
    for (const auto& t : proto.graph().initializer()) data_[t.name()] = &t;
    for (const auto& n : proto.graph().node()) addConstant(n);
    for (const auto& f : proto.functions()) functions_[f.domain() + ":" + f.name()] = &f;
  }

  // A runner for a subgraph of a node: sees the outer values, and owns the subgraph's own.
  NodeRunner(TypeMap& local, const NodeRunner& outer, const onnx::GraphProto& graph)
      : types_(local),
        ptrs_(outer.ptrs_),
        data_(outer.data_),
        opsets_(outer.opsets_),
        irVersion_(outer.irVersion_),
        functions_(outer.functions_) {
    for (auto& [name, type] : types_) ptrs_[name] = &type;
    for (const auto& t : graph.initializer()) data_[t.name()] = &t;
    for (const auto& n : graph.node()) addConstant(n);
  }

  const onnx::shape_inference::ModelLocalFunctionsMap& functions() const { return functions_; }
  // After others (the symbolic pass) added types to the map: sees them too.
  void refresh() {
    for (auto& [name, type] : types_) ptrs_[name] = &type;
  }
  bool typed(const std::string& name) const { return ptrs_.count(name) != 0; }
  const onnx::TypeProto* type(const std::string& name) const {
    auto it = ptrs_.find(name);
    return it == ptrs_.end() ? nullptr : it->second;
  }

  // Runs a node whose inputs are given types of their own (a stand-in reading transposed inputs).
  std::optional<std::string> runWithInputTypes(onnx::NodeProto node, const onnx::OpSchema& schema,
                                               std::vector<onnx::TypeProto> inputTypes,
                                               std::vector<onnx::TypeProto>& outputs) {
    std::vector<std::string> names;
    for (size_t i = 0; i < inputTypes.size() && static_cast<int>(i) < node.input_size(); ++i) {
      std::string name = "graft.stand-in." + std::to_string(i);
      node.set_input(static_cast<int>(i), name);
      ptrs_[name] = &inputTypes[i];
      names.push_back(name);
    }
    auto error = run(node, schema, outputs);
    for (const auto& name : names) ptrs_.erase(name);
    return error;
  }

  void addConstant(const onnx::NodeProto& n) {
    if (n.op_type() != "Constant" || n.output_size() != 1 || !n.domain().empty()) return;
    for (const auto& a : n.attribute())
      if (a.name() == "value" && a.has_t()) data_[n.output(0)] = &a.t();
  }

  // Returns the library's message on failure; on success the outputs' inferred types.
  std::optional<std::string> run(const onnx::NodeProto& nodeIn, const onnx::OpSchema& schema,
                                 std::vector<onnx::TypeProto>& outputs) {
    onnx::NodeProto node = nodeIn;  // subgraph inference writes into the node's graphs
    std::unordered_map<std::string, const onnx::SparseTensorProto*> sparse;
    // The graph context (what a subgraph sees of the outer scope) copies every type known: made
    // only for a node with subgraphs, or running each node of a 64k-node decoder took minutes.
    bool subgraphs = false;
    for (const auto& a : node.attribute()) subgraphs = subgraphs || a.has_g() || a.graphs_size() > 0;
    std::optional<onnx::shape_inference::GraphInferenceContext> graphCtx;
    if (subgraphs)
      graphCtx.emplace(ptrs_, opsets_, nullptr, functions_, onnx::OpSchemaRegistry::Instance(), nullptr, irVersion_);
    onnx::shape_inference::InferenceContextImpl ctx(node, ptrs_, data_, sparse, nullptr, graphCtx ? &*graphCtx : nullptr);
    try {
      if (schema.has_type_and_shape_inference_function())
        schema.GetTypeAndShapeInferenceFunction()(ctx);
      else if (schema.HasFunction())
        onnx::shape_inference::InferShapeForFunctionNode(*schema.GetFunction(), onnx::OpSchemaRegistry::Instance(),
                                                         ctx);
      outputs.clear();
      for (int i = 0; i < node.output_size(); ++i) outputs.push_back(*ctx.getOutputType(static_cast<size_t>(i)));
    } catch (const std::exception& e) {
      return std::string(e.what());
    } catch (...) {
      return std::string("unknown error in the onnx library");
    }
    return std::nullopt;
  }

  // Merges an inferred type into what is known (declared types win on conflicts, which are errors).
  std::optional<std::string> merge(const std::string& name, const onnx::TypeProto& inferred) {
    if (name.empty() || !hasType(inferred)) return std::nullopt;
    auto it = types_.find(name);
    if (it == types_.end()) {
      auto& slot = types_[name];
      slot = inferred;
      ptrs_[name] = &slot;
      return std::nullopt;
    }
    try {
      onnx::TypeProto merged = it->second;
      onnx::shape_inference::mergeShapesAndTypes(inferred, &merged);
      it->second = std::move(merged);
    } catch (const std::exception& e) {
      return "output '" + name + "': " + e.what() + " (inferred " + formatType(inferred) + ", declared " +
             formatType(it->second) + ")";
    }
    return std::nullopt;
  }

 private:
  TypeMap& types_;
  std::unordered_map<std::string, onnx::TypeProto*> ptrs_;
  std::unordered_map<std::string, const onnx::TensorProto*> data_;
  std::unordered_map<std::string, int> opsets_;
  int irVersion_;
  onnx::shape_inference::ModelLocalFunctionsMap functions_;
};

// ONNX Runtime's optimizer writes fusions of standard ops into com.microsoft. Their output shapes
// are those of the op they fuse, so inferring that op keeps the types flowing through an optimized
// model (which is otherwise untyped from the first fusion on).
struct StandIn {
  const char* op;
  const char* base;
  int inputs;                          // how many leading inputs the base op takes
  int required;                        // inputs that must be present
  std::vector<std::string> dropAttrs;  // attributes the base op does not have
};

const StandIn* standInFor(const onnx::NodeProto& n) {
  static const std::vector<StandIn> table = {
      {"FusedConv", "Conv", 3, 2, {"activation", "activation_params"}},
      {"FusedGemm", "Gemm", 3, 2, {"activation", "activation_alpha", "activation_beta", "activation_gamma"}},
      {"FusedMatMul", "MatMul", 2, 2, {"alpha", "transA", "transB", "transBatchA", "transBatchB"}},
      {"Gelu", "Relu", 1, 1, {}},
      {"QuickGelu", "Relu", 1, 1, {"alpha"}},
      {"BiasGelu", "Relu", 1, 1, {}},
      {"FastGelu", "Relu", 1, 1, {}},
  };
  if (n.domain() != "com.microsoft") return nullptr;
  for (const auto& s : table) {
    if (n.op_type() != s.op) continue;
    for (int i = 0; i < s.required; ++i)
      if (i >= n.input_size() || n.input(i).empty()) return nullptr;
    return &s;
  }
  return nullptr;
}

// FusedMatMul reads its operands transposed: trans swaps the last two dims, transBatch moves
// the first dim into the row position (ONNX Runtime's FusedMatMulShapeInference). Returns the
// operand's type as plain MatMul would see it.
onnx::TypeProto fusedMatMulOperand(onnx::TypeProto type, bool trans, bool transBatch) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape()) return type;
  const auto raw = type.tensor_type().shape();
  const int r = raw.dim_size();
  if (r < 2) return type;
  auto* shape = type.mutable_tensor_type()->mutable_shape();
  shape->clear_dim();
  for (int i = transBatch ? 1 : 0; i < (transBatch ? r - 1 : r - 2); ++i) *shape->add_dim() = raw.dim(i);
  const int rowOf = transBatch ? 0 : r - 2;
  *shape->add_dim() = raw.dim(trans ? r - 1 : rowOf);
  *shape->add_dim() = raw.dim(trans ? rowOf : r - 1);
  return type;
}

onnx::NodeProto standInNode(const onnx::NodeProto& n, const StandIn& s) {
  onnx::NodeProto copy = n;
  copy.set_op_type(s.base);
  copy.set_domain("");
  while (copy.input_size() > s.inputs) copy.mutable_input()->RemoveLast();
  copy.clear_attribute();
  for (const auto& a : n.attribute())
    if (std::find(s.dropAttrs.begin(), s.dropAttrs.end(), a.name()) == s.dropAttrs.end()) *copy.add_attribute() = a;
  return copy;
}

// onnx infers subgraphs without reporting their nodes' errors, so a failing If/Loop/Scan only
// says that its branch types do not fit. Inferring the subgraph node by node finds the node
// that really failed: "in subgraph 'then_branch', node 'add' (Add): Incompatible dimensions".
std::optional<std::string> locateInSubgraphs(
    const onnx::NodeProto& owner, const NodeRunner& outer,
    const std::function<const onnx::OpSchema*(const onnx::NodeProto&)>& schemaFor, int depth = 0) {
  if (depth > 8) return std::nullopt;
  for (const auto& attr : owner.attribute()) {
    std::vector<const onnx::GraphProto*> graphs;
    if (attr.has_g()) graphs.push_back(&attr.g());
    for (const auto& g : attr.graphs()) graphs.push_back(&g);
    for (const onnx::GraphProto* sub : graphs) {
      TypeMap local;
      for (const auto& vi : sub->input())
        if (vi.has_type() && hasType(vi.type())) local.emplace(vi.name(), vi.type());
      for (const auto& vi : sub->value_info())
        if (vi.has_type() && hasType(vi.type())) local.emplace(vi.name(), vi.type());
      for (const auto& t : sub->initializer()) local.emplace(t.name(), tensorType(t.data_type(), t.dims()));
      NodeRunner runner(local, outer, *sub);
      for (int i = 0; i < sub->node_size(); ++i) {
        const onnx::NodeProto& n = sub->node(i);
        const onnx::OpSchema* schema = schemaFor(n);
        if (!schema) continue;
        bool inputsKnown = true;
        for (const auto& in : n.input())
          if (!in.empty() && !runner.typed(in)) inputsKnown = false;
        std::vector<onnx::TypeProto> outs;
        std::optional<std::string> error = runner.run(n, *schema, outs);
        if (error && inputsKnown) {
          std::string where = "in subgraph '" + attr.name() + "', node '" + nodeLabel(n, static_cast<size_t>(i)) +
                              "' (" + n.op_type() + "): ";
          if (auto deeper = locateInSubgraphs(n, runner, schemaFor, depth + 1)) return where + *deeper;
          return where + cleanOnnxMessage(*error);
        }
        if (!error)
          for (int k = 0; k < n.output_size() && k < static_cast<int>(outs.size()); ++k)
            (void)runner.merge(n.output(k), outs[static_cast<size_t>(k)]);
      }
    }
  }
  return std::nullopt;
}

std::string describeInputs(const onnx::NodeProto& node, const TypeMap& types) {
  std::string out;
  for (const auto& in : node.input()) {
    if (in.empty()) continue;
    if (!out.empty()) out += ", ";
    auto it = types.find(in);
    out += in + ": " + (it == types.end() ? std::string("?") : formatType(it->second));
    if (out.size() > 300) {
      out += ", ...";
      break;
    }
  }
  return out.empty() ? out : " (inputs " + out + ")";
}

onnx::ModelProto analysisCopy(const Model& model, std::set<std::string>& unimported) {
  onnx::ModelProto proto = model.toProto(analysisExport());
  // The library only knows "" for the default domain, and aborts the whole graph on a node
  // whose domain is not imported; normalize and import such domains so the rest is inferred.
  bool haveDefault = false;
  for (int i = 0; i < proto.opset_import_size();) {
    auto* imp = proto.mutable_opset_import(i);
    if (imp->domain() == "ai.onnx") imp->set_domain("");
    if (imp->domain().empty()) {
      if (haveDefault) {
        proto.mutable_opset_import()->DeleteSubrange(i, 1);
        continue;
      }
      haveDefault = true;
    }
    ++i;
  }
  auto imports = opsetImports(proto);
  forEachNodeProto(*proto.mutable_graph(), [&](onnx::NodeProto& n) {
    if (n.domain() == "ai.onnx") n.set_domain("");
    if (!imports.count(n.domain())) unimported.insert(n.domain());
  });
  for (const auto& d : unimported) {
    auto* imp = proto.add_opset_import();
    imp->set_domain(d);
    imp->set_version(1);
  }
  return proto;
}

}  // namespace

// onnx 1.12's data propagation for Shape (opset 15+, the start/end form) reads its input's type
// without checking that there is one, and dies with SIGSEGV when the input is untyped: a Shape
// reading, directly or through other nodes, the output of an op the library has no schema for
// (ONNX Runtime's com.microsoft FusedMatMul written by fuse.matmul_scale into a TransformerEncoder
// at opset 17 did it). Such Shape nodes are hidden from the bulk pass (moved to `hideIn`); the
// node-by-node pass infers them afterwards, without data propagation. Returns their positions.
std::vector<int> hideShapesReadingUntyped(onnx::ModelProto& proto, const std::unordered_map<std::string, int>& imports,
                                          const std::string& hideIn) {
  std::vector<int> hidden;
  auto def = imports.find("");
  if (def == imports.end() || def->second < 15) return hidden;
  onnx::GraphProto& g = *proto.mutable_graph();
  // Values that may have no type after the bulk pass: untyped graph inputs and whatever is
  // computed from an op without schema (conservative: every output of a node reading one).
  std::unordered_set<std::string> typed, untyped;
  for (const auto& vi : g.input())
    if (vi.has_type() && hasType(vi.type())) typed.insert(vi.name());
  for (const auto& t : g.initializer()) typed.insert(t.name());
  for (const auto& vi : g.input())
    if (!typed.count(vi.name())) untyped.insert(vi.name());
  for (int i = 0; i < g.node_size(); ++i) {
    onnx::NodeProto& n = *g.mutable_node(i);
    auto imp = imports.find(n.domain());
    bool known = imp != imports.end() && domainKnownToLibrary(n.domain()) &&
                 onnx::OpSchemaRegistry::Schema(n.op_type(), imp->second, n.domain()) != nullptr;
    bool readsUntyped = false;
    for (const auto& in : n.input()) readsUntyped = readsUntyped || (!in.empty() && untyped.count(in));
    if (known && readsUntyped && n.domain().empty() && n.op_type() == "Shape") {
      n.set_domain(hideIn);
      hidden.push_back(i);
      continue;  // Shape's own output is always an int64 vector: typed
    }
    if (!known || readsUntyped)
      for (const auto& o : n.output()) untyped.insert(o);
  }
  return hidden;
}

namespace {

Result<InferenceResult> inferShapesHere(const Model& model, const ProgressFn& progress) {
  const bool log = !inIsolatedChild();
  auto cancelled = [] { return Result<InferenceResult>(ErrorCode::Cancelled, "Shape inference was cancelled."); };
  if (!reportProgress(progress, 0.0, "Preparing shape inference")) return cancelled();

  schema::ensureRegistered();
  InferenceResult result;
  std::set<std::string> unimported;
  onnx::ModelProto proto;
  const auto started = std::chrono::steady_clock::now();
  auto copied = started;
  try {
    proto = analysisCopy(model, unimported);
    copied = std::chrono::steady_clock::now();
  } catch (const std::exception& e) {
    return Result<InferenceResult>(ErrorCode::Internal,
                                   std::string("Could not prepare the model for shape inference: ") + e.what());
  }
  const auto imports = opsetImports(proto);

  // onnx 1.12's inference functions trust arity, attribute values and ranks (Scan without
  // num_scan_inputs dereferences null, Conv with stride 0 divides by zero, a function calling
  // itself overflows the stack): such nodes move to a domain the library does not know, so it
  // skips them, and are reported instead (guard.h).
  static const std::string kSkipped = kDefusedDomain;
  for (auto& d : defuseForOnnx(proto)) {
    if (!d.node.empty()) d.message += "; the node's outputs were not inferred";
    result.problems.push_back(std::move(d));
  }
  for (const auto& [domain, version] : opsetImports(model.shell())) {
    if (!domainKnownToLibrary(domain) || version <= maxKnownOpset(domain)) continue;
    result.problems.push_back(
        {Diagnostic::Severity::Warning, "", "",
         "opset " + std::to_string(version) + " of " + domainLabel(domain) +
             " is newer than Graft knows (up to " + std::to_string(maxKnownOpset(domain)) +
             "): shapes were inferred with the newest schemas it has and may be missing or wrong for ops that "
             "changed since"});
  }

  if (!reportProgress(progress, 0.05, "Inferring shapes")) return cancelled();
  std::string bulkError;
  bool aborted = false;
  auto bulk = [&](onnx::ModelProto& m, bool dataPropagation) {
    bulkError.clear();
    aborted = false;
    try {
      // error_mode 1 keeps going past failing nodes and lists them all at the end.
      onnx::ShapeInferenceOptions options(false, 1, dataPropagation);
      onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(), options);
    } catch (const std::exception& e) {
      bulkError = e.what();
      aborted = bulkError.find("Shape inference error(s):") == std::string::npos;
    } catch (...) {
      bulkError = "unknown error in the onnx library";
      aborted = true;
    }
  };
  // A weight whose declared input type disagrees with its data stops onnx before any node, and
  // onnx does not say which one it is: name it here and leave that initializer out of the copy,
  // so inference goes on with the declared type.
  auto dropMismatchedWeights = [&](onnx::ModelProto& m, bool report) {
    std::unordered_map<std::string, const onnx::TypeProto*> declaredInputs;
    for (const auto& vi : m.graph().input())
      if (vi.has_type()) declaredInputs[vi.name()] = &vi.type();
    auto* inits = m.mutable_graph()->mutable_initializer();
    for (int i = 0; i < inits->size();) {
      const auto& t = inits->Get(i);
      auto it = declaredInputs.find(t.name());
      if (it != declaredInputs.end()) {
        onnx::TypeProto fromData = tensorType(t.data_type(), t.dims());
        try {
          onnx::shape_inference::checkShapesAndTypes(fromData, *it->second);
        } catch (const std::exception&) {
          if (report)
            result.problems.push_back({Diagnostic::Severity::Error, "", "",
                                       "graph input '" + t.name() + "' is declared " + formatType(*it->second) +
                                           " but its initializer is " + formatType(fromData) +
                                           "; inference used the declared type"});
          inits->DeleteSubrange(i, 1);
          continue;
        }
      }
      ++i;
    }
  };
  dropMismatchedWeights(proto, true);

  static const std::string kHidden = "graft.inferred-later";
  const std::vector<int> hiddenShapes = hideShapesReadingUntyped(proto, imports, kHidden);
  if (!hiddenShapes.empty()) {
    auto* imp = proto.add_opset_import();
    imp->set_domain(kHidden);
    imp->set_version(1);
  }
  bulk(proto, true);
  if (!hiddenShapes.empty()) {
    for (int i : hiddenShapes) proto.mutable_graph()->mutable_node(i)->set_domain("");
    proto.mutable_opset_import()->RemoveLast();
  }
  if (log && !bulkError.empty()) spdlog::debug("onnx shape inference: {}", bulkError);
  // onnx 1.12 throws at once (instead of collecting) when an inferred type contradicts a
  // declared one; the message then names the node, and the node-by-node pass reports it.
  const bool nodeTiedAbort = aborted && bulkError.find("(op_type:") != std::string::npos;
  if (aborted && !nodeTiedAbort) {
    // Data propagation is the youngest part of onnx 1.12's inference; try once without it.
    if (log) spdlog::debug("shape inference aborted ({}); retrying without data propagation", bulkError);
    std::set<std::string> ignored;
    proto = analysisCopy(model, ignored);
    (void)defuseForOnnx(proto);
    dropMismatchedWeights(proto, false);
    bulk(proto, false);
  }
  const auto inferred = std::chrono::steady_clock::now();
  if (!reportProgress(progress, 0.6, "Collecting inferred types")) return cancelled();

  const onnx::GraphProto& g = proto.graph();
  TypeMap& types = result.types;
  // The copy is ours: its inferred value_info can be moved out instead of copied.
  onnx::GraphProto& mg = *proto.mutable_graph();
  types.reserve(static_cast<size_t>(mg.input_size() + mg.output_size() + mg.value_info_size() + mg.initializer_size()));
  auto collect = [&](onnx::ValueInfoProto& vi) {
    if (vi.has_type() && hasType(vi.type()) && !types.count(vi.name()))
      types.emplace(vi.name(), std::move(*vi.mutable_type()));
  };
  for (auto& vi : *mg.mutable_input()) collect(vi);
  for (auto& vi : *mg.mutable_output()) collect(vi);
  for (auto& vi : *mg.mutable_value_info()) collect(vi);
  for (const auto& t : g.initializer()) types.emplace(t.name(), tensorType(t.data_type(), t.dims()));
  for (const auto& st : g.sparse_initializer())
    types.emplace(st.values().name(), tensorType(st.values().data_type(), st.dims()));

  NodeRunner runner(types, proto, imports);
  const int nodeCount = g.node_size();
  BulkErrors named;
  if (aborted && !nodeTiedAbort) {
    result.problems.push_back({Diagnostic::Severity::Warning, "", "",
                               "the onnx library's shape inference stopped early (" + cleanOnnxMessage(bulkError) +
                                   "); the nodes were inferred one by one instead"});
  } else if (!bulkError.empty() && !aborted) {
    // (After a node-tied abort the node is inferred again below, which also says which types clash.)
    named = parseBulkErrors(bulkError);
  }

  auto schemaFor = [&](const onnx::NodeProto& n) -> const onnx::OpSchema* {
    if (!domainKnownToLibrary(n.domain()) || unimported.count(n.domain())) return nullptr;
    auto it = imports.find(n.domain());
    if (it == imports.end()) return nullptr;
    return onnx::OpSchemaRegistry::Instance()->GetSchema(n.op_type(), it->second, n.domain());
  };
  auto outputsTyped = [&](const onnx::NodeProto& n) {
    for (const auto& o : n.output())
      if (!o.empty() && !types.count(o)) return false;
    return true;
  };
  auto inputsTyped = [&](const onnx::NodeProto& n) {
    for (const auto& in : n.input())
      if (!in.empty() && !types.count(in)) return false;
    return true;
  };

  // onnx stops recording errors after the first node it has no schema for, so past such a node
  // a declared output type says nothing about whether inference succeeded.
  bool bulkUnreliable = aborted;
  std::vector<const onnx::OpSchema*> schemas(static_cast<size_t>(nodeCount));
  for (int i = 0; i < nodeCount; ++i) {
    const auto& n = g.node(i);
    schemas[static_cast<size_t>(i)] = schemaFor(n);
    if (!schemas[static_cast<size_t>(i)] && !runner.functions().count(n.domain() + ":" + n.op_type()))
      bulkUnreliable = true;
  }

  const Graph& graph = model.graph();
  auto hasDeclaredOutput = [&](const onnx::NodeProto& n) {
    for (const auto& o : n.output()) {
      const Value* v = o.empty() ? nullptr : graph.findValue(o);
      if (v && v->declaredType()) return true;
    }
    return false;
  };

  const int defaultOpset = imports.count("") ? std::min(imports.at(""), maxKnownOpset("")) : 0;
  std::size_t upstreamGaps = 0;
  for (int i = 0; i < nodeCount; ++i) {
    if (i % 256 == 0 &&
        !reportProgress(progress, 0.6 + 0.4 * i / std::max(1, nodeCount), "Checking inference node by node"))
      return cancelled();
    const onnx::NodeProto& n = g.node(i);
    const std::string& domain = n.domain();
    auto add = [&](Diagnostic::Severity sev, std::string message) {
      result.problems.push_back({sev, nodeLabel(n, static_cast<size_t>(i)), n.op_type(), std::move(message)});
    };

    if (!domainKnownToLibrary(domain)) {
      if (runner.functions().count(domain + ":" + n.op_type())) {
        if (!outputsTyped(n) && inputsTyped(n))
          add(Diagnostic::Severity::Info,
              "not inferred: the model-local function " + domain + ":" + n.op_type() + " gave no type for its outputs");
      } else if (const StandIn* standIn = standInFor(n); standIn && defaultOpset > 0 && inputsTyped(n)) {
        std::vector<onnx::TypeProto> outs;
        const auto* base = onnx::OpSchemaRegistry::Instance()->GetSchema(standIn->base, defaultOpset, "");
        std::optional<std::string> error;
        if (!base) {
          error = "no schema";
        } else if (std::string(standIn->op) != "FusedMatMul") {
          error = runner.run(standInNode(n, *standIn), *base, outs);
        } else {
          auto flag = [&](const char* name) {
            for (const auto& a : n.attribute())
              if (a.name() == name) return a.i() != 0;
            return false;
          };
          std::vector<onnx::TypeProto> inputTypes = {
              fusedMatMulOperand(*runner.type(n.input(0)), flag("transA"), flag("transBatchA")),
              fusedMatMulOperand(*runner.type(n.input(1)), flag("transB"), flag("transBatchB"))};
          error = runner.runWithInputTypes(standInNode(n, *standIn), *base, std::move(inputTypes), outs);
        }
        if (!error)
          for (int k = 0; k < n.output_size() && k < static_cast<int>(outs.size()); ++k)
            (void)runner.merge(n.output(k), outs[static_cast<size_t>(k)]);
        add(Diagnostic::Severity::Info,
            "not inferred by the onnx library because " + unknownDomainReason(domain) +
                (error ? std::string() : "; its output shapes were computed as for " + std::string(standIn->base)));
      } else {
        add(Diagnostic::Severity::Info, "not inferred because " + unknownDomainReason(domain));
      }
      continue;
    }
    if (unimported.count(domain)) {
      add(Diagnostic::Severity::Warning, "not inferred because the model does not import domain " +
                                             domainLabel(domain) + " (it needs an opset_import entry for it)");
      continue;
    }
    const int version = imports.at(domain);
    const int maxKnown = maxKnownOpset(domain);
    const bool newer = version > maxKnown;
    const onnx::OpSchema* schema = schemas[static_cast<size_t>(i)];
    if (!schema) {
      std::string message = "not inferred because " + describeOp(n.op_type(), domain, version).note;
      // An op used below the opset that introduced it (ONNX Runtime writes LayerNormalization so):
      // the schema that introduced it is the best guess at what the file means.
      const onnx::OpSchema* later = nullptr;
      for (int v = version + 1; v <= maxKnown && !later; ++v)
        later = onnx::OpSchemaRegistry::Instance()->GetSchema(n.op_type(), v, domain);
      std::vector<onnx::TypeProto> outs;
      if (later && inputsTyped(n) && (later->has_type_and_shape_inference_function() || later->HasFunction()) &&
          !runner.run(n, *later, outs)) {
        for (int k = 0; k < n.output_size() && k < static_cast<int>(outs.size()); ++k)
          (void)runner.merge(n.output(k), outs[static_cast<size_t>(k)]);
        message +=
            "; its output shapes were computed with the opset-" + std::to_string(later->since_version()) + " schema";
      }
      add(Diagnostic::Severity::Warning, std::move(message));
      continue;
    }
    if (!schema->has_type_and_shape_inference_function() && !schema->HasFunction()) {
      if (!outputsTyped(n))
        add(Diagnostic::Severity::Info,
            "not inferred because the onnx schema of " + n.op_type() + " has no shape inference");
      continue;
    }

    std::optional<std::string> error;
    if (!n.name().empty()) {
      if (auto it = named.byName.find(n.name()); it != named.byName.end()) error = it->second;
    }
    const bool suspect = aborted || !outputsTyped(n) || (n.name().empty() && named.unnamedOps.count(n.op_type())) ||
                         (bulkUnreliable && hasDeclaredOutput(n));
    if (!error && suspect) {
      std::vector<onnx::TypeProto> outs;
      error = runner.run(n, *schema, outs);
      if (!error) {
        for (int k = 0; k < n.output_size() && k < static_cast<int>(outs.size()); ++k) {
          if (auto mergeError = runner.merge(n.output(k), outs[static_cast<size_t>(k)])) {
            error = *mergeError;
            break;
          }
        }
      }
    }
    runner.addConstant(n);
    if (!error) continue;
    if (!inputsTyped(n)) {
      // A consequence of an earlier gap (custom op, failed node), not a problem of its own.
      ++upstreamGaps;
      continue;
    }
    if (error->find("Cannot parse data from external tensors") != std::string::npos)
      add(Diagnostic::Severity::Info,
          "not fully inferred because its inference needs the values of a large weight, which analyses do not "
          "load (" +
              cleanOnnxMessage(*error) + ")");
    else if (newer)
      add(Diagnostic::Severity::Warning, "not inferred because opset " + std::to_string(version) + " of " +
                                             domainLabel(domain) + " is newer than Graft knows (up to " +
                                             std::to_string(maxKnown) + "): " + cleanOnnxMessage(*error));
    else if (auto inner = n.attribute_size() ? locateInSubgraphs(n, runner, schemaFor) : std::nullopt)
      add(Diagnostic::Severity::Error, "shape inference failed " + *inner);
    else
      add(Diagnostic::Severity::Error,
          "shape inference failed: " + cleanOnnxMessage(*error) + describeInputs(n, types));
  }
  if (upstreamGaps > 0)
    result.problems.push_back(
        {Diagnostic::Severity::Info, "", "",
         std::to_string(upstreamGaps) + (upstreamGaps == 1 ? " node was" : " nodes were") +
             " not inferred because their inputs have no type (they follow the nodes reported above)"});

  // The onnx library leaves shapes after Shape -> Gather -> Concat -> Reshape chains unknown
  // when a dim is symbolic; carry the symbols through (symbolic.cpp).
  if (!reportProgress(progress, 0.97, "Inferring symbolic shapes")) return cancelled();
  std::size_t completed = inferSymbolicShapes(g, types, defaultOpset);
  // A shape completed that way (a Slice whose ends came from Shape arithmetic: YOLOv8's C2f splits
  // its channels so) leaves the nodes after it as the onnx library left them, without dims, and
  // their cost unknown. Nodes whose inputs now all have dims are inferred again, one by one in
  // order (so a whole chain after the gap fills in), and the symbolic pass runs again, while that
  // completes anything (a few rounds at most).
  auto shaped = [&](const std::string& name) {
    auto it = types.find(name);
    if (it == types.end() || !it->second.has_tensor_type() || !it->second.tensor_type().has_shape()) return false;
    // (A name onnx made up for a dim it could not infer, "unk__3", says nothing.)
    for (const auto& d : it->second.tensor_type().shape().dim())
      if (!d.has_dim_value() && (!d.has_dim_param() || d.dim_param().rfind("unk__", 0) == 0)) return false;
    return true;
  };
  for (int round = 0; round < 4 && completed > 0; ++round) {
    runner.refresh();
    std::size_t gained = 0;
    for (int i = 0; i < nodeCount; ++i) {
      const onnx::NodeProto& n = g.node(i);
      const onnx::OpSchema* schema = schemas[static_cast<size_t>(i)];
      if (!schema || (!schema->has_type_and_shape_inference_function() && !schema->HasFunction())) continue;
      bool inputsShaped = true, outputsShaped = true;
      for (const auto& in : n.input()) inputsShaped = inputsShaped && (in.empty() || shaped(in));
      for (const auto& o : n.output()) outputsShaped = outputsShaped && (o.empty() || shaped(o));
      if (outputsShaped || !inputsShaped) continue;
      std::vector<onnx::TypeProto> outs;
      if (runner.run(n, *schema, outs)) continue;  // its failure was reported above, or is a gap's
      for (int k = 0; k < n.output_size() && k < static_cast<int>(outs.size()); ++k)
        if (!shaped(n.output(k)) && !runner.merge(n.output(k), outs[static_cast<size_t>(k)]) && shaped(n.output(k))) ++gained;
    }
    if (gained == 0) break;
    completed = inferSymbolicShapes(g, types, defaultOpset);
  }

  result.complete = true;
  for (const auto& n : g.node())
    if (!outputsTyped(n)) {
      result.complete = false;
      break;
    }
  reportProgress(progress, 1.0, "Shape inference done");
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  const auto finished = std::chrono::steady_clock::now();
  if (log)
    spdlog::debug(
      "shape inference: {} types ({} completed symbolically), {} problems, complete={} (copy {:.0f} ms, onnx {:.0f} ms, per node {:.0f} ms)",
      types.size(), completed, result.problems.size(), result.complete, ms(started, copied), ms(copied, inferred),
      ms(inferred, finished));
  // Nodes set aside above were reported with the reason; the placeholder domain is ours.
  std::erase_if(result.problems, [](const Diagnostic& d) { return d.message.find(kSkipped) != std::string::npos; });
  return result;
}

// The child's answer travels as a GraphProto: value_info for the types, one node per problem
// (name = node, op_type = op, doc_string = message, domain = severity), the graph's name for
// completeness.
std::string encodeInference(const InferenceResult& r) {
  onnx::GraphProto g;
  g.set_name(r.complete ? "1" : "0");
  for (const auto& [name, type] : r.types) {
    auto* vi = g.add_value_info();
    vi->set_name(name);
    *vi->mutable_type() = type;
  }
  analysis_detail::writeDiagnostics(g, r.problems);
  std::string out;
  g.SerializeToString(&out);
  return out;
}

std::optional<InferenceResult> decodeInference(const std::string& bytes) {
  onnx::GraphProto g;
  if (!g.ParseFromString(bytes)) return std::nullopt;
  InferenceResult r;
  r.complete = g.name() == "1";
  r.types.reserve(static_cast<size_t>(g.value_info_size()));
  for (auto& vi : *g.mutable_value_info()) r.types.emplace(vi.name(), std::move(*vi.mutable_type()));
  r.problems = analysis_detail::readDiagnostics(g);
  return r;
}

}  // namespace

Result<InferenceResult> inferShapes(const Model& model, const ProgressFn& progress) {
  // The checks in guard.h keep the known crashes away from the library; whatever they cannot
  // rule out runs in a child process, so a crash costs the shapes, not the user's session.
  if (!reportProgress(progress, 0.0, "Inferring shapes"))
    return Result<InferenceResult>(ErrorCode::Cancelled, "Shape inference was cancelled.");
  schema::ensureRegistered();  // here, so the registry is filled once and children inherit it
  IsolationOptions iso;
  iso.what = "the onnx library's shape inference";
  iso.cancelled = [&] { return !reportProgress(progress, 0.3, "Inferring shapes"); };
  Status childFailure;
  auto bytes = runIsolated(
      [&]() -> std::string {
        auto r = inferShapesHere(model, {});
        if (!r) {
          childFailure = r.status();  // only seen when running in this process
          throw std::runtime_error(r.message());
        }
        return encodeInference(r.value());
      },
      iso);
  if (!bytes) {
    if (bytes.status().code() == ErrorCode::Cancelled) return bytes.status();
    if (!childFailure.isOk()) return childFailure;
    // Nothing inferred: keep what the model declares so views still have types.
    InferenceResult fallback;
    model.forEachGraph([&](const Graph& graph) {
      for (const Value* v : graph.values())
        if (v->declaredType()) fallback.types.emplace(v->name(), *v->declaredType());
    });
    fallback.problems.push_back({Diagnostic::Severity::Error, "", "",
                                 bytes.message() + "; only the declared types are shown"});
    spdlog::warn("shape inference: {}", bytes.message());
    reportProgress(progress, 1.0, "Shape inference done");
    return fallback;
  }
  auto decoded = decodeInference(bytes.value());
  if (!decoded) return Result<InferenceResult>(ErrorCode::Internal, "shape inference returned an unreadable answer");
  reportProgress(progress, 1.0, "Shape inference done");
  return std::move(*decoded);
}

// ---------------------------------------------------------------- formatting

namespace {

std::string elemName(std::int32_t elemType) {
  return elemType == onnx::TensorProto::UNDEFINED ? std::string("?") : std::string(dataTypeName(elemType));
}

std::string formatShape(const onnx::TensorShapeProto& shape) {
  std::string out = "[";
  for (int i = 0; i < shape.dim_size(); ++i) {
    if (i) out += ",";
    const auto& d = shape.dim(i);
    if (d.has_dim_value())
      out += std::to_string(d.dim_value());
    else if (d.has_dim_param() && !d.dim_param().empty())
      out += d.dim_param();
    else
      out += "?";
  }
  return out + "]";
}

}  // namespace

std::string formatType(const onnx::TypeProto& type) {
  switch (type.value_case()) {
    case onnx::TypeProto::kTensorType: {
      const auto& t = type.tensor_type();
      // A tensor of unknown rank: "[...]" keeps it apart from a 1-D tensor of unknown size "[?]".
      return elemName(t.elem_type()) + (t.has_shape() ? formatShape(t.shape()) : std::string("[...]"));
    }
    case onnx::TypeProto::kSparseTensorType: {
      const auto& t = type.sparse_tensor_type();
      return "sparse(" + elemName(t.elem_type()) + (t.has_shape() ? formatShape(t.shape()) : std::string("[...]")) +
             ")";
    }
    case onnx::TypeProto::kSequenceType:
      return "seq(" + formatType(type.sequence_type().elem_type()) + ")";
    case onnx::TypeProto::kMapType:
      return "map(" + elemName(type.map_type().key_type()) + "," + formatType(type.map_type().value_type()) + ")";
    case onnx::TypeProto::kOptionalType:
      return "optional(" + formatType(type.optional_type().elem_type()) + ")";
    case onnx::TypeProto::kOpaqueType: {
      const auto& o = type.opaque_type();
      return "opaque(" + (o.domain().empty() ? o.name() : o.domain() + "." + o.name()) + ")";
    }
    default:
      return "?";
  }
}

std::optional<std::vector<std::int64_t>> staticShape(const onnx::TypeProto& type) {
  const onnx::TensorShapeProto* shape = nullptr;
  if (type.has_tensor_type() && type.tensor_type().has_shape())
    shape = &type.tensor_type().shape();
  else if (type.has_sparse_tensor_type() && type.sparse_tensor_type().has_shape())
    shape = &type.sparse_tensor_type().shape();
  if (!shape) return std::nullopt;
  std::vector<std::int64_t> dims;
  dims.reserve(static_cast<size_t>(shape->dim_size()));
  for (const auto& d : shape->dim()) {
    if (!d.has_dim_value() || d.dim_value() < 0) return std::nullopt;
    dims.push_back(d.dim_value());
  }
  return dims;
}

}  // namespace graft
