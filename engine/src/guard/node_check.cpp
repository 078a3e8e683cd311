// Node checks against registered OpSchemas. onnx 1.12's inference functions and the evaluator's
// kernels both index inputs, dims and attribute values without looking first (Conv stride 0 is a
// SIGFPE, ConvTranspose with a scalar W reads past a shape, Softmax with no input dereferences
// null), so every node is checked here first, generically over the schema registry.
#include <onnx/defs/schema.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "graft/guard.h"
#include "graft/schema.h"

namespace graft {

namespace {

std::string num(std::int64_t v) { return std::to_string(v); }

// Inputs whose rank the inference functions or kernels index without a check: (op, input,
// lowest rank, highest rank or -1). Ops not listed get the generic checks only.
struct RankRule {
  const char* op;
  int input;
  int minRank;
  int maxRank;
};
const std::vector<RankRule>& rankRules() {
  static const std::vector<RankRule> rules = {
      {"Conv", 0, 3, -1},          {"Conv", 1, 3, -1},
      {"ConvTranspose", 0, 3, -1}, {"ConvTranspose", 1, 3, -1},
      {"ConvInteger", 0, 3, -1},   {"ConvInteger", 1, 3, -1},
      {"QLinearConv", 0, 3, -1},   {"QLinearConv", 3, 3, -1},
      {"DeformConv", 0, 3, -1},    {"DeformConv", 1, 3, -1},
      {"MaxPool", 0, 3, -1},       {"AveragePool", 0, 3, -1},
      {"LpPool", 0, 3, -1},        {"MaxUnpool", 0, 3, -1},
      {"MaxRoiPool", 0, 4, 4},     {"RoiAlign", 0, 4, 4},
      {"GlobalAveragePool", 0, 2, -1}, {"GlobalMaxPool", 0, 2, -1}, {"GlobalLpPool", 0, 2, -1},
      {"BatchNormalization", 0, 2, -1}, {"BatchNormalization", 1, 1, 1}, {"BatchNormalization", 2, 1, 1},
      {"BatchNormalization", 3, 1, 1},  {"BatchNormalization", 4, 1, 1},
      {"InstanceNormalization", 0, 3, -1}, {"InstanceNormalization", 1, 1, 1}, {"InstanceNormalization", 2, 1, 1},
      {"GroupNormalization", 0, 2, -1},
      {"LayerNormalization", 0, 1, -1},
      {"LpNormalization", 0, 1, -1},
      {"LRN", 0, 3, -1},
      {"LSTM", 0, 3, 3}, {"LSTM", 1, 3, 3}, {"LSTM", 2, 3, 3}, {"LSTM", 3, 2, 2}, {"LSTM", 5, 3, 3},
      {"LSTM", 6, 3, 3}, {"LSTM", 7, 2, 2},
      {"GRU", 0, 3, 3},  {"GRU", 1, 3, 3},  {"GRU", 2, 3, 3},  {"GRU", 3, 2, 2},  {"GRU", 5, 3, 3},
      {"RNN", 0, 3, 3},  {"RNN", 1, 3, 3},  {"RNN", 2, 3, 3},  {"RNN", 3, 2, 2},  {"RNN", 5, 3, 3},
      {"Gemm", 0, 2, 2}, {"Gemm", 1, 2, 2},
      {"MatMul", 0, 1, -1}, {"MatMul", 1, 1, -1},
      {"MatMulInteger", 0, 1, -1}, {"MatMulInteger", 1, 1, -1},
      {"QLinearMatMul", 0, 1, -1}, {"QLinearMatMul", 3, 1, -1},
      {"GatherND", 0, 1, -1}, {"GatherND", 1, 1, -1},
      {"ScatterND", 0, 1, -1}, {"ScatterND", 1, 1, -1},
      {"GatherElements", 0, 1, -1}, {"ScatterElements", 0, 1, -1}, {"Scatter", 0, 1, -1},
      {"Gather", 0, 1, -1},
      {"Split", 0, 1, -1},
      {"Concat", 0, 1, -1},
      {"DepthToSpace", 0, 4, 4}, {"SpaceToDepth", 0, 4, 4},
      {"Range", 0, 0, 1}, {"Range", 1, 0, 1}, {"Range", 2, 0, 1},
      {"ConstantOfShape", 0, 1, 1},
      {"Reshape", 1, 1, 1}, {"Expand", 1, 1, 1}, {"Tile", 1, 1, 1},
      {"TopK", 1, 1, 1}, {"CumSum", 1, 0, 1},
      {"Softmax", 0, 1, -1}, {"LogSoftmax", 0, 1, -1}, {"Hardmax", 0, 1, -1},
      {"ReverseSequence", 0, 2, -1}, {"ReverseSequence", 1, 1, 1},
      {"CenterCropPad", 1, 1, 1},
      {"NonMaxSuppression", 0, 3, 3}, {"NonMaxSuppression", 1, 3, 3},
      {"Resize", 0, 1, -1}, {"Upsample", 0, 1, -1},
      {"GridSample", 0, 4, -1}, {"GridSample", 1, 4, -1},
      {"Col2Im", 0, 3, 3},
      {"STFT", 0, 3, 3}, {"DFT", 0, 2, -1},
      {"Trilu", 0, 2, -1},
  };
  return rules;
}

const onnx::AttributeProto* findAttr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

const char* attrTypeName(int type) {
  switch (type) {
    case onnx::AttributeProto::FLOAT: return "float";
    case onnx::AttributeProto::INT: return "int";
    case onnx::AttributeProto::STRING: return "string";
    case onnx::AttributeProto::TENSOR: return "tensor";
    case onnx::AttributeProto::GRAPH: return "graph";
    case onnx::AttributeProto::SPARSE_TENSOR: return "sparse tensor";
    case onnx::AttributeProto::TYPE_PROTO: return "type";
    case onnx::AttributeProto::FLOATS: return "floats";
    case onnx::AttributeProto::INTS: return "ints";
    case onnx::AttributeProto::STRINGS: return "strings";
    case onnx::AttributeProto::TENSORS: return "tensors";
    case onnx::AttributeProto::GRAPHS: return "graphs";
    case onnx::AttributeProto::SPARSE_TENSORS: return "sparse tensors";
    case onnx::AttributeProto::TYPE_PROTOS: return "types";
    default: return "undefined";
  }
}

// The type an attribute carries: its declared type, or (files that leave it unset, which the
// onnx helpers accept) the one field that is filled.
int attrType(const onnx::AttributeProto& a) {
  if (a.type() != onnx::AttributeProto::UNDEFINED) return a.type();
  if (a.has_f()) return onnx::AttributeProto::FLOAT;
  if (a.has_i()) return onnx::AttributeProto::INT;
  if (a.has_s()) return onnx::AttributeProto::STRING;
  if (a.has_t()) return onnx::AttributeProto::TENSOR;
  if (a.has_g()) return onnx::AttributeProto::GRAPH;
  if (a.ints_size()) return onnx::AttributeProto::INTS;
  if (a.floats_size()) return onnx::AttributeProto::FLOATS;
  if (a.strings_size()) return onnx::AttributeProto::STRINGS;
  return onnx::AttributeProto::UNDEFINED;
}

// An Einsum equation: one term per input, each letters plus at most one "...", an output made
// of letters that appear on the left, and term lengths that fit the inputs' ranks.
std::optional<std::string> checkEinsum(const NodeShape& ns, const std::string& eq) {
  std::string lhs = eq, rhs;
  bool explicitOut = false;
  if (auto arrow = eq.find("->"); arrow != std::string::npos) {
    lhs = eq.substr(0, arrow);
    rhs = eq.substr(arrow + 2);
    explicitOut = true;
  }
  std::vector<std::string> terms;
  std::size_t start = 0;
  for (;;) {
    auto comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != ns.inputCount)
    return "equation '" + eq + "' has " + num(static_cast<std::int64_t>(terms.size())) + " input terms for " +
           num(static_cast<std::int64_t>(ns.inputCount)) + " inputs";
  std::set<char> seen;
  auto parseTerm = [&](const std::string& term, bool isOut, int& letters, bool& ellipsis) -> std::optional<std::string> {
    letters = 0;
    ellipsis = false;
    for (std::size_t i = 0; i < term.size(); ++i) {
      char c = term[i];
      if (c == ' ') continue;
      if (c == '.') {
        if (ellipsis || term.compare(i, 3, "...") != 0) return "equation '" + eq + "' has a malformed '...'";
        ellipsis = true;
        i += 2;
        continue;
      }
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
        return "equation '" + eq + "' has the character '" + std::string(1, c) + "', which is not a label";
      if (isOut && !seen.count(c))
        return "equation '" + eq + "': output label '" + std::string(1, c) + "' does not appear in any input";
      if (!isOut) seen.insert(c);
      ++letters;
    }
    return std::nullopt;
  };
  bool anyEllipsis = false;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    int letters = 0;
    bool ellipsis = false;
    if (auto e = parseTerm(terms[i], false, letters, ellipsis)) return e;
    anyEllipsis = anyEllipsis || ellipsis;
    int rank = ns.inputRank ? ns.inputRank(i) : -1;
    if (rank >= 0 && (ellipsis ? letters > rank : letters != rank))
      return "equation '" + eq + "': term '" + terms[i] + "' does not fit input " + num(static_cast<std::int64_t>(i)) +
             " of rank " + num(rank);
  }
  if (explicitOut) {
    int letters = 0;
    bool ellipsis = false;
    if (auto e = parseTerm(rhs, true, letters, ellipsis)) return e;
    if (ellipsis && !anyEllipsis) return "equation '" + eq + "' has '...' in the output but in no input";
  }
  return std::nullopt;
}

}  // namespace

const onnx::OpSchema* findSchema(const std::string& opType, const std::string& domain, std::int64_t opset) {
  const std::string d = domain == "ai.onnx" ? std::string() : domain;
  if (opset <= 0 || opset > (1 << 20)) return nullptr;
  schema::ensureRegistered();
  try {
    return onnx::OpSchemaRegistry::Schema(opType, static_cast<int>(opset), d);
  } catch (...) {
    return nullptr;
  }
}

std::optional<std::string> checkNodeAgainstSchema(const NodeShape& ns, const onnx::OpSchema& schema) {
  const onnx::NodeProto& n = *ns.node;
  auto present = [&](std::size_t i) {
    if (i >= ns.inputCount) return false;
    return ns.inputPresent ? ns.inputPresent(i) : true;
  };
  auto rankOf = [&](std::size_t i) { return present(i) && ns.inputRank ? ns.inputRank(i) : -1; };

  // ---- arity
  const auto inCount = static_cast<std::int64_t>(ns.inputCount);
  const auto outCount = static_cast<std::int64_t>(ns.outputCount);
  if (inCount < schema.min_input() || inCount > schema.max_input())
    return "has " + num(inCount) + " inputs, but " + n.op_type() + " takes " +
           (schema.min_input() == schema.max_input() ? num(schema.min_input())
                                                     : num(schema.min_input()) + " to " + num(schema.max_input()));
  if (outCount < schema.min_output() || outCount > schema.max_output())
    return "has " + num(outCount) + " outputs, but " + n.op_type() + " gives " +
           (schema.min_output() == schema.max_output() ? num(schema.min_output())
                                                       : num(schema.min_output()) + " to " + num(schema.max_output()));
  const auto& formals = schema.inputs();
  for (std::size_t i = 0; i < formals.size() && i < ns.inputCount; ++i) {
    if (formals[i].GetOption() == onnx::OpSchema::Single && !present(i))
      return "input " + num(static_cast<std::int64_t>(i)) + " ('" + formals[i].GetName() +
             "') is required but missing";
  }

  // ---- attributes: required ones present, each with the schema's type
  for (const auto& [name, attr] : schema.attributes()) {
    const onnx::AttributeProto* a = findAttr(n, name);
    if (!a) {
      if (attr.required) return "required attribute '" + name + "' is missing";
      continue;
    }
    if (attr.type != onnx::AttributeProto::UNDEFINED && attrType(*a) != attr.type)
      return "attribute '" + name + "' is " + attrTypeName(attrType(*a)) + " but must be " + attrTypeName(attr.type);
  }

  // ---- attribute values where a wrong one crashes, divides by zero or loops
  const auto& attrs = schema.attributes();
  auto has = [&](const char* name) { return attrs.count(name) != 0; };
  auto ints = [&](const char* name) -> std::vector<std::int64_t> {
    const onnx::AttributeProto* a = has(name) ? findAttr(n, name) : nullptr;
    if (!a) return {};
    return {a->ints().begin(), a->ints().end()};
  };
  auto intAttr = [&](const char* name) -> std::optional<std::int64_t> {
    const onnx::AttributeProto* a = has(name) ? findAttr(n, name) : nullptr;
    if (!a) return std::nullopt;
    return a->i();
  };
  for (const char* name : {"strides", "dilations", "kernel_shape"}) {
    for (auto v : ints(name))
      if (v < 1) return std::string("attribute '") + name + "' has " + num(v) + "; every value must be at least 1";
  }
  for (const char* name : {"pads", "output_padding"}) {
    for (auto v : ints(name))
      if (v < 0 || v > kMaxDeclaredDim)
        return std::string("attribute '") + name + "' has " + num(v) + "; every value must be between 0 and 2^40";
  }
  for (const char* name : {"group", "blocksize", "size"}) {
    if (auto v = intAttr(name); v && *v < 1)
      return std::string("attribute '") + name + "' is " + num(*v) + "; it must be at least 1";
  }
  if (auto v = intAttr("hidden_size"); v && (*v < 1 || *v > (std::int64_t(1) << 24)))
    return "attribute 'hidden_size' is " + num(*v) + "; it must be between 1 and 2^24";
  for (auto v : ints("output_shape"))
    if (v < 0 || v > kMaxDeclaredDim) return "attribute 'output_shape' has " + num(v) + ", out of range";
  // Spatial attribute lists must match the spatial rank the kernels loop over.
  if (int xr = rankOf(0); xr >= 3 && has("kernel_shape")) {
    const auto spatial = static_cast<std::size_t>(xr - 2);
    for (const char* name : {"strides", "dilations", "kernel_shape"}) {
      auto v = ints(name);
      if (!v.empty() && v.size() != spatial)
        return std::string("attribute '") + name + "' has " + num(static_cast<std::int64_t>(v.size())) +
               " values for " + num(static_cast<std::int64_t>(spatial)) + " spatial dims";
    }
    auto p = ints("pads");
    if (!p.empty() && p.size() != 2 * spatial)
      return "attribute 'pads' has " + num(static_cast<std::int64_t>(p.size())) + " values for " +
             num(static_cast<std::int64_t>(spatial)) + " spatial dims (needs twice as many)";
  }
  if (has("perm")) {
    auto perm = ints("perm");
    int r = rankOf(0);
    if (!perm.empty() || findAttr(n, "perm")) {
      if (r >= 0 && perm.size() != static_cast<std::size_t>(r))
        return "attribute 'perm' has " + num(static_cast<std::int64_t>(perm.size())) + " values for an input of rank " +
               num(r);
      std::vector<bool> used(perm.size(), false);
      for (auto v : perm) {
        if (v < 0 || v >= static_cast<std::int64_t>(perm.size()) || used[static_cast<std::size_t>(v)])
          return "attribute 'perm' is not a permutation of 0.." + num(static_cast<std::int64_t>(perm.size()) - 1);
        used[static_cast<std::size_t>(v)] = true;
      }
    }
  }
  if (auto axis = intAttr("axis"); axis && schema.Name() != "Concat" && schema.Name() != "ConcatFromSequence") {
    int r = rankOf(0);
    if (r > 0 && (*axis < -r - 1 || *axis > r))
      return "attribute 'axis' is " + num(*axis) + " for an input of rank " + num(r);
  }
  if (auto axis = intAttr("axis"); axis && schema.Name() == "Concat") {
    int r = rankOf(0);
    if (r > 0 && (*axis < -r || *axis >= r)) return "attribute 'axis' is " + num(*axis) + " for inputs of rank " + num(r);
  }
  if (auto b = intAttr("batch_dims"); b) {
    int r = std::min(rankOf(0) < 0 ? 1 << 30 : rankOf(0), rankOf(1) < 0 ? 1 << 30 : rankOf(1));
    if (*b < 0 || *b >= r) return "attribute 'batch_dims' is " + num(*b) + "; it must be below both inputs' ranks";
  }
  if (schema.Name() == "Einsum") {
    const onnx::AttributeProto* eq = findAttr(n, "equation");
    if (eq)
      if (auto e = checkEinsum(ns, eq->s())) return e;
  }
  if (schema.Name() == "Scan") {
    if (auto v = intAttr("num_scan_inputs"); v && (*v < 0 || *v > inCount))
      return "attribute 'num_scan_inputs' is " + num(*v) + " for " + num(inCount) + " inputs";
  }

  // ---- input ranks the inference and the kernels rely on (default domain only)
  const std::string& d = schema.domain();
  if (d.empty() || d == "ai.onnx") {
    for (const auto& rule : rankRules()) {
      if (schema.Name() != rule.op) continue;
      int r = rankOf(static_cast<std::size_t>(rule.input));
      if (r < 0) continue;
      if (r < rule.minRank || (rule.maxRank >= 0 && r > rule.maxRank)) {
        std::string want = rule.maxRank == rule.minRank ? "rank " + num(rule.minRank)
                           : rule.maxRank < 0           ? "rank " + num(rule.minRank) + " or more"
                                                        : "rank " + num(rule.minRank) + " to " + num(rule.maxRank);
        std::string formal = static_cast<std::size_t>(rule.input) < formals.size()
                                 ? " ('" + formals[static_cast<std::size_t>(rule.input)].GetName() + "')"
                                 : std::string();
        return "input " + num(rule.input) + formal + " has rank " + num(r) + " but " + schema.Name() + " needs " + want;
      }
    }
  }
  return std::nullopt;
}

}  // namespace graft
