// Hand edits of a model (delete, rename, attributes, add node, input shapes, outputs, weights,
// metadata) as engine operations: each is checked before it is accepted and undoes exactly.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graft/analysis.h"
#include "graft/ir.h"
#include "graft/result.h"
#include "graft/rewrite.h"

namespace graft {

// One dimension as a user writes it: a number, a symbol ("batch"), or unknown ("?").
struct DimSpec {
  std::optional<std::int64_t> value;
  std::string param;  // used when value is empty; "" = unknown
  bool operator==(const DimSpec&) const = default;
};
// "1x3x224x224", "batchx3x?x?" ('x' or ',' between dims; "" or "scalar" is rank 0).
Result<std::vector<DimSpec>> parseShape(const std::string& text);
std::string formatShape(const std::vector<DimSpec>& shape);
// "float32"/"float", "float16", "int64", ... (as dataTypeName writes them, plus ONNX's upper-case names).
std::optional<std::int32_t> dataTypeFromName(const std::string& name);

// One hand edit, as data: what the CLI parses from options, a recipe stores (with anchors in
// place of names) and the studio builds from the canvas. Names refer to the main graph.
struct Edit {
  enum class Kind {
    DeleteNode,          // node; bypass or cone; then what became dead goes
    RenameNode,          // node -> newName
    RenameValue,         // value -> newName (graph inputs, outputs and initializers too)
    SetAttribute,        // node, attribute, text (typed by the op's schema)
    RemoveAttribute,     // node, attribute
    AddNode,             // opType, domain, newName, inputs, outputs, attributes
    SetInputType,        // value (a graph input): dtype (0 keeps it), shape (empty keeps it)
    SetDim,              // param (a symbolic dim) -> dim, everywhere it is declared
    SetInputDim,         // value (a graph input), axis -> dim (a number or a new symbol)
    AddOutput,           // value becomes a graph output
    RemoveOutput,        // value stops being a graph output; what only fed it goes
    ReplaceInitializer,  // value (an initializer) <- tensor, same dtype and shape
    SetDocString,        // node ("" = the model) <- text
    SetMetadata,         // attribute (key) <- text, in metadata_props
    RemoveMetadata,      // attribute (key)
  };
  enum class DeleteMode {
    Bypass,  // consumers read the node's first input instead; other inputs must be constants
    Cone,    // the node and everything downstream of it
  };

  Kind kind = Kind::DeleteNode;
  std::string node;      // node name
  std::string value;     // value name
  std::string newName;   // renames; AddNode: the new node's name ("" = made up)
  DeleteMode deleteMode = DeleteMode::Bypass;
  std::string attribute;  // attribute name; metadata key
  std::string text;       // attribute value as text; doc string; metadata value
  // AddNode
  std::string opType, domain;
  std::vector<std::string> inputs;   // existing value names ("" = omitted optional input)
  std::vector<std::string> outputs;  // new value names ("" = made up from the node's name)
  std::vector<std::pair<std::string, std::string>> attributes;  // name, value as text
  // SetInputType / SetDim / SetInputDim
  std::int32_t dtype = 0;
  std::optional<std::vector<DimSpec>> shape;  // nullopt keeps the shape
  std::string param;
  int axis = 0;
  DimSpec dim;
  // ReplaceInitializer: the data (a recipe keeps `path`, the .npy it came from)
  std::optional<onnx::TensorProto> tensor;
  std::string path;

  static Edit deleteNode(std::string node, DeleteMode mode = DeleteMode::Bypass);
  static Edit renameNode(std::string node, std::string newName);
  static Edit renameValue(std::string value, std::string newName);
  static Edit setAttribute(std::string node, std::string attribute, std::string text);
  static Edit removeAttribute(std::string node, std::string attribute);
  static Edit addNode(std::string opType, std::vector<std::string> inputs, std::string name = {});
  static Edit setInputType(std::string input, std::int32_t dtype, std::optional<std::vector<DimSpec>> shape);
  static Edit setDim(std::string param, DimSpec dim);
  static Edit setInputDim(std::string input, int axis, DimSpec dim);
  static Edit addOutput(std::string value);
  static Edit removeOutput(std::string value);
  static Edit replaceInitializer(std::string value, onnx::TensorProto tensor, std::string path = {});
  static Edit setDocString(std::string node, std::string text);
  static Edit setMetadata(std::string key, std::string text);
  static Edit removeMetadata(std::string key);
};

// "delete node 'x' (bypass)", "set attribute 'Conv_0'.strides = 2,2", ...
std::string describeEdit(const Edit& edit);
const char* editKindName(Edit::Kind kind);  // "delete-node", "rename-value", ...
std::optional<Edit::Kind> editKindFromName(const std::string& name);

struct EditOptions {
  enum class Check {
    Full,   // the onnx checker and shape inference on the whole model (what a save needs)
    Local,  // the checker and inference on the nodes the edit touched and their readers, with
            // the types in `types` for what flows in: instant on any size (the studio's choice)
    None,   // trusted callers that check once at the end
  };
  Check check = Check::Full;
  const InferenceResult* types = nullptr;  // Local: inferred types of the model before the edit
};

// Applies one edit inside an edit journal. On success the record names what changed and its
// journal undoes/redoes it to the exact protobuf; notes (record.warnings) say what else moved
// (e.g. the nodes that became dead). A refusal says what and why and leaves the model unchanged.
Result<ChangeRecord> applyEdit(Model& model, const Edit& edit, const EditOptions& options = {});

// The subgraph computing `outputs` from `inputs` as a new model (onnx.utils.extract_model's
// job): inputs and outputs are value names of the main graph; what the outputs need beyond the
// inputs must be initializers, else the error names the graph inputs to add.
Result<std::unique_ptr<Model>> extractModel(const Model& model, const std::vector<std::string>& inputs,
                                            const std::vector<std::string>& outputs);

// An attribute of `node` from text, typed by the op's schema (or by the attribute the node has
// already, for ops without a schema): "3", "0.5", "1,2,3", "[1,2]", "NOTSET".
Result<onnx::AttributeProto> attributeFromText(const Node& node, const std::string& name, const std::string& text);
// The attribute's value as such text (what attributeFromText reads back).
std::string attributeToText(const onnx::AttributeProto& attr);

// Ops of the schema catalogue for "Add node": (domain, op type) at the model's opsets, sorted;
// `filter` keeps names containing it (case-insensitive).
std::vector<std::pair<std::string, std::string>> catalogueOps(const Model& model, const std::string& filter = {});

}  // namespace graft
