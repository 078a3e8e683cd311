// Opset conversion past what the onnx library's version converter knows (it stops at 17): up to
// 26 and back down to 17 or below. Up: the library converts to 17 first, then the nodes whose
// form changed are adapted (Reduce* axes to an input at 18, DFT's axis to an input at 20); every
// other op of 17 is still valid later. Down: each node whose schema is newer than the target is
// rewritten to the target's form (axes inputs back to attributes, Split num_outputs to sizes,
// Gelu/Mish/Swish into the ops they are defined by, attributes with their defaults dropped) or the
// conversion is refused with the reason (an op or element type the target does not have, an
// attribute value it cannot express). The result is checked before it is returned.
#include <onnx/defs/data_type_utils.h>
#include <onnx/defs/schema.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <numbers>
#include <optional>
#include <set>
#include <unordered_map>

#include "graft/analysis.h"
#include "graft/io.h"
#include "graft/rewrite.h"
#include "graft/schema.h"

namespace graft {

Result<std::unique_ptr<Model>> convertOpset(const Model& model, std::int64_t target);

namespace {

// IR version of the ONNX release that introduced each opset (onnx/docs/Versioning.md; the backend
// node tests of 18-26 are written so).
std::int64_t irForOpset(std::int64_t opset) {
  static const std::int64_t table[] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 5, 6, 7, 7, 7, 8, 8, 8,
                                       8, 9, 9, 10, 10, 11, 12, 13, 13};  // index: opset
  return opset < 0 ? 3 : opset >= static_cast<std::int64_t>(std::size(table)) ? 13 : table[opset];
}

const char* const kReduceOps[] = {"ReduceL1",   "ReduceL2",  "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
                                  "ReduceMean", "ReduceMin", "ReduceProd",   "ReduceSumSquare"};
bool isReduce18(const std::string& op) {
  return std::find(std::begin(kReduceOps), std::end(kReduceOps), op) != std::end(kReduceOps);
}

struct Refusal {
  std::string message;
};

const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

void removeAttr(onnx::NodeProto& n, const std::string& name) {
  auto* attrs = n.mutable_attribute();
  for (int i = 0; i < attrs->size(); ++i)
    if (attrs->Get(i).name() == name) {
      attrs->DeleteSubrange(i, 1);
      return;
    }
}

std::int64_t intAttr(const onnx::NodeProto& n, const std::string& name, std::int64_t fallback) {
  const auto* a = attr(n, name);
  return a ? a->i() : fallback;
}
std::string stringAttr(const onnx::NodeProto& n, const std::string& name, const std::string& fallback) {
  const auto* a = attr(n, name);
  return a ? a->s() : fallback;
}

void setInts(onnx::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& values) {
  removeAttr(n, name);
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto v : values) a->add_ints(v);
}
void setInt(onnx::NodeProto& n, const std::string& name, std::int64_t value) {
  removeAttr(n, name);
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}
void setString(onnx::NodeProto& n, const std::string& name, const std::string& value) {
  removeAttr(n, name);
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value);
}

std::string label(const onnx::NodeProto& n) { return n.name().empty() ? n.op_type() : n.name(); }

// State of one conversion: names in use, constants known in the main graph, inferred types.
class Converter {
 public:
  Converter(onnx::ModelProto& proto, std::int64_t current, std::int64_t target, const InferenceResult* types)
      : proto_(proto), current_(current), target_(target), types_(types) {
    collectNames(proto_.graph());
  }

  void run() {
    convertGraph(*proto_.mutable_graph());
    for (auto& imp : *proto_.mutable_opset_import())
      if (imp.domain().empty() || imp.domain() == "ai.onnx") imp.set_version(target_);
    if (target_ > current_)
      proto_.set_ir_version(std::max<std::int64_t>(proto_.ir_version(), irForOpset(target_)));
    else
      proto_.set_ir_version(std::min<std::int64_t>(proto_.ir_version(), std::max<std::int64_t>(irForOpset(target_), 3)));
  }

 private:
  onnx::ModelProto& proto_;
  std::int64_t current_, target_;
  const InferenceResult* types_;
  std::set<std::string> names_;
  std::unordered_map<std::string, const onnx::TensorProto*> constants_;  // per graph being converted
  int counter_ = 0;

  void collectNames(const onnx::GraphProto& g) {
    for (const auto& v : g.input()) names_.insert(v.name());
    for (const auto& t : g.initializer()) names_.insert(t.name());
    for (const auto& n : g.node()) {
      names_.insert(n.name());
      for (const auto& o : n.output()) names_.insert(o);
      for (const auto& a : n.attribute()) {
        if (a.has_g()) collectNames(a.g());
        for (const auto& sub : a.graphs()) collectNames(sub);
      }
    }
  }

  std::string fresh(const std::string& base) {
    std::string name;
    do name = base + "_graft" + std::to_string(counter_++);
    while (names_.count(name));
    names_.insert(name);
    return name;
  }

  std::string int64Constant(onnx::GraphProto& g, const std::string& base, const std::vector<std::int64_t>& values,
                            bool scalar = false) {
    auto* t = g.add_initializer();
    t->set_name(fresh(base));
    t->set_data_type(onnx::TensorProto::INT64);
    if (!scalar) t->add_dims(static_cast<std::int64_t>(values.size()));
    for (auto v : values) t->add_int64_data(v);
    return t->name();
  }

  std::string floatConstant(onnx::GraphProto& g, const std::string& base, float value) {
    auto* t = g.add_initializer();
    t->set_name(fresh(base));
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_float_data(value);
    return t->name();
  }

  std::optional<std::vector<std::int64_t>> constantInts(const std::string& name) const {
    auto it = constants_.find(name);
    if (it == constants_.end()) return std::nullopt;
    const onnx::TensorProto& t = *it->second;
    if (t.data_location() == onnx::TensorProto::EXTERNAL) return std::nullopt;
    std::vector<std::int64_t> out;
    if (t.data_type() == onnx::TensorProto::INT64) {
      if (t.has_raw_data()) {
        out.resize(t.raw_data().size() / 8);
        std::memcpy(out.data(), t.raw_data().data(), out.size() * 8);
      } else {
        out.assign(t.int64_data().begin(), t.int64_data().end());
      }
    } else if (t.data_type() == onnx::TensorProto::INT32) {
      if (t.has_raw_data()) {
        std::vector<std::int32_t> v(t.raw_data().size() / 4);
        std::memcpy(v.data(), t.raw_data().data(), v.size() * 4);
        out.assign(v.begin(), v.end());
      } else {
        out.assign(t.int32_data().begin(), t.int32_data().end());
      }
    } else {
      return std::nullopt;
    }
    return out;
  }

  const onnx::TypeProto* typeOf(const std::string& name) const {
    if (!types_) return nullptr;
    auto it = types_->types.find(name);
    return it == types_->types.end() ? nullptr : &it->second;
  }
  int rankOf(const std::string& name) const {
    const auto* t = typeOf(name);
    if (!t || !t->has_tensor_type() || !t->tensor_type().has_shape()) return -1;
    return t->tensor_type().shape().dim_size();
  }
  int elemOf(const std::string& name) const {
    const auto* t = typeOf(name);
    return t && t->has_tensor_type() ? t->tensor_type().elem_type() : 0;
  }

  [[noreturn]] void refuse(const onnx::NodeProto& n, const std::string& why) const {
    throw Refusal{"node '" + label(n) + "' (" + n.op_type() + "): " + why};
  }

  void convertGraph(onnx::GraphProto& g) {
    auto saved = constants_;
    for (const auto& t : g.initializer()) constants_[t.name()] = &t;
    for (const auto& n : g.node())
      if (n.op_type() == "Constant" && n.output_size() == 1)
        if (const auto* v = attr(n, "value"); v && v->has_t()) constants_[n.output(0)] = &v->t();
    // New element types must not stay behind in a model for an opset that lacks them.
    if (target_ < current_) {
      for (const auto& t : g.initializer()) checkElementType(t.data_type(), "initializer '" + t.name() + "'");
      for (const auto& vi : g.input())
        if (vi.type().has_tensor_type())
          checkElementType(vi.type().tensor_type().elem_type(), "graph input '" + vi.name() + "'");
    }
    std::vector<onnx::NodeProto> out;
    out.reserve(static_cast<size_t>(g.node_size()));
    for (auto& n : *g.mutable_node()) {
      for (auto& a : *n.mutable_attribute()) {
        if (a.has_g()) convertGraph(*a.mutable_g());
        for (auto& sub : *a.mutable_graphs()) convertGraph(sub);
      }
      if (!n.domain().empty() && n.domain() != "ai.onnx") {
        out.push_back(std::move(n));
        continue;
      }
      if (target_ > current_)
        up(g, n, out);
      else
        down(g, n, out);
    }
    g.clear_node();
    for (auto& n : out) *g.add_node() = std::move(n);
    constants_ = std::move(saved);
  }

  void checkElementType(int type, const std::string& what) const {
    static const std::vector<std::pair<int, int>> firstOpset = {{17, 19}, {18, 19}, {19, 19}, {20, 19}, {21, 21},
                                                                {22, 21}, {23, 23}, {24, 24}, {25, 25}, {26, 25}};
    for (const auto& [t, opset] : firstOpset)
      if (t == type && target_ < opset)
        throw Refusal{what + " is " + schema::elementTypeString(type) + ", which ai.onnx has only from opset " +
                      std::to_string(opset)};
  }

  // ------------------------------------------------------------------ up
  void up(onnx::GraphProto& g, onnx::NodeProto& n, std::vector<onnx::NodeProto>& out) {
    const std::string& op = n.op_type();
    auto crosses = [&](int v) { return current_ < v && target_ >= v; };
    if (crosses(18) && isReduce18(op)) {
      if (const auto* axes = attr(n, "axes")) {
        std::vector<std::int64_t> values(axes->ints().begin(), axes->ints().end());
        removeAttr(n, "axes");
        while (n.input_size() < 1) n.add_input("");
        n.add_input(int64Constant(g, label(n) + "_axes", values));
      }
    }
    if (crosses(18) && op == "Split" && (n.input_size() < 2 || n.input(1).empty()) && !attr(n, "num_outputs"))
      setInt(n, "num_outputs", n.output_size());  // from 18 the sizes or their number must be given
    if (crosses(20) && op == "DFT") {
      const std::int64_t axis = intAttr(n, "axis", 1);
      removeAttr(n, "axis");
      while (n.input_size() < 2) n.add_input("");
      n.add_input(int64Constant(g, label(n) + "_axis", {axis}, true));
    }
    if (crosses(20) && op == "GridSample") {
      // Opset 20 renamed the modes (and took any number of spatial axes).
      const std::string mode = stringAttr(n, "mode", "bilinear");
      setString(n, "mode", mode == "bilinear" ? "linear" : mode == "bicubic" ? "cubic" : mode);
    }
    if (crosses(21) && op == "GroupNormalization")
      refuse(n, "GroupNormalization-21 takes scale and bias per channel instead of per group; Graft does not "
                "rewrite GroupNormalization-18 across opset 21");
    out.push_back(std::move(n));
  }

  // ------------------------------------------------------------------ down
  void down(onnx::GraphProto& g, onnx::NodeProto& n, std::vector<onnx::NodeProto>& out) {
    const std::string op = n.op_type();
    const auto* now = onnx::OpSchemaRegistry::Schema(op, static_cast<int>(current_), "");
    const auto* then = onnx::OpSchemaRegistry::Schema(op, static_cast<int>(target_), "");
    if (!now || (then && then->SinceVersion() == now->SinceVersion())) {
      out.push_back(std::move(n));
      return;
    }
    const int targetSince = then ? then->SinceVersion() : 0;
    // Types the target's schema does not accept (float8 in a Cast, int4 in a Reshape, …).
    for (const auto& in : n.input())
      if (!in.empty()) checkElementType(elemOf(in), "input '" + in + "' of node '" + label(n) + "'");
    for (const auto& o : n.output())
      if (!o.empty()) checkElementType(elemOf(o), "output '" + o + "' of node '" + label(n) + "'");

    if (!then) {
      if (op == "Gelu") return gelu(g, n, out);
      if (op == "Mish") return mish(g, n, out);
      if (op == "Swish") return swish(g, n, out);
      refuse(n, op + " exists only from opset " + std::to_string(firstVersion(op)) + "; opset " +
                    std::to_string(target_) + " has no " + op + " and Graft has no rewrite of it into older ops");
    }
    checkTypesAgainst(n, *then);
    if (isReduce18(op) && targetSince < 18) return reduceDown(n, out);
    if (op == "Split" && targetSince < 18) return splitDown(g, n, out);
    if (op == "Pad" && targetSince < 18) return padDown(g, n, out);
    if (op == "Pad" && targetSince < 19 && stringAttr(n, "mode", "constant") == "wrap")
      refuse(n, "Pad mode 'wrap' exists only from opset 19");
    if (op == "Resize" && targetSince < 18) {
      requireDefault(n, "antialias", 0);
      if (attr(n, "axes")) refuse(n, "Resize 'axes' exists only from opset 18");
      if (stringAttr(n, "keep_aspect_ratio_policy", "stretch") != "stretch")
        refuse(n, "Resize keep_aspect_ratio_policy other than stretch exists only from opset 18");
      removeAttr(n, "antialias");
      removeAttr(n, "keep_aspect_ratio_policy");
    }
    if (op == "Resize" && targetSince < 19 &&
        stringAttr(n, "coordinate_transformation_mode", "half_pixel") == "half_pixel_symmetric")
      refuse(n, "Resize coordinate_transformation_mode half_pixel_symmetric exists only from opset 19");
    if ((op == "ScatterND" || op == "ScatterElements") && targetSince < 18) {
      const std::string r = stringAttr(n, "reduction", "none");
      if (r == "max" || r == "min") refuse(n, "reduction '" + r + "' exists only from opset 18");
    }
    if ((op == "LpPool" && targetSince < 18) || (op == "AveragePool" && targetSince < 19)) {
      if (op == "LpPool") requireDefault(n, "ceil_mode", 0);
      if (const auto* d = attr(n, "dilations"))
        for (auto v : d->ints())
          if (v != 1) refuse(n, "dilations other than 1 need opset " + std::string(op == "LpPool" ? "18" : "19"));
      if (op == "LpPool") removeAttr(n, "ceil_mode");
      removeAttr(n, "dilations");
    }
    if (op == "MaxPool" && targetSince < 22 && intAttr(n, "ceil_mode", 0) != 0)
      refuse(n, "MaxPool with ceil_mode: opset 22 drops a last window that starts in the padding, older opsets "
                "do not, so the output shape could differ");
    if ((op == "Cast" || op == "CastLike") && targetSince < 19) {
      removeAttr(n, "saturate");
      removeAttr(n, "round_mode");
    }
    if (op == "Cast") {
      if (const auto* to = attr(n, "to")) checkElementType(static_cast<int>(to->i()), "attribute 'to'");
      if (targetSince < 24) removeAttr(n, "round_mode");
    }
    if (op == "CastLike" && targetSince < 24) removeAttr(n, "round_mode");
    if (op == "QuantizeLinear" || op == "DequantizeLinear") quantDown(g, n, targetSince);
    if (op == "DFT" && targetSince < 20) dftDown(n);
    if (op == "GridSample" && targetSince < 20) gridSampleDown(n);
    if (op == "GroupNormalization" && targetSince < 21)
      refuse(n, "GroupNormalization-21 takes scale and bias per channel, opset " + std::to_string(target_) +
                    "'s per group; Graft does not rewrite it");
    if ((op == "OptionalGetElement" || op == "OptionalHasElement") && targetSince < 18 && n.input_size() > 0 &&
        !n.input(0).empty()) {
      const auto* t = typeOf(n.input(0));
      if (!t || !t->has_optional_type())
        refuse(n, op + " takes a plain tensor or sequence only from opset 18; before, its input must be optional");
    }
    if (op == "Attention" && targetSince < 24 && n.input_size() > 6 && !n.input(6).empty())
      refuse(n, "Attention's nonpad_kv_seqlen input exists only from opset 24");
    out.push_back(std::move(n));
  }

  // Inputs whose (inferred) type the target's schema does not accept: float16 scales of a
  // QLinearMatMul-21 at opset 10, a string Equal-19 at 13, ...
  void checkTypesAgainst(const onnx::NodeProto& n, const onnx::OpSchema& s) const {
    const auto& formals = s.inputs();
    for (int i = 0; i < n.input_size() && !formals.empty(); ++i) {
      if (n.input(i).empty()) continue;
      if (static_cast<size_t>(i) >= formals.size() && formals.back().GetOption() != onnx::OpSchema::Variadic) break;
      const auto& formal = formals[std::min<size_t>(static_cast<size_t>(i), formals.size() - 1)];
      const auto* t = typeOf(n.input(i));
      if (!t || t->value_case() == onnx::TypeProto::VALUE_NOT_SET ||
          (t->has_tensor_type() && t->tensor_type().elem_type() == 0))
        continue;
      onnx::DataType dt = nullptr;
      try {
        dt = onnx::Utils::DataTypeUtils::ToType(*t);
      } catch (const std::exception&) {
        continue;
      }
      if (!formal.GetTypes().empty() && !formal.GetTypes().count(dt))
        refuse(n, "input '" + n.input(i) + "' is " + *dt + ", which " + s.Name() + "-" +
                      std::to_string(s.SinceVersion()) + " (the version at opset " + std::to_string(target_) +
                      ") does not accept");
    }
  }

  static int firstVersion(const std::string& op) {
    for (int v = 1; v <= schema::kMaxOnnxOpset; ++v)
      if (const auto* s = onnx::OpSchemaRegistry::Schema(op, v, "")) return s->SinceVersion();
    return 0;
  }

  void requireDefault(const onnx::NodeProto& n, const std::string& name, std::int64_t def) const {
    if (intAttr(n, name, def) != def)
      refuse(n, "attribute '" + name + "' = " + std::to_string(intAttr(n, name, def)) + " has no equivalent at opset " +
                    std::to_string(target_));
  }

  void reduceDown(onnx::NodeProto& n, std::vector<onnx::NodeProto>& out) {
    const bool noop = intAttr(n, "noop_with_empty_axes", 0) != 0;
    removeAttr(n, "noop_with_empty_axes");
    if (n.input_size() > 1 && !n.input(1).empty()) {
      auto axes = constantInts(n.input(1));
      if (!axes) refuse(n, "the axes come from a computed tensor; opset " + std::to_string(target_) +
                               " needs them as a constant attribute");
      if (axes->empty() && noop) refuse(n, "noop_with_empty_axes with empty axes has no equivalent before opset 18");
      if (!axes->empty()) setInts(n, "axes", *axes);
    } else if (noop) {
      refuse(n, "noop_with_empty_axes without axes has no equivalent before opset 18");
    }
    while (n.input_size() > 1) n.mutable_input()->RemoveLast();
    out.push_back(std::move(n));
  }

  void splitDown(onnx::GraphProto& g, onnx::NodeProto& n, std::vector<onnx::NodeProto>& out) {
    if (const auto* num = attr(n, "num_outputs")) {
      const std::int64_t parts = num->i();
      removeAttr(n, "num_outputs");
      const auto* t = typeOf(n.input(0));
      std::int64_t axis = intAttr(n, "axis", 0);
      const int rank = rankOf(n.input(0));
      if (rank > 0 && axis < 0) axis += rank;
      std::optional<std::int64_t> length;
      if (t && rank > 0 && axis >= 0 && axis < rank && t->tensor_type().shape().dim(static_cast<int>(axis)).has_dim_value())
        length = t->tensor_type().shape().dim(static_cast<int>(axis)).dim_value();
      if (!length)
        refuse(n, "num_outputs needs the length of the split axis to give explicit sizes at opset " +
                      std::to_string(target_) + ", and it is not known statically");
      if (*length % parts != 0) {
        const std::int64_t each = (*length + parts - 1) / parts;
        std::vector<std::int64_t> sizes;
        for (std::int64_t k = 0; k < parts; ++k) sizes.push_back(std::max<std::int64_t>(0, std::min(each, *length - each * k)));
        while (n.input_size() < 1) n.add_input("");
        n.add_input(int64Constant(g, label(n) + "_split", sizes));
      }
      // (An even split is what Split-13 does by itself with no sizes.)
    }
    out.push_back(std::move(n));
  }

  void padDown(onnx::GraphProto& g, onnx::NodeProto& n, std::vector<onnx::NodeProto>& out) {
    const std::string mode = stringAttr(n, "mode", "constant");
    if (mode == "wrap") refuse(n, "Pad mode 'wrap' exists only from opset 19");
    if (n.input_size() > 3 && !n.input(3).empty()) {
      auto axes = constantInts(n.input(3));
      auto pads = constantInts(n.input(1));
      const int rank = rankOf(n.input(0));
      if (!axes || !pads || rank < 0)
        refuse(n, "Pad with axes needs constant axes and pads and a known input rank to be written for opset " +
                      std::to_string(target_));
      std::vector<std::int64_t> full(static_cast<size_t>(2 * rank), 0);
      const size_t k = axes->size();
      for (size_t i = 0; i < k && 2 * k == pads->size(); ++i) {
        std::int64_t a = (*axes)[i] < 0 ? (*axes)[i] + rank : (*axes)[i];
        full[static_cast<size_t>(a)] = (*pads)[i];
        full[static_cast<size_t>(a + rank)] = (*pads)[i + k];
      }
      n.set_input(1, int64Constant(g, label(n) + "_pads", full));
      while (n.input_size() > 3) n.mutable_input()->RemoveLast();
    }
    out.push_back(std::move(n));
  }

  void quantDown(onnx::GraphProto& g, onnx::NodeProto& n, int targetSince) {
    (void)g;
    if (targetSince < 21) {
      requireDefault(n, "block_size", 0);
      removeAttr(n, "block_size");
      if (n.op_type() == "QuantizeLinear") {
        const std::int64_t dtype = intAttr(n, "output_dtype", 0);
        const bool hasZero = n.input_size() > 2 && !n.input(2).empty();
        if (dtype != 0 && !(dtype == onnx::TensorProto::UINT8 && !hasZero) && !hasZero)
          refuse(n, "output_dtype without a zero point exists only from opset 21 (add a zero point of that type)");
        removeAttr(n, "output_dtype");
      }
    }
    if (n.op_type() == "DequantizeLinear" && targetSince < 23) {
      const std::int64_t dtype = intAttr(n, "output_dtype", 0);
      const int scale = n.input_size() > 1 ? elemOf(n.input(1)) : 0;
      if (dtype != 0 && dtype != scale) refuse(n, "output_dtype other than the scale's type exists only from opset 23");
      removeAttr(n, "output_dtype");
    }
    if (n.op_type() == "QuantizeLinear" && targetSince < 25) requireDefault(n, "precision", 0), removeAttr(n, "precision");
    if (targetSince < 19) {
      removeAttr(n, "saturate");
      const int x = elemOf(n.input(0));
      if (n.op_type() == "QuantizeLinear" && x == onnx::TensorProto::INT32)
        refuse(n, "int32 input to QuantizeLinear exists only from opset 19");
      if (n.input_size() > 1 && elemOf(n.input(1)) != 0 && elemOf(n.input(1)) != onnx::TensorProto::FLOAT &&
          targetSince < 19)
        refuse(n, "a scale other than float32 exists only from opset 19");
    }
  }

  void dftDown(onnx::NodeProto& n) {
    std::int64_t axis = -2;
    if (n.input_size() > 2 && !n.input(2).empty()) {
      auto a = constantInts(n.input(2));
      if (!a || a->size() != 1) refuse(n, "the axis comes from a computed tensor; opset 17 needs it as an attribute");
      axis = (*a)[0];
    }
    if (axis < 0) {
      const int rank = rankOf(n.input(0));
      if (rank < 0) refuse(n, "a negative axis needs the input's rank, which is not known");
      axis += rank;
    }
    setInt(n, "axis", axis);
    while (n.input_size() > 2) n.mutable_input()->RemoveLast();
  }

  void gridSampleDown(onnx::NodeProto& n) {
    if (rankOf(n.input(0)) != 4) refuse(n, "GridSample before opset 20 samples 4-D inputs only (or the rank is unknown)");
    const std::string mode = stringAttr(n, "mode", "linear");
    setString(n, "mode", mode == "linear" ? "bilinear" : mode == "cubic" ? "bicubic" : mode);
  }

  // A float constant in the element type of `like`: float32 directly, others through CastLike.
  std::string constantLike(onnx::GraphProto& g, std::vector<onnx::NodeProto>& out, const onnx::NodeProto& n,
                           const std::string& like, const std::string& base, float value) {
    const int elem = elemOf(like);
    std::string c = floatConstant(g, base, value);
    if (elem == onnx::TensorProto::FLOAT) return c;
    if (elem == 0) refuse(n, "its input's element type is not known, so the constants of its decomposition cannot be typed");
    if (target_ < 15) refuse(n, "its input is not float32, and typing the decomposition's constants needs CastLike (opset 15)");
    onnx::NodeProto cast;
    cast.set_op_type("CastLike");
    cast.set_name(fresh(label(n) + "_castlike"));
    cast.add_input(c);
    cast.add_input(like);
    cast.add_output(fresh(base + "_typed"));
    out.push_back(cast);
    return cast.output(0);
  }

  onnx::NodeProto& emit(std::vector<onnx::NodeProto>& out, const onnx::NodeProto& origin, const std::string& op,
                        std::vector<std::string> inputs, const std::string& output = {}) {
    onnx::NodeProto n;
    n.set_op_type(op);
    n.set_name(fresh(label(origin) + "_" + op));
    for (auto& i : inputs) n.add_input(i);
    n.add_output(output.empty() ? fresh(label(origin) + "_" + op + "_out") : output);
    out.push_back(std::move(n));
    return out.back();
  }

  // Gelu-20: 0.5 x (1 + erf(x / sqrt 2)), or with approximate=tanh 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
  void gelu(onnx::GraphProto& g, onnx::NodeProto& n, std::vector<onnx::NodeProto>& out) {
    const std::string x = n.input(0), y = n.output(0);
    const bool tanhForm = stringAttr(n, "approximate", "none") == "tanh";
    const std::string half = constantLike(g, out, n, x, label(n) + "_half", 0.5f);
    const std::string one = constantLike(g, out, n, x, label(n) + "_one", 1.0f);
    std::string inner;
    if (!tanhForm) {
      const std::string k = constantLike(g, out, n, x, label(n) + "_rsqrt2", static_cast<float>(1.0 / std::sqrt(2.0)));
      inner = emit(out, n, "Erf", {emit(out, n, "Mul", {x, k}).output(0)}).output(0);
    } else {
      const std::string c = constantLike(g, out, n, x, label(n) + "_c", 0.044715f);
      const std::string s = constantLike(g, out, n, x, label(n) + "_sqrt2pi", static_cast<float>(std::sqrt(2.0 / std::numbers::pi)));
      const std::string x2 = emit(out, n, "Mul", {x, x}).output(0);
      const std::string x3 = emit(out, n, "Mul", {x2, x}).output(0);
      const std::string cx3 = emit(out, n, "Mul", {x3, c}).output(0);
      const std::string sum = emit(out, n, "Add", {x, cx3}).output(0);
      inner = emit(out, n, "Tanh", {emit(out, n, "Mul", {sum, s}).output(0)}).output(0);
    }
    const std::string onePlus = emit(out, n, "Add", {inner, one}).output(0);
    const std::string xTimes = emit(out, n, "Mul", {x, onePlus}).output(0);
    emit(out, n, "Mul", {xTimes, half}, y);
  }

  // Mish-18: x * tanh(softplus(x)).
  void mish(onnx::GraphProto&, onnx::NodeProto& n, std::vector<onnx::NodeProto>& out) {
    const std::string x = n.input(0);
    const std::string t = emit(out, n, "Tanh", {emit(out, n, "Softplus", {x}).output(0)}).output(0);
    emit(out, n, "Mul", {x, t}, n.output(0));
  }

  // Swish-24: x * sigmoid(alpha * x).
  void swish(onnx::GraphProto& g, onnx::NodeProto& n, std::vector<onnx::NodeProto>& out) {
    const std::string x = n.input(0);
    const float alpha = attr(n, "alpha") ? attr(n, "alpha")->f() : 1.0f;
    std::string arg = x;
    if (alpha != 1.0f) arg = emit(out, n, "Mul", {x, constantLike(g, out, n, x, label(n) + "_alpha", alpha)}).output(0);
    emit(out, n, "Mul", {x, emit(out, n, "Sigmoid", {arg}).output(0)}, n.output(0));
  }
};

}  // namespace

Result<std::unique_ptr<Model>> convertOpsetBeyondLibrary(const Model& model, std::int64_t current,
                                                         std::int64_t target) {
  schema::ensureRegistered();
  // Below 17 on either side, the library's converter does that part (its adapters are tested).
  if (target > current && current < schema::kLibraryMaxOnnxOpset) {
    auto at17 = convertOpset(model, schema::kLibraryMaxOnnxOpset);
    if (!at17) return at17;
    return convertOpsetBeyondLibrary(*at17.value(), schema::kLibraryMaxOnnxOpset, target);
  }
  const bool viaLibrary = target < current && target < schema::kLibraryMaxOnnxOpset;
  const std::int64_t step = viaLibrary ? schema::kLibraryMaxOnnxOpset : target;

  onnx::ModelProto proto = model.toProto();
  std::optional<InferenceResult> types;
  if (step < current) {
    // The down adapters need ranks, dims and element types.
    auto inferred = inferShapes(model);
    if (inferred) types = std::move(inferred.value());
  }
  try {
    Converter converter(proto, current, step, types ? &*types : nullptr);
    converter.run();
  } catch (const Refusal& r) {
    return Status(ErrorCode::Unsupported, "cannot convert from opset " + std::to_string(current) + " to " +
                                              std::to_string(target) + ": " + r.message);
  }
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) return Status(ErrorCode::Invalid, "the converted model could not be serialized");
  auto rebuilt = loadModelFromBytes(bytes, model.sourceDir());
  if (!rebuilt) return Status(rebuilt.status().code(), "the converted model does not load: " + rebuilt.message());
  rebuilt.value()->setSource(model.sourcePath(), model.sourceDir());
  if (viaLibrary) return convertOpset(*rebuilt.value(), target);

  // What the adapters produce must be a valid model of the target opset, and its declared types
  // must still be what inference gives (a pooling window rule that changed, say).
  auto validation = validateModel(*rebuilt.value());
  std::string why;
  for (const auto& p : validation.problems)
    if (p.severity == Diagnostic::Severity::Error) {
      why = (p.node.empty() ? "" : "node '" + p.node + "': ") + p.message;
      break;
    }
  if (why.empty()) {
    auto inferred = inferShapes(*rebuilt.value());
    if (inferred)
      for (const auto& p : inferred->problems)
        if (p.severity == Diagnostic::Severity::Error) {
          why = (p.node.empty() ? "" : "node '" + p.node + "': ") + p.message;
          break;
        }
  }
  if (!why.empty())
    return Status(ErrorCode::Unsupported, "cannot convert from opset " + std::to_string(current) + " to " +
                                              std::to_string(target) + ": the result would not be valid (" + why + ")");
  return rebuilt;
}

}  // namespace graft
