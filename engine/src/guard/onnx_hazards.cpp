// What in a model crashes, hangs or exhausts onnx 1.12's shape inference and checker, found
// before the library sees the model, and a defused copy the library can be given instead.
// The library recurses into model-local functions without a depth limit (a function calling
// itself overflows the stack), builds shapes of the rank a declared dim says, and trusts
// attribute values (see node_check.cpp).
#include <onnx/defs/schema.h>

#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "graft/analysis.h"
#include "graft/guard.h"
#include "graft/schema.h"

namespace graft {

const char* const kDefusedDomain = "graft.not-inferred";

namespace {

using Sev = Diagnostic::Severity;

std::string normalize(const std::string& d) { return d == "ai.onnx" ? std::string() : d; }

// Element types of onnx 1.12's proto plus the ones Graft registers (float8 ... int2).
bool knownElementType(int t) { return (t >= 1 && t <= 16) || !schema::elementTypeString(t).empty(); }

std::string label(const onnx::NodeProto& n, std::size_t index) {
  return n.name().empty() ? n.op_type() + " #" + std::to_string(index) : n.name();
}

using Imports = std::map<std::string, std::int64_t>;

Imports importsOf(const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>& list) {
  Imports m;
  for (const auto& i : list) m.emplace(normalize(i.domain()), i.version());
  return m;
}

std::string fnKey(const std::string& domain, const std::string& name) { return domain + ":" + name; }

// Checks one TypeProto (recursively through sequence/optional/map); returns the first problem.
std::optional<std::string> typeProblem(const onnx::TypeProto& t, int depth = 0) {
  if (depth > 16) return std::string("its type is nested more than 16 levels deep");
  switch (t.value_case()) {
    case onnx::TypeProto::kTensorType: {
      const auto& tt = t.tensor_type();
      if (tt.elem_type() != 0 && !knownElementType(tt.elem_type()))
        return "element type " + std::to_string(tt.elem_type()) + " does not exist";
      if (tt.has_shape())
        for (const auto& d : tt.shape().dim()) {
          if (!d.has_dim_value()) continue;
          if (d.dim_value() < 0) return "a declared dim is negative (" + std::to_string(d.dim_value()) + ")";
          if (d.dim_value() > kMaxDeclaredDim)
            return "a declared dim is " + std::to_string(d.dim_value()) + ", above 2^40 (no such tensor fits in memory)";
        }
      return std::nullopt;
    }
    case onnx::TypeProto::kSparseTensorType: {
      const auto& tt = t.sparse_tensor_type();
      if (tt.elem_type() != 0 && !knownElementType(tt.elem_type()))
        return "element type " + std::to_string(tt.elem_type()) + " does not exist";
      return std::nullopt;
    }
    case onnx::TypeProto::kSequenceType:
      return typeProblem(t.sequence_type().elem_type(), depth + 1);
    case onnx::TypeProto::kOptionalType:
      return typeProblem(t.optional_type().elem_type(), depth + 1);
    case onnx::TypeProto::kMapType:
      return typeProblem(t.map_type().value_type(), depth + 1);
    default:
      return std::nullopt;
  }
}

// Makes a declared type harmless: impossible dims become unknown, unknown element types undefined.
void defuseType(onnx::TypeProto& t, int depth = 0) {
  if (depth > 16) {
    t.Clear();
    return;
  }
  switch (t.value_case()) {
    case onnx::TypeProto::kTensorType: {
      auto* tt = t.mutable_tensor_type();
      if (!knownElementType(tt->elem_type())) tt->set_elem_type(0);
      if (tt->has_shape())
        for (auto& d : *tt->mutable_shape()->mutable_dim())
          if (d.has_dim_value() && (d.dim_value() < 0 || d.dim_value() > kMaxDeclaredDim)) d.clear_dim_value();
      break;
    }
    case onnx::TypeProto::kSparseTensorType:
      if (!knownElementType(t.sparse_tensor_type().elem_type()))
        t.mutable_sparse_tensor_type()->set_elem_type(0);
      break;
    case onnx::TypeProto::kSequenceType:
      defuseType(*t.mutable_sequence_type()->mutable_elem_type(), depth + 1);
      break;
    case onnx::TypeProto::kOptionalType:
      defuseType(*t.mutable_optional_type()->mutable_elem_type(), depth + 1);
      break;
    case onnx::TypeProto::kMapType:
      defuseType(*t.mutable_map_type()->mutable_value_type(), depth + 1);
      break;
    default:
      break;
  }
}

int declaredRank(const onnx::TypeProto& t) {
  if (t.has_tensor_type() && t.tensor_type().has_shape()) return t.tensor_type().shape().dim_size();
  return -1;
}

// The length of a 1-D tensor's declared dim, or -1.
std::int64_t declaredLength(const onnx::TypeProto& t) {
  if (!t.has_tensor_type() || !t.tensor_type().has_shape() || t.tensor_type().shape().dim_size() != 1) return -1;
  const auto& d = t.tensor_type().shape().dim(0);
  return d.has_dim_value() ? d.dim_value() : -1;
}

// Ops whose output rank onnx's inference takes from the declared length of a shape input: a
// ConstantOfShape fed a float[2^31] made it build a 2^31-dim shape (4 GB, minutes). No real
// tensor has thousands of dims.
constexpr std::int64_t kMaxShapeLength = 4096;
int shapeInputOf(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  if (!normalize(n.domain()).empty()) return -1;
  if (op == "ConstantOfShape") return 0;
  if (op == "Expand" || op == "Reshape") return 1;
  return -1;
}

// One walk serves both: find (proto untouched) and defuse (fix while walking).
class Walker {
 public:
  Walker(onnx::ModelProto& proto, bool fix) : proto_(proto), fix_(fix) {}

  std::vector<Diagnostic> run() {
    const Imports modelImports = importsOf(proto_.opset_import());
    for (const auto& f : proto_.functions()) functions_[fnKey(normalize(f.domain()), f.name())] = &f;
    findBadFunctions(modelImports);
    walkGraph(*proto_.mutable_graph(), modelImports, "", 0);
    if (fix_) {
      if (defusedAny_) {
        bool have = false;
        for (const auto& i : proto_.opset_import()) have = have || i.domain() == kDefusedDomain;
        if (!have) {
          auto* imp = proto_.add_opset_import();
          imp->set_domain(kDefusedDomain);
          imp->set_version(1);
        }
      }
      auto* fs = proto_.mutable_functions();
      for (int i = 0; i < fs->size();) {
        if (badFunctions_.count(fnKey(normalize(fs->Get(i).domain()), fs->Get(i).name())))
          fs->DeleteSubrange(i, 1);
        else
          ++i;
      }
    }
    return std::move(out_);
  }

 private:
  // Functions that call themselves (directly or through others), or hold a node that fails its
  // schema, or call such a function: inferring a call to any of them can crash the library.
  void findBadFunctions(const Imports& modelImports) {
    std::map<std::string, std::set<std::string>> calls;
    for (const auto& [key, f] : functions_) {
      Imports imports = importsOf(f->opset_import());
      for (const auto& [d, v] : modelImports) imports.emplace(d, v);
      std::size_t index = 0;
      std::function<void(const onnx::NodeProto&)> visit = [&](const onnx::NodeProto& n) {
        std::string callee = fnKey(normalize(n.domain()), n.op_type());
        if (functions_.count(callee)) calls[key].insert(callee);
        if (!badFunctions_.count(key)) {
          if (auto problem = nodeProblem(n, imports, {})) {
            badFunctions_[key] = "its node '" + label(n, index) + "' (" + n.op_type() + ") " + *problem;
          }
        }
        for (const auto& a : n.attribute()) {
          if (a.has_g())
            for (const auto& inner : a.g().node()) visit(inner);
          for (const auto& g : a.graphs())
            for (const auto& inner : g.node()) visit(inner);
        }
      };
      for (const auto& n : f->node()) {
        visit(n);
        ++index;
      }
    }
    // Cycles in the call graph.
    std::map<std::string, int> state;  // 0 new, 1 on stack, 2 done
    std::function<void(const std::string&, std::vector<std::string>&)> dfs = [&](const std::string& k,
                                                                              std::vector<std::string>& stack) {
      state[k] = 1;
      stack.push_back(k);
      for (const auto& c : calls[k]) {
        if (state[c] == 1) {
          std::string cycle;
          bool in = false;
          for (const auto& s : stack) {
            if (s == c) in = true;
            if (in) cycle += s + " -> ";
          }
          cycle += c;
          // Only the members of the cycle, not the whole stack.
          bool member = false;
          for (const auto& s : stack) {
            if (s == c) member = true;
            if (member && !badFunctions_.count(s)) badFunctions_[s] = "it calls itself (" + cycle + ")";
          }
        } else if (state[c] == 0) {
          dfs(c, stack);
        }
      }
      stack.pop_back();
      state[k] = 2;
    };
    for (const auto& [k, f] : functions_) {
      std::vector<std::string> stack;
      if (state[k] == 0) dfs(k, stack);
    }
    // Calling a bad function makes a function bad.
    for (bool changed = true; changed;) {
      changed = false;
      for (const auto& [k, callees] : calls) {
        if (badFunctions_.count(k)) continue;
        for (const auto& c : callees)
          if (badFunctions_.count(c)) {
            badFunctions_[k] = "it calls '" + c + "', which " + badFunctions_[c];
            changed = true;
            break;
          }
      }
    }
    for (const auto& [k, why] : badFunctions_)
      out_.push_back({Sev::Error, "", "", "model-local function '" + k + "' cannot be analysed: " + why});
  }

  std::optional<std::string> nodeProblem(const onnx::NodeProto& n, const Imports& imports,
                                         const std::unordered_map<std::string, int>& ranks) {
    const std::string domain = normalize(n.domain());
    if (std::string callee = fnKey(domain, n.op_type()); badFunctions_.count(callee))
      return "calls the model-local function '" + callee + "', which " + badFunctions_[callee];
    auto imp = imports.find(domain);
    if (imp == imports.end()) return std::nullopt;
    const onnx::OpSchema* schema = findSchema(n.op_type(), domain, imp->second);
    if (!schema) return std::nullopt;
    NodeShape ns;
    ns.node = &n;
    ns.inputCount = static_cast<std::size_t>(n.input_size());
    ns.outputCount = static_cast<std::size_t>(n.output_size());
    ns.inputPresent = [&](std::size_t i) { return !n.input(static_cast<int>(i)).empty(); };
    ns.inputRank = [&](std::size_t i) {
      auto it = ranks.find(n.input(static_cast<int>(i)));
      return it == ranks.end() ? -1 : it->second;
    };
    return checkNodeAgainstSchema(ns, *schema);
  }

  void checkInfos(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>& infos, const char* what,
                  std::unordered_map<std::string, int>& ranks) {
    for (auto& vi : infos) {
      if (!vi.has_type()) continue;
      if (auto p = typeProblem(vi.type())) {
        out_.push_back({Sev::Error, "", "", std::string(what) + " '" + vi.name() + "': " + *p});
        if (fix_) defuseType(*vi.mutable_type());
      }
      int r = declaredRank(vi.type());
      if (r >= 0) ranks[vi.name()] = r;
      if (std::int64_t l = declaredLength(vi.type()); l > kMaxShapeLength) longShapes_[vi.name()] = l;
    }
  }

  void walkGraph(onnx::GraphProto& g, const Imports& imports, const std::string& where, int depth) {
    if (depth > 64) return;  // io refuses deeper nesting; nothing left to check
    std::unordered_map<std::string, int> ranks = outerRanks_;
    checkInfos(*g.mutable_input(), "graph input", ranks);
    checkInfos(*g.mutable_output(), "graph output", ranks);
    checkInfos(*g.mutable_value_info(), "value_info", ranks);
    for (const auto& t : g.initializer()) {
      if (!knownElementType(t.data_type()))
        out_.push_back({Sev::Error, "", "",
                        "initializer '" + t.name() + "': element type " + std::to_string(t.data_type()) +
                            " does not exist"});
      ranks[t.name()] = t.dims_size();
    }
    for (int i = 0; i < g.node_size(); ++i) {
      onnx::NodeProto& n = *g.mutable_node(i);
      for (const auto& a : n.attribute())
        if (a.name() == "value" && a.has_t() && n.op_type() == "Constant" && n.output_size() == 1)
          ranks[n.output(0)] = a.t().dims_size();
      if (n.domain() != kDefusedDomain) {
        std::optional<std::string> problem;
        if (int k = shapeInputOf(n); k >= 0 && k < n.input_size())
          if (auto it = longShapes_.find(n.input(k)); it != longShapes_.end())
            problem = "its shape input '" + it->first + "' is declared with " + std::to_string(it->second) +
                      " elements, so its output would have that many dims (more than " + std::to_string(kMaxShapeLength) + ")";
        // A model-local function passes the long value on to a shape input in its body.
        if (!problem)
          if (auto f = functions_.find(fnKey(normalize(n.domain()), n.op_type())); f != functions_.end())
            for (int a = 0; a < n.input_size() && a < f->second->input_size() && !problem; ++a) {
              auto it = longShapes_.find(n.input(a));
              if (it == longShapes_.end()) continue;
              for (const auto& body : f->second->node())
                if (int k = shapeInputOf(body); k >= 0 && k < body.input_size() && body.input(k) == f->second->input(a))
                  problem = "its input '" + it->first + "' is declared with " + std::to_string(it->second) +
                            " elements and is the shape input of a " + body.op_type() + " in function '" + n.op_type() +
                            "', whose output would have that many dims (more than " + std::to_string(kMaxShapeLength) + ")";
            }
        if (!problem) problem = nodeProblem(n, imports, ranks);
        if (problem) {
          out_.push_back({Sev::Error, where + label(n, static_cast<std::size_t>(i)), n.op_type(), *problem});
          if (fix_) {
            n.set_domain(kDefusedDomain);
            defusedAny_ = true;
            continue;
          }
        }
      }
      for (auto& a : *n.mutable_attribute()) {
        // Only a graph attribute needs the ranks around it (copying them for every attribute of
        // every node made a 64k-node decoder's analysis take two minutes).
        if (!a.has_g() && a.graphs_size() == 0) continue;
        auto saved = outerRanks_;
        outerRanks_ = ranks;
        std::string inner = where + "in subgraph '" + a.name() + "' of '" + label(n, static_cast<std::size_t>(i)) + "', ";
        if (a.has_g()) walkGraph(*a.mutable_g(), imports, inner, depth + 1);
        for (auto& sg : *a.mutable_graphs()) walkGraph(sg, imports, inner, depth + 1);
        outerRanks_ = std::move(saved);
      }
    }
  }

  onnx::ModelProto& proto_;
  bool fix_;
  bool defusedAny_ = false;
  std::map<std::string, const onnx::FunctionProto*> functions_;
  std::map<std::string, std::string> badFunctions_;
  std::unordered_map<std::string, int> outerRanks_;
  std::unordered_map<std::string, std::int64_t> longShapes_;  // 1-D values declared longer than kMaxShapeLength
  std::vector<Diagnostic> out_;
};

}  // namespace

std::vector<Diagnostic> findOnnxHazards(const onnx::ModelProto& proto) {
  // The walker only writes when asked to fix; it takes a mutable reference for that case.
  return Walker(const_cast<onnx::ModelProto&>(proto), false).run();
}

std::vector<Diagnostic> defuseForOnnx(onnx::ModelProto& proto) { return Walker(proto, true).run(); }

}  // namespace graft
