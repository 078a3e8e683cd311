// Op schemas and docs from the onnx library's registry, and the shared wording for domains
// and opsets the library does not know.
#include <onnx/defs/schema.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "analysis/util.h"
#include "graft/analysis.h"
#include "graft/schema.h"

namespace graft {
namespace analysis_detail {

bool domainKnownToLibrary(const std::string& domain) {
  const auto& map = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  return map.count(normalizeDomain(domain)) != 0;
}

std::string unknownDomainNote(const std::string& domain) {
  if (domain.rfind("com.microsoft", 0) == 0)
    return "domain '" + domain +
           "' is ONNX Runtime's contrib domain; its ops are defined by ONNX Runtime, not by the onnx library";
  return "custom domain '" + domain + "'";
}

std::string unknownDomainReason(const std::string& domain) {
  if (domain.rfind("com.microsoft", 0) == 0)
    return "its domain '" + domain + "' is ONNX Runtime's contrib domain, whose ops the onnx library does not define";
  return "it is in custom domain '" + domain + "', which the onnx library does not know";
}

std::unordered_map<std::string, int> opsetImports(const onnx::ModelProto& model) {
  std::unordered_map<std::string, int> out;
  for (const auto& imp : model.opset_import()) out[normalizeDomain(imp.domain())] = static_cast<int>(imp.version());
  return out;
}

Model::ExportOptions analysisExport() {
  Model::ExportOptions options;
  options.stripLargeData = true;
  options.onTensor = [](const Tensor& t, onnx::TensorProto& out) {
    const bool integer = t.dataType() == onnx::TensorProto::INT64 || t.dataType() == onnx::TensorProto::INT32;
    const bool inlineNow = out.data_location() != onnx::TensorProto::EXTERNAL;
    if (inlineNow || !integer || t.proto().dims_size() > 1 || t.elementCount() > (1u << 16)) return;
    if (t.isExternal()) {
      std::string_view raw = t.rawBytes();
      if (raw.empty()) return;
      out.clear_external_data();
      out.clear_data_location();
      out.set_raw_data(std::string(raw));
    } else if (t.proto().data_location() != onnx::TensorProto::EXTERNAL) {
      out = t.proto();
    }
  };
  return options;
}

std::string cleanOnnxMessage(std::string message) {
  // onnx prefixes every message with its error class; users need the sentence, not the class.
  for (const char* prefix : {"[ShapeInferenceError] ", "[TypeInferenceError] ", "[ValidationError] "}) {
    std::string p(prefix);
    std::size_t pos;
    while ((pos = message.find(p)) != std::string::npos) message.erase(pos, p.size());
  }
  while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) message.pop_back();
  return message;
}

}  // namespace analysis_detail

using namespace analysis_detail;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string attributeTypeName(onnx::AttributeProto::AttributeType type) {
  if (type == onnx::AttributeProto::UNDEFINED) return "undefined";
  return lower(onnx::AttributeProto::AttributeType_Name(type));
}

std::string formatFloat(float f) {
  std::ostringstream os;
  os << f;
  return os.str();
}

std::string quote(const std::string& s) { return "\"" + s + "\""; }

// Default values as a user would write them in a model ("1", "NOTSET", "[1, 1]").
std::string renderAttributeValue(const onnx::AttributeProto& a) {
  auto list = [](const auto& items, auto fmt) {
    std::string out = "[";
    bool first = true;
    for (const auto& v : items) {
      if (!first) out += ", ";
      first = false;
      out += fmt(v);
    }
    return out + "]";
  };
  switch (a.type()) {
    case onnx::AttributeProto::INT:
      return std::to_string(a.i());
    case onnx::AttributeProto::FLOAT:
      return formatFloat(a.f());
    case onnx::AttributeProto::STRING:
      return a.s();
    case onnx::AttributeProto::INTS:
      return list(a.ints(), [](std::int64_t v) { return std::to_string(v); });
    case onnx::AttributeProto::FLOATS:
      return list(a.floats(), [](float v) { return formatFloat(v); });
    case onnx::AttributeProto::STRINGS:
      return list(a.strings(), [](const std::string& v) { return quote(v); });
    case onnx::AttributeProto::TENSOR: {
      std::string dims = list(a.t().dims(), [](std::int64_t v) { return std::to_string(v); });
      return std::string("tensor ") + dataTypeName(a.t().data_type()) + dims;
    }
    case onnx::AttributeProto::GRAPH:
      return "graph";
    default:
      return {};
  }
}

void fillFromSchema(OpDoc& doc, const onnx::OpSchema& schema) {
  doc.sinceVersion = schema.since_version();
  doc.deprecated = schema.deprecated();
  doc.doc = schema.doc() ? schema.doc() : "";
  auto formals = [](const std::vector<onnx::OpSchema::FormalParameter>& params) {
    std::vector<OpDoc::Formal> out;
    for (const auto& p : params) {
      OpDoc::Formal f;
      f.name = p.GetName();
      f.typeStr = p.GetTypeStr();
      f.description = p.GetDescription();
      f.optional = p.GetOption() == onnx::OpSchema::Optional;
      f.variadic = p.GetOption() == onnx::OpSchema::Variadic;
      out.push_back(std::move(f));
    }
    return out;
  };
  doc.inputs = formals(schema.inputs());
  doc.outputs = formals(schema.outputs());
  for (const auto& [name, attr] : schema.attributes()) {
    OpDoc::Attr a;
    a.name = name;
    a.type = attributeTypeName(attr.type);
    a.description = attr.description;
    a.required = attr.required;
    // A default only exists when the schema stored a value; otherwise the doc text explains it.
    if (attr.default_value.type() != onnx::AttributeProto::UNDEFINED)
      a.defaultValue = renderAttributeValue(attr.default_value);
    doc.attributes.push_back(std::move(a));
  }
  for (const auto& tc : schema.typeConstraintParams())
    doc.typeConstraints.push_back({tc.type_param_str, tc.description, tc.allowed_type_strs});
}

}  // namespace

int maxKnownOpset(const std::string& domain) {
  schema::ensureRegistered();
  const auto& map = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = map.find(normalizeDomain(domain));
  return it == map.end() ? 0 : it->second.second;
}

OpDoc describeOp(const std::string& opType, const std::string& domain, std::int64_t opsetVersion) {
  OpDoc doc;
  doc.opType = opType;
  doc.domain = normalizeDomain(domain);
  if (!domainKnownToLibrary(doc.domain)) {
    doc.note = unknownDomainNote(doc.domain);
    return doc;
  }
  const int maxKnown = maxKnownOpset(doc.domain);
  const bool newer = opsetVersion > maxKnown;
  const int version = opsetVersion <= 0 || newer ? maxKnown : static_cast<int>(opsetVersion);
  try {
    const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(opType, version, doc.domain);
    if (newer) {
      // The newest schema the library has may still describe the op correctly; show it, but
      // do not claim the library knows this opset.
      doc.note =
          "opset " + std::to_string(opsetVersion) + " is newer than Graft knows (max " + std::to_string(maxKnown) + ")";
      if (schema) {
        fillFromSchema(doc, *schema);
        doc.note += "; shown: the schema of opset " + std::to_string(schema->since_version());
      }
      return doc;
    }
    if (!schema) {
      int first = 0;
      for (int v = 1; v <= maxKnown && first == 0; ++v)
        if (const auto* s = onnx::OpSchemaRegistry::Schema(opType, v, doc.domain)) first = s->since_version();
      if (first > 0)
        doc.note = opType + " exists from opset " + std::to_string(first) + " of " + domainLabel(doc.domain) +
                   "; the model imports opset " + std::to_string(version);
      else
        doc.note = "the onnx library has no op " + opType + " in domain " + domainLabel(doc.domain);
      return doc;
    }
    doc.known = true;
    fillFromSchema(doc, *schema);
  } catch (const std::exception& e) {
    doc.known = false;
    doc.note = std::string("the onnx library failed to describe the op: ") + e.what();
  }
  return doc;
}

OpDoc describeNode(const Node& node) {
  const Model& model = node.graph().model();
  const std::string domain = normalizeDomain(node.domain());
  // A model-local function shadows nothing in the registry but explains a custom op better than
  // "custom domain": it is defined right in the file.
  for (const auto& fn : model.shell().functions()) {
    if (fn.name() == node.opType() && normalizeDomain(fn.domain()) == domain) {
      OpDoc doc;
      doc.opType = node.opType();
      doc.domain = domain;
      doc.doc = fn.doc_string();
      for (const auto& in : fn.input()) doc.inputs.push_back({in, "", "", false, false});
      for (const auto& out : fn.output()) doc.outputs.push_back({out, "", "", false, false});
      for (const auto& attr : fn.attribute()) doc.attributes.push_back({attr, "", "", "", false});
      doc.note = "model-local function '" + domainLabel(domain) + ":" + node.opType() + "' defined in this model";
      return doc;
    }
  }
  std::int64_t version = model.opsetVersion(domain);
  if (version < 0 && domainKnownToLibrary(domain)) {
    OpDoc doc = describeOp(node.opType(), domain, 0);
    doc.known = false;
    doc.note = "the model does not import domain " + domainLabel(domain) + (doc.note.empty() ? "" : "; " + doc.note);
    return doc;
  }
  return describeOp(node.opType(), domain, version);
}

}  // namespace graft
