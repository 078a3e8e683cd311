// Layout: where each node, group and edge of a graph is drawn, computed by Graphviz dot.
// Nodes are grouped by module scope and each group is laid out on its own, then composed, so no dot call sees more than a few hundred nodes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "graft/ir.h"
#include "graft/progress.h"
#include "graft/result.h"

namespace graft {

// Scene units are points (1/72 inch at 100% zoom); y grows downwards.
struct LayoutPoint {
  double x = 0, y = 0;
};

struct LayoutSize {
  double width = 0, height = 0;
};

struct LayoutRect {
  double x = 0, y = 0, width = 0, height = 0;
  double right() const { return x + width; }
  double bottom() const { return y + height; }
  LayoutPoint center() const { return {x + width / 2, y + height / 2}; }
  bool contains(LayoutPoint p) const { return p.x >= x && p.x <= right() && p.y >= y && p.y <= bottom(); }
  bool intersects(const LayoutRect& o) const {
    return x <= o.right() && o.x <= right() && y <= o.bottom() && o.y <= bottom();
  }
};

// ---------------------------------------------------------------- input

// What layout needs to know about one graph (the main graph or a subgraph body), copied out
// of the Model on the thread that edits it, so grouping and layout can run on a worker while
// the model stays editable. Layout never touches the Model again.
struct LayoutGraph {
  enum class NodeKind {
    Op,      // a node of the graph
    Input,   // a graph input that is not an initializer
    Outer,   // a value a subgraph reads from an enclosing graph
    Output,  // a graph output
  };
  struct Node {
    NodeKind kind = NodeKind::Op;
    NodeId id = 0;       // the Model's node id (Op only)
    std::string name;    // node name, or the value name for inputs/outputs
    std::string opType;  // empty for inputs/outputs
    std::string domain;
    std::vector<int> inputs;   // value indices; -1 for an omitted optional input
    std::vector<int> outputs;  // value indices; -1 for an omitted optional output
    LayoutSize size;           // box size from the caller's NodeSizer
    bool hasSubgraphs = false;
    int collapsed = 0;         // nodes of a shape computation this box stands for (0: itself only)
  };
  struct Value {
    std::string name;
    ValueId id = 0;
    int producer = -1;           // node index (inputs are pseudo-nodes), -1 for initializers
    std::vector<int> consumers;  // node indices, one entry per use, in node order
    bool initializer = false;    // drawn as a badge on its consumers, never as an edge
    std::string type;            // "float32[1,64,56,56]", "" when unknown
    bool shapeKnown = false;     // every dim is known (edges with unknown shapes are dashed)
  };
  const Graph* graph = nullptr;  // identity only; never dereferenced by layout
  std::uint64_t revision = 0;    // Model::revision() when the snapshot was taken
  std::vector<Node> nodes;       // inputs first, then ops in topological order, then outputs
  std::vector<Value> values;
  std::string orderError;        // the graph has a cycle; ops then follow stored order

  int findNode(NodeId id) const;  // -1 if absent
};

// Box size for an op node; called once per node while taking the snapshot.
using NodeSizer = std::function<LayoutSize(const Node& node)>;
// The type to label a value's edges with (inferred or declared), or nullptr.
using TypeLookup = std::function<const onnx::TypeProto*(const Value& value)>;

struct SnapshotOptions {
  // Constant nodes become badges on their readers, as weights are (Netron's default): an
  // exported transformer has hundreds of them, each a box and an edge of its own otherwise.
  bool foldConstants = false;
  // Each chain of shape arithmetic (shapeComputations) becomes one box.
  bool collapseShapeComputations = false;
};

// The shape bookkeeping exporters write (Shape -> Gather -> Unsqueeze -> Concat feeding a
// Reshape's target shape): nodes that compute only from tensor shapes and constants, grouped
// into connected chains, each in topological order. The last node of a chain stands for it.
std::vector<std::vector<const Node*>> shapeComputations(const Graph& graph);

// A Constant node that foldConstants draws as a badge: plain ai.onnx Constant with readers,
// whose output is not a graph output.
bool isFoldableConstant(const Node& node);

// Copies what layout needs out of `graph`. Must run on the thread that edits the model;
// linear in the graph's size and cheap (no layout). The sizer is not called for folded nodes.
std::shared_ptr<const LayoutGraph> snapshotGraph(const Graph& graph, const NodeSizer& sizer,
                                                 const TypeLookup& typeOf = {}, const SnapshotOptions& options = {});

// ---------------------------------------------------------------- grouping

// A collapsible group of nodes: a module scope ("/h.0/attn") or, where names carry no scope
// or a scope holds too many nodes, a run of the topological order cut where few tensors cross.
struct LayoutGroup {
  int parent = -1;           // -1 for the root (the whole graph)
  std::string name;          // "attn", "h.0", or "nodes 1–150" for a run
  std::string path;          // stable key across edits: "/h.0/attn", "/#1" for runs
  bool run = false;          // made by cutting the order, not from scope names
  std::vector<int> children; // child groups, in topological order
  std::vector<int> nodes;    // nodes directly in this group, topological order
  int nodeCount = 0;         // op nodes in this group and below
  int first = 0;             // smallest node index inside: orders siblings
  int depth = 0;
};

struct LayoutGrouping {
  std::vector<LayoutGroup> groups;  // groups[0] is the root
  std::vector<int> groupOf;         // node index -> innermost group
  std::unordered_map<std::string, int> byPath;

  // The groups containing node, innermost first, root excluded.
  std::vector<int> ancestors(int node) const;
  // True when group g is `ancestor` or lies below it.
  bool within(int g, int ancestor) const;
};

struct GroupingOptions {
  // Most boxes (nodes and child groups) one group shows when expanded; bigger groups get
  // runs. Keeps every dot call small.
  int maxElements = 300;
  int runSize = 120;  // target size of a run cut from the topological order
};

LayoutGrouping groupGraph(const LayoutGraph& graph, const GroupingOptions& options = {});

// ---------------------------------------------------------------- result

// A composed layout: boxes and edge pieces in scene coordinates for one expansion state.
struct LayoutScene {
  struct NodeBox {
    int node = -1;  // LayoutGraph node index
    LayoutRect rect;
  };
  struct GroupBox {
    int group = -1;  // LayoutGrouping group index (never the root)
    LayoutRect rect;
    bool expanded = false;
  };
  // One routed piece of an edge: a cubic Bezier chain p0 c1 c2 p1 c1 c2 p2 ... (size 3k+1).
  // An edge between nodes in different groups is several pieces: out of the producer's
  // group, across, into the consumer's group. Straight connectors join them at the borders.
  struct Edge {
    std::vector<LayoutPoint> points;
    std::vector<int> values;  // tensors carried (more than one where boxes merge edges)
    int from = -1, to = -1;   // node index at either end when that end is a node box, else -1
    bool arrow = true;        // ends at a box (draw an arrowhead)
  };
  // A use of a tensor that many boxes read (a mask, a shape constant): drawn as a short stub
  // with the tensor's name instead of an edge from far away.
  struct Stub {
    LayoutPoint at;   // top middle of the reader, or bottom middle of the producer
    int value = -1;
    int node = -1;    // the reader or producer when it is a node box, else -1
    bool source = false;  // at the producer (uses counts the readers)
    int uses = 0;
  };
  std::vector<NodeBox> nodes;
  std::vector<GroupBox> groups;  // parents before children
  std::vector<Edge> edges;
  std::vector<Stub> stubs;
  LayoutRect bounds;
  std::vector<int> nodeBox;   // LayoutGraph node index -> index into nodes, -1 when hidden
  std::vector<int> groupBox;  // group index -> index into groups, -1 when not shown
  // What this scene was laid out from, so a view can keep using it while the next layout runs.
  std::shared_ptr<const LayoutGraph> graph;
  std::shared_ptr<const LayoutGrouping> grouping;

  // The box standing for a node: its own, or the collapsed group hiding it; -1 if neither.
  struct Visible {
    int nodeBox = -1;
    int groupBox = -1;
  };
  Visible visibleFor(int node, const LayoutGrouping& grouping) const;
};

struct LayoutOptions {
  GroupingOptions grouping;
  double nodeSep = 14;      // points between boxes on one rank
  double rankSep = 26;      // points between ranks
  double groupPadding = 10; // inside an expanded group's frame
  double groupTitle = 20;   // title bar of an expanded group
  // Size of a collapsed group's box; the default fits the name and a node count.
  std::function<LayoutSize(const LayoutGroup&)> collapsedSize;
  LayoutSize portSize{6, 6};
  // A tensor read by more boxes of one group than this gets stubs instead of edges.
  int maxFanOut = 8;
};

struct LayoutStats {
  std::uint64_t dotCalls = 0;        // Graphviz layouts run
  std::uint64_t dotNodes = 0;        // boxes passed to them
  std::uint64_t largestDotCall = 0;  // most boxes in one call
  std::uint64_t cacheHits = 0;       // group layouts reused (same structure, or unchanged)
  std::uint64_t regroupings = 0;     // groupings computed (a new graph or revision)
  double dotSeconds = 0;
};

// Lays out a graph for a set of expanded groups. Each expanded group is laid out on its own
// with its children as boxes; layouts are cached by their structure, so repeated blocks (the
// layers of a transformer) and unchanged groups are laid out once. Setting a snapshot of a
// newer revision drops the grouping and everything laid out for the old one.
// One instance is used by one thread at a time; Graphviz calls are serialized process-wide.
class LayoutEngine {
 public:
  explicit LayoutEngine(LayoutOptions options = {});
  ~LayoutEngine();
  LayoutEngine(const LayoutEngine&) = delete;
  LayoutEngine& operator=(const LayoutEngine&) = delete;

  // Uses this snapshot from now on. A different graph or revision invalidates the cache.
  void setGraph(std::shared_ptr<const LayoutGraph> graph);
  const std::shared_ptr<const LayoutGraph>& graph() const { return graph_; }
  const LayoutGrouping& grouping() const { return *grouping_; }
  std::uint64_t revision() const { return graph_ ? graph_->revision : 0; }

  // Lays out the graph with `expanded` groups (by path) open; every other group is one box.
  // The root is always open. Progress is reported per group; returning false cancels
  // (ErrorCode::Cancelled) between groups.
  Result<LayoutScene> layout(const std::set<std::string>& expanded, const ProgressFn& progress = {});

  // The group paths that must be expanded to show node.
  std::set<std::string> pathsToShow(int node) const;
  // Every group path (for "expand all").
  std::set<std::string> allPaths() const;

  const LayoutStats& stats() const { return stats_; }

  struct GroupLayout;  // one group's layout, cached by structure

 private:
  struct Block;
  Result<std::shared_ptr<const GroupLayout>> layoutGroup(int group, const std::set<int>& expanded,
                                                         std::vector<LayoutSize>& sizes, Block& block);

  LayoutOptions options_;
  std::shared_ptr<const LayoutGraph> graph_;
  std::shared_ptr<const LayoutGrouping> grouping_ = std::make_shared<LayoutGrouping>();
  LayoutStats stats_;
  // Keyed by a group's structure (box sizes, edges, ports), so it survives edits elsewhere.
  std::unordered_map<std::string, std::shared_ptr<const GroupLayout>> cache_;
  std::vector<std::string> cacheOrder_;  // oldest first, for trimming
};

// The op category a node's colour stands for.
enum class OpCategory {
  Convolution,    // Conv, ConvTranspose, pooling
  Normalization,  // BatchNormalization, LayerNormalization, ...
  Activation,     // Relu, Sigmoid, Gelu, Softmax, ...
  Shape,          // Reshape, Transpose, Gather, Concat, Slice, Cast, ...
  Math,           // Add, MatMul, Gemm, reductions, comparisons, ...
  Quantization,   // QuantizeLinear, DequantizeLinear, QLinear*, *Integer
  ControlFlow,    // If, Loop, Scan
  Constant,       // Constant, ConstantOfShape
  Custom,         // an op from a domain other than ai.onnx / ai.onnx.ml
  Other,
};
OpCategory opCategory(const std::string& opType, const std::string& domain);
const char* opCategoryName(OpCategory category);  // "convolution", "normalization", ...

}  // namespace graft
