// Rule files: the outer syntax (rule blocks, keys, where/let) is read here; pattern and
// replacement bodies go to onnx::OnnxParser, whose (line, column) is mapped back to the file.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <onnx/defs/parser.h>
#include <onnx/defs/schema.h>

#include "graft/schema.h"
#include "pattern/text.h"
#include "rewrite/declared.h"

namespace graft {

namespace detail {

namespace {

bool isName(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' || c == ':')) return false;
  return true;
}

// Position of the first occurrence of `needle` in `body`, as a file position.
SourcePos posOf(const std::string& body, const SourcePos& bodyPos, const std::string& needle) {
  size_t at = needle.empty() ? std::string::npos : body.find(needle);
  if (at == std::string::npos) return bodyPos;
  SourcePos p = bodyPos;
  for (size_t i = 0; i < at; ++i) {
    if (body[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

}  // namespace

Result<PatternGraph> parsePatternBody(const std::string& signature, const SourcePos& sigPos, const std::string& body,
                                      const SourcePos& bodyPos) {
  PatternGraph g;
  g.pos = sigPos;
  g.text = body;
  // Signature: (a, b, c) => (y, z)
  static const std::regex sig(R"(^\s*\(([^()]*)\)\s*=>\s*\(([^()]*)\)\s*$)");
  std::smatch m;
  if (!std::regex_match(signature, m, sig))
    return text::Cursor::error(sigPos, "expected a signature '(inputs) => (outputs)' before the body, got '" +
                                           text::trim(signature) + "'");
  for (int part = 1; part <= 2; ++part)
    for (const auto& n : text::splitTopLevel(m[part].str())) {
      if (n.empty()) continue;
      if (!isName(n)) return text::Cursor::error(sigPos, "'" + n + "' is not a value name");
      (part == 1 ? g.inputs : g.outputs).push_back(n);
    }
  if (g.outputs.empty()) return text::Cursor::error(sigPos, "the signature names no outputs");
  onnx::NodeList nodes;
  onnx::OnnxParser parser(body.c_str());
  auto st = parser.Parse(nodes);
  if (!st.IsOK()) {
    std::string msg = st.ErrorMessage();
    static const std::regex where(R"(\(line: (\d+) column: (\d+)\))");
    SourcePos at = bodyPos;
    std::smatch w;
    if (std::regex_search(msg, w, where)) {
      int line = std::stoi(w[1].str()), col = std::stoi(w[2].str());
      at.line = bodyPos.line + line - 1;
      at.column = line == 1 ? bodyPos.column + col - 1 : col;
    }
    // The parser's last line is the reason; the rest is its own position and context.
    std::string reason = msg;
    if (auto nl = msg.rfind('\n'); nl != std::string::npos && nl + 1 < msg.size()) reason = msg.substr(nl + 1);
    return text::Cursor::error(at, "in ONNX text: " + text::trim(reason));
  }
  for (const auto& n : nodes) {
    g.nodes.push_back(n);
    g.nodePos.push_back(posOf(body, bodyPos, n.output_size() ? n.output(0) : n.op_type()));
  }
  if (g.nodes.empty()) return text::Cursor::error(bodyPos, "the body has no nodes");
  // Ops of the standard domain must exist (a typo would otherwise never match); Graft's schemas
  // of opsets 18-26 count (a rule may produce Gelu-20).
  schema::ensureRegistered();
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const auto& n = g.nodes[i];
    if ((n.domain().empty() || n.domain() == "ai.onnx") &&
        !onnx::OpSchemaRegistry::Schema(n.op_type(), 100000, ""))
      return text::Cursor::error(posOf(body, bodyPos, n.op_type()),
                                 "unknown operator '" + n.op_type() +
                                     "' in the ai.onnx domain (write domain.Op for others, e.g. com.microsoft.Gelu)");
  }
  return g;
}

Result<CompiledPattern> compilePattern(const PatternGraph& p, bool allowAttrRefs) {
  CompiledPattern c;
  std::map<std::string, std::pair<int, int>> producedBy;
  std::map<std::string, int> placeholders;
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    if (placeholders.count(p.inputs[i]))
      return text::Cursor::error(p.pos, "input '" + p.inputs[i] + "' is listed twice");
    placeholders[p.inputs[i]] = static_cast<int>(i);
  }
  for (size_t k = 0; k < p.nodes.size(); ++k) {
    const auto& n = p.nodes[k];
    for (int o = 0; o < n.output_size(); ++o) {
      const auto& name = n.output(o);
      if (name.empty()) continue;
      if (producedBy.count(name) || placeholders.count(name))
        return text::Cursor::error(p.nodePos[k], "value '" + name + "' is defined twice");
      producedBy[name] = {static_cast<int>(k), o};
    }
    if (!allowAttrRefs)
      for (const auto& a : n.attribute())
        if (!a.ref_attr_name().empty())
          return text::Cursor::error(p.nodePos[k], "attribute reference @" + a.ref_attr_name() +
                                                       " is only allowed in a replacement (use where/let to "
                                                       "constrain or read attributes of the pattern)");
  }
  c.inputs.resize(p.nodes.size());
  for (size_t k = 0; k < p.nodes.size(); ++k) {
    for (const auto& name : p.nodes[k].input()) {
      CompiledPattern::In in;
      if (name.empty()) {
        in.omitted = true;
      } else if (auto it = producedBy.find(name); it != producedBy.end()) {
        in.node = it->second.first;
        in.output = it->second.second;
      } else if (auto ph = placeholders.find(name); ph != placeholders.end()) {
        in.placeholder = ph->second;
      } else {
        return text::Cursor::error(p.nodePos[k], "'" + name + "' is neither an input of the signature nor the "
                                                 "output of a node here");
      }
      c.inputs[k].push_back(in);
    }
  }
  for (const auto& o : p.outputs) {
    auto it = producedBy.find(o);
    if (it == producedBy.end())
      return text::Cursor::error(p.pos, "output '" + o + "' is not produced by any node of the body");
    c.outputNode.push_back(it->second.first);
    c.outputIndex.push_back(it->second.second);
  }
  c.root = c.outputNode[0];
  // Visit order: from the outputs backwards, so each visited node's producers are bound by
  // walking its inputs. Nodes nothing reaches would never be checked: reject them.
  std::vector<bool> seen(p.nodes.size(), false);
  std::vector<int> stack;
  for (auto it = c.outputNode.rbegin(); it != c.outputNode.rend(); ++it) stack.push_back(*it);
  while (!stack.empty()) {
    int k = stack.back();
    stack.pop_back();
    if (seen[static_cast<size_t>(k)]) continue;
    seen[static_cast<size_t>(k)] = true;
    c.order.push_back(k);
    for (auto it = c.inputs[static_cast<size_t>(k)].rbegin(); it != c.inputs[static_cast<size_t>(k)].rend(); ++it)
      if (it->node >= 0 && !seen[static_cast<size_t>(it->node)]) stack.push_back(it->node);
  }
  for (size_t k = 0; k < p.nodes.size(); ++k)
    if (!seen[k])
      return text::Cursor::error(p.nodePos[k], "this " + p.nodes[k].op_type() +
                                                   " node does not lead to any output of the signature");
  return c;
}

}  // namespace detail

namespace {

Result<std::shared_ptr<const Rule>> parseOneRule(text::Cursor& cur) {
  RuleSpec spec;
  cur.skipSpace();
  spec.pos = cur.pos();
  std::string name = cur.word();
  if (name.empty()) return cur.error("expected a rule name after 'rule'");
  spec.name = name;
  if (!cur.consume("{")) return cur.error("expected '{' after 'rule " + name + "'");
  bool havePattern = false, haveReplace = false;
  std::set<std::string> keys;
  for (;;) {
    cur.skipSpace();
    if (cur.atEnd()) return cur.error(spec.pos, "rule '" + name + "' is never closed with '}'");
    if (cur.consume("}")) break;
    SourcePos at = cur.pos();
    std::string key = cur.word();
    if (key.empty()) return cur.error("expected a key (description, benefit, backends, opset, inverse, pattern, "
                                      "where, let, replace) or '}'");
    auto once = [&](const std::string& k) -> Status {
      if (!keys.insert(k).second) return cur.error(at, "'" + k + "' is given twice in rule '" + name + "'");
      return Status::ok();
    };
    if (key == "description" || key == "benefit" || key == "backends" || key == "opset" || key == "inverse") {
      if (auto st = once(key); !st) return st;
      cur.skipInlineSpace();
      if (!cur.consume(":")) return cur.error("expected ':' after '" + key + "'");
      SourcePos vpos = cur.pos();
      std::string v = cur.restOfLine();
      if (v.empty()) return cur.error(vpos, "'" + key + "' needs a value");
      if (key == "description") {
        if (v.size() < 2 || v.front() != '"' || v.back() != '"')
          return cur.error(vpos, "the description must be a \"quoted string\"");
        spec.description = v.substr(1, v.size() - 2);
      } else if (key == "benefit" || key == "opset") {
        try {
          size_t used = 0;
          long long n = std::stoll(v, &used);
          if (used != v.size() || n < 0) throw std::invalid_argument(v);
          if (key == "benefit")
            spec.benefit = static_cast<int>(n);
          else
            spec.minOpset = n;
        } catch (...) {
          return cur.error(vpos, "'" + key + "' must be a non-negative integer, got '" + v + "'");
        }
      } else if (key == "backends") {
        for (const auto& b : text::splitTopLevel(v))
          if (!b.empty()) spec.backends.push_back(b);
      } else {
        if (v != "yes" && v != "no") return cur.error(vpos, "'inverse' is yes or no, got '" + v + "'");
        spec.invertible = v == "yes";
      }
    } else if (key == "pattern" || key == "replace") {
      if (auto st = once(key); !st) return st;
      SourcePos sigPos = cur.pos();
      cur.skipInlineSpace();
      sigPos = cur.pos();
      std::string sig;
      while (!cur.atEnd() && cur.peek() != '{') {
        sig += cur.peek();
        cur.advance();
      }
      SourcePos bodyPos;
      auto body = cur.braced(&bodyPos);
      if (!body) return body.status();
      auto g = detail::parsePatternBody(sig, sigPos, *body, bodyPos);
      if (!g) return g.status();
      (key == "pattern" ? spec.pattern : spec.replacement) = std::move(*g);
      (key == "pattern" ? havePattern : haveReplace) = true;
    } else if (key == "where") {
      if (auto st = once(key); !st) return st;
      cur.skipSpace();
      if (!cur.consume("{")) return cur.error("expected '{' after 'where'");
      for (;;) {
        cur.skipSpace();
        if (cur.atEnd()) return cur.error(at, "this 'where' block is never closed with '}'");
        if (cur.consume("}")) break;
        SourcePos lpos = cur.pos();
        std::string line = cur.restOfLine();
        bool closes = !line.empty() && line.back() == '}';
        if (closes) line = text::trim(line.substr(0, line.size() - 1));
        if (!line.empty()) {
          auto c = text::parseCondition(line, lpos);
          if (!c) return cur.error(lpos, c.message());
          spec.conditions.push_back(std::move(*c));
        }
        if (closes) break;
      }
    } else if (key == "let") {
      SourcePos lpos = cur.pos();
      std::string line = cur.restOfLine();
      auto b = text::parseBinding(line, lpos);
      if (!b) return cur.error(lpos, b.message());
      spec.bindings.push_back(std::move(*b));
    } else {
      return cur.error(at, "unknown key '" + key + "' (expected description, benefit, backends, opset, inverse, "
                                                   "pattern, where, let, replace)");
    }
  }
  if (!havePattern) return cur.error(spec.pos, "rule '" + name + "' has no pattern");
  if (!haveReplace) return cur.error(spec.pos, "rule '" + name + "' has no replace block");
  auto rule = detail::DeclaredRule::create(std::move(spec));
  if (!rule) return rule.status();
  return std::shared_ptr<const Rule>(*rule);
}

}  // namespace

Result<std::vector<std::shared_ptr<const Rule>>> parseRules(const std::string& content, const std::string& fileName) {
  std::vector<std::shared_ptr<const Rule>> rules;
  text::Cursor cur(content, fileName);
  std::set<std::string> names;
  for (;;) {
    cur.skipSpace();
    if (cur.atEnd()) break;
    SourcePos at = cur.pos();
    std::string kw = cur.word();
    if (kw != "rule") return cur.error(at, "expected 'rule NAME {', got '" + kw + "'");
    auto r = parseOneRule(cur);
    if (!r) return r.status();
    if (!names.insert((*r)->name()).second)
      return cur.error(at, "rule '" + (*r)->name() + "' is defined twice in this file");
    rules.push_back(std::move(*r));
  }
  return rules;
}

Result<std::vector<std::shared_ptr<const Rule>>> loadRuleFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::NotFound, path + ": cannot open the rule file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parseRules(ss.str(), path);
}

Result<std::shared_ptr<const Rule>> makeDeclaredRule(RuleSpec spec) {
  auto r = detail::DeclaredRule::create(std::move(spec));
  if (!r) return r.status();
  return std::shared_ptr<const Rule>(*r);
}

const RuleSpec* declaredSpec(const Rule& rule) {
  auto* d = dynamic_cast<const detail::DeclaredRule*>(&rule);
  return d ? &d->spec() : nullptr;
}

}  // namespace graft
