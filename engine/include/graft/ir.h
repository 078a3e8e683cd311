// The editable graph: nodes, values with producer and consumers, initializers, subgraphs.
// Lossless to and from onnx::ModelProto; every edit goes through here and is announced to observers.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graft/result.h"

namespace graft {

class Graph;
class Model;
class Node;
class Value;
class MappedFile;  // graft/io.h

// Ids are unique within a Model and never reused, so views and caches can key on them
// across edits (a removed node's id stays dead).
using NodeId = std::uint64_t;
using ValueId = std::uint64_t;

// Where an external tensor's bytes live: a slice of a mapped file inside the model's folder.
struct ExternalRef {
  std::shared_ptr<const MappedFile> file;
  std::string location;  // as written in the model (relative to the model's folder)
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// An initializer (or Constant value). Holds the TensorProto for everything but the bytes
// of external tensors, which stay mapped (never copied) until a save needs them.
class Tensor {
 public:
  explicit Tensor(onnx::TensorProto proto) : proto_(std::move(proto)) {}
  Tensor(onnx::TensorProto proto, ExternalRef ext)
      : proto_(std::move(proto)), external_(std::make_shared<ExternalRef>(std::move(ext))) {}

  const onnx::TensorProto& proto() const { return proto_; }
  onnx::TensorProto& mutableProto() { return proto_; }
  const std::string& name() const { return proto_.name(); }
  std::int32_t dataType() const { return proto_.data_type(); }
  std::vector<std::int64_t> dims() const { return {proto_.dims().begin(), proto_.dims().end()}; }

  bool isExternal() const { return external_ != nullptr; }
  const ExternalRef* external() const { return external_.get(); }
  // io attaches the mapped bytes after checking the location; nullptr detaches (data inline).
  void setExternal(std::shared_ptr<ExternalRef> ext) { external_ = std::move(ext); }

  // Number of elements the dims declare; saturates at UINT64_MAX on absurd dims.
  std::uint64_t elementCount() const;
  // Bytes the data occupies as stored (raw_data, external slice, or typed fields x element size).
  std::uint64_t storedBytes() const;
  // The raw little-endian bytes when stored as raw_data or externally; empty otherwise
  // (typed fields such as float_data have no raw view).
  std::string_view rawBytes() const;

 private:
  onnx::TensorProto proto_;
  std::shared_ptr<ExternalRef> external_;
};

struct Use {
  Node* node = nullptr;
  int index = 0;  // which input of node
  bool operator==(const Use&) const = default;
};

// A named tensor flowing along edges: produced by at most one node (or a graph input,
// or an initializer) and consumed by any number of node inputs, possibly in nested subgraphs.
class Value {
 public:
  ValueId id() const { return id_; }
  const std::string& name() const { return name_; }
  Graph& graph() const { return *graph_; }  // the graph whose scope defines it

  Node* producer() const { return producer_; }
  int producerOutput() const { return producerOutput_; }
  const std::vector<Use>& uses() const { return uses_; }

  bool isGraphInput() const;
  bool isGraphOutput() const;
  Tensor* initializer() const { return initializer_.get(); }
  bool isInitializer() const { return initializer_ != nullptr; }
  bool isSparseInitializer() const { return sparse_; }
  bool isConstant() const;  // initializer, sparse initializer, or output of a Constant node

  // Type and shape as declared in the model (graph input/output or value_info), if any.
  // Inferred shapes live in analysis results, not here, so inference never edits the model.
  const onnx::ValueInfoProto* declared() const { return declared_.get(); }
  const onnx::TypeProto* declaredType() const {
    return declared_ && declared_->has_type() ? &declared_->type() : nullptr;
  }

 private:
  friend class Graph;
  friend class Node;
  friend class Model;
  friend struct IrBuilder;
  ValueId id_ = 0;
  std::string name_;
  Graph* graph_ = nullptr;
  Node* producer_ = nullptr;
  int producerOutput_ = -1;
  std::vector<Use> uses_;
  std::unique_ptr<Tensor> initializer_;
  std::unique_ptr<onnx::ValueInfoProto> declared_;
  bool sparse_ = false;
};

// One operator application. Attributes, doc string and unknown fields stay in proto();
// inputs/outputs are edges (Value pointers; nullptr stands for an omitted optional one),
// and GRAPH/GRAPHS attributes are owned as subgraphs.
class Node {
 public:
  NodeId id() const { return id_; }
  const std::string& opType() const { return proto_.op_type(); }
  const std::string& domain() const { return proto_.domain(); }  // "" and "ai.onnx" are the default domain
  const std::string& name() const { return proto_.name(); }
  Graph& graph() const { return *graph_; }

  const std::vector<Value*>& inputs() const { return inputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }
  Value* input(size_t i) const { return i < inputs_.size() ? inputs_[i] : nullptr; }
  Value* output(size_t i) const { return i < outputs_.size() ? outputs_[i] : nullptr; }

  // The NodeProto minus input/output names and minus subgraph bodies (held in subgraphs()).
  const onnx::NodeProto& proto() const { return proto_; }
  const onnx::AttributeProto* attribute(std::string_view name) const;

  struct Subgraph {
    std::string attribute;  // attribute name, e.g. "then_branch", "body"
    int index = 0;          // position within a GRAPHS attribute, 0 for GRAPH
    std::unique_ptr<Graph> graph;
  };
  const std::vector<Subgraph>& subgraphs() const { return subgraphs_; }

 private:
  friend class Graph;
  friend class Model;
  friend struct IrBuilder;
  NodeId id_ = 0;
  Graph* graph_ = nullptr;
  onnx::NodeProto proto_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  std::vector<Subgraph> subgraphs_;
  std::list<std::unique_ptr<Node>>::iterator self_;
};

// A (sub)graph: an ordered node list (the order found in the file, kept for a lossless
// round trip), graph inputs/outputs, initializers and the values of its scope.
class Graph {
 public:
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  ~Graph();

  Model& model() const { return *model_; }
  Node* parentNode() const { return parent_; }  // nullptr for the main graph
  const std::string& name() const { return shell_.name(); }
  // Fields of the GraphProto the IR does not interpret (doc_string, sparse_initializer,
  // quantization_annotation, unknown fields). node/input/output/initializer/value_info are empty.
  const onnx::GraphProto& shell() const { return shell_; }

  size_t nodeCount() const { return nodes_.size(); }
  // Nodes in stored order. Iteration is stable while edits insert/remove other nodes.
  template <typename Fn>
  void forEachNode(Fn&& fn) const {
    for (const auto& n : nodes_) fn(*n);
  }
  std::vector<Node*> nodes() const;
  // Kahn order, ties broken by stored order; an edge from an outer value captured by a
  // subgraph counts as an input of the node owning that subgraph.
  // Fails with ErrorCode::Invalid naming the nodes of a cycle.
  Result<std::vector<Node*>> topologicalOrder() const;

  const std::vector<Value*>& inputs() const { return inputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }
  const std::vector<Value*>& initializers() const { return initializers_; }

  // Lookup in this graph's scope only, or walking outward through enclosing graphs.
  Value* findValue(std::string_view name) const;
  Value* resolveValue(std::string_view name) const;
  Node* findNode(NodeId id) const;
  Node* findNodeByName(std::string_view name) const;  // first node with that name
  std::vector<Value*> values() const;                  // every value of this scope
  Value* findValueById(ValueId id) const;

  // --- edits (each notifies the model's observers and bumps its revision) ---

  struct NewNode {
    std::string opType;
    std::string domain;
    std::string name;
    std::vector<Value*> inputs;            // nullptr = omitted optional input
    std::vector<std::string> outputNames;  // "" = omitted optional output; names must be new
    std::vector<onnx::AttributeProto> attributes;
    std::string docString;
  };
  // Inserts before `before` (or at the end). Output names already in scope are an error.
  Result<Node*> addNode(NewNode spec, const Node* before = nullptr);
  // Removes a node whose outputs have no uses (and are not graph outputs); its inputs lose a use.
  Status removeNode(Node* node);
  // Removes the node even if its outputs are used: those uses become omitted inputs.
  void eraseNode(Node* node);
  Status setInput(Node* node, size_t index, Value* value);  // index == size appends
  Status setAttribute(Node* node, onnx::AttributeProto attr);
  Status removeAttribute(Node* node, std::string_view name);
  Status setNodeName(Node* node, std::string name);
  Status setDocString(Node* node, std::string doc);
  // Every use of `from` (including graph outputs and uses in subgraphs) now reads `to`.
  // A graph output keeps its name: when `from` is a graph output, `to` takes its place there.
  void replaceAllUses(Value* from, Value* to);

  // A value not produced by anything yet (e.g. an input to be added); name must be new.
  Result<Value*> addValue(std::string name);
  Result<Value*> addInitializer(onnx::TensorProto tensor);
  Result<Value*> addInput(std::string name, onnx::TypeProto type);
  Status addOutput(Value* value);
  Status setOutputs(std::vector<Value*> outputs);
  Status removeInitializer(Value* value);  // value becomes undefined unless it is an input
  // Drops a value with no producer, no uses, not an input/output/initializer.
  Status removeValue(Value* value);
  Status renameValue(Value* value, std::string newName);
  Status setDeclaredType(Value* value, const onnx::TypeProto& type);
  // The type a graph output declares (graph outputs keep their own ValueInfoProto).
  Status setOutputType(size_t index, const onnx::TypeProto& type);
  // New data for an initializer (same name); the old tensor, external or not, is kept for undo.
  Status setInitializerTensor(Value* value, onnx::TensorProto tensor);

 private:
  friend class Model;
  friend struct IrBuilder;
  Graph(Model* model, Node* parent) : model_(model), parent_(parent) {}
  Value* newValue(std::string name);
  void detachInputs(Node* node);
  void attachInputs(Node* node);
  // Journal support: records an undo/redo pair when the model has an active journal.
  void record(std::function<void()> undo, std::function<void()> redo);
  bool journaling() const;
  struct DetachedNode;
  void detachNode(DetachedNode& state);
  void attachNode(DetachedNode& state);

  Model* model_;
  Node* parent_;
  onnx::GraphProto shell_;
  std::list<std::unique_ptr<Node>> nodes_;
  std::unordered_map<std::string, std::unique_ptr<Value>> values_;
  std::unordered_map<NodeId, Node*> nodeIndex_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  std::vector<Value*> initializers_;
  std::vector<std::string> valueInfoOrder_;  // names with value_info, in file order
  // value_info entries for names that already had a declaration (e.g. a graph input), kept
  // only so the round trip is exact.
  std::unordered_map<std::string, onnx::ValueInfoProto> valueInfoExtra_;
  std::vector<onnx::ValueInfoProto> outputInfo_;  // graph outputs as declared, parallel to outputs_

 public:
  // For the exporter: declarations in file order.
  const std::vector<std::string>& valueInfoOrder() const { return valueInfoOrder_; }
  const std::unordered_map<std::string, onnx::ValueInfoProto>& valueInfoExtra() const { return valueInfoExtra_; }
  const std::vector<onnx::ValueInfoProto>& outputInfo() const { return outputInfo_; }
};

// Records every edit made while it is attached to a Model (Model::beginJournal), as pairs of
// inverse primitive edits. Removed nodes and values are kept alive here rather than destroyed,
// so undo restores the exact objects: same ids, same pointers, same order, identical toProto().
// It costs only what the edits touched (never a copy of the model), which is what lets the
// studio keep one per QUndoCommand.
class EditJournal {
 public:
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  // Appends a finished journal as one step of this one (a transaction inside a transaction).
  void append(std::shared_ptr<const EditJournal> sub) {
    entries_.push_back({[sub] {
                          for (auto it = sub->entries_.rbegin(); it != sub->entries_.rend(); ++it) it->undo();
                        },
                        [sub] {
                          for (const auto& e : sub->entries_) e.redo();
                        },
                        sub.get()});
  }
  // Takes back the step append() made of `sub` when it is the last one (`sub` was undone since).
  void forget(const EditJournal* sub) {
    if (!entries_.empty() && entries_.back().sub == sub) entries_.pop_back();
  }

 private:
  friend class Graph;
  friend class Model;
  struct Entry {
    std::function<void()> undo, redo;
    const EditJournal* sub = nullptr;  // set by append()
  };
  std::vector<Entry> entries_;
};

// Told about every edit. Called synchronously on the editing thread, after the change
// (nodeRemoved: just before the node is destroyed, so it can still be read).
class ModelObserver {
 public:
  virtual ~ModelObserver() = default;
  virtual void nodeAdded(Node& /*node*/) {}
  virtual void nodeRemoved(Node& /*node*/) {}
  virtual void nodeChanged(Node& /*node*/) {}   // inputs, attributes, name
  virtual void valueChanged(Value& /*value*/) {}  // name, type, initializer
  virtual void graphChanged(Graph& /*graph*/) {}  // inputs, outputs, initializer list
};

// A loaded model: the ModelProto's own fields (ir_version, opset_import, producer,
// metadata_props, functions, training_info, unknown fields) plus the main graph as IR.
class Model {
 public:
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // Takes the proto apart into the IR. Fails (Invalid) on duplicate definitions of a name.
  // External tensors come out without bytes; io's loadModel attaches them (Tensor::setExternal).
  static Result<std::unique_ptr<Model>> fromProto(onnx::ModelProto proto);

  // Rebuilds a ModelProto. External tensors are written as they were loaded (data_location
  // EXTERNAL, location relative to sourceDir()); io's save rewrites them as asked.
  // stripLargeData is for analysis copies that must not carry tensor bytes: initializers
  // above `stripAbove` bytes keep dtype and dims but lose their data.
  struct ExportOptions {
    bool stripLargeData = false;
    std::uint64_t stripAbove = 1024;
    // Called for every initializer after it is copied out, to rewrite its data (io's save
    // inlines or externalizes here).
    std::function<void(const Tensor&, onnx::TensorProto&)> onTensor;
  };
  onnx::ModelProto toProto(const ExportOptions& options) const;
  onnx::ModelProto toProto() const { return toProto(ExportOptions{}); }

  Graph& graph() { return *graph_; }
  const Graph& graph() const { return *graph_; }
  const onnx::ModelProto& shell() const { return shell_; }  // graph field empty
  onnx::ModelProto& mutableShell() { return shell_; }

  // Opset version imported for a domain ("" and "ai.onnx" are the same), or -1.
  std::int64_t opsetVersion(std::string_view domain) const;
  // Imports (or re-versions) a domain's opset; journaled like the graph edits.
  void setOpsetImport(const std::string& domain, std::int64_t version);
  // Edits the model's own fields (doc_string, metadata_props, producer, ...; not the graph),
  // journaled as a before/after pair of the shell.
  void updateShell(const std::function<void(onnx::ModelProto&)>& fn);

  // Where the model was loaded from (empty for models built in memory). External
  // data locations are relative to sourceDir().
  const std::string& sourcePath() const { return sourcePath_; }
  const std::string& sourceDir() const { return sourceDir_; }
  void setSource(std::string path, std::string dir) {
    sourcePath_ = std::move(path);
    sourceDir_ = std::move(dir);
  }

  // Monotonic change counter: caches compare it to know they are stale.
  std::uint64_t revision() const { return revision_; }

  void addObserver(ModelObserver* observer);
  void removeObserver(ModelObserver* observer);

  size_t totalNodeCount() const;  // including nodes inside subgraphs

  // Edits record into `journal` until endJournal() (one journal at a time; beginning another
  // while one is active is an error). Undo replays a journal backwards, redo forwards; both
  // must be called on the model state the journal left (or the one its undo left), as a
  // QUndoStack does. Neither records into an active journal.
  Status beginJournal(EditJournal* journal);
  void endJournal();
  EditJournal* activeJournal() const { return journal_; }
  void undoJournal(const EditJournal& journal);
  void redoJournal(const EditJournal& journal);

  // Visits every graph: the main graph first, then subgraphs depth first.
  void forEachGraph(const std::function<void(Graph&)>& fn);
  void forEachGraph(const std::function<void(const Graph&)>& fn) const;

 private:
  friend class Graph;
  friend struct IrBuilder;
  Model();
  NodeId nextNodeId() { return ++lastNodeId_; }
  ValueId nextValueId() { return ++lastValueId_; }
  template <typename Fn>
  void notify(Fn&& fn) {
    ++revision_;
    for (auto* o : observers_) fn(*o);
  }

  onnx::ModelProto shell_;
  std::unique_ptr<Graph> graph_;
  std::string sourcePath_;
  std::string sourceDir_;
  std::uint64_t revision_ = 0;
  NodeId lastNodeId_ = 0;
  ValueId lastValueId_ = 0;
  std::vector<ModelObserver*> observers_;
  EditJournal* journal_ = nullptr;
  bool hadGraph_ = false;
  bool hasSubgraphs_ = false;
};

// Bytes per element for an onnx::TensorProto_DataType, 0 for strings/unknown; sub-byte
// types (int4, int2, float4) report 0 here (graft/dtype.h has their packed sizes).
size_t dataTypeSize(std::int32_t dataType);
const char* dataTypeName(std::int32_t dataType);  // "float32", "int64", "float8e4m3fn", ... (graft/dtype.h)
// IEEE half (float16) bits to float, exactly (subnormals, infinities and NaN included).
float halfToFloat(std::uint16_t bits);

}  // namespace graft
