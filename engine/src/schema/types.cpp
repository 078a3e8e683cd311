// The element types ONNX added after 1.12 (float8 ×4 in IR 9, int4/uint4 in IR 10, float4e2m1 in
// IR 11, float8e8m0 and int2/uint2 later) as type strings the onnx library understands. The
// library maps "tensor(float8e4m3fn)" to its data type through the tables of its TypesWrapper
// singleton; TypesWrapper is not in its public headers, but its accessors are exported and return
// the tables by reference, so the new names are added there. TensorProto.data_type and
// TypeProto.Tensor.elem_type are plain int32 fields, so the values themselves need nothing.
#include <onnx/defs/data_type_utils.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "graft/dtype.h"
#include "graft/schema.h"
#include "schema/builder.h"

namespace onnx::Utils {
// Declaration of the library's own class (onnx/defs/data_type_utils.cc, 1.12); only the exported
// member functions are used, never its layout.
class TypesWrapper final {
 public:
  static TypesWrapper& GetTypesWrapper();
  std::unordered_set<std::string>& GetAllowedDataTypes();
  std::unordered_map<std::string, int32_t>& TypeStrToTensorDataType();
  std::unordered_map<int32_t, std::string>& TensorDataTypeToTypeStr();
  TypesWrapper(const TypesWrapper&) = delete;
  void operator=(const TypesWrapper&) = delete;

 private:
  TypesWrapper();
};
}  // namespace onnx::Utils

namespace graft::schema {
namespace detail {

// Which opset's re-versions first accept each type, and how the type constraints group it. The
// names are the dtype concept's (one table of type names for the whole engine); they are the
// onnx type strings.
const std::vector<NewType>& newElementTypes() {
  using namespace dtype;
  static const std::vector<NewType> types = [] {
    const std::pair<std::int32_t, int> since[] = {
        {kFloat8E4M3FN, 19}, {kFloat8E4M3FNUZ, 19}, {kFloat8E5M2, 19}, {kFloat8E5M2FNUZ, 19}, {kUInt4, 21},
        {kInt4, 21},         {kFloat4E2M1, 23},     {kFloat8E8M0, 24}, {kUInt2, 25},         {kInt2, 25},
    };
    std::vector<NewType> out;
    for (auto [code, opset] : since) {
      const ElementTypeInfo& info = elementTypeInfo(code);
      out.push_back({code, info.name, opset, info.kind == ElementKind::Float ? NewType::Float : NewType::Integer});
    }
    return out;
  }();
  return types;
}

void registerElementTypes() {
  auto& wrapper = onnx::Utils::TypesWrapper::GetTypesWrapper();
  auto& allowed = wrapper.GetAllowedDataTypes();
  auto& byName = wrapper.TypeStrToTensorDataType();
  auto& byValue = wrapper.TensorDataTypeToTypeStr();
  for (const auto& t : newElementTypes()) {
    allowed.insert(t.name);
    byName.emplace(t.name, t.value);
    byValue.emplace(t.value, t.name);
  }
}

}  // namespace detail

std::string elementTypeString(int dataType) {
  ensureRegistered();
  auto& byValue = onnx::Utils::TypesWrapper::GetTypesWrapper().TensorDataTypeToTypeStr();
  auto it = byValue.find(dataType);
  return it == byValue.end() ? std::string() : it->second;
}

}  // namespace graft::schema
