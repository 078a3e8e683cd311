// Groups a graph's nodes into a tree of collapsible groups: module scopes from node names,
// and runs of the topological order where a group would otherwise hold too many boxes.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string_view>

#include "graft/layout.h"

namespace graft {

namespace {

using Kind = LayoutGraph::NodeKind;

// "/h.0/attn/MatMul" -> {"h.0", "attn"}; "conv1/Conv2D" -> {"conv1"}; "Relu_3" -> {}.
std::vector<std::string> scopeOf(const std::string& name) {
  std::vector<std::string> parts;
  size_t last = name.rfind('/');
  if (last == std::string::npos) return parts;
  size_t start = 0;
  while (start < last) {
    size_t end = name.find('/', start);
    if (end == std::string::npos || end > last) end = last;
    if (end > start) parts.emplace_back(name, start, end - start);
    start = end + 1;
  }
  return parts;
}

struct Builder {
  const LayoutGraph& graph;
  const GroupingOptions& options;
  LayoutGrouping out;
  std::vector<int> scratch;  // node -> item index within the group being split

  int addGroup(int parent, std::string name, std::string path, bool run) {
    LayoutGroup g;
    g.parent = parent;
    g.name = std::move(name);
    g.path = std::move(path);
    g.run = run;
    out.groups.push_back(std::move(g));
    int index = static_cast<int>(out.groups.size()) - 1;
    out.byPath[out.groups[index].path] = index;
    if (parent >= 0) out.groups[parent].children.push_back(index);
    return index;
  }

  // First node index in a group's subtree (children already have theirs).
  void computeFirst(int g) {
    auto& grp = out.groups[g];
    int first = std::numeric_limits<int>::max();
    int count = 0;
    for (int c : grp.children) {
      computeFirst(c);
      first = std::min(first, out.groups[c].first);
      count += out.groups[c].nodeCount;
    }
    for (int n : grp.nodes) {
      first = std::min(first, n);
      if (graph.nodes[n].kind == Kind::Op) ++count;
    }
    grp.first = first == std::numeric_limits<int>::max() ? 0 : first;
    grp.nodeCount = count;
    std::sort(grp.children.begin(), grp.children.end(),
              [&](int a, int b) { return out.groups[a].first < out.groups[b].first; });
  }

  // An item of a group is one of its direct nodes or one of its child groups.
  struct Item {
    int node = -1;
    int group = -1;
    int first = 0;
  };

  std::vector<Item> itemsOf(int g) const {
    std::vector<Item> items;
    const auto& grp = out.groups[g];
    for (int c : grp.children) items.push_back({-1, c, out.groups[c].first});
    for (int n : grp.nodes) items.push_back({n, -1, n});
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.first < b.first; });
    return items;
  }

  void markSubtree(int g, int item) {
    for (int n : out.groups[g].nodes) scratch[n] = item;
    for (int c : out.groups[g].children) markSubtree(c, item);
  }

  // Splits group g's items into runs so that no group shows more than maxElements boxes.
  // A run ends where the fewest tensors cross from before the cut to after it, within a
  // window around the target size, so runs tend to be whole blocks of the computation.
  void split(int g) {
    std::vector<Item> all = itemsOf(g);
    // Inputs and outputs stay at the top level where users look for them.
    std::vector<Item> items;
    std::vector<Item> pinned;
    for (const Item& it : all) {
      if (it.node >= 0 && graph.nodes[it.node].kind != Kind::Op)
        pinned.push_back(it);
      else
        items.push_back(it);
    }
    const int count = static_cast<int>(items.size());
    if (count + static_cast<int>(pinned.size()) <= options.maxElements) return;

    std::fill(scratch.begin(), scratch.end(), -1);
    for (int i = 0; i < count; ++i) {
      if (items[i].node >= 0)
        scratch[items[i].node] = i;
      else
        markSubtree(items[i].group, i);
    }
    // crossing[i]: tensors produced at items <= i and read by items > i.
    std::vector<int> diff(count + 1, 0);
    for (int i = 0; i < count; ++i) {
      auto visit = [&](int node) {
        for (int v : graph.nodes[node].outputs) {
          if (v < 0) continue;
          int last = -1;
          for (int c : graph.values[v].consumers)
            if (scratch[c] > last) last = scratch[c];
          if (last > i) {
            diff[i] += 1;
            diff[last] -= 1;
          }
        }
      };
      if (items[i].node >= 0) {
        visit(items[i].node);
      } else {
        std::vector<int> stack{items[i].group};
        while (!stack.empty()) {
          int h = stack.back();
          stack.pop_back();
          for (int n : out.groups[h].nodes) visit(n);
          for (int c : out.groups[h].children) stack.push_back(c);
        }
      }
    }
    std::vector<int> crossing(count, 0);
    for (int i = 0, acc = 0; i < count; ++i) {
      acc += diff[i];
      crossing[i] = acc;
    }

    // Target size: runs of runSize items, unless that still leaves too many runs; then
    // bigger runs that are split again below.
    int budget = std::max(2, options.maxElements / 2);
    int target = std::max(options.runSize, static_cast<int>(std::ceil(double(count) / budget)));
    std::vector<std::pair<int, int>> runs;  // [begin, end)
    int start = 0;
    while (start < count) {
      if (count - start <= target + target / 2) {
        runs.emplace_back(start, count);
        break;
      }
      int lo = start + std::max(1, target / 2);
      int hi = std::min(count - 1, start + target + target / 2);
      int best = -1;
      for (int c = lo; c < hi; ++c) {
        if (best < 0 || crossing[c - 1] < crossing[best - 1] ||
            (crossing[c - 1] == crossing[best - 1] && std::abs(c - start - target) < std::abs(best - start - target)))
          best = c;
      }
      runs.emplace_back(start, best);
      start = best;
    }

    // Rebuild g: pinned nodes stay, each run becomes a child group.
    LayoutGroup& grp = out.groups[g];
    std::vector<int> oldChildren = grp.children;
    grp.children.clear();
    grp.nodes.clear();
    for (const Item& p : pinned) grp.nodes.push_back(p.node);
    const std::string base = g == 0 ? std::string() : out.groups[g].path;
    int runNo = 0;
    std::vector<int> created;
    for (auto [b, e] : runs) {
      ++runNo;
      std::string name;
      bool allGroups = std::all_of(items.begin() + b, items.begin() + e, [](const Item& it) { return it.group >= 0; });
      if (allGroups) {
        name = out.groups[items[b].group].name + " … " + out.groups[items[e - 1].group].name;
      } else {
        name = "nodes " + std::to_string(firstOp(items[b]) + 1) + "–" + std::to_string(lastOp(items[e - 1]) + 1);
      }
      int run = addGroup(g, name, base + "/#" + std::to_string(runNo), true);
      for (int i = b; i < e; ++i) {
        if (items[i].node >= 0) {
          out.groups[run].nodes.push_back(items[i].node);
        } else {
          out.groups[items[i].group].parent = run;
          out.groups[run].children.push_back(items[i].group);
        }
      }
      created.push_back(run);
    }
    for (int run : created) {
      computeFirst(run);
      split(run);
    }
  }

  // Op positions are reported 1-based among ops, as a user counts nodes in the table.
  int firstOp(const Item& it) const { return opIndex(it.node >= 0 ? it.node : out.groups[it.group].first); }
  int lastOp(const Item& it) const {
    if (it.node >= 0) return opIndex(it.node);
    int g = it.group;
    int last = 0;
    std::vector<int> stack{g};
    while (!stack.empty()) {
      int h = stack.back();
      stack.pop_back();
      for (int n : out.groups[h].nodes) last = std::max(last, n);
      for (int c : out.groups[h].children) stack.push_back(c);
    }
    return opIndex(last);
  }
  int opIndex(int node) const { return std::max(0, node - firstOpNode); }
  int firstOpNode = 0;
};

}  // namespace

std::vector<int> LayoutGrouping::ancestors(int node) const {
  std::vector<int> out;
  if (node < 0 || node >= static_cast<int>(groupOf.size())) return out;
  for (int g = groupOf[node]; g > 0; g = groups[g].parent) out.push_back(g);
  return out;
}

bool LayoutGrouping::within(int g, int ancestor) const {
  for (; g >= 0; g = groups[g].parent)
    if (g == ancestor) return true;
  return false;
}

LayoutGrouping groupGraph(const LayoutGraph& graph, const GroupingOptions& options) {
  Builder b{graph, options, {}, {}};
  const int n = static_cast<int>(graph.nodes.size());
  b.scratch.assign(n, -1);
  for (int i = 0; i < n; ++i)
    if (graph.nodes[i].kind == Kind::Op) {
      b.firstOpNode = i;
      break;
    }

  std::vector<std::vector<std::string>> scope(n);
  for (int i = 0; i < n; ++i)
    if (graph.nodes[i].kind == Kind::Op) scope[i] = scopeOf(graph.nodes[i].name);

  // Exporters leave constants and weight copies unscoped (torch's "Constant_185"); a node
  // with no scope that reads no computed tensor joins the common scope of its consumers,
  // so it does not become a lone box at the top with an edge into a deep group.
  // Reverse topological order lets chains of such nodes follow their consumers.
  for (int i = n - 1; i >= 0; --i) {
    const auto& node = graph.nodes[i];
    if (node.kind != Kind::Op || !scope[i].empty()) continue;
    bool computedInput = false;
    for (int v : node.inputs)
      if (v >= 0 && graph.values[v].producer >= 0) computedInput = true;
    if (computedInput) continue;
    std::vector<std::string> common;
    bool first = true, any = false;
    for (int v : node.outputs) {
      if (v < 0) continue;
      for (int c : graph.values[v].consumers) {
        if (graph.nodes[c].kind != Kind::Op) {
          common.clear();
          first = false;
          continue;
        }
        any = true;
        if (first) {
          common = scope[c];
          first = false;
        } else {
          size_t k = 0;
          while (k < common.size() && k < scope[c].size() && common[k] == scope[c][k]) ++k;
          common.resize(k);
        }
      }
    }
    if (any) scope[i] = std::move(common);
  }

  b.addGroup(-1, "", "", false);
  b.out.groupOf.assign(n, 0);
  for (int i = 0; i < n; ++i) {
    int g = 0;
    std::string path;
    for (const auto& part : scope[i]) {
      path += '/';
      path += part;
      auto it = b.out.byPath.find(path);
      g = it != b.out.byPath.end() ? it->second : b.addGroup(g, part, path, false);
    }
    b.out.groups[g].nodes.push_back(i);
  }

  // A scope around a single node ("/layer1/conv1/Conv") is just the node: no group. Deepest
  // first, so a parent left holding one node goes too.
  for (size_t g = b.out.groups.size(); g-- > 1;) {
    auto& grp = b.out.groups[g];
    if (grp.nodes.size() != 1 || !grp.children.empty()) continue;
    auto& parent = b.out.groups[grp.parent];
    parent.nodes.push_back(grp.nodes[0]);
    parent.children.erase(std::remove(parent.children.begin(), parent.children.end(), static_cast<int>(g)),
                          parent.children.end());
    grp.nodes.clear();
    grp.parent = -2;  // dropped below
  }
  for (auto& grp : b.out.groups) std::sort(grp.nodes.begin(), grp.nodes.end());

  // A scope holding nothing but one other scope ("/model" around "/model/decoder") adds a
  // click and no information: it is folded into its child, whose name then shows both.
  for (size_t g = 1; g < b.out.groups.size(); ++g) {
    auto& grp = b.out.groups[g];
    if (grp.parent < 0 || !grp.nodes.empty() || grp.children.size() != 1) continue;
    int child = grp.children[0];
    auto& c = b.out.groups[child];
    c.name = grp.name + "/" + c.name;
    c.parent = grp.parent;
    auto& siblings = b.out.groups[grp.parent].children;
    std::replace(siblings.begin(), siblings.end(), static_cast<int>(g), child);
    grp.children.clear();
    grp.parent = -2;  // dropped below
  }
  // Drop folded groups, renumbering the rest.
  {
    std::vector<int> remap(b.out.groups.size(), -1);
    std::vector<LayoutGroup> kept;
    for (size_t g = 0; g < b.out.groups.size(); ++g) {
      if (b.out.groups[g].parent == -2) continue;
      remap[g] = static_cast<int>(kept.size());
      kept.push_back(std::move(b.out.groups[g]));
    }
    for (auto& grp : kept) {
      if (grp.parent >= 0) grp.parent = remap[grp.parent];
      for (int& c : grp.children) c = remap[c];
    }
    b.out.groups = std::move(kept);
    b.out.byPath.clear();
    for (size_t g = 0; g < b.out.groups.size(); ++g) b.out.byPath[b.out.groups[g].path] = static_cast<int>(g);
  }

  b.computeFirst(0);
  // Split from the top down; split() recurses into the runs it makes. The group list grows
  // while we walk it, so iterate by index over the groups that existed before.
  size_t before = b.out.groups.size();
  for (size_t g = 0; g < before; ++g) b.split(static_cast<int>(g));

  // Depth and groupOf from the final tree.
  std::vector<int> stack{0};
  b.out.groups[0].depth = 0;
  while (!stack.empty()) {
    int g = stack.back();
    stack.pop_back();
    for (int nidx : b.out.groups[g].nodes) b.out.groupOf[nidx] = g;
    for (int c : b.out.groups[g].children) {
      b.out.groups[c].depth = b.out.groups[g].depth + 1;
      stack.push_back(c);
    }
  }
  b.computeFirst(0);
  return std::move(b.out);
}

}  // namespace graft
