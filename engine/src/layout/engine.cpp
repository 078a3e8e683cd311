// Lays out expanded groups one at a time with Graphviz dot and composes them into a scene.
// A group's layout depends only on its boxes' sizes, its edges and its ports, so it is cached
// under that structure: repeated layers and groups untouched by an edit are laid out once.
#include <locale.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <spdlog/spdlog.h>

#include "graft/layout.h"
#include "graft/numbers.h"

namespace graft {

namespace {

using Kind = LayoutGraph::NodeKind;

// Graphviz keeps global state: one context for the process, one layout at a time.
std::mutex& graphvizMutex() {
  static std::mutex m;
  return m;
}

GVC_t* graphvizContext() {
  static GVC_t* gvc = gvContext();
  return gvc;
}

char* cs(const char* s) { return const_cast<char*>(s); }

// Switches the calling thread (only) to the C locale for as long as it lives.
class CNumericLocale {
 public:
  CNumericLocale() : c_(newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr))) {
    if (c_) previous_ = uselocale(c_);
  }
  ~CNumericLocale() {
    if (!c_) return;
    uselocale(previous_);
    freelocale(c_);
  }
  CNumericLocale(const CNumericLocale&) = delete;
  CNumericLocale& operator=(const CNumericLocale&) = delete;

 private:
  locale_t c_;
  locale_t previous_ = LC_GLOBAL_LOCALE;
};

std::string inches(double points) {
  // Graphviz parses attributes with '.' whatever the locale; printf would write "0,5000" under de_DE.
  return formatFixed(points / 72.0, 4);
}

void appendInt(std::string& s, std::int64_t v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }

LayoutSize defaultCollapsedSize(const LayoutGroup& g) {
  // Name on the first line, the node count below; 6.6 points per character of 10-point text.
  double w = 36 + 6.6 * static_cast<double>(std::max<size_t>(g.name.size(), 10));
  return {std::clamp(w, 110.0, 320.0), 44};
}

std::vector<LayoutPoint> straight(LayoutPoint a, LayoutPoint b) {
  return {a, {a.x + (b.x - a.x) / 3, a.y + (b.y - a.y) / 3}, {a.x + 2 * (b.x - a.x) / 3, a.y + 2 * (b.y - a.y) / 3}, b};
}

}  // namespace

// One group's layout in its own coordinates (top-left of its frame at 0,0).
struct LayoutEngine::GroupLayout {
  LayoutSize size;
  std::vector<LayoutPoint> slotCenter;               // elements, then in-ports, then out-ports
  std::vector<std::vector<LayoutPoint>> edgePoints;  // per edge of the block, Bezier chain
};

// The boxes and edges of one expanded group: what its layout is computed from.
struct LayoutEngine::Block {
  int group = -1;
  std::vector<int> elemNode;   // per element: node index, or -1
  std::vector<int> elemGroup;  // per element: child group index, or -1
  std::vector<int> inPorts;    // values entering from outside the group
  std::vector<int> outPorts;   // values leaving it
  struct Edge {
    int src = 0, dst = 0;  // slots: elements, then in-ports, then out-ports
    std::vector<int> values;
  };
  std::vector<Edge> edges;
  // Tensors read by more boxes than maxFanOut: no edges, stubs at the readers.
  struct Broadcast {
    int value = -1;
    int source = -1;           // slot of the producer's element or in-port
    std::vector<int> readers;  // element slots
  };
  std::vector<Broadcast> broadcasts;
  std::unordered_map<int, int> inPortOf, outPortOf;  // value -> port index

  int elements() const { return static_cast<int>(elemNode.size()); }
  int inSlot(int k) const { return elements() + k; }
  int outSlot(int k) const { return elements() + static_cast<int>(inPorts.size()) + k; }
  int slots() const { return elements() + static_cast<int>(inPorts.size() + outPorts.size()); }
};

LayoutEngine::LayoutEngine(LayoutOptions options) : options_(std::move(options)) {
  if (!options_.collapsedSize) options_.collapsedSize = defaultCollapsedSize;
}

LayoutEngine::~LayoutEngine() = default;

void LayoutEngine::setGraph(std::shared_ptr<const LayoutGraph> graph) {
  if (graph && graph_ && graph->graph == graph_->graph && graph->revision == graph_->revision) {
    graph_ = std::move(graph);  // same graph, same revision: the grouping still holds
    return;
  }
  graph_ = std::move(graph);
  grouping_ = std::make_shared<const LayoutGrouping>(graph_ ? groupGraph(*graph_, options_.grouping) : LayoutGrouping{});
  ++stats_.regroupings;
}

std::set<std::string> LayoutEngine::pathsToShow(int node) const {
  std::set<std::string> out;
  for (int g : grouping_->ancestors(node)) out.insert(grouping_->groups[g].path);
  return out;
}

std::set<std::string> LayoutEngine::allPaths() const {
  std::set<std::string> out;
  for (size_t g = 1; g < grouping_->groups.size(); ++g) out.insert(grouping_->groups[g].path);
  return out;
}

LayoutScene::Visible LayoutScene::visibleFor(int node, const LayoutGrouping& grouping) const {
  Visible v;
  if (node >= 0 && node < static_cast<int>(nodeBox.size()) && nodeBox[node] >= 0) {
    v.nodeBox = nodeBox[node];
    return v;
  }
  // The outermost collapsed group on the way down hides it.
  std::vector<int> chain = grouping.ancestors(node);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    int gb = *it < static_cast<int>(groupBox.size()) ? groupBox[*it] : -1;
    if (gb < 0) break;
    if (!groups[gb].expanded) {
      v.groupBox = gb;
      return v;
    }
  }
  return v;
}

Result<std::shared_ptr<const LayoutEngine::GroupLayout>> LayoutEngine::layoutGroup(
    int group, const std::set<int>& expanded, std::vector<LayoutSize>& sizes, Block& block) {
  const LayoutGraph& graph = *graph_;
  const LayoutGroup& grp = grouping_->groups[group];
  block.group = group;

  // Elements in topological order, so equal structures get equal signatures.
  struct Item {
    int node, group, first;
  };
  std::vector<Item> items;
  for (int c : grp.children) items.push_back({-1, c, grouping_->groups[c].first});
  for (int n : grp.nodes) items.push_back({n, -1, n});
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.first < b.first; });
  for (const Item& it : items) {
    block.elemNode.push_back(it.node);
    block.elemGroup.push_back(it.group);
  }

  // slotOf[node]: the element of this group that contains the node; nodes outside are -1.
  // Kept in a member-sized scratch to avoid reallocating per group.
  static thread_local std::vector<int> slotOf;
  slotOf.assign(graph.nodes.size(), -1);
  std::vector<int> subtreeNodes;
  for (int e = 0; e < block.elements(); ++e) {
    if (block.elemNode[e] >= 0) {
      slotOf[block.elemNode[e]] = e;
      subtreeNodes.push_back(block.elemNode[e]);
      continue;
    }
    std::vector<int> stack{block.elemGroup[e]};
    while (!stack.empty()) {
      int h = stack.back();
      stack.pop_back();
      for (int n : grouping_->groups[h].nodes) {
        slotOf[n] = e;
        subtreeNodes.push_back(n);
      }
      for (int c : grouping_->groups[h].children) stack.push_back(c);
    }
  }
  std::sort(subtreeNodes.begin(), subtreeNodes.end());

  std::unordered_map<std::uint64_t, int> edgeIndex;
  auto addEdge = [&](int src, int dst, int value) {
    std::uint64_t key = (static_cast<std::uint64_t>(src) << 32) | static_cast<std::uint32_t>(dst);
    auto [it, inserted] = edgeIndex.try_emplace(key, static_cast<int>(block.edges.size()));
    if (inserted) block.edges.push_back({src, dst, {}});
    auto& values = block.edges[it->second].values;
    if (values.empty() || values.back() != value) values.push_back(value);
  };
  // Ports are numbered in order of first use; slots are fixed after all ports are known,
  // so edges record ports as negative placeholders first.
  std::vector<std::tuple<int, int, int>> pending;  // (src, dst, value); ports as -(1+k) / -(100000000+k)
  constexpr int kOutBase = 100000000;
  for (int n : subtreeNodes) {
    const auto& node = graph.nodes[n];
    int self = slotOf[n];
    for (int v : node.inputs) {
      if (v < 0 || graph.values[v].initializer) continue;
      int p = graph.values[v].producer;
      if (p < 0) continue;
      if (slotOf[p] >= 0) {
        if (slotOf[p] != self) pending.emplace_back(slotOf[p], self, v);
      } else {
        auto [it, inserted] = block.inPortOf.try_emplace(v, static_cast<int>(block.inPorts.size()));
        if (inserted) block.inPorts.push_back(v);
        pending.emplace_back(-(1 + it->second), self, v);
      }
    }
    for (int v : node.outputs) {
      if (v < 0) continue;
      bool leaves = false;
      for (int c : graph.values[v].consumers)
        if (slotOf[c] < 0) leaves = true;
      if (!leaves) continue;
      auto [it, inserted] = block.outPortOf.try_emplace(v, static_cast<int>(block.outPorts.size()));
      if (inserted) block.outPorts.push_back(v);
      pending.emplace_back(self, -(kOutBase + it->second), v);
    }
  }
  auto resolve = [&](int s) {
    if (s >= 0) return s;
    if (s <= -kOutBase) return block.outSlot(-s - kOutBase);
    return block.inSlot(-s - 1);
  };
  // A tensor read by many boxes of this group (a mask or shape constant every layer reads)
  // would make dot route long parallel edges across the whole group, which is slow and
  // unreadable; its uses are drawn as stubs naming the tensor instead.
  std::unordered_map<int, std::vector<int>> readers;  // value -> distinct element slots reading it
  for (auto [s, d, v] : pending) {
    if (d < 0) continue;  // out-ports are single edges
    auto& r = readers[v];
    if (std::find(r.begin(), r.end(), d) == r.end()) r.push_back(d);
  }
  for (auto& [v, r] : readers) {
    if (static_cast<int>(r.size()) <= options_.maxFanOut) continue;
    Block::Broadcast bc;
    bc.value = v;
    bc.readers = r;
    std::sort(bc.readers.begin(), bc.readers.end());
    block.broadcasts.push_back(std::move(bc));
  }
  std::sort(block.broadcasts.begin(), block.broadcasts.end(),
            [](const Block::Broadcast& a, const Block::Broadcast& b) { return a.readers.front() < b.readers.front(); });
  for (auto [s, d, v] : pending) {
    if (d >= 0) {
      auto it = readers.find(v);
      if (it != readers.end() && static_cast<int>(it->second.size()) > options_.maxFanOut) {
        for (auto& bc : block.broadcasts)
          if (bc.value == v) bc.source = resolve(s);
        continue;
      }
    }
    addEdge(resolve(s), resolve(d), v);
  }

  // Sizes of the element boxes.
  std::vector<LayoutSize> slotSize(block.slots(), options_.portSize);
  for (int e = 0; e < block.elements(); ++e) {
    if (block.elemNode[e] >= 0)
      slotSize[e] = graph.nodes[block.elemNode[e]].size;
    else
      slotSize[e] = expanded.count(block.elemGroup[e]) ? sizes[block.elemGroup[e]]
                                                        : options_.collapsedSize(grouping_->groups[block.elemGroup[e]]);
  }

  // The structure key: sizes, edges, ports (which tensors do not matter, only their count).
  const bool root = group == 0;
  std::string key;
  key.reserve(16 * (block.slots() + block.edges.size()) + 32);
  appendInt(key, root ? 1 : 0);
  appendInt(key, block.elements());
  appendInt(key, static_cast<std::int64_t>(block.inPorts.size()));
  appendInt(key, static_cast<std::int64_t>(block.outPorts.size()));
  for (int e = 0; e < block.elements(); ++e) {
    appendInt(key, std::llround(slotSize[e].width * 4));
    appendInt(key, std::llround(slotSize[e].height * 4));
  }
  for (const auto& e : block.edges) appendInt(key, (static_cast<std::int64_t>(e.src) << 32) | e.dst);

  if (auto it = cache_.find(key); it != cache_.end()) {
    ++stats_.cacheHits;
    sizes[group] = it->second->size;
    return it->second;
  }

  auto layout = std::make_shared<GroupLayout>();
  layout->slotCenter.resize(block.slots());
  layout->edgePoints.resize(block.edges.size());
  const double pad = root ? 0 : options_.groupPadding;
  const double title = root ? 0 : options_.groupTitle;

  if (block.slots() == 0) {
    layout->size = {2 * pad + 40, 2 * pad + title + 20};
  } else {
    auto start = std::chrono::steady_clock::now();
    std::lock_guard lock(graphvizMutex());
    // Graphviz reads "0.5" with atof, which follows the C locale the studio takes from the
    // user (QApplication calls setlocale): under de_DE every size read as 0 and the nodes piled
    // up. This thread uses the C locale while Graphviz runs.
    CNumericLocale cLocale;
    GVC_t* gvc = graphvizContext();
    Agraph_t* g = agopen(cs("g"), Agdirected, nullptr);
    agattr(g, AGRAPH, cs("rankdir"), cs("TB"));
    agattr(g, AGRAPH, cs("nodesep"), cs(inches(options_.nodeSep).c_str()));
    agattr(g, AGRAPH, cs("ranksep"), cs(inches(options_.rankSep).c_str()));
    agattr(g, AGRAPH, cs("splines"), cs("spline"));
    // Fewer crossing-minimization passes: the groups are small, and a slightly worse
    // ordering is better than a slow expand.
    agattr(g, AGRAPH, cs("mclimit"), cs("0.5"));
    // Network simplex has no iteration bound by default; on awkward graphs (long edges
    // over many ranks) it can run for minutes. Bounded, it returns a slightly worse layout.
    agattr(g, AGRAPH, cs("nslimit"), cs("4"));
    agattr(g, AGRAPH, cs("nslimit1"), cs("4"));
    agattr(g, AGNODE, cs("shape"), cs("box"));
    agattr(g, AGNODE, cs("fixedsize"), cs("true"));
    agattr(g, AGNODE, cs("label"), cs(""));
    agattr(g, AGNODE, cs("width"), cs("1"));
    agattr(g, AGNODE, cs("height"), cs("0.5"));
    agattr(g, AGEDGE, cs("arrowhead"), cs("none"));
    std::vector<Agnode_t*> nodes(block.slots());
    Agraph_t* top = block.inPorts.empty() ? nullptr : agsubg(g, cs("inports"), 1);
    Agraph_t* bottom = block.outPorts.empty() ? nullptr : agsubg(g, cs("outports"), 1);
    if (top) agsafeset(top, cs("rank"), cs("source"), cs(""));
    if (bottom) agsafeset(bottom, cs("rank"), cs("sink"), cs(""));
    for (int s = 0; s < block.slots(); ++s) {
      std::string name = "n" + std::to_string(s);
      Agraph_t* owner = g;
      if (s >= block.elements() && s < block.outSlot(0)) owner = top;
      if (s >= block.outSlot(0)) owner = bottom;
      nodes[s] = agnode(owner, cs(name.c_str()), 1);
      agsafeset(nodes[s], cs("width"), cs(inches(slotSize[s].width).c_str()), cs("1"));
      agsafeset(nodes[s], cs("height"), cs(inches(slotSize[s].height).c_str()), cs("0.5"));
    }
    std::vector<Agedge_t*> edges(block.edges.size());
    for (size_t i = 0; i < block.edges.size(); ++i)
      edges[i] = agedge(g, nodes[block.edges[i].src], nodes[block.edges[i].dst], nullptr, 1);

    if (gvLayout(gvc, g, "dot") != 0) {
      agclose(g);
      return Status(ErrorCode::Internal,
                    "Graphviz could not lay out group '" + grp.path + "'. The group stays collapsed; please report this model.");
    }
    boxf bb = GD_bb(g);
    const double ox = pad - bb.LL.x;
    const double oy = pad + title + bb.UR.y;  // y flips: Graphviz grows upwards
    auto map = [&](pointf p) { return LayoutPoint{p.x + ox, oy - p.y}; };
    for (int s = 0; s < block.slots(); ++s) layout->slotCenter[s] = map(ND_coord(nodes[s]));
    for (size_t i = 0; i < block.edges.size(); ++i) {
      auto& pts = layout->edgePoints[i];
      const splines* spl = ED_spl(edges[i]);
      if (spl && spl->size > 0 && spl->list[0].size >= 4) {
        const bezier& bz = spl->list[0];
        for (int k = 0; k < bz.size; ++k) pts.push_back(map(bz.list[k]));
      } else {
        pts = straight(layout->slotCenter[block.edges[i].src], layout->slotCenter[block.edges[i].dst]);
      }
      // Ports are points: start and end exactly there, so the pieces of one edge join up.
      if (block.edges[i].src >= block.elements()) pts.front() = layout->slotCenter[block.edges[i].src];
      if (block.edges[i].dst >= block.elements()) pts.back() = layout->slotCenter[block.edges[i].dst];
    }
    layout->size = {bb.UR.x - bb.LL.x + 2 * pad, bb.UR.y - bb.LL.y + 2 * pad + title};
    gvFreeLayout(gvc, g);
    agclose(g);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++stats_.dotCalls;
    stats_.dotNodes += block.slots();
    stats_.largestDotCall = std::max<std::uint64_t>(stats_.largestDotCall, block.slots());
    stats_.dotSeconds += secs;
    if (secs > 0.5) spdlog::debug("layout: group '{}' ({} boxes) took {:.2f} s", grp.path, block.slots(), secs);
  }

  sizes[group] = layout->size;
  if (cache_.size() >= 4096) {
    // Forget the older half; repeated structures come back on the next use.
    for (size_t i = 0; i < cacheOrder_.size() / 2; ++i) cache_.erase(cacheOrder_[i]);
    cacheOrder_.erase(cacheOrder_.begin(), cacheOrder_.begin() + cacheOrder_.size() / 2);
  }
  cache_.emplace(key, layout);
  cacheOrder_.push_back(std::move(key));
  return std::shared_ptr<const GroupLayout>(layout);
}

Result<LayoutScene> LayoutEngine::layout(const std::set<std::string>& expandedPaths, const ProgressFn& progress) {
  if (!graph_) return Status(ErrorCode::InvalidArgument, "No graph to lay out: open a model first.");
  const auto& groups = grouping_->groups;

  // Open groups whose parents are all open; the root always is.
  std::set<int> expanded{0};
  std::vector<int> order;  // parents before children
  std::vector<int> stack{0};
  while (!stack.empty()) {
    int g = stack.back();
    stack.pop_back();
    order.push_back(g);
    for (int c : groups[g].children) {
      if (expandedPaths.count(groups[c].path)) {
        expanded.insert(c);
        stack.push_back(c);
      }
    }
  }

  std::vector<LayoutSize> sizes(groups.size());
  std::vector<Block> blocks(groups.size());
  std::vector<std::shared_ptr<const GroupLayout>> layouts(groups.size());
  size_t done = 0;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (!reportProgress(progress, static_cast<double>(done) / order.size(), "Laying out groups"))
      return Status(ErrorCode::Cancelled, "Layout was cancelled.");
    auto laid = layoutGroup(*it, expanded, sizes, blocks[*it]);
    if (!laid) return laid.status();
    layouts[*it] = std::move(laid.value());
    ++done;
  }

  // Compose: place each open group's layout at its box in the parent.
  LayoutScene scene;
  scene.nodeBox.assign(graph_->nodes.size(), -1);
  scene.groupBox.assign(groups.size(), -1);
  std::vector<LayoutPoint> origin(groups.size());
  const auto& graph = *graph_;

  // Port position of a value on an open child group, in scene coordinates.
  auto portPosition = [&](int child, int value, bool in) -> const LayoutPoint* {
    const Block& b = blocks[child];
    const auto& map = in ? b.inPortOf : b.outPortOf;
    auto it = map.find(value);
    if (it == map.end()) return nullptr;
    static thread_local LayoutPoint p;
    const LayoutPoint& local = layouts[child]->slotCenter[in ? b.inSlot(it->second) : b.outSlot(it->second)];
    p = {origin[child].x + local.x, origin[child].y + local.y};
    return &p;
  };

  for (int g : order) {
    const Block& b = blocks[g];
    const GroupLayout& L = *layouts[g];
    const LayoutPoint o = origin[g];
    std::vector<LayoutRect> rects(b.elements());
    for (int e = 0; e < b.elements(); ++e) {
      LayoutPoint c{o.x + L.slotCenter[e].x, o.y + L.slotCenter[e].y};
      if (b.elemNode[e] >= 0) {
        const LayoutSize& s = graph.nodes[b.elemNode[e]].size;
        rects[e] = {c.x - s.width / 2, c.y - s.height / 2, s.width, s.height};
        scene.nodeBox[b.elemNode[e]] = static_cast<int>(scene.nodes.size());
        scene.nodes.push_back({b.elemNode[e], rects[e]});
      } else {
        int child = b.elemGroup[e];
        bool open = expanded.count(child) > 0;
        LayoutSize s = open ? sizes[child] : options_.collapsedSize(groups[child]);
        origin[child] = {c.x - s.width / 2, c.y - s.height / 2};
        rects[e] = {origin[child].x, origin[child].y, s.width, s.height};
        scene.groupBox[child] = static_cast<int>(scene.groups.size());
        scene.groups.push_back({child, rects[e], open});
      }
    }
    for (const auto& bc : b.broadcasts) {
      auto stubAt = [&](int slot, bool source) {
        LayoutScene::Stub st;
        st.value = bc.value;
        st.source = source;
        st.uses = source ? static_cast<int>(bc.readers.size()) : 0;
        if (slot >= b.elements()) {  // an in-port of this group
          st.at = {o.x + L.slotCenter[slot].x, o.y + L.slotCenter[slot].y};
        } else {
          st.node = b.elemNode[slot];
          st.at = {rects[slot].center().x, source ? rects[slot].bottom() : rects[slot].y};
          int child = b.elemGroup[slot];
          if (child >= 0 && expanded.count(child))
            if (const LayoutPoint* p = portPosition(child, bc.value, !source)) st.at = *p;
        }
        scene.stubs.push_back(st);
      };
      if (bc.source >= 0) stubAt(bc.source, true);
      for (int r : bc.readers) stubAt(r, false);
    }
    for (size_t i = 0; i < b.edges.size(); ++i) {
      const auto& be = b.edges[i];
      LayoutScene::Edge edge;
      edge.points.reserve(L.edgePoints[i].size());
      for (const auto& p : L.edgePoints[i]) edge.points.push_back({o.x + p.x, o.y + p.y});
      edge.values = be.values;
      edge.from = be.src < b.elements() ? b.elemNode[be.src] : -1;
      edge.to = be.dst < b.elements() ? b.elemNode[be.dst] : -1;
      // An edge ending at an open group or leaving through a port goes on in another piece.
      bool dstOpenGroup = be.dst < b.elements() && b.elemGroup[be.dst] >= 0 && expanded.count(b.elemGroup[be.dst]);
      edge.arrow = be.dst < b.elements() && !dstOpenGroup;
      // Connectors from the ports of open children to this piece's ends.
      if (be.src < b.elements() && b.elemGroup[be.src] >= 0 && expanded.count(b.elemGroup[be.src])) {
        for (int v : be.values)
          if (const LayoutPoint* p = portPosition(b.elemGroup[be.src], v, false)) {
            LayoutScene::Edge c;
            c.points = straight(*p, edge.points.front());
            c.values = {v};
            c.arrow = false;
            scene.edges.push_back(std::move(c));
          }
      }
      if (dstOpenGroup) {
        for (int v : be.values)
          if (const LayoutPoint* p = portPosition(b.elemGroup[be.dst], v, true)) {
            LayoutScene::Edge c;
            c.points = straight(edge.points.back(), *p);
            c.values = {v};
            c.arrow = false;
            scene.edges.push_back(std::move(c));
          }
      }
      scene.edges.push_back(std::move(edge));
    }
  }
  scene.bounds = {0, 0, sizes[0].width, sizes[0].height};
  scene.graph = graph_;
  scene.grouping = grouping_;
  reportProgress(progress, 1.0, "Laid out");
  return scene;
}

}  // namespace graft
