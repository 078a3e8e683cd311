// Registration of Graft's schemas into the onnx library's registry, the derivation of type-only
// re-versions, and the rules the onnx checker does not enforce (type constraints, attribute values).
#include <onnx/defs/data_type_utils.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <unordered_map>

#include "graft/schema.h"
#include "schema/builder.h"

namespace graft::schema {
namespace detail {
namespace {

// The library keeps the opset range of each domain in a private map of its DomainToVersionRange
// singleton, and refuses schemas outside it; its only mutator asserts that the domain is new.
// An explicit instantiation may name a private member, which gives a pointer to that map.
using Range = onnx::OpSchemaRegistry::DomainToVersionRange;
using RangeMap = std::unordered_map<std::string, std::pair<int, int>>;
using ReleaseMap = std::unordered_map<std::string, int>;
RangeMap Range::*rangeMember();
ReleaseMap Range::*releaseMember();
template <RangeMap Range::*M, ReleaseMap Range::*R>
struct RangeAccess {
  friend RangeMap Range::*rangeMember() { return M; }
  friend ReleaseMap Range::*releaseMember() { return R; }
};
template struct RangeAccess<&Range::map_, &Range::last_release_version_map_>;

void raiseOnnxOpset() {
  Range& range = Range::Instance();
  auto& map = range.*rangeMember();
  auto it = map.find("");
  if (it != map.end() && it->second.second < kMaxOnnxOpset) it->second.second = kMaxOnnxOpset;
  auto& release = range.*releaseMember();
  if (release[""] < kMaxOnnxOpset) release[""] = kMaxOnnxOpset;
}

std::vector<AttrRule>& ruleStore() {
  static std::vector<AttrRule> store;
  return store;
}

std::string typeList(const std::vector<std::string>& types) {
  std::string out;
  for (const auto& t : types) out += (out.empty() ? "" : ", ") + t;
  return out;
}

}  // namespace

Types tensors(std::initializer_list<const char*> names) {
  Types out;
  for (const char* n : names) out.push_back(std::string("tensor(") + n + ")");
  return out;
}

Types join(Types a, const Types& b) {
  for (const auto& t : b)
    if (std::find(a.begin(), a.end(), t) == a.end()) a.push_back(t);
  return a;
}

Types floatTypes() { return tensors({"float16", "float", "double", "bfloat16"}); }
Types intTypes() { return tensors({"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}); }
Types numericTypes() { return join(intTypes(), floatTypes()); }

Types newTypesUpTo(int opset) {
  Types out;
  for (const auto& t : newElementTypes())
    if (t.opset <= opset) out.push_back(std::string("tensor(") + t.name + ")");
  return out;
}

Types allTensorTypes(int opset) {
  return join(join(numericTypes(), tensors({"bool", "string", "complex64", "complex128"})), newTypesUpTo(opset));
}

Types widenWithNewTypes(int opset, const Types& allowed) {
  // "All types" constraints (those holding both an integer and a float type) gain the new ones.
  const bool broad = std::find(allowed.begin(), allowed.end(), "tensor(int8)") != allowed.end() &&
                     std::find(allowed.begin(), allowed.end(), "tensor(float)") != allowed.end();
  return broad ? join(allowed, newTypesUpTo(opset)) : allowed;
}

Types widenWithBfloat16(const Types& allowed) {
  const bool floats = std::find(allowed.begin(), allowed.end(), "tensor(float16)") != allowed.end() ||
                      std::find(allowed.begin(), allowed.end(), "tensor(float)") != allowed.end();
  return floats ? join(allowed, {"tensor(bfloat16)"}) : allowed;
}

void addRule(AttrRule rule) { ruleStore().push_back(std::move(rule)); }
const std::vector<AttrRule>& rules() { return ruleStore(); }

void copyRules(const std::string& op, int fromSince, int toSince) {
  std::vector<AttrRule> copies;
  for (const auto& r : ruleStore())
    if (r.op == op && r.since == fromSince) {
      AttrRule c = r;
      c.since = toSince;
      copies.push_back(std::move(c));
    }
  for (auto& c : copies) ruleStore().push_back(std::move(c));
}

void enumAttr(onnx::OpSchema& s, const char* name, const char* description, const char* defaultValue,
              std::vector<std::string> allowed) {
  std::string doc = std::string(description) + " One of: " + typeList(allowed) + ".";
  s.Attr(name, doc, onnx::AttributeProto::STRING, std::string(defaultValue));
  AttrRule r;
  r.op = s.Name();
  r.since = s.SinceVersion();
  r.attr = name;
  r.strings = std::move(allowed);
  addRule(std::move(r));
}

void intEnumAttr(onnx::OpSchema& s, const char* name, const char* description, std::int64_t defaultValue,
                 std::vector<std::int64_t> allowed) {
  s.Attr(name, description, onnx::AttributeProto::INT, defaultValue);
  AttrRule r;
  r.op = s.Name();
  r.since = s.SinceVersion();
  r.attr = name;
  r.ints = std::move(allowed);
  addRule(std::move(r));
}

onnx::OpSchema make(const char* name, int since, const std::string& doc) {
  onnx::OpSchema s(name, "graft/schema", 0);
  s.SetDomain("").SinceVersion(since).SetDoc(doc);
  return s;
}

void add(onnx::OpSchema&& schema) {
  const std::string name = schema.Name();
  const int since = schema.SinceVersion();
  if (onnx::OpSchemaRegistry::Schema(name, since, "") &&
      onnx::OpSchemaRegistry::Schema(name, since, "")->SinceVersion() == since)
    return;  // already there (a second registration attempt in the same process)
  onnx::OpSchemaRegistry::OpSchemaRegisterOnce reg(schema);
  const auto* registered = onnx::OpSchemaRegistry::Schema(name, since, "");
  if (!registered || registered->SinceVersion() != since)
    spdlog::error("schema {}-{} could not be registered with the onnx library", name, since);
}

bool derive(const std::string& op, int since, const Widen& widen, const std::string& note,
            const std::function<void(onnx::OpSchema&)>& tweak) {
  const onnx::OpSchema* base = onnx::OpSchemaRegistry::Schema(op, since - 1, "");
  if (!base) {
    spdlog::error("no schema of {} below opset {} to derive from", op, since);
    return false;
  }
  onnx::OpSchema s(op, "graft/schema", 0);
  s.SetDomain("").SinceVersion(since);
  s.SetDoc(std::string(base->doc() ? base->doc() : "") + "\n\n" + note);
  auto formal = [](const onnx::OpSchema::FormalParameter& p, auto add) {
    add(p.GetName(), p.GetDescription(), p.GetTypeStr(), p.GetOption(), p.GetIsHomogeneous(), p.GetMinArity(),
        p.GetDifferentiationCategory());
  };
  int i = 0;
  for (const auto& p : base->inputs())
    formal(p, [&](auto&&... args) { s.Input(i++, args...); });
  i = 0;
  for (const auto& p : base->outputs())
    formal(p, [&](auto&&... args) { s.Output(i++, args...); });
  for (const auto& [name, attr] : base->attributes()) s.Attr(attr);
  for (const auto& tc : base->typeConstraintParams())
    s.TypeConstraint(tc.type_param_str, widen(tc.type_param_str, tc.allowed_type_strs), tc.description);
  if (base->has_type_and_shape_inference_function())
    s.TypeAndShapeInferenceFunction(base->GetTypeAndShapeInferenceFunction());
  if (base->has_data_propagation_function()) s.PartialDataPropagationFunction(base->GetDataPropagationFunction());
  if (tweak) tweak(s);
  copyRules(op, base->SinceVersion(), since);
  add(std::move(s));
  return true;
}

// ---- inference helpers

std::optional<std::vector<std::int64_t>> constInts(onnx::InferenceContext& ctx, size_t input) {
  if (input >= ctx.getNumInputs()) return std::nullopt;
  const onnx::TensorProto* t = ctx.getInputData(input);
  if (!t) return std::nullopt;
  std::vector<std::int64_t> out;
  if (t->data_type() == onnx::TensorProto::INT64) {
    if (t->has_raw_data()) {
      const std::string& raw = t->raw_data();
      out.resize(raw.size() / 8);
      for (size_t k = 0; k < out.size(); ++k) {
        std::uint64_t v = 0;
        for (int b = 7; b >= 0; --b) v = (v << 8) | static_cast<unsigned char>(raw[k * 8 + static_cast<size_t>(b)]);
        out[k] = static_cast<std::int64_t>(v);
      }
    } else {
      out.assign(t->int64_data().begin(), t->int64_data().end());
    }
  } else if (t->data_type() == onnx::TensorProto::INT32) {
    if (t->has_raw_data()) {
      const std::string& raw = t->raw_data();
      out.resize(raw.size() / 4);
      for (size_t k = 0; k < out.size(); ++k) {
        std::uint32_t v = 0;
        for (int b = 3; b >= 0; --b) v = (v << 8) | static_cast<unsigned char>(raw[k * 4 + static_cast<size_t>(b)]);
        out[k] = static_cast<std::int32_t>(v);
      }
    } else {
      out.assign(t->int32_data().begin(), t->int32_data().end());
    }
  } else {
    return std::nullopt;
  }
  return out;
}

bool hasInput(onnx::InferenceContext& ctx, size_t input) {
  return input < ctx.getNumInputs() && ctx.getInputType(input) != nullptr;
}

int inputRank(onnx::InferenceContext& ctx, size_t input) {
  if (!hasInput(ctx, input) || !onnx::hasInputShape(ctx, input)) return -1;
  return onnx::getInputShape(ctx, input).dim_size();
}

void setOutputElemType(onnx::InferenceContext& ctx, size_t output, int elemType) {
  if (output >= ctx.getNumOutputs()) return;
  ctx.getOutputType(output)->mutable_tensor_type()->set_elem_type(elemType);
}

onnx::TensorShapeProto* outputShape(onnx::InferenceContext& ctx, size_t output) {
  auto* shape = ctx.getOutputType(output)->mutable_tensor_type()->mutable_shape();
  shape->clear_dim();
  return shape;
}

void sameAsInput0(onnx::InferenceContext& ctx) { onnx::propagateShapeAndTypeFromFirstInput(ctx); }

void broadcastInference(onnx::InferenceContext& ctx) {
  onnx::propagateElemTypeFromInputToOutput(ctx, 0, 0);
  std::vector<const onnx::TensorShapeProto*> shapes;
  for (size_t i = 0; i < ctx.getNumInputs(); ++i) {
    if (!hasInput(ctx, i)) continue;
    if (!onnx::hasInputShape(ctx, i)) return;
    shapes.push_back(&onnx::getInputShape(ctx, i));
  }
  onnx::multidirectionalBroadcastShapeInference(shapes, *ctx.getOutputType(0)->mutable_tensor_type()->mutable_shape());
}

}  // namespace detail

using namespace detail;

void ensureRegistered() {
  static std::once_flag once;
  std::call_once(once, [] {
    try {
      registerElementTypes();
      raiseOnnxOpset();
      registerOpset18();
      registerQuantCast();
      registerNewOps();
      registerReversions();
    } catch (const std::exception& e) {
      spdlog::error("registering Graft's opset 18–26 schemas failed: {}", e.what());
    }
  });
}

// Registered when the engine is loaded, so that code reading onnx's registry directly (rule files,
// the version converter) sees the schemas too; the entry points call ensureRegistered() as well.
[[maybe_unused]] const bool kRegisteredAtLoad = (ensureRegistered(), true);

bool isGraftSchema(const std::string& opType, const std::string& domain, int sinceVersion) {
  (void)opType;
  return (domain.empty() || domain == "ai.onnx") && sinceVersion > kLibraryMaxOnnxOpset;
}

std::vector<std::string> checkNodeRules(const onnx::NodeProto& node, int opsetVersion,
                                        const std::function<const onnx::TypeProto*(const std::string&)>& typeOf) {
  ensureRegistered();
  std::vector<std::string> problems;
  const std::string domain = node.domain() == "ai.onnx" ? std::string() : node.domain();
  if (!domain.empty()) return problems;
  const onnx::OpSchema* s = onnx::OpSchemaRegistry::Schema(node.op_type(), opsetVersion, "");
  if (!s || !isGraftSchema(s->Name(), domain, s->SinceVersion())) return problems;
  const std::string label = s->Name() + "-" + std::to_string(s->SinceVersion());

  // Attribute values.
  for (const auto& r : rules()) {
    if (r.op != s->Name() || r.since != s->SinceVersion()) continue;
    for (const auto& a : node.attribute()) {
      if (a.name() != r.attr) continue;
      if (!r.strings.empty() && a.type() == onnx::AttributeProto::STRING &&
          std::find(r.strings.begin(), r.strings.end(), a.s()) == r.strings.end())
        problems.push_back("attribute '" + r.attr + "' is \"" + a.s() + "\", but " + label + " allows only " +
                           typeList(r.strings) + (r.why.empty() ? "" : " (" + r.why + ")"));
      if (a.type() == onnx::AttributeProto::INT) {
        const std::int64_t v = a.i();
        const bool listed = r.ints.empty() || std::find(r.ints.begin(), r.ints.end(), v) != r.ints.end();
        const bool inRange = (!r.minInt || v >= *r.minInt) && (!r.maxInt || v <= *r.maxInt);
        if (!listed || !inRange) {
          std::string allowed;
          if (!r.ints.empty()) {
            std::vector<std::string> vs;
            for (auto x : r.ints) vs.push_back(std::to_string(x));
            allowed = typeList(vs);
          } else {
            allowed = (r.minInt ? ">= " + std::to_string(*r.minInt) : std::string()) +
                      (r.minInt && r.maxInt ? " and " : "") + (r.maxInt ? "<= " + std::to_string(*r.maxInt) : "");
          }
          problems.push_back("attribute '" + r.attr + "' is " + std::to_string(v) + ", but " + label +
                             " allows only " + allowed + (r.why.empty() ? "" : " (" + r.why + ")"));
        }
      }
    }
  }

  // Input types within the constraints, one type per constraint parameter.
  std::unordered_map<std::string, std::pair<std::string, std::string>> bound;  // param -> (type, input)
  const auto& formals = s->inputs();
  for (int i = 0; i < node.input_size() && !formals.empty(); ++i) {
    const std::string& name = node.input(i);
    if (name.empty()) continue;
    const auto& formal = formals[std::min<size_t>(static_cast<size_t>(i), formals.size() - 1)];
    if (static_cast<size_t>(i) >= formals.size() && formal.GetOption() != onnx::OpSchema::Variadic) break;
    const onnx::TypeProto* type = typeOf ? typeOf(name) : nullptr;
    if (!type || type->value_case() == onnx::TypeProto::VALUE_NOT_SET) continue;
    if (type->has_tensor_type() && !type->tensor_type().has_elem_type()) continue;
    onnx::DataType dt = nullptr;
    try {
      dt = onnx::Utils::DataTypeUtils::ToType(*type);
    } catch (const std::exception&) {
      problems.push_back("input '" + name + "' has an element type no ONNX version defines");
      continue;
    }
    const auto& allowed = formal.GetTypes();
    if (!allowed.empty() && !allowed.count(dt)) {
      std::vector<std::string> names;
      for (const auto& tc : s->typeConstraintParams())
        if (tc.type_param_str == formal.GetTypeStr()) names = tc.allowed_type_strs;
      if (names.empty())
        for (auto t : allowed) names.push_back(*t);
      problems.push_back("input '" + name + "' (" + formal.GetName() + ") is " + *dt + ", but " + label +
                         " allows " + formal.GetTypeStr() + " in " + typeList(names));
      continue;
    }
    const bool isParam = std::any_of(s->typeConstraintParams().begin(), s->typeConstraintParams().end(),
                                     [&](const auto& tc) { return tc.type_param_str == formal.GetTypeStr(); });
    if (!isParam || (formal.GetOption() == onnx::OpSchema::Variadic && !formal.GetIsHomogeneous())) continue;
    auto [it, inserted] = bound.emplace(formal.GetTypeStr(), std::make_pair(*dt, name));
    if (!inserted && it->second.first != *dt)
      problems.push_back("input '" + name + "' is " + *dt + " but input '" + it->second.second + "' is " +
                         it->second.first + "; " + label + " needs both of one type " + formal.GetTypeStr());
  }
  return problems;
}

}  // namespace graft::schema
