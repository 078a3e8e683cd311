// Comparing two models: nodes are paired by structure rather than by name, so renames, re-exports,
// reordering and optimizer rewrites still line up; the report says what is same, changed, added, removed, fused.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "graft/eval.h"
#include "graft/ir.h"
#include "graft/progress.h"
#include "graft/result.h"

namespace graft {

// ----------------------------------------------------------------------------- structural hashes

// A producer or consumer seen from a node: the other node's index in StructuralHashes::nodes and
// the port (output index of a producer, input slot of a consumer; -1 for a use inside a subgraph).
struct HashEdge {
  std::int32_t node = -1;
  std::int32_t port = -1;
};

// Hashes of every node of one graph level (not its subgraphs), independent of node names, value
// names and node order, so they survive renames and re-exports. In a subgraph body the body's own
// inputs and outputs count by position (a re-export renames them too), not by name.
struct StructuralHashes {
  const Graph* graph = nullptr;
  std::vector<Node*> nodes;            // topological order; indices below refer to this list
  std::vector<std::uint64_t> local;    // op type, domain, attributes, which input slots are present, output count
  std::vector<std::uint64_t> up;       // upstream cone: local + inputs by slot (graph inputs by name, weights by content)
  std::vector<std::uint64_t> down;     // downstream cone: local + consumers with their slots, graph outputs by name
  // Structure within kNeighbourhoodRadius edges both ways, weights by dtype and shape only: what
  // an anchor keeps, because it does not change when something far away is edited.
  std::vector<std::uint64_t> neighbourhood;
  std::vector<std::vector<HashEdge>> producers;  // per node, per input slot (node -1: graph input, weight or omitted)
  std::vector<std::vector<HashEdge>> consumers;  // per node, every use of any output (port = input slot)
  std::unordered_map<const Node*, std::int32_t> index;

  std::int32_t indexOf(const Node* node) const {
    auto it = index.find(node);
    return it == index.end() ? -1 : it->second;
  }
};

inline constexpr int kNeighbourhoodRadius = 3;

// Fails only when the graph has a cycle.
Result<StructuralHashes> hashGraph(const Graph& graph);

// Hash of a tensor's dtype, dims and bytes. Large tensors are sampled (evenly spaced chunks),
// so it identifies weights cheaply; equality of values is decided by comparing them.
std::uint64_t tensorContentHash(const Tensor& tensor);
std::uint64_t tensorContentHash(const onnx::TensorProto& tensor);

// ----------------------------------------------------------------------------- pairing

// Which node of A corresponds to which node of B. Built in stages, each only among nodes not yet
// paired: graph outputs by name (by position in a body); nodes whose upstream and downstream cone hashes are both unique
// and equal on both sides; then upstream alone, downstream alone, neighbourhood alone; after each
// stage pairs spread along inputs (same slot, same op) and along consumers (one candidate per
// slot and op); what is left is scored by paired neighbours. Close to linear in the node count.
struct NodePairing {
  StructuralHashes a, b;
  std::vector<std::int32_t> aToB;  // per index of a.nodes: index in b.nodes or -1
  std::vector<std::int32_t> bToA;

  Node* partnerInB(const Node* nodeOfA) const;
  Node* partnerInA(const Node* nodeOfB) const;
  std::size_t pairedCount() const;
  // Values of A and B that correspond: graph inputs and outputs by name, outputs of paired nodes
  // by position, weights read at the same slot of paired nodes, then by content, then by name.
  std::unordered_map<const Value*, const Value*> valuesAtoB;
  std::unordered_map<const Value*, const Value*> valuesBtoA;

  // The bodies (If branches, Loop and Scan bodies) of paired nodes that have a body under the same
  // attribute and index on both sides, paired the same way, each with its own paired bodies.
  // partnerInB/partnerInA answer for nodes inside them too; pairedCount and the index vectors
  // above are about this graph level only.
  struct Body {
    Node* ownerA = nullptr;
    Node* ownerB = nullptr;
    std::string attribute;
    int index = 0;
    std::shared_ptr<NodePairing> pairing;
  };
  std::vector<Body> bodies;
};

struct PairOptions {
  ProgressFn progress;
};

// Pairs the main graphs of two models, then the bodies of paired If/Loop/Scan nodes.
Result<NodePairing> pairModels(const Model& a, const Model& b, const PairOptions& options = {});

// ----------------------------------------------------------------------------- anchors

// What identifies a node across edits, re-exports and renames: op type, a hash of its neighbourhood
// (which far-away edits do not change), its cone hashes, and its name as a hint only.
struct NodeAnchor {
  std::string opType;
  std::string domain;
  std::uint64_t neighbourhood = 0;
  std::uint64_t up = 0;
  std::uint64_t down = 0;
  std::string name;
};

NodeAnchor anchorOf(const StructuralHashes& hashes, const Node& node);

struct AnchorMatch {
  Node* node = nullptr;
  // How it was found: "name and structure", "structure", "neighbourhood and name", "name" (weakest).
  std::string how;
};

// Finds the node an anchor names in a graph. Among nodes of the anchor's op type it takes, in this
// order: the node with the anchor's name whose neighbourhood or a cone also matches; the single node
// with the same cones; the single node with the same neighbourhood; among several such, the one
// with the anchor's name or the same upstream or downstream cone; the single node with the name.
// Fails with NotFound when nothing fits and with InvalidArgument when several fit equally.
Result<AnchorMatch> resolveAnchor(const StructuralHashes& hashes, const NodeAnchor& anchor);
// An anchor recorded on model A, found in model B through a pairing (falls back to resolveAnchor on B).
Result<AnchorMatch> resolveAnchor(const NodePairing& pairing, const NodeAnchor& anchorOnA);

// ----------------------------------------------------------------------------- report

enum class DiffStatus { Same, Changed, Added, Removed, Fused, Split };
const char* diffStatusName(DiffStatus status);  // "same", "changed", ...

// One entry of the report. Every node of A and of B is in exactly one entry, nodes inside subgraph
// bodies included (their entries follow their owner's).
struct NodeDiff {
  DiffStatus status = DiffStatus::Same;
  std::vector<Node*> a;  // several for the A side of a fused group
  std::vector<Node*> b;  // several for the B side of a split group
  std::string op;        // the op type ("A → B" when it changed; "Gelu ← 8 nodes" for a fused group)
  std::vector<std::string> changes;  // "attribute alpha: 0.1 → 0.2", "op type: Relu → Gelu", ...
  std::string scope;     // module scope ("/h.3/attn"), from B's name, else A's; "" at the root
  std::string rule;      // the rewrite rule that made a fused group, when the node records it
};

struct WeightDiff {
  DiffStatus status = DiffStatus::Same;  // Same, Changed, Added or Removed
  const Value* a = nullptr;
  const Value* b = nullptr;
  std::string type;       // "float32[768,768]" (A's; "A → B" when dtype or shape changed)
  double maxAbs = 0, maxRel = 0, cosine = 1;
  std::string note;       // why the values could not be compared, when they could not
};

struct ScopeCounts {
  std::string scope;
  std::size_t same = 0, changed = 0, added = 0, removed = 0, fused = 0, split = 0;
};

struct DiffSummary {
  std::size_t same = 0, changed = 0, added = 0, removed = 0, fused = 0, split = 0;
  std::size_t weightsSame = 0, weightsChanged = 0, weightsAdded = 0, weightsRemoved = 0;
  std::size_t nodesA = 0, nodesB = 0, pairedNodes = 0;  // bodies' nodes included
  std::size_t modelChanges = 0;  // graph I/O, opsets, metadata
};

struct ModelDiff {
  NodePairing pairing;
  std::vector<NodeDiff> nodes;       // in B's topological order, removed nodes where A had them
  std::vector<WeightDiff> weights;   // changed, added and removed first, then same
  std::vector<std::string> modelChanges;  // "graph input 'x' shape: [1,3] → [1,4]", "opset ai.onnx: 13 → 17", ...
  std::vector<ScopeCounts> scopes;   // sorted by scope
  DiffSummary summary;
  std::unordered_map<const Node*, std::size_t> entryOf;  // node of A or B → index in nodes

  // Same structure and same weights (metadata included).
  bool identical() const;
};

struct DiffOptions {
  ProgressFn progress;
  // Compare weight values (max abs, max rel, cosine). Without it weights are compared by content hash.
  bool compareWeights = true;
};

Result<ModelDiff> diffModels(const Model& a, const Model& b, const DiffOptions& options = {});

// Module scope of a node name: "/h.3/attn/MatMul" → "/h.3/attn"; "" for names without one.
std::string scopeOfName(const std::string& name);

// ----------------------------------------------------------------------------- numeric diff

struct NumericDiffOptions {
  NamedArrays inputs;  // by graph input name; missing ones are seeded
  std::uint64_t seed = 0;
  std::map<std::string, std::int64_t> dims;  // symbolic dims of seeded inputs
  double atol = 1e-4;
  double rtol = 1e-3;
  int threads = 0;
  ProgressFn progress;
};

struct NodeError {
  const Node* a = nullptr;
  const Node* b = nullptr;
  std::string valueA, valueB;  // the compared outputs
  double maxAbs = 0, maxRel = 0;
  bool beyondTolerance = false;
  std::string note;  // why not compared (shape differs, not a number type, ...)
};

struct NumericDiff {
  std::vector<NodeError> nodes;  // paired nodes in A's topological order
  std::int32_t firstDivergence = -1;  // index into nodes, -1 when every value is within tolerance
  double atol = 0, rtol = 0;
  std::vector<std::string> inputsUsed;  // "x: random (seed 0)" / "x: given"
};

// Runs both models on the same inputs and compares the outputs of every paired node; "beyond
// tolerance" means |a − b| > atol + rtol·|a| for some element.
Result<NumericDiff> numericDiff(const Model& a, const Model& b, const NodePairing& pairing,
                                const NumericDiffOptions& options = {});

}  // namespace graft
