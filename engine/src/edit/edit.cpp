// Hand edits (graft/edit.h): each runs inside recordChange's journal, so a refusal found midway
// or by the check afterwards undoes to the exact model it started from.
#include "graft/edit.h"

#include <onnx/defs/schema.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "graft/eval.h"

namespace graft {

namespace {

Status refuse(std::string message) { return {ErrorCode::InvalidArgument, std::move(message)}; }

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

bool parseInt(const std::string& text, std::int64_t& out) {
  std::string t = trim(text);
  if (t.empty()) return false;
  const char* b = t.data();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, t.data() + t.size(), out);
  return ec == std::errc() && p == t.data() + t.size();
}

bool parseFloat(const std::string& text, float& out) {
  std::string t = trim(text);
  if (t.empty()) return false;
  const char* b = t.data();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, t.data() + t.size(), out);
  return ec == std::errc() && p == t.data() + t.size();
}

std::string formatFloat(float f) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, f);
  return ec == std::errc() ? std::string(buf, p) : std::string("nan");
}

std::vector<std::string> splitList(std::string text) {
  text = trim(text);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  std::vector<std::string> out;
  if (trim(text).empty()) return out;
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    out.push_back(trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string nodeRef(const Node& n) {
  return n.name().empty() ? n.opType() + " #" + std::to_string(n.id()) : quoted(n.name()) + " (" + n.opType() + ")";
}

Result<Node*> needNode(Model& model, const std::string& name) {
  if (name.empty()) return Status(ErrorCode::InvalidArgument, "no node named: the node name is empty");
  Node* n = model.graph().findNodeByName(name);
  if (!n) return Status(ErrorCode::NotFound, "the model has no node named " + quoted(name));
  return n;
}

Result<Value*> needValue(Model& model, const std::string& name) {
  Value* v = name.empty() ? nullptr : model.graph().findValue(name);
  if (!v) return Status(ErrorCode::NotFound, "the model has no value named " + quoted(name));
  return v;
}

bool nameTakenAnywhere(const Model& model, const std::string& name, bool node) {
  bool taken = false;
  model.forEachGraph([&](const Graph& g) {
    if (taken) return;
    taken = node ? g.findNodeByName(name) != nullptr : g.findValue(name) != nullptr;
  });
  return taken;
}

const onnx::OpSchema* schemaOf(const Model& model, const std::string& opType, const std::string& domain) {
  std::string d = domain == "ai.onnx" ? std::string() : domain;
  auto version = model.opsetVersion(d);
  if (version < 0 && !d.empty()) version = 1;
  if (version < 0) return nullptr;
  return onnx::OpSchemaRegistry::Schema(opType, static_cast<int>(version), d);
}

// Every output of the node is unused and not a graph output: nothing reads it.
bool isDead(const Node& n) {
  if (n.outputs().empty()) return false;
  for (Value* v : n.outputs())
    if (v && (!v->uses().empty() || v->isGraphOutput())) return false;
  return true;
}

bool isAlive(const Graph& g, const Value* v) { return v && g.findValue(v->name()) == v; }

// Drops values that only a removed node produced but a value_info still declared.
void dropOrphan(Graph& g, Value* v) {
  if (isAlive(g, v) && !v->producer() && v->uses().empty() && !v->isInitializer() && !v->isGraphInput() &&
      !v->isGraphOutput())
    (void)g.removeValue(v);
}

// Removes what no longer feeds anything, walking upstream from `seeds`: nodes whose outputs are
// all unused, then initializers nobody reads. Graph inputs stay (they are the model's interface).
void removeDead(Graph& g, std::vector<Value*> seeds, std::vector<std::string>& removedNames) {
  std::unordered_set<const Node*> gone;
  while (!seeds.empty()) {
    Value* v = seeds.back();
    seeds.pop_back();
    if (!isAlive(g, v)) continue;
    Node* p = v->producer();
    if (p && &p->graph() == &g && !gone.count(p) && isDead(*p)) {
      std::vector<Value*> outs = p->outputs();
      for (Value* in : p->inputs())
        if (in && &in->graph() == &g) seeds.push_back(in);
      removedNames.push_back(p->name().empty() ? p->opType() : p->name());
      gone.insert(p);
      g.eraseNode(p);
      for (Value* o : outs)
        if (o) dropOrphan(g, o);
      continue;
    }
    if (v->isInitializer() && v->uses().empty() && !v->isGraphInput() && !v->isGraphOutput()) {
      (void)g.removeInitializer(v);
      (void)g.removeValue(v);
    }
  }
}

std::string listNames(const std::vector<std::string>& names, size_t max = 8) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < max; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > max) s += ", ... (" + std::to_string(names.size()) + " in all)";
  return s;
}

onnx::TypeProto typeOfInitializer(const Tensor& t) {
  onnx::TypeProto type;
  auto* tt = type.mutable_tensor_type();
  tt->set_elem_type(t.dataType());
  auto* shape = tt->mutable_shape();
  for (auto d : t.proto().dims()) shape->add_dim()->set_dim_value(d);
  return type;
}

void setDim(onnx::TensorShapeProto_Dimension& d, const DimSpec& spec) {
  std::string denotation = d.denotation();
  d.Clear();
  if (spec.value) d.set_dim_value(*spec.value);
  else if (!spec.param.empty()) d.set_dim_param(spec.param);
  if (!denotation.empty()) d.set_denotation(denotation);
}

// The checker and inference on the touched nodes alone: a small model whose inputs are what
// flows into them, typed by declarations or by `types`. Small constants come along so shape
// computations (Reshape's target) are checked too.
std::vector<Diagnostic> localProblems(const Model& model, const std::vector<Node*>& touched,
                                      const InferenceResult* types) {
  onnx::ModelProto mini = model.shell();
  auto* g = mini.mutable_graph();
  g->set_name("local-check");
  std::unordered_set<const Value*> produced, added;
  for (Node* n : touched)
    for (Value* o : n->outputs())
      if (o) produced.insert(o);
  for (Node* n : touched) {
    for (Value* v : n->inputs()) {
      if (!v || produced.count(v) || !added.insert(v).second) continue;
      const Tensor* init = v->initializer();
      if (init && !init->isExternal() && init->storedBytes() <= 4096) {
        *g->add_initializer() = init->proto();
        continue;
      }
      auto* vi = g->add_input();
      vi->set_name(v->name());
      if (v->declaredType()) {
        *vi->mutable_type() = *v->declaredType();
      } else if (types && types->types.count(v->name())) {
        *vi->mutable_type() = types->types.at(v->name());
      } else if (init) {
        *vi->mutable_type() = typeOfInitializer(*init);
      }
    }
  }
  std::set<std::string> names;
  for (Node* n : touched) {
    auto* np = g->add_node();
    *np = n->proto();
    for (Value* v : n->inputs()) np->add_input(v ? v->name() : std::string());
    for (Value* v : n->outputs()) np->add_output(v ? v->name() : std::string());
    for (Value* v : n->outputs())
      if (v) {
        auto* vi = g->add_output();
        vi->set_name(v->name());
        if (v->declaredType()) *vi->mutable_type() = *v->declaredType();
      }
  }
  std::vector<Diagnostic> out;
  auto local = Model::fromProto(std::move(mini));
  if (!local) {
    out.push_back({Diagnostic::Severity::Error, "", "", local.message()});
    return out;
  }
  auto v = validateModel(**local);
  for (auto& d : v.problems)
    if (d.severity == Diagnostic::Severity::Error && !d.node.empty()) {
      d.message = "the onnx checker rejects the result at " + d.node + ": " + d.message;
      out.push_back(std::move(d));
    }
  auto inf = inferShapes(**local);
  if (inf)
    for (auto& p : inf->problems)
      if (p.severity == Diagnostic::Severity::Error && p.message.find("not registered") == std::string::npos &&
          p.message.find("No Op registered") == std::string::npos) {
        p.message = "shape inference fails on the result at " + p.node + ": " + p.message;
        out.push_back(std::move(p));
      }
  return out;
}

// What onnx 1.12's inference lets pass after a dim change: a Reshape whose input no longer has
// as many elements as its (fixed) target shape, e.g. [batch,3,4] -> [2,12] once batch is 3.
std::vector<Diagnostic> shapesThatNoLongerFit(const Model& model, const InferenceResult& inferred) {
  std::vector<Diagnostic> out;
  auto count = [&](const Value* v) -> std::optional<std::int64_t> {
    if (!v) return std::nullopt;
    auto it = inferred.types.find(v->name());
    if (it == inferred.types.end()) return std::nullopt;
    auto shape = staticShape(it->second);
    if (!shape) return std::nullopt;
    std::int64_t n = 1;
    for (auto d : *shape) n *= d;
    return n;
  };
  model.graph().forEachNode([&](const Node& n) {
    if (n.opType() != "Reshape" || !(n.domain().empty() || n.domain() == "ai.onnx")) return;
    auto in = count(n.input(0)), res = count(n.output(0));
    if (in && res && *in != *res)
      out.push_back({Diagnostic::Severity::Error, n.name(), n.opType(),
                     "Reshape " + quoted(n.name()) + " no longer fits: its input " +
                         formatType(inferred.types.at(n.input(0)->name())) + " has " + std::to_string(*in) +
                         " elements, its target shape " + formatType(inferred.types.at(n.output(0)->name())) +
                         " holds " + std::to_string(*res)});
  });
  return out;
}

bool onlyNames(Edit::Kind k) {
  using K = Edit::Kind;
  return k == K::RenameNode || k == K::RenameValue || k == K::SetDocString || k == K::SetMetadata ||
         k == K::RemoveMetadata || k == K::ReplaceInitializer;
}

Result<onnx::AttributeProto> attributeFor(const Model& model, const std::string& opType, const std::string& domain,
                                          const onnx::AttributeProto* existing, const std::string& name,
                                          const std::string& text) {
  using AP = onnx::AttributeProto;
  AP::AttributeType type = AP::UNDEFINED;
  const onnx::OpSchema* schema = schemaOf(model, opType, domain);
  if (schema) {
    auto it = schema->attributes().find(name);
    if (it == schema->attributes().end()) {
      std::vector<std::string> known;
      for (const auto& [n, a] : schema->attributes()) known.push_back(n);
      return Status(ErrorCode::InvalidArgument,
                    opType + " has no attribute " + quoted(name) +
                        (known.empty() ? std::string(" (it takes none)") : " (its attributes: " + listNames(known, 40) + ")"));
    }
    type = it->second.type;
  } else if (existing) {
    type = existing->type();
  } else {
    return Status(ErrorCode::InvalidArgument, "there is no schema for " + opType +
                                                  (domain.empty() ? std::string() : " in domain " + quoted(domain)) +
                                                  " to say what type attribute " + quoted(name) + " has");
  }
  AP attr;
  attr.set_name(name);
  attr.set_type(type);
  auto bad = [&](const std::string& what) {
    return Status(ErrorCode::InvalidArgument, "attribute " + quoted(name) + " of " + opType + " is " + what + "; " +
                                                  quoted(text) + " is not one");
  };
  switch (type) {
    case AP::INT: {
      std::int64_t v;
      if (!parseInt(text, v)) return bad("an integer");
      attr.set_i(v);
      break;
    }
    case AP::FLOAT: {
      float v;
      if (!parseFloat(text, v)) return bad("a number");
      attr.set_f(v);
      break;
    }
    case AP::STRING: {
      std::string s = text;
      if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
      attr.set_s(s);
      break;
    }
    case AP::INTS:
      for (const auto& item : splitList(text)) {
        std::int64_t v;
        if (!parseInt(item, v)) return bad("a list of integers (like 1,2,3)");
        attr.add_ints(v);
      }
      break;
    case AP::FLOATS:
      for (const auto& item : splitList(text)) {
        float v;
        if (!parseFloat(item, v)) return bad("a list of numbers (like 0.5,1)");
        attr.add_floats(v);
      }
      break;
    case AP::STRINGS:
      for (const auto& item : splitList(text)) attr.add_strings(item);
      break;
    default:
      return Status(ErrorCode::Unsupported, "attribute " + quoted(name) + " of " + opType + " holds a " +
                                                AP::AttributeType_Name(type) +
                                                ", which cannot be written as text (integers, numbers, strings and "
                                                "lists of them can)");
  }
  return attr;
}

// The edit itself, inside the journal. `notes` collects what the user should hear besides.
Status perform(Model& model, const Edit& e, std::vector<std::string>& notes, const EditOptions& options,
               std::vector<Value*>& checkReaders) {
  using K = Edit::Kind;
  Graph& g = model.graph();
  switch (e.kind) {
    case K::DeleteNode: {
      auto n = needNode(model, e.node);
      if (!n) return n.status();
      Node* node = *n;
      std::vector<std::string> removed;
      if (e.deleteMode == Edit::DeleteMode::Bypass) {
        Value* in = node->input(0);
        Value* out = node->output(0);
        if (!in || !out)
          return refuse("cannot bypass " + nodeRef(*node) + ": it needs a first input and a first output to connect; "
                        "delete its downstream cone instead");
        for (size_t i = 1; i < node->outputs().size(); ++i) {
          Value* o = node->output(i);
          if (o && (!o->uses().empty() || o->isGraphOutput()))
            return refuse("cannot bypass " + nodeRef(*node) + ": its output #" + std::to_string(i) + " " +
                          quoted(o->name()) + " is used too, and a bypass only reconnects the first one; delete its "
                          "downstream cone instead");
        }
        const bool wasOutput = out->isGraphOutput();
        if (wasOutput && in->isGraphOutput())
          return refuse("cannot bypass " + nodeRef(*node) + ": both its input " + quoted(in->name()) + " and its output " +
                        quoted(out->name()) + " are graph outputs");
        const std::string outName = out->name();
        std::vector<Value*> seeds;
        for (Value* v : node->inputs())
          if (v) seeds.push_back(v);
        checkReaders.push_back(in);
        g.replaceAllUses(out, in);
        removed.push_back(node->name().empty() ? node->opType() : node->name());
        std::vector<Value*> outs = node->outputs();
        g.eraseNode(node);
        for (Value* o : outs)
          if (o) dropOrphan(g, o);
        // The graph output keeps its name when the value taking its place is the model's own.
        if (wasOutput && !in->isGraphInput() && !in->isInitializer() && !isAlive(g, out)) {
          if (auto st = g.renameValue(in, outName); !st) return st;
        }
        removeDead(g, seeds, removed);
      } else {
        // The cone: the node and every node reading from it, in this graph (a reader inside a
        // subgraph stands for the node owning that subgraph).
        std::unordered_set<Node*> cone{node};
        std::vector<Node*> work{node};
        while (!work.empty()) {
          Node* cur = work.back();
          work.pop_back();
          for (Value* o : cur->outputs()) {
            if (!o) continue;
            for (const Use& u : o->uses()) {
              Node* r = u.node;
              while (r && &r->graph() != &g) r = r->graph().parentNode();
              if (r && cone.insert(r).second) work.push_back(r);
            }
          }
        }
        std::vector<Value*> keep;
        std::vector<std::string> lostOutputs;
        for (Value* o : g.outputs()) {
          if (o->producer() && cone.count(o->producer())) lostOutputs.push_back(o->name());
          else keep.push_back(o);
        }
        if (keep.empty())
          return refuse("cannot delete the cone of " + nodeRef(*node) + ": every graph output (" + listNames(lostOutputs) +
                        ") depends on it, and a model needs at least one output");
        if (!lostOutputs.empty()) {
          if (auto st = g.setOutputs(keep); !st) return st;
          notes.push_back("graph outputs removed with it: " + listNames(lostOutputs));
        }
        std::vector<Node*> ordered;
        g.forEachNode([&](const Node& x) {
          if (cone.count(const_cast<Node*>(&x))) ordered.push_back(const_cast<Node*>(&x));
        });
        std::vector<Value*> seeds;
        for (Node* x : ordered)
          for (Value* v : x->inputs())
            if (v && !(v->producer() && cone.count(v->producer()))) seeds.push_back(v);
        std::vector<Value*> outs;
        for (auto it = ordered.rbegin(); it != ordered.rend(); ++it) {
          removed.push_back((*it)->name().empty() ? (*it)->opType() : (*it)->name());
          for (Value* o : (*it)->outputs())
            if (o) outs.push_back(o);
          g.eraseNode(*it);
        }
        for (Value* o : outs) dropOrphan(g, o);
        removeDead(g, seeds, removed);
      }
      if (removed.size() > 1) notes.push_back("removed " + std::to_string(removed.size()) + " nodes: " + listNames(removed));
      return Status::ok();
    }
    case K::RenameNode: {
      auto n = needNode(model, e.node);
      if (!n) return n.status();
      if (e.newName.empty()) return refuse("a node's new name cannot be empty");
      if (e.newName == e.node) return Status::ok();
      if (nameTakenAnywhere(model, e.newName, true))
        return refuse("cannot rename node " + quoted(e.node) + " to " + quoted(e.newName) +
                      ": a node of that name exists already (node names stay unique)");
      return g.setNodeName(*n, e.newName);
    }
    case K::RenameValue: {
      auto v = needValue(model, e.value);
      if (!v) return v.status();
      if (e.newName.empty()) return refuse("a value's new name cannot be empty");
      if (e.newName == e.value) return Status::ok();
      if (nameTakenAnywhere(model, e.newName, false))
        return refuse("cannot rename value " + quoted(e.value) + " to " + quoted(e.newName) +
                      ": a value of that name exists already (value names stay unique)");
      return g.renameValue(*v, e.newName);
    }
    case K::SetAttribute: {
      auto n = needNode(model, e.node);
      if (!n) return n.status();
      auto attr = attributeFromText(**n, e.attribute, e.text);
      if (!attr) return attr.status();
      for (const auto& sg : (*n)->subgraphs())
        if (sg.attribute == e.attribute) return refuse("attribute " + quoted(e.attribute) + " holds a subgraph");
      return g.setAttribute(*n, std::move(*attr));
    }
    case K::RemoveAttribute: {
      auto n = needNode(model, e.node);
      if (!n) return n.status();
      if (const auto* schema = schemaOf(model, (*n)->opType(), (*n)->domain())) {
        auto it = schema->attributes().find(e.attribute);
        if (it != schema->attributes().end() && it->second.required)
          return refuse("cannot remove attribute " + quoted(e.attribute) + " of " + nodeRef(**n) + ": " +
                        (*n)->opType() + " requires it");
      }
      return g.removeAttribute(*n, e.attribute);
    }
    case K::AddNode: {
      const std::string domain = e.domain == "ai.onnx" ? std::string() : e.domain;
      const onnx::OpSchema* schema = schemaOf(model, e.opType, domain);
      if (!schema)
        return refuse("there is no op " + quoted(e.opType) + (domain.empty() ? "" : " in domain " + quoted(domain)) +
                      " at the model's opset " + std::to_string(model.opsetVersion(domain)) +
                      " (the catalogue lists those there are)");
      if (schema->Deprecated()) return refuse(e.opType + " is deprecated at the model's opset");
      const int inCount = static_cast<int>(e.inputs.size());
      if (inCount < schema->min_input() || inCount > schema->max_input())
        return refuse(e.opType + " takes " +
                      (schema->min_input() == schema->max_input()
                           ? std::to_string(schema->min_input())
                           : std::to_string(schema->min_input()) + " to " +
                                 (schema->max_input() == std::numeric_limits<int>::max()
                                      ? std::string("any number of")
                                      : std::to_string(schema->max_input()))) +
                      " inputs, not " + std::to_string(inCount));
      std::vector<Value*> inputs;
      for (const auto& name : e.inputs) {
        if (name.empty()) {
          inputs.push_back(nullptr);
          continue;
        }
        Value* v = g.findValue(name);
        if (!v) return refuse("cannot add " + e.opType + ": its input " + quoted(name) + " is not a value of the model");
        inputs.push_back(v);
      }
      std::string name = e.newName;
      if (name.empty()) {
        name = e.opType;
        for (int i = 1; nameTakenAnywhere(model, name, true); ++i) name = e.opType + "_" + std::to_string(i);
      } else if (nameTakenAnywhere(model, name, true)) {
        return refuse("cannot add " + e.opType + " named " + quoted(name) + ": a node of that name exists already");
      }
      std::vector<std::string> outputs = e.outputs;
      if (outputs.empty()) {
        int count = 0;
        for (const auto& f : schema->outputs())
          if (f.GetOption() != onnx::OpSchema::Optional) ++count;
        outputs.resize(static_cast<size_t>(std::max(count, std::max(schema->min_output(), 1))));
      }
      for (size_t i = 0; i < outputs.size(); ++i) {
        if (!outputs[i].empty()) {
          if (nameTakenAnywhere(model, outputs[i], false))
            return refuse("cannot add " + e.opType + ": its output name " + quoted(outputs[i]) + " is taken");
          continue;
        }
        std::string base = name + "_output_" + std::to_string(i);
        outputs[i] = base;
        for (int k = 1; nameTakenAnywhere(model, outputs[i], false); ++k) outputs[i] = base + "_" + std::to_string(k);
      }
      if (static_cast<int>(outputs.size()) > schema->max_output())
        return refuse(e.opType + " has at most " + std::to_string(schema->max_output()) + " outputs");
      Graph::NewNode spec;
      spec.opType = e.opType;
      spec.domain = domain;
      spec.name = name;
      spec.inputs = inputs;
      spec.outputNames = outputs;
      for (const auto& [an, at] : e.attributes) {
        auto attr = attributeFor(model, e.opType, domain, nullptr, an, at);
        if (!attr) return attr.status();
        spec.attributes.push_back(std::move(*attr));
      }
      if (!domain.empty() && model.opsetVersion(domain) < 0) model.setOpsetImport(domain, 1);
      auto node = g.addNode(std::move(spec));
      if (!node) return node.status();
      return Status::ok();
    }
    case K::SetInputType:
    case K::SetInputDim: {
      auto v = needValue(model, e.value);
      if (!v) return v.status();
      if (!(*v)->isGraphInput())
        return refuse(quoted(e.value) + " is not a graph input (only inputs have a type of their own to change)");
      onnx::TypeProto type;
      if ((*v)->declaredType()) type = *(*v)->declaredType();
      if (type.value_case() != onnx::TypeProto::kTensorType && type.value_case() != onnx::TypeProto::VALUE_NOT_SET)
        return refuse("graph input " + quoted(e.value) + " is not a tensor");
      auto* tt = type.mutable_tensor_type();
      if (e.kind == K::SetInputType) {
        if (e.dtype) tt->set_elem_type(e.dtype);
        if (e.shape) {
          tt->clear_shape();
          auto* shape = tt->mutable_shape();
          for (const auto& d : *e.shape) setDim(*shape->add_dim(), d);
        }
      } else {
        int rank = tt->has_shape() ? tt->shape().dim_size() : -1;
        int axis = e.axis < 0 ? e.axis + std::max(rank, 0) : e.axis;
        if (rank < 0) return refuse("graph input " + quoted(e.value) + " has no shape to change a dim of; set its whole shape");
        if (axis < 0 || axis >= rank)
          return refuse("graph input " + quoted(e.value) + " has rank " + std::to_string(rank) + "; it has no axis " +
                        std::to_string(e.axis));
        setDim(*tt->mutable_shape()->mutable_dim(axis), e.dim);
      }
      if (auto st = g.setDeclaredType(*v, type); !st) return st;
      checkReaders.push_back(*v);
      return Status::ok();
    }
    case K::SetDim: {
      if (e.param.empty()) return refuse("name the symbolic dim to set (like batch=1)");
      size_t changed = 0;
      std::set<std::string> known;
      std::vector<Graph*> graphs;
      model.forEachGraph([&](Graph& gr) { graphs.push_back(&gr); });
      for (Graph* gr : graphs) {
        auto fix = [&](onnx::TypeProto& t) {
          bool hit = false;
          if (!t.has_tensor_type() || !t.tensor_type().has_shape()) return false;
          for (auto& d : *t.mutable_tensor_type()->mutable_shape()->mutable_dim()) {
            if (d.has_dim_param()) known.insert(d.dim_param());
            if (d.has_dim_param() && d.dim_param() == e.param) {
              setDim(d, e.dim);
              hit = true;
            }
          }
          return hit;
        };
        for (Value* v : gr->values()) {
          if (!v->declaredType()) continue;
          onnx::TypeProto t = *v->declaredType();
          if (fix(t)) {
            if (auto st = gr->setDeclaredType(v, t); !st) return st;
            ++changed;
            if (v->isGraphInput()) checkReaders.push_back(v);
          }
        }
        for (size_t i = 0; i < gr->outputs().size(); ++i) {
          if (i >= gr->outputInfo().size() || !gr->outputInfo()[i].has_type()) continue;
          onnx::TypeProto t = gr->outputInfo()[i].type();
          if (fix(t)) {
            if (auto st = gr->setOutputType(i, t); !st) return st;
            ++changed;
          }
        }
      }
      if (!changed) {
        std::vector<std::string> names(known.begin(), known.end());
        return Status(ErrorCode::NotFound, "no declared dim is named " + quoted(e.param) +
                                               (names.empty() ? std::string(" (the model declares no symbolic dims)")
                                                              : " (the model's symbolic dims: " + listNames(names, 20) + ")"));
      }
      notes.push_back(e.param + " set in " + std::to_string(changed) + " declared types");
      return Status::ok();
    }
    case K::AddOutput: {
      auto v = needValue(model, e.value);
      if (!v) return v.status();
      if ((*v)->isGraphOutput()) return refuse(quoted(e.value) + " is a graph output already");
      std::optional<onnx::TypeProto> type;
      if ((*v)->declaredType()) type = *(*v)->declaredType();
      else if ((*v)->isInitializer()) type = typeOfInitializer(*(*v)->initializer());
      else if (options.types && options.types->types.count(e.value)) type = options.types->types.at(e.value);
      if (!type) {
        auto inf = inferShapes(model);
        if (inf && inf->types.count(e.value)) type = inf->types.at(e.value);
      }
      if (!type)
        return refuse("cannot make " + quoted(e.value) + " a graph output: shape inference does not know its type, and "
                      "a graph output must declare one");
      if (type->has_tensor_type() && !type->tensor_type().has_shape()) {
        // The checker wants a shape on graph outputs; inference lost the rank (dynamic reshapes),
        // so one run on seeded inputs tells it, and every dim stays unknown.
        EvalOptions eo;
        eo.extraOutputs = {e.value};
        auto x = randomInputs(model, 0);
        auto y = x ? evaluate(model, *x, eo) : Result<NamedArrays>(x.status());
        if (!y || !y->count(e.value))
          return refuse("cannot make " + quoted(e.value) + " a graph output: shape inference does not know its rank, "
                        "and the evaluator could not run the model to find it (" + (y ? std::string("no value") : y.message()) + ")");
        auto* shape = type->mutable_tensor_type()->mutable_shape();
        for (size_t i = 0; i < y->at(e.value).shape().size(); ++i) shape->add_dim();
      }
      if (auto st = g.addOutput(*v); !st) return st;
      return g.setOutputType(g.outputs().size() - 1, *type);
    }
    case K::RemoveOutput: {
      auto v = needValue(model, e.value);
      if (!v) return v.status();
      if (!(*v)->isGraphOutput()) return refuse(quoted(e.value) + " is not a graph output");
      std::vector<Value*> keep;
      for (Value* o : g.outputs())
        if (o != *v) keep.push_back(o);
      if (keep.empty()) return refuse("cannot remove " + quoted(e.value) + ": it is the model's only output");
      if (auto st = g.setOutputs(keep); !st) return st;
      std::vector<std::string> removed;
      removeDead(g, {*v}, removed);
      if (!removed.empty())
        notes.push_back("removed " + std::to_string(removed.size()) + " nodes that only fed it: " + listNames(removed));
      return Status::ok();
    }
    case K::ReplaceInitializer: {
      auto v = needValue(model, e.value);
      if (!v) return v.status();
      if (!(*v)->isInitializer()) return refuse(quoted(e.value) + " is not an initializer");
      if (!e.tensor) return refuse("no data given for initializer " + quoted(e.value));
      const Tensor& old = *(*v)->initializer();
      std::vector<std::int64_t> dims(e.tensor->dims().begin(), e.tensor->dims().end());
      if (old.dataType() != e.tensor->data_type() || old.dims() != dims)
        return refuse("initializer " + quoted(e.value) + " is " + formatType(typeOfInitializer(old)) +
                      "; the new data is " + formatType(typeOfInitializer(Tensor(*e.tensor))) +
                      " (dtype and shape must stay the same)");
      return g.setInitializerTensor(*v, *e.tensor);
    }
    case K::SetDocString: {
      if (e.node.empty()) {
        model.updateShell([&](onnx::ModelProto& m) { m.set_doc_string(e.text); });
        return Status::ok();
      }
      auto n = needNode(model, e.node);
      if (!n) return n.status();
      return g.setDocString(*n, e.text);
    }
    case K::SetMetadata:
    case K::RemoveMetadata: {
      if (e.attribute.empty()) return refuse("a metadata key cannot be empty");
      bool found = false;
      for (const auto& p : model.shell().metadata_props()) found = found || p.key() == e.attribute;
      if (e.kind == K::RemoveMetadata && !found) return Status(ErrorCode::NotFound, "the model has no metadata key " + quoted(e.attribute));
      model.updateShell([&](onnx::ModelProto& m) {
        auto* props = m.mutable_metadata_props();
        for (int i = 0; i < props->size(); ++i)
          if (props->Get(i).key() == e.attribute) {
            if (e.kind == K::RemoveMetadata) props->DeleteSubrange(i, 1);
            else props->Mutable(i)->set_value(e.text);
            return;
          }
        auto* p = props->Add();
        p->set_key(e.attribute);
        p->set_value(e.text);
      });
      return Status::ok();
    }
  }
  return refuse("unknown edit");
}

}  // namespace

// ----------------------------------------------------------------------------- shapes, names

Result<std::vector<DimSpec>> parseShape(const std::string& text) {
  std::vector<DimSpec> dims;
  std::string t = trim(text);
  if (t.size() >= 2 && t.front() == '[' && t.back() == ']') t = trim(t.substr(1, t.size() - 2));
  if (t.empty() || t == "scalar") return dims;
  // Commas when given (a symbol may contain an 'x', like "max_len"), else 'x' as in 1x3x224x224.
  const char sepChar = t.find(',') != std::string::npos ? ',' : 'x';
  size_t start = 0;
  for (;;) {
    size_t sep = t.find(sepChar, start);
    std::string part = trim(t.substr(start, sep == std::string::npos ? std::string::npos : sep - start));
    if (part.empty()) return Status(ErrorCode::InvalidArgument, "shape " + quoted(text) + " has an empty dim");
    DimSpec d;
    std::int64_t v;
    if (part == "?") {
    } else if (parseInt(part, v)) {
      if (v < 0) return Status(ErrorCode::InvalidArgument, "shape " + quoted(text) + " has a negative dim");
      d.value = v;
    } else {
      for (char c : part)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
          return Status(ErrorCode::InvalidArgument,
                        "shape " + quoted(text) + ": " + quoted(part) + " is neither a number, '?' nor a symbol name");
      d.param = part;
    }
    dims.push_back(d);
    if (sep == std::string::npos) break;
    start = sep + 1;
  }
  return dims;
}

std::string formatShape(const std::vector<DimSpec>& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += "x";
    s += shape[i].value ? std::to_string(*shape[i].value) : shape[i].param.empty() ? "?" : shape[i].param;
  }
  return s;
}

std::optional<std::int32_t> dataTypeFromName(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (n == "float") return onnx::TensorProto::FLOAT;
  if (n == "double") return onnx::TensorProto::DOUBLE;
  if (n == "half") return onnx::TensorProto::FLOAT16;
  for (std::int32_t t = 1; t <= 22; ++t) {
    std::string known = dataTypeName(t);
    std::string upper = onnx::TensorProto::DataType_IsValid(t)
                            ? onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(t))
                            : std::string();
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (n == known || (!upper.empty() && n == upper)) return t;
  }
  return std::nullopt;
}

// ----------------------------------------------------------------------------- Edit

Edit Edit::deleteNode(std::string node, DeleteMode mode) {
  Edit e;
  e.kind = Kind::DeleteNode;
  e.node = std::move(node);
  e.deleteMode = mode;
  return e;
}
Edit Edit::renameNode(std::string node, std::string newName) {
  Edit e;
  e.kind = Kind::RenameNode;
  e.node = std::move(node);
  e.newName = std::move(newName);
  return e;
}
Edit Edit::renameValue(std::string value, std::string newName) {
  Edit e;
  e.kind = Kind::RenameValue;
  e.value = std::move(value);
  e.newName = std::move(newName);
  return e;
}
Edit Edit::setAttribute(std::string node, std::string attribute, std::string text) {
  Edit e;
  e.kind = Kind::SetAttribute;
  e.node = std::move(node);
  e.attribute = std::move(attribute);
  e.text = std::move(text);
  return e;
}
Edit Edit::removeAttribute(std::string node, std::string attribute) {
  Edit e;
  e.kind = Kind::RemoveAttribute;
  e.node = std::move(node);
  e.attribute = std::move(attribute);
  return e;
}
Edit Edit::addNode(std::string opType, std::vector<std::string> inputs, std::string name) {
  Edit e;
  e.kind = Kind::AddNode;
  e.opType = std::move(opType);
  e.inputs = std::move(inputs);
  e.newName = std::move(name);
  return e;
}
Edit Edit::setInputType(std::string input, std::int32_t dtype, std::optional<std::vector<DimSpec>> shape) {
  Edit e;
  e.kind = Kind::SetInputType;
  e.value = std::move(input);
  e.dtype = dtype;
  e.shape = std::move(shape);
  return e;
}
Edit Edit::setDim(std::string param, DimSpec dim) {
  Edit e;
  e.kind = Kind::SetDim;
  e.param = std::move(param);
  e.dim = std::move(dim);
  return e;
}
Edit Edit::setInputDim(std::string input, int axis, DimSpec dim) {
  Edit e;
  e.kind = Kind::SetInputDim;
  e.value = std::move(input);
  e.axis = axis;
  e.dim = std::move(dim);
  return e;
}
Edit Edit::addOutput(std::string value) {
  Edit e;
  e.kind = Kind::AddOutput;
  e.value = std::move(value);
  return e;
}
Edit Edit::removeOutput(std::string value) {
  Edit e;
  e.kind = Kind::RemoveOutput;
  e.value = std::move(value);
  return e;
}
Edit Edit::replaceInitializer(std::string value, onnx::TensorProto tensor, std::string path) {
  Edit e;
  e.kind = Kind::ReplaceInitializer;
  e.value = std::move(value);
  e.tensor = std::move(tensor);
  e.path = std::move(path);
  return e;
}
Edit Edit::setDocString(std::string node, std::string text) {
  Edit e;
  e.kind = Kind::SetDocString;
  e.node = std::move(node);
  e.text = std::move(text);
  return e;
}
Edit Edit::setMetadata(std::string key, std::string text) {
  Edit e;
  e.kind = Kind::SetMetadata;
  e.attribute = std::move(key);
  e.text = std::move(text);
  return e;
}
Edit Edit::removeMetadata(std::string key) {
  Edit e;
  e.kind = Kind::RemoveMetadata;
  e.attribute = std::move(key);
  return e;
}

namespace {
const std::pair<Edit::Kind, const char*> kKindNames[] = {
    {Edit::Kind::DeleteNode, "delete-node"},
    {Edit::Kind::RenameNode, "rename-node"},
    {Edit::Kind::RenameValue, "rename-value"},
    {Edit::Kind::SetAttribute, "set-attribute"},
    {Edit::Kind::RemoveAttribute, "remove-attribute"},
    {Edit::Kind::AddNode, "add-node"},
    {Edit::Kind::SetInputType, "set-input-type"},
    {Edit::Kind::SetDim, "set-dim"},
    {Edit::Kind::SetInputDim, "set-input-dim"},
    {Edit::Kind::AddOutput, "add-output"},
    {Edit::Kind::RemoveOutput, "remove-output"},
    {Edit::Kind::ReplaceInitializer, "replace-initializer"},
    {Edit::Kind::SetDocString, "set-doc-string"},
    {Edit::Kind::SetMetadata, "set-metadata"},
    {Edit::Kind::RemoveMetadata, "remove-metadata"},
};
}  // namespace

const char* editKindName(Edit::Kind kind) {
  for (const auto& [k, n] : kKindNames)
    if (k == kind) return n;
  return "unknown";
}

std::optional<Edit::Kind> editKindFromName(const std::string& name) {
  for (const auto& [k, n] : kKindNames)
    if (name == n) return k;
  return std::nullopt;
}

std::string describeEdit(const Edit& e) {
  using K = Edit::Kind;
  auto dim = [](const DimSpec& d) { return d.value ? std::to_string(*d.value) : d.param.empty() ? "?" : d.param; };
  switch (e.kind) {
    case K::DeleteNode:
      return "delete node " + quoted(e.node) + (e.deleteMode == Edit::DeleteMode::Bypass ? " (bypass)" : " and its downstream cone");
    case K::RenameNode: return "rename node " + quoted(e.node) + " to " + quoted(e.newName);
    case K::RenameValue: return "rename value " + quoted(e.value) + " to " + quoted(e.newName);
    case K::SetAttribute: return "set " + quoted(e.node) + "." + e.attribute + " = " + e.text;
    case K::RemoveAttribute: return "remove attribute " + quoted(e.node) + "." + e.attribute;
    case K::AddNode: {
      std::string in;
      for (size_t i = 0; i < e.inputs.size(); ++i) in += (i ? ", " : "") + e.inputs[i];
      return "add " + e.opType + " node" + (e.newName.empty() ? "" : " " + quoted(e.newName)) + " reading " + in;
    }
    case K::SetInputType:
      return "set input " + quoted(e.value) + " to " + (e.dtype ? std::string(dataTypeName(e.dtype)) : std::string()) +
             (e.shape ? "[" + formatShape(*e.shape) + "]" : std::string());
    case K::SetDim: return "set dim " + e.param + " = " + dim(e.dim);
    case K::SetInputDim: return "set dim " + std::to_string(e.axis) + " of input " + quoted(e.value) + " to " + dim(e.dim);
    case K::AddOutput: return "add graph output " + quoted(e.value);
    case K::RemoveOutput: return "remove graph output " + quoted(e.value);
    case K::ReplaceInitializer:
      return "replace initializer " + quoted(e.value) + (e.path.empty() ? "" : " from " + e.path);
    case K::SetDocString: return e.node.empty() ? "set the model's doc string" : "set the doc string of " + quoted(e.node);
    case K::SetMetadata: return "set metadata " + quoted(e.attribute) + " = " + quoted(e.text);
    case K::RemoveMetadata: return "remove metadata " + quoted(e.attribute);
  }
  return "edit";
}

// ----------------------------------------------------------------------------- attributes

Result<onnx::AttributeProto> attributeFromText(const Node& node, const std::string& name, const std::string& text) {
  return attributeFor(node.graph().model(), node.opType(), node.domain(), node.attribute(name), name, text);
}

std::string attributeToText(const onnx::AttributeProto& a) {
  using AP = onnx::AttributeProto;
  std::string s;
  switch (a.type()) {
    case AP::INT: return std::to_string(a.i());
    case AP::FLOAT: return formatFloat(a.f());
    case AP::STRING: return a.s();
    case AP::INTS:
      for (int i = 0; i < a.ints_size(); ++i) s += (i ? "," : "") + std::to_string(a.ints(i));
      return s;
    case AP::FLOATS:
      for (int i = 0; i < a.floats_size(); ++i) s += (i ? "," : "") + formatFloat(a.floats(i));
      return s;
    case AP::STRINGS:
      for (int i = 0; i < a.strings_size(); ++i) s += (i ? "," : "") + a.strings(i);
      return s;
    case AP::TENSOR: return std::string("tensor ") + dataTypeName(a.t().data_type());
    case AP::GRAPH: return "graph";
    default: return AP::AttributeType_Name(a.type());
  }
}

std::vector<std::pair<std::string, std::string>> catalogueOps(const Model& model, const std::string& filter) {
  std::string f = filter;
  std::transform(f.begin(), f.end(), f.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::set<std::pair<std::string, std::string>> ops;
  for (const auto& s : onnx::OpSchemaRegistry::get_all_schemas()) {
    std::string domain = s.domain() == "ai.onnx" ? std::string() : s.domain();
    auto version = model.opsetVersion(domain);
    if (version < 0 || s.since_version() > version) continue;
    const auto* current = onnx::OpSchemaRegistry::Schema(s.Name(), static_cast<int>(version), domain);
    if (!current || current->Deprecated()) continue;
    if (!f.empty()) {
      std::string n = s.Name();
      std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (n.find(f) == std::string::npos) continue;
    }
    ops.insert({domain, s.Name()});
  }
  return {ops.begin(), ops.end()};
}

// ----------------------------------------------------------------------------- applying

Result<ChangeRecord> applyEdit(Model& model, const Edit& edit, const EditOptions& options) {
  std::vector<std::string> notes;
  std::vector<Value*> readers;
  auto rec = recordChange(model, [&](ChangeRecord& r) {
    r.rule = describeEdit(edit);
    r.applied = 1;
    return perform(model, edit, notes, options, readers);
  });
  const std::string what = describeEdit(edit);
  if (!rec) return Status(rec.status().code(), "cannot " + what + ": " + rec.message());
  rec->warnings = notes;
  if (options.check == EditOptions::Check::None || onlyNames(edit.kind)) return rec;

  std::vector<Diagnostic> problems;
  bool local = options.check == EditOptions::Check::Local;
  std::vector<Node*> touched;
  if (local) {
    Graph& g = model.graph();
    std::unordered_set<Node*> set;
    auto add = [&](Node* n) {
      if (!n) return;
      while (n && &n->graph() != &g) n = n->graph().parentNode();
      if (n && set.insert(n).second) touched.push_back(n);
    };
    auto addReaders = [&](Value* v) {
      if (v && isAlive(g, v))
        for (const Use& u : v->uses()) add(u.node);
    };
    std::vector<NodeId> ids = rec->addedIds;
    ids.insert(ids.end(), rec->changedIds.begin(), rec->changedIds.end());
    for (NodeId id : ids) {
      Node* n = g.findNode(id);
      if (!n) continue;
      add(n);
      for (Value* o : n->outputs()) addReaders(o);
    }
    for (Value* v : readers) addReaders(v);
    for (Node* n : touched)
      if (!n->subgraphs().empty()) local = false;  // bodies are not in the small model: check it all
    if (local) {
      // Stored order (a topological order in a valid model) for the small model's node list.
      std::unordered_map<Node*, size_t> pos;
      if (touched.size() > 1) {
        size_t i = 0;
        g.forEachNode([&](const Node& n) {
          if (set.count(const_cast<Node*>(&n))) pos[const_cast<Node*>(&n)] = i;
          ++i;
        });
        std::sort(touched.begin(), touched.end(), [&](Node* a, Node* b) { return pos[a] < pos[b]; });
      }
      if (!touched.empty()) problems = localProblems(model, touched, options.types);
    }
  }
  if (!local) {
    InferenceResult inferred;
    problems = structuralProblems(model, &inferred);
    if (problems.empty() && (edit.kind == Edit::Kind::SetDim || edit.kind == Edit::Kind::SetInputType ||
                             edit.kind == Edit::Kind::SetInputDim))
      problems = shapesThatNoLongerFit(model, inferred);
  }
  if (!problems.empty()) {
    (void)rec->undo(model);
    std::string msg = "cannot " + what + ": " + problems.front().message;
    if (problems.size() > 1) {
      msg += " (and " + std::to_string(problems.size() - 1) + " more:";
      for (size_t i = 1; i < problems.size() && i < 4; ++i) msg += " " + problems[i].message + ";";
      msg += problems.size() > 4 ? " ...)" : ")";
    }
    msg += "; the model is unchanged";
    return Status(ErrorCode::Invalid, msg);
  }
  return rec;
}

// ----------------------------------------------------------------------------- extract

Result<std::unique_ptr<Model>> extractModel(const Model& model, const std::vector<std::string>& inputs,
                                            const std::vector<std::string>& outputs) {
  const Graph& g = model.graph();
  if (outputs.empty()) return Status(ErrorCode::InvalidArgument, "name at least one output to extract");
  std::unordered_set<const Value*> stop;
  for (const auto& n : inputs) {
    Value* v = g.findValue(n);
    if (!v) return Status(ErrorCode::NotFound, "extract: the model has no value named " + quoted(n) + " (an input)");
    stop.insert(v);
  }
  std::unordered_set<const Node*> needed;
  std::set<std::string> missing;
  std::unordered_set<const Value*> usedInits, seen;
  std::vector<const Value*> work;
  for (const auto& n : outputs) {
    Value* v = g.findValue(n);
    if (!v) return Status(ErrorCode::NotFound, "extract: the model has no value named " + quoted(n) + " (an output)");
    work.push_back(v);
  }
  auto visitInputs = [&](const Node& node, auto& self) -> void {
    for (Value* in : node.inputs())
      if (in) work.push_back(in);
    // Values a subgraph reads from the outer scope are inputs of the node owning it.
    for (const auto& sg : node.subgraphs())
      sg.graph->forEachNode([&](const Node& inner) { self(inner, self); });
  };
  while (!work.empty()) {
    const Value* v = work.back();
    work.pop_back();
    if (!seen.insert(v).second || stop.count(v)) continue;
    if (&v->graph() != &g) continue;  // defined inside a subgraph
    if (v->isInitializer()) {
      usedInits.insert(v);
      continue;
    }
    Node* p = v->producer();
    if (!p) {
      missing.insert(v->name());
      continue;
    }
    if (needed.insert(p).second) visitInputs(*p, visitInputs);
  }
  if (!missing.empty())
    return Status(ErrorCode::InvalidArgument,
                  "extract: the outputs also depend on " + [&] {
                    std::vector<std::string> q;
                    for (const auto& n : missing) q.push_back(quoted(n));
                    return listNames(q);
                  }() +
                      ", which are not among the inputs; add them to the inputs");
  auto types = inferShapes(model);
  // External weights are copied in: the new model has no file of its own to point into yet.
  Model::ExportOptions inlined;
  inlined.onTensor = [](const Tensor& t, onnx::TensorProto& p) {
    if (!t.isExternal()) return;
    p.set_raw_data(std::string(t.rawBytes()));
    p.clear_external_data();
    p.clear_data_location();
  };
  onnx::ModelProto full = model.toProto(inlined);
  onnx::ModelProto out = model.shell();
  auto* og = out.mutable_graph();
  og->set_name(g.name().empty() ? "extracted" : g.name() + "_extracted");
  auto typed = [&](const std::string& name, onnx::ValueInfoProto& vi) {
    vi.set_name(name);
    Value* v = g.findValue(name);
    if (v && v->declaredType()) *vi.mutable_type() = *v->declaredType();
    else if (v && v->isInitializer()) *vi.mutable_type() = typeOfInitializer(*v->initializer());
    else if (types && types->types.count(name)) *vi.mutable_type() = types->types.at(name);
  };
  for (const auto& n : inputs) typed(n, *og->add_input());
  std::unordered_set<std::string> keepInit;
  for (const Value* v : usedInits) keepInit.insert(v->name());
  for (const auto& t : full.graph().initializer())
    if (keepInit.count(t.name())) *og->add_initializer() = t;
  size_t index = 0;
  std::vector<int> nodeIndexes;
  g.forEachNode([&](const Node& n) {
    if (needed.count(&n)) nodeIndexes.push_back(static_cast<int>(index));
    ++index;
  });
  for (int i : nodeIndexes) *og->add_node() = full.graph().node(i);
  for (const auto& n : outputs) {
    onnx::ValueInfoProto vi;
    typed(n, vi);
    *og->add_output() = vi;
  }
  for (const auto& vi : full.graph().value_info()) {
    Value* v = g.findValue(vi.name());
    if (v && v->producer() && needed.count(v->producer())) *og->add_value_info() = vi;
  }
  auto result = Model::fromProto(std::move(out));
  if (!result) return result;
  (*result)->setSource(model.sourcePath(), model.sourceDir());
  auto problems = structuralProblems(**result);
  if (!problems.empty()) return Status(ErrorCode::Invalid, "extract: " + problems.front().message);
  return result;
}

}  // namespace graft
